package auth

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"relaybase"
	"relaybase/value"
)

func TestVerifyCacheRemembersAVerifiedToken(t *testing.T) {
	key := testKey(t)
	tk := newTestTokens(t, key)
	want := relaybase.Identity{TableID: 3, RowID: 42, Extras: value.ObjectOf("role", "admin", "tags", []any{"a"})}
	tok := issue(t, tk, want, time.Hour)
	if n := tk.cache.len(); n != 0 {
		t.Fatalf("cache holds %d entries before any Verify", n)
	}
	for i := range 3 {
		id, err := tk.Verify(tok)
		if err != nil {
			t.Fatalf("Verify #%d: %v", i, err)
		}
		if id.TableID != 3 || id.RowID != 42 {
			t.Fatalf("Verify #%d = %+v", i, id)
		}
		got, _ := id.Extras.MarshalJSON()
		if string(got) != `{"role":"admin","tags":["a"]}` {
			t.Fatalf("Verify #%d extras = %s", i, got)
		}
		// Whatever a caller does to its extras, the next caller gets them as issued.
		id.Extras.Set("role", "guest")
		tags, _ := id.Extras.Get("tags")
		tags.([]any)[0] = "changed"
	}
	if n := tk.cache.len(); n != 1 {
		t.Fatalf("cache holds %d entries after verifying one token three times, want 1", n)
	}
}

// A remembered token is answered from the cache: proven by breaking the slow path (its key
// block) after the first Verify.
func TestVerifyCacheAnswersWithoutDecrypting(t *testing.T) {
	tk := newTestTokens(t, testKey(t))
	tok := issue(t, tk, relaybase.Identity{TableID: 1, RowID: 7}, time.Hour)
	if _, err := tk.Verify(tok); err != nil {
		t.Fatal(err)
	}
	other := newTestTokens(t, testKey(t))
	tk.kek = other.kek // a token that is not remembered no longer verifies
	if id, err := tk.Verify(tok); err != nil || id.RowID != 7 {
		t.Fatalf("remembered token: Verify = %+v, %v", id, err)
	}
	fresh := issue(t, tk, relaybase.Identity{TableID: 1, RowID: 8}, time.Hour)
	wantUnauthorized(t, tk, fresh)
}

func TestVerifyCacheHonoursExpiry(t *testing.T) {
	clk := newClock(epoch)
	tk := newTestTokens(t, testKey(t), WithClock(clk.Now))
	tok := issue(t, tk, relaybase.Identity{TableID: 1, RowID: 1}, 10*time.Second)
	if _, err := tk.Verify(tok); err != nil {
		t.Fatal(err)
	}
	clk.Advance(9 * time.Second)
	if _, err := tk.Verify(tok); err != nil {
		t.Fatalf("a second before expiry: %v", err)
	}
	clk.Advance(time.Second)
	for i := range 2 {
		err := wantUnauthorized(t, tk, tok)
		if !errors.Is(err, ErrExpired) {
			t.Fatalf("at expiry, Verify #%d = %v, want ErrExpired", i, err)
		}
	}
	if n := tk.cache.len(); n != 0 {
		t.Fatalf("an expired token is still remembered (%d entries)", n)
	}
}

func TestVerifyCacheNeverKeepsAFailure(t *testing.T) {
	clk := newClock(epoch)
	key := testKey(t)
	tk := newTestTokens(t, key, WithClock(clk.Now))
	good := issue(t, tk, relaybase.Identity{TableID: 1, RowID: 1}, time.Hour)
	expired := issue(t, tk, relaybase.Identity{TableID: 1, RowID: 2}, time.Second)
	forged := issue(t, newTestTokens(t, testKey(t), WithClock(clk.Now)), relaybase.Identity{TableID: 1, RowID: 3}, time.Hour)
	parts := strings.Split(good, ".")
	parts[3] = flipLast(parts[3]) // ciphertext altered
	altered := strings.Join(parts, ".")
	clk.Advance(2 * time.Second)

	for name, tok := range map[string]string{
		"expired": expired, "forged": forged, "altered": altered, "malformed": "a.b.c.d.e", "empty": "",
	} {
		for range 2 {
			wantUnauthorized(t, tk, tok)
		}
		if n := tk.cache.len(); n != 0 {
			t.Fatalf("%s token: the cache holds %d entries, want none", name, n)
		}
	}
}

