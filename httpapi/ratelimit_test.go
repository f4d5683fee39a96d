package httpapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"relaybase"
)

func TestLimiterRefillsPerMinute(t *testing.T) {
	now := time.Unix(1000, 0)
	l := newLimiter(3, func() time.Time { return now })
	for i := 0; i < 3; i++ {
		if !l.allow("a") {
			t.Fatalf("request %d refused within the burst", i+1)
		}
	}
	if l.allow("a") {
		t.Fatal("fourth request within a minute allowed")
	}
	if !l.allow("b") {
		t.Fatal("another client was limited by a's requests")
	}
	now = now.Add(20 * time.Second) // a third of a minute: one token back
	if !l.allow("a") {
		t.Fatal("no token after 20 s at 3 per minute")
	}
	if l.allow("a") {
		t.Fatal("two tokens after 20 s at 3 per minute")
	}
	now = now.Add(10 * time.Minute)
	l.allow("c") // triggers a sweep: a and b have refilled and are forgotten
	if _, ok := l.buckets["a"]; ok {
		t.Fatal("a refilled bucket was kept")
	}
}

func TestNilLimiterAllowsEverything(t *testing.T) {
	var l *limiter = newLimiter(0, time.Now)
	for i := 0; i < 1000; i++ {
		if !l.allow("x") {
			t.Fatal("a disabled limiter refused")
		}
	}
}

func TestServerAnswers429PastTheLimit(t *testing.T) {
	now := time.Unix(0, 0)
	s := New(Config{RateLimit: RateLimit{PerIP: 2, PerToken: 1}, Tokens: fakeTokens{}, Now: func() time.Time { return now }})
	get := func(ip, token string) int {
		r := httptest.NewRequest("GET", "/api:x/y", nil)
		r.RemoteAddr = ip + ":1234"
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		return w.Code
	}
	for i := range 2 {
		if code := get("10.0.0.1", ""); code == http.StatusTooManyRequests {
			t.Fatalf("request %d of a burst of 2 from one IP: 429", i+1)
		}
	}
	if code := get("10.0.0.1", ""); code != http.StatusTooManyRequests {
		t.Fatalf("third request from one IP: %d, want 429", code)
	}
	if code := get("10.0.0.2", "tok"); code == http.StatusTooManyRequests {
		t.Fatal("another IP was limited")
	}
	if code := get("10.0.0.3", "tok"); code != http.StatusTooManyRequests {
		t.Fatalf("second request with one token from another IP: %d, want 429", code)
	}
}

// fakeTokens verifies "tok" and tokens starting "good-"; everything else is forged.
type fakeTokens struct{}

func (fakeTokens) Issue(relaybase.Identity, time.Duration) (string, error) { return "", nil }

func (fakeTokens) Verify(token string) (relaybase.Identity, error) {
	if token == "tok" || strings.HasPrefix(token, "good-") {
		return relaybase.Identity{TableID: 1, RowID: 1}, nil
	}
	return relaybase.Identity{}, relaybase.ErrUnauthorized
}

// TestForgedTokensFillNoBuckets: the per-token limit counts tokens that verify, keyed by
// a fixed-size digest; junk tokens (here 100 KiB each) never reach the limiter's memory.
func TestForgedTokensFillNoBuckets(t *testing.T) {
	now := time.Unix(0, 0)
	s := New(Config{RateLimit: RateLimit{PerToken: 3}, Tokens: fakeTokens{}, Now: func() time.Time { return now }})
	get := func(token string) int {
		r := httptest.NewRequest("GET", "/api:x/y", nil)
		r.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		return w.Code
	}
	for _, tc := range []struct {
		name   string
		tokens []string
		last   int // status of the last request
	}{
		{"forged tokens", []string{strings.Repeat("a", 100<<10) + "1", strings.Repeat("a", 100<<10) + "2", strings.Repeat("a", 100<<10) + "3", "x"}, http.StatusNotFound},
		{"one forged token many times", []string{"junk", "junk", "junk", "junk", "junk"}, http.StatusNotFound},
		{"a valid token past its limit", []string{"good-1", "good-1", "good-1", "good-1"}, http.StatusTooManyRequests},
		{"another valid token", []string{"good-2"}, http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var code int
			for _, tok := range tc.tokens {
				code = get(tok)
			}
			if code != tc.last {
				t.Fatalf("last status %d, want %d", code, tc.last)
			}
			for k := range s.byToken.buckets {
				if len(k) > 64 {
					t.Fatalf("a bucket is keyed by %d bytes", len(k))
				}
			}
		})
	}
	if n := len(s.byToken.buckets); n != 2 {
		t.Fatalf("%d buckets, want 2 (the valid tokens)", n)
	}
}
