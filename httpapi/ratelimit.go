package httpapi

import (
	"sync"
	"time"
)

// RateLimit caps requests to endpoints per client IP and per bearer token, each a number
// of requests per minute with a burst of the same size. Zero turns a limit off.
type RateLimit struct {
	PerIP    int
	PerToken int
}

// limiter is a set of token buckets keyed by client. Buckets idle for longer than it takes
// to refill are dropped, so memory stays bounded by the clients of the last few minutes.
type limiter struct {
	perMinute float64
	now       func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newLimiter(perMinute int, now func() time.Time) *limiter {
	if perMinute <= 0 {
		return nil
	}
	return &limiter{perMinute: float64(perMinute), now: now, buckets: map[string]*bucket{}}
}

// allow takes one token from key's bucket and reports whether there was one.
func (l *limiter) allow(key string) bool {
	if l == nil {
		return true
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > time.Minute {
		l.sweep(now)
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{tokens: l.perMinute, at: now}
		l.buckets[key] = b
	}
	b.tokens = min(l.perMinute, b.tokens+now.Sub(b.at).Minutes()*l.perMinute)
	b.at = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// sweep drops buckets that have refilled completely: forgetting them changes nothing.
func (l *limiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.at).Minutes()*l.perMinute >= l.perMinute {
			delete(l.buckets, k)
		}
	}
	l.swept = now
}
