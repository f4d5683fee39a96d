package httpapi

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

// TestAdminMount: everything under /_/ goes to Config.Admin and nowhere else, without CORS
// headers even for an allowed origin; with no Admin, /_/ is a 404 even when the workspace's
// static/ directory has a file there.
func TestAdminMount(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "_"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "_", "index.html"), []byte("static"), 0o644); err != nil {
		t.Fatal(err)
	}
	console := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "console "+r.URL.Path) })
	get := func(s *Server, path string) (int, string, http.Header) {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Origin", "http://elsewhere.example")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String(), rec.Header()
	}

	on := New(Config{StaticDir: dir, Admin: console})
	for _, path := range []string{"/_", "/_/", "/_/api/session", "/_/app.js"} {
		code, body, h := get(on, path)
		if code != 200 || body != "console "+path {
			t.Errorf("GET %s with the console on: %d %q, want the console's answer", path, code, body)
		}
		if h.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("GET %s: CORS header %q on the console", path, h.Get("Access-Control-Allow-Origin"))
		}
	}
	if code, body, _ := get(on, "/_x/"); body == "console /_x/" {
		t.Errorf("GET /_x/ went to the console (%d)", code)
	}

	off := New(Config{StaticDir: dir})
	for _, path := range []string{"/_", "/_/", "/_/index.html", "/_/api/session"} {
		if code, body, _ := get(off, path); code != 404 {
			t.Errorf("GET %s with the console off: %d %q, want 404", path, code, body)
		}
	}
}