// flipLast changes the last character of a base64url segment to another canonical one.
func flipLast(seg string) string {
	last := seg[len(seg)-1]
	repl := byte('A')
	if last == 'A' {
		repl = 'Q'
	}
	return seg[:len(seg)-1] + string(repl)
}

func TestVerifyCacheIsBounded(t *testing.T) {
	const size = 64
	tk := newTestTokens(t, testKey(t), WithVerifyCache(size))
	var first string
	for i := range 10 * size {
		tok := issue(t, tk, relaybase.Identity{TableID: 1, RowID: int64(i)}, time.Hour)
		if i == 0 {
			first = tok
		}
		if _, err := tk.Verify(tok); err != nil {
			t.Fatal(err)
		}
		if n := tk.cache.len(); n > size {
			t.Fatalf("after %d tokens the cache holds %d entries, more than its %d", i+1, n, size)
		}
	}
	// The first token was crowded out long ago: it verifies the long way, and enters again.
	if id, err := tk.Verify(first); err != nil || id.RowID != 0 {
		t.Fatalf("crowded-out token: %+v, %v", id, err)
	}
}

func TestVerifyCacheOff(t *testing.T) {
	tk := newTestTokens(t, testKey(t), WithVerifyCache(0))
	tok := issue(t, tk, relaybase.Identity{TableID: 1, RowID: 1}, time.Hour)
	if _, err := tk.Verify(tok); err != nil {
		t.Fatal(err)
	}
	if tk.cache != nil {
		t.Fatal("WithVerifyCache(0) still has a cache")
	}
}

// Many goroutines verifying a mix of good and bad tokens through a small cache (run with
// -race): every answer is the right one.
func TestVerifyCacheConcurrent(t *testing.T) {
	clk := newClock(epoch)
	tk := newTestTokens(t, testKey(t), WithClock(clk.Now), WithVerifyCache(cacheShards*2))
	bad := issue(t, newTestTokens(t, testKey(t), WithClock(clk.Now)), relaybase.Identity{TableID: 1, RowID: 1}, time.Hour)
	var good []string
	for i := range 200 {
		good = append(good, issue(t, tk, relaybase.Identity{TableID: 1, RowID: int64(i), Extras: value.ObjectOf("i", int64(i))}, time.Hour))
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for n := range 400 {
				i := (n*7 + g*31) % len(good)
				id, err := tk.Verify(good[i])
				if err != nil || id.RowID != int64(i) {
					errs <- fmt.Errorf("token %d: %+v, %v", i, id, err)
					return
				}
				if v, _ := id.Extras.Get("i"); v != int64(i) {
					errs <- fmt.Errorf("token %d: extras %v", i, v)
					return
				}
				id.Extras.Set("i", "mine")
				if n%10 == 0 {
					if _, err := tk.Verify(bad); err == nil {
						errs <- errors.New("a forged token verified")
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func BenchmarkVerifyCached(b *testing.B) {
	tk := newTestTokens(b, testKey(b))
	tok := issue(b, tk, relaybase.Identity{TableID: 1, RowID: 12345}, 0)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tk.Verify(tok); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyCachedExtras(b *testing.B) {
	tk := newTestTokens(b, testKey(b))
	tok := issue(b, tk, relaybase.Identity{TableID: 1, RowID: 12345, Extras: value.ObjectOf("name", "Ada Lovelace")}, 0)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tk.Verify(tok); err != nil {
			b.Fatal(err)
		}
	}
}
