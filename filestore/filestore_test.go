package filestore

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"relaybase"
)

func open(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "files"), []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPutOpenDelete(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{1}, 100)...)
	f, err := s.PutFile(ctx, relaybase.NewFile{Name: "../../etc/pic.png", Access: "public"}, bytes.NewReader(png), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(f.Path, "/vault/") || !strings.HasSuffix(f.Path, "/pic.png") || f.Name != "pic.png" ||
		f.MIME != "image/png" || f.Size != int64(len(png)) || f.Access != "public" {
		t.Fatalf("stored %+v", f)
	}
	r, got, err := s.OpenFile(ctx, f.Path)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(r)
	r.Close()
	if !bytes.Equal(data, png) || got != f {
		t.Fatalf("read back %d bytes, %+v", len(data), got)
	}
	// Anything else than the exact path finds nothing.
	id := strings.Split(f.Path, "/")[2]
	for _, p := range []string{
		"/vault/" + id + "/other.png",
		"/vault/" + id + "/../" + id + "/pic.png",
		"/vault/" + id + "/meta.json",
		"/vault/" + id + "/data",
		"/vault/../../etc/passwd",
		"/vault/" + strings.ToUpper(id) + "/pic.png",
		"vault/" + id + "/pic.png",
		"/vault/" + id,
	} {
		if _, _, err := s.OpenFile(ctx, p); !errors.Is(err, relaybase.ErrNotFound) {
			t.Errorf("open %q: %v", p, err)
		}
	}
	if err := s.DeleteFile(ctx, "/vault/"+id+"/other.png"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.OpenFile(ctx, f.Path); err != nil {
		t.Fatalf("a delete by the wrong name removed the file: %v", err)
	}
	if err := s.DeleteFile(ctx, f.Path); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.OpenFile(ctx, f.Path); !errors.Is(err, relaybase.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	if err := s.DeleteFile(ctx, f.Path); err != nil {
		t.Fatalf("a second delete: %v", err)
	}
}

func TestPutLimitsAndTypes(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	if _, err := s.PutFile(ctx, relaybase.NewFile{Name: "big.bin"}, bytes.NewReader(make([]byte, 2000)), 1000); !errors.Is(err, relaybase.ErrFileTooLarge) {
		t.Fatalf("past the limit: %v", err)
	}
	entries, _ := os.ReadDir(s.dir)
	if len(entries) != 0 {
		t.Fatalf("a refused file left %d entries behind", len(entries))
	}
	f, err := s.PutFile(ctx, relaybase.NewFile{Name: "notes", Access: "weird"}, strings.NewReader("plain words"), 1000)
	if err != nil || f.MIME != "text/plain; charset=utf-8" || f.Access != "private" {
		t.Fatalf("sniffed: %+v %v", f, err)
	}
	f, err = s.PutFile(ctx, relaybase.NewFile{Name: "x.pdf", MIME: "application/x-custom"}, strings.NewReader("%PDF"), 1000)
	if err != nil || f.MIME != "application/x-custom" {
		t.Fatalf("given type: %+v %v", f, err)
	}
	empty, err := s.PutFile(ctx, relaybase.NewFile{Name: "empty.txt"}, strings.NewReader(""), 1000)
	if err != nil || empty.Size != 0 {
		t.Fatalf("empty: %+v %v", empty, err)
	}
}

func TestSafeName(t *testing.T) {
	long := strings.Repeat("é", 150) + ".jpeg"
	for in, want := range map[string]string{
		"photo.jpg":              "photo.jpg",
		"../../etc/passwd":       "passwd",
		`C:\Users\a\doc.pdf`:     "doc.pdf",
		".htaccess":              "htaccess",
		"  ..hidden ":            "hidden",
		"a\x00b\nc.txt":          "abc.txt",
		"evil\u202egnp.exe":      "evilgnp.exe",
		`say "hi".txt`:           "say hi.txt",
		"":                       "file",
		"..":                     "file",
		"résumé 2026.pdf":        "résumé 2026.pdf",
		"dir/":                   "file",
		"bad\xffutf8.txt":        "badutf8.txt",
		"report (final) #2.docx": "report (final) #2.docx",
	} {
		if got := SafeName(in); got != want {
			t.Errorf("SafeName(%q) = %q, want %q", in, got, want)
		}
	}
	got := SafeName(long)
	if len(got) > maxName || !strings.HasSuffix(got, ".jpeg") || !utf8Valid(got) {
		t.Errorf("long name: %d bytes %q", len(got), got)
	}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "?") == s }

func TestSignatures(t *testing.T) {
	s := open(t)
	now := time.Unix(1_800_000_000, 0)
	q := s.SignFile("/vault/abc/x.pdf", now.Add(time.Hour))
	var exp int64
	var sig string
	for _, kv := range strings.Split(q, "&") {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "expires":
			exp = mustInt(t, v)
		case "signature":
			sig = v
		}
	}
	if !s.VerifyFile("/vault/abc/x.pdf", exp, sig, now) {
		t.Fatal("a fresh signature does not verify")
	}
	if s.VerifyFile("/vault/abc/x.pdf", exp, sig, now.Add(time.Hour)) {
		t.Error("an expired signature verifies")
	}
	if s.VerifyFile("/vault/abc/y.pdf", exp, sig, now) {
		t.Error("a signature verifies for another path")
	}
	if s.VerifyFile("/vault/abc/x.pdf", exp+3600, sig, now) {
		t.Error("a signature verifies with a later expiry")
	}
	if s.VerifyFile("/vault/abc/x.pdf", exp, "not base64!", now) {
		t.Error("garbage verifies")
	}
	other, _ := Open(t.TempDir(), []byte("another key, another key, other"))
	if other.VerifyFile("/vault/abc/x.pdf", exp, sig, now) {
		t.Error("a signature verifies under another key")
	}
	if _, err := Open(t.TempDir(), []byte("short")); err == nil {
		t.Error("a short key was accepted")
	}
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	for _, c := range s {
		if c < '0' || c > '9' {
			t.Fatalf("not a number: %q", s)
		}
		n = n*10 + int64(c-'0')
	}
	return n
}

// FuzzOpenFile: no path a client can send opens anything but the one stored file, and
// then only by its exact path; nothing panics.
func FuzzOpenFile(f *testing.F) {
	s, err := Open(filepath.Join(f.TempDir(), "files"), []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		f.Fatal(err)
	}
	stored, err := s.PutFile(context.Background(), relaybase.NewFile{Name: "a.txt"}, strings.NewReader("secret"), 100)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, path string) {
		r, got, err := s.OpenFile(context.Background(), path)
		if err == nil {
			r.Close()
			if path != stored.Path || got.Path != stored.Path {
				t.Fatalf("%q opened %+v", path, got)
			}
		} else if !errors.Is(err, relaybase.ErrNotFound) {
			t.Fatalf("%q: %v", path, err)
		}
		_ = SafeName(path)
	})
}
