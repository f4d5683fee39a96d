package admin

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// TestServesEmbeddedPage: /_/ is the embedded index.html, with headers that keep it out of
// frames; /_ redirects to /_/.
func TestServesEmbeddedPage(t *testing.T) {
	h := newConsole(t).h
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/_/", nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "<html") {
		t.Fatalf("GET /_/: %d %q", rec.Code, rec.Body.String())
	}
	if rec.Header().Get("X-Frame-Options") != "DENY" || !strings.Contains(rec.Header().Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Errorf("GET /_/ headers: %v", rec.Header())
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/_", nil))
	if rec.Code != 301 || rec.Header().Get("Location") != "/_/" {
		t.Errorf("GET /_: %d %v", rec.Code, rec.Header())
	}
}
