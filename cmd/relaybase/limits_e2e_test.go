package main

import (
	"net/http"
	"strings"
	"testing"
)

// TestStackTimeoutOverHTTP: --stack-timeout stops an endpoint that runs past it (slow
// sleeps a second) with a 500 that names the limit; the server goes on serving.
func TestStackTimeoutOverHTTP(t *testing.T) {
	s := startServer(t, "testdata/e2e", t.TempDir(), "--stack-timeout", "200ms")
	r := s.do("GET", "/api:t/slow", nil)
	wantStatus(t, r, http.StatusInternalServerError, "ERROR_FATAL")
	if msg, _ := field(r.json, "message").(string); !strings.Contains(msg, "limit of 200ms") {
		t.Fatalf("message %q does not name the limit", msg)
	}
	wantStatus(t, s.do("GET", "/api:t/compute", nil), http.StatusOK, "")
}
