package auth

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"

	"golang.org/x/crypto/bcrypt"
)

// cheap are argon2id parameters that keep tests fast; the format and the checks are the same.
var cheap = Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func check(t *testing.T, pw *Passwords, plain, hash string) bool {
	t.Helper()
	ok, err := pw.Check(plain, hash)
	if err != nil {
		t.Fatalf("Check(%q, %q): %v", plain, hash, err)
	}
	return ok
}

func TestHashDefaultFormat(t *testing.T) {
	pw := NewPasswords()
	h, err := pw.Hash("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	const prefix = "$argon2id$v=19$m=19456,t=2,p=1$"
	if !strings.HasPrefix(h, prefix) {
		t.Fatalf("hash %q does not start with %q", h, prefix)
	}
	parts := strings.Split(h, "$")
	if len(parts[4]) != 22 || len(parts[5]) != 43 { // 16-byte salt, 32-byte hash, unpadded
		t.Fatalf("salt %q / hash %q: want 22 and 43 base64 characters", parts[4], parts[5])
	}
	if !IsHash(h) {
		t.Fatalf("IsHash(%q) = false", h)
	}
	if !check(t, pw, "correct horse battery staple", h) {
		t.Fatal("right password refused")
	}
	if check(t, pw, "correct horse battery stapl", h) {
		t.Fatal("wrong password accepted")
	}
}

func TestHashRoundTrip(t *testing.T) {
	pw := NewPasswords(WithParams(cheap))
	for _, plain := range []string{"", "a", "hunter2", "pässwörd 🙂", strings.Repeat("long", 300), "nul\x00inside"} {
		h, err := pw.Hash(plain)
		if err != nil {
			t.Fatal(err)
		}
		h2, _ := pw.Hash(plain)
		if h == h2 {
			t.Fatalf("two hashes of %q are equal: salt not random", plain)
		}
		if !check(t, pw, plain, h) || !check(t, pw, plain, h2) {
			t.Fatalf("password %q refused against its own hash %q", plain, h)
		}
		for _, wrong := range []string{plain + "x", strings.ToUpper(plain) + "!", "nul"} {
			if wrong != plain && check(t, pw, wrong, h) {
				t.Fatalf("wrong password %q accepted for %q", wrong, plain)
			}
		}
	}
	// A Passwords with other parameters checks the hash by the parameters written in it.
	h, _ := pw.Hash("hunter2")
	if !check(t, NewPasswords(), "hunter2", h) {
		t.Fatal("hash made with other parameters refused")
	}
}

// Hashes made by other implementations: the reference argon2 CLI and Apache's htpasswd.
func TestCheckForeignHashes(t *testing.T) {
	pw := NewPasswords()
	for _, tc := range []struct{ plain, hash string }{
		// echo -n "correct horse battery staple" | argon2 c2FsdHNhbHRzYWx0 -id -t 2 -k 19456 -p 1 -l 32 -e
		{"correct horse battery staple", "$argon2id$v=19$m=19456,t=2,p=1$YzJGc2RITmhiSFJ6WVd4MA$C3HFvcUvem61LKXSltL/xutKug9zYH7lDf0PpKaRnmM"},
		// echo -n hunter2 | argon2 somesaltsomesalt -id -t 3 -k 4096 -p 2 -l 24 -e
		{"hunter2", "$argon2id$v=19$m=4096,t=3,p=2$c29tZXNhbHRzb21lc2FsdA$MAxdKAFebX9D21X72wdqEPZAKIea3DkS"},
		// htpasswd -nbB -C 5 u "correct horse battery staple"
		{"correct horse battery staple", "$2y$05$.uaZN98DHqKEL8LI55Vv0ONYv9ox./alyyVq0qgMOGGeskzOyJAIO"},
	} {
		if !IsHash(tc.hash) {
			t.Fatalf("IsHash(%q) = false", tc.hash)
		}
		if !check(t, pw, tc.plain, tc.hash) {
			t.Fatalf("%q refused against %q", tc.plain, tc.hash)
		}
		if check(t, pw, tc.plain+".", tc.hash) {
			t.Fatalf("wrong password accepted against %q", tc.hash)
		}
	}
}

func TestCheckBcrypt(t *testing.T) {
	pw := NewPasswords()
	raw, err := bcrypt.GenerateFromPassword([]byte("s3cret!"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	generated := string(raw)
	if !strings.HasPrefix(generated, "$2a$") {
		t.Fatalf("bcrypt made %q", generated)
	}
	// $2a$, $2b$ and $2y$ differ only in which historical bugs the writer had; Go's bcrypt
	// computes all three the same way.
	for _, prefix := range []string{"$2a$", "$2b$", "$2y$"} {
		h := prefix + generated[4:]
		if !IsHash(h) {
			t.Fatalf("IsHash(%q) = false", h)
		}
		if !check(t, pw, "s3cret!", h) {
			t.Fatalf("right password refused against %q", h)
		}
		if check(t, pw, "s3cret?", h) || check(t, pw, "", h) {
			t.Fatalf("wrong password accepted against %q", h)
		}
	}
}

func TestCheckMalformedHashes(t *testing.T) {
	pw := NewPasswords()
	good, _ := NewPasswords(WithParams(cheap)).Hash("x")
	bc, _ := bcrypt.GenerateFromPassword([]byte("x"), bcrypt.MinCost)
	for _, h := range []string{
		"", "x", "plain text password", "$", "$$$$$", "$argon2id$", "$argon2id$$$$$",
		"$argon2i$v=19$m=64,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$MAxdKAFebX9D21X72wdqEPZAKIea3DkS",
		"$argon2d$v=19$m=64,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$MAxdKAFebX9D21X72wdqEPZAKIea3DkS",
		"$argon2id$v=16$m=64,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$MAxdKAFebX9D21X72wdqEPZAKIea3DkS",
		"$argon2id$m=64,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$MAxdKAFebX9D21X72wdqEPZAKIea3DkS",
		"$argon2id$v=19$t=1,m=64,p=1$c29tZXNhbHRzb21lc2FsdA$MAxdKAFebX9D21X72wdqEPZAKIea3DkS",
		"$argon2id$v=19$m=64,t=1$c29tZXNhbHRzb21lc2FsdA$MAxdKAFebX9D21X72wdqEPZAKIea3DkS",
		"$argon2id$v=19$m=64,t=1,p=1,k=2$c29tZXNhbHRzb21lc2FsdA$MAxdKAFebX9D21X72wdqEPZAKIea3DkS",
		"$argon2id$v=19$m=64,t=0,p=1$c29tZXNhbHRzb21lc2FsdA$MAxdKAFebX9D21X72wdqEPZAKIea3DkS",
		"$argon2id$v=19$m=64,t=1,p=0$c29tZXNhbHRzb21lc2FsdA$MAxdKAFebX9D21X72wdqEPZAKIea3DkS",
		"$argon2id$v=19$m=1,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$MAxdKAFebX9D21X72wdqEPZAKIea3DkS",
		"$argon2id$v=19$m=64,t=1,p=300$c29tZXNhbHRzb21lc2FsdA$MAxdKAFebX9D21X72wdqEPZAKIea3DkS",
		"$argon2id$v=19$m=4294967295,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$MAxdKAFebX9D21X72wdqEPZAKIea3DkS",
		"$argon2id$v=19$m=64,t=4294967295,p=1$c29tZXNhbHRzb21lc2FsdA$MAxdKAFebX9D21X72wdqEPZAKIea3DkS",
		"$argon2id$v=19$m=99999999999,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$MAxdKAFebX9D21X72wdqEPZAKIea3DkS",
		"$argon2id$v=19$m=-64,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$MAxdKAFebX9D21X72wdqEPZAKIea3DkS",
		"$argon2id$v=19$m=+64,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$MAxdKAFebX9D21X72wdqEPZAKIea3DkS",
		"$argon2id$v=19$m=64,t=1,p=1$$MAxdKAFebX9D21X72wdqEPZAKIea3DkS",
		"$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$",
		"$argon2id$v=19$m=64,t=1,p=1$c2FsdA$MAxdKAFebX9D21X72wdqEPZAKIea3DkS",                   // 4-byte salt
		"$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$MAxd",                               // 3-byte hash
		"$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHRzb21lc2FsdA==$MAxdKAFebX9D21X72wdqEPZAKIea3DkS", // padded
		"$argon2id$v=19$m=64,t=1,p=1$c29t!XNhbHRzb21lc2FsdA$MAxdKAFebX9D21X72wdqEPZAKIea3DkS",
		"$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$MAxdKAFebX9D21X72wdqEPZAKIea3DkS$",
		good + "$", good[:len(good)-1] + "!", " " + good, strings.TrimPrefix(good, "$"),
		string(bc[:59]), string(bc) + "x", "$2x$" + string(bc[4:]), "$2$" + string(bc[4:]),
		"$2a$31$" + string(bc[7:]), "$2a$99$" + string(bc[7:]), "$2a$03$" + string(bc[7:]), "$2a$1x$" + string(bc[7:]),
		"$2a$04$" + strings.Repeat("!", 53), "$2a$04$" + strings.Repeat("\x00", 53),
	} {
		ok, err := pw.Check("x", h)
		if ok || err == nil {
			t.Fatalf("Check(%q) = %v, %v; want false and an error", h, ok, err)
		}
		if !errors.Is(err, ErrInvalidHash) {
			t.Fatalf("Check(%q) error %v does not wrap ErrInvalidHash", h, err)
		}
		if IsHash(h) {
			t.Fatalf("IsHash(%q) = true", h)
		}
	}
}

func TestIsHashPlainText(t *testing.T) {
	for _, s := range []string{"", "password", "$argon2id", "$2a$", "correct horse battery staple", strings.Repeat("a", 60)} {
		if IsHash(s) {
			t.Fatalf("IsHash(%q) = true", s)
		}
	}
}

func TestHashRefusesBadParams(t *testing.T) {
	for _, p := range []Params{
		{Memory: 64, Time: 0, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 64, Time: 1, Threads: 0, SaltLen: 16, KeyLen: 32},
		{Memory: 64, Time: 1, Threads: 1, SaltLen: 4, KeyLen: 32},
		{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 4},
		{},
	} {
		if h, err := NewPasswords(WithParams(p)).Hash("x"); err == nil {
			t.Fatalf("Hash with %+v = %q, want an error", p, h)
		}
	}
}

// With every slot taken, Hash and Check wait; they go on when a slot frees.
func TestConcurrencyCap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pw := NewPasswords(WithParams(cheap), WithConcurrency(2))
		if cap(pw.slots) != 2 {
			t.Fatalf("%d slots, want 2", cap(pw.slots))
		}
		h, err := pw.Hash("x")
		if err != nil {
			t.Fatal(err)
		}
		pw.acquire()
		pw.acquire()
		var done sync.WaitGroup
		finished := make(chan string, 3)
		done.Go(func() { _, _ = pw.Hash("y"); finished <- "hash" })
		done.Go(func() { _, _ = pw.Check("x", h); finished <- "check" })
		synctest.Wait()
		select {
		case what := <-finished:
			t.Fatalf("%s ran while every slot was taken", what)
		default:
		}
		pw.release()
		pw.release()
		done.Wait()
		if len(pw.slots) != 0 {
			t.Fatalf("%d slots still held after all calls returned", len(pw.slots))
		}
	})
	if n := cap(NewPasswords().slots); n < 2 {
		t.Fatalf("default concurrency %d", n)
	}
}

func TestPasswordsConcurrent(t *testing.T) {
	pw := NewPasswords(WithParams(cheap), WithConcurrency(3))
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Go(func() {
			plain := strings.Repeat("p", i+1)
			h, err := pw.Hash(plain)
			if err != nil {
				t.Error(err)
				return
			}
			if ok, err := pw.Check(plain, h); !ok || err != nil {
				t.Errorf("Check(%q) = %v, %v", plain, ok, err)
			}
		})
	}
	wg.Wait()
}

func BenchmarkHashPassword(b *testing.B) {
	pw := NewPasswords()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := pw.Hash("correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCheckPassword(b *testing.B) {
	pw := NewPasswords()
	h, err := pw.Hash("correct horse battery staple")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := pw.Check("correct horse battery staple", h); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}
