package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestXanoRuntimeOverHTTP serves testdata/xano_runtime: api.request to a local peer that
// --outbound-allow opens, a group's post middleware merged into the response, and an
// HTML page with cookies from util.set_header.
func TestXanoRuntimeOverHTTP(t *testing.T) {
	peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"got": string(body), "trace": r.Header.Get("X-Trace")})
	}))
	defer peer.Close()
	s := startServer(t, "testdata/xano_runtime", t.TempDir(), "--outbound-allow", "127.0.0.1")

	r := s.do("POST", "/api:x/fetch", map[string]any{"url": peer.URL})
	wantStatus(t, r, http.StatusOK, "")
	if field(r.json, "status") != 200.0 || field(r.json, "result", "got") != `{"hello":"world"}` ||
		field(r.json, "result", "trace") != "e2e" || field(r.json, "served_by") != "relaybase" || field(r.json, "phase") != "post" {
		t.Fatalf("fetch: %s", r.body)
	}
	// Only 127.0.0.1 was opened: the IPv6 loopback stays refused.
	r = s.do("POST", "/api:x/fetch", map[string]any{"url": "http://[::1]:9/"})
	wantStatus(t, r, http.StatusInternalServerError, "ERROR_FATAL")
	if !strings.Contains(string(r.body), "refused by the outbound policy") {
		t.Errorf("refused: %s", r.body)
	}

	r = s.do("GET", "/api:x/page?name=Ann", nil)
	wantStatus(t, r, http.StatusOK, "")
	if ct := r.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if got := string(r.body); got != "<h1>Hello, Ann</h1>" {
		t.Errorf("page %q", got)
	}
	if c := r.header.Values("Set-Cookie"); len(c) != 2 || c[0] != "seen=1; HttpOnly" || c[1] != "theme=dark" {
		t.Errorf("cookies %q", c)
	}
}
