package httpapi

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
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
	s := New(Config{RateLimit: RateLimit{PerIP: 2, PerToken: 1}, Now: func() time.Time { return now }})
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
	if get("10.0.0.1", "") == http.StatusTooManyRequests || get("10.0.0.1", "") == http.StatusTooManyRequests {
		t.Fatal("limited within the burst")
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
