package httpapi

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// staticServer serves a static/ directory next to an outside/ directory holding a secret,
// with symlinks from static/ into outside/ and to a file inside static/.
func staticServer(t *testing.T) *Server {
	t.Helper()
	base := t.TempDir()
	static, outside := filepath.Join(base, "static"), filepath.Join(base, "outside")
	for name, body := range map[string]string{
		"static/index.html":      "<h1>home</h1>",
		"static/app.js":          "console.log(1)",
		"static/docs/index.html": "<h1>docs</h1>",
		"static/files/a.txt":     "a",
		"static/.env":            "SECRET=1",
		"static/.git/config":     "[core]",
		"outside/secret.txt":     "top secret",
	} {
		p := filepath.Join(base, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for link, target := range map[string]string{
		"static/leak.txt": filepath.Join(outside, "secret.txt"),
		"static/out":      outside,
		"static/rel.txt":  "../outside/secret.txt",
		"static/same.js":  "app.js",
	} {
		if err := os.Symlink(target, filepath.Join(base, link)); err != nil {
			t.Fatal(err)
		}
	}
	return New(Config{StaticDir: static})
}

func TestStaticFilesStayInside(t *testing.T) {
	s := staticServer(t)
	for _, tc := range []struct {
		name   string
		method string
		target string
		status int
		body   string // the body contains this
	}{
		{"index at /", "GET", "/", 200, "<h1>home</h1>"},
		{"a file", "GET", "/app.js", 200, "console.log(1)"},
		{"HEAD of a file", "HEAD", "/app.js", 200, ""},
		{"a symlink inside", "GET", "/same.js", 200, "console.log(1)"},
		{"a directory's index", "GET", "/docs/", 200, "<h1>docs</h1>"},
		{"a directory without its slash", "GET", "/docs", 301, ""},
		{"a missing file", "GET", "/nope.js", 404, `"ERROR_CODE_NOT_FOUND"`},
		{"a directory without index is not listed", "GET", "/files/", 404, `"ERROR_CODE_NOT_FOUND"`},
		{"a symlink to a file outside", "GET", "/leak.txt", 404, `"ERROR_CODE_NOT_FOUND"`},
		{"a relative symlink outside", "GET", "/rel.txt", 404, `"ERROR_CODE_NOT_FOUND"`},
		{"a file through a symlinked directory", "GET", "/out/secret.txt", 404, `"ERROR_CODE_NOT_FOUND"`},
		{"a symlinked directory", "GET", "/out/", 404, `"ERROR_CODE_NOT_FOUND"`},
		{"a dotfile", "GET", "/.env", 404, `"ERROR_CODE_NOT_FOUND"`},
		{"inside a dot directory", "GET", "/.git/config", 404, `"ERROR_CODE_NOT_FOUND"`},
		{"encoded dot-dot", "GET", "/%2e%2e/outside/secret.txt", 404, `"ERROR_CODE_NOT_FOUND"`},
		{"encoded slash and dot-dot", "GET", "/..%2foutside%2fsecret.txt", 404, `"ERROR_CODE_NOT_FOUND"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, "http://example.com"+tc.target, nil)
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d; body %q", rec.Code, tc.status, rec.Body.String())
			}
			body := rec.Body.String()
			if !strings.Contains(body, tc.body) {
				t.Fatalf("body %q does not contain %q", body, tc.body)
			}
			if strings.Contains(body, "top secret") || strings.Contains(body, "SECRET") || strings.Contains(body, "a.txt") {
				t.Fatalf("body %q shows what it must not", body)
			}
			if tc.status == 404 {
				var e map[string]any
				if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e["code"] != "ERROR_CODE_NOT_FOUND" {
					t.Fatalf("404 body %q is not the JSON error body (%v)", body, err)
				}
			}
			if rec.Header().Get("X-Request-Id") == "" {
				t.Fatal("no X-Request-Id")
			}
		})
	}
}
