package httpapi

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestCORS(t *testing.T) {
	tests := []struct {
		name        string
		cors        CORS
		path        string
		origin      string
		wantAllow   bool
		wantCredits bool
	}{
		{"any origin by default, without credentials", CORS{}, "/api:chat/x", "https://a.test", true, false},
		{"a named origin gets credentials", CORS{Origins: []string{"https://a.test"}}, "/api:chat/x", "https://a.test", true, true},
		{"an unnamed origin is refused", CORS{Origins: []string{"https://a.test"}}, "/api:chat/x", "https://evil.test", false, false},
		{"a wildcard allows without credentials", CORS{Origins: []string{"*"}}, "/api:chat/x", "https://b.test", true, false},
		{"a group's list wins", CORS{Origins: []string{"https://a.test"}, Groups: map[string][]string{"chat": {"https://c.test"}}}, "/api:chat/x", "https://a.test", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := New(Config{CORS: tc.cors})
			r := httptest.NewRequest(http.MethodOptions, tc.path, nil)
			r.Header.Set("Origin", tc.origin)
			r.Header.Set("Access-Control-Request-Method", "POST")
			r.Header.Set("Access-Control-Request-Headers", "content-type, x-data-source")
			w := httptest.NewRecorder()
			s.ServeHTTP(w, r)
			h := w.Header()
			if got := h.Get("Access-Control-Allow-Origin") == tc.origin; got != tc.wantAllow {
				t.Fatalf("allowed = %v, want %v (%v)", got, tc.wantAllow, h)
			}
			if got := h.Get("Access-Control-Allow-Credentials") == "true"; got != tc.wantCredits {
				t.Fatalf("credentials = %v, want %v", got, tc.wantCredits)
			}
			if tc.wantAllow && h.Get("Access-Control-Allow-Headers") != "content-type, x-data-source" {
				t.Fatalf("requested headers not allowed: %v", h)
			}
		})
	}
}
