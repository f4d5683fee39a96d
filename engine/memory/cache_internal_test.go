package memory

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"relaybase"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestCacheExpiryOnItsClock(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	c := NewCache(clock.now)
	ctx := t.Context()
	if err := c.CacheSet(ctx, "k", []byte("1"), time.Minute); err != nil {
		t.Fatal(err)
	}
	clock.advance(59 * time.Second)
	if n, err := c.CacheIncr(ctx, "k", 1); n != 2 || err != nil {
		t.Fatalf("incr %d %v", n, err)
	}
	clock.advance(time.Second) // incr kept the expiry: the minute is up now
	if has, _ := c.CacheHas(ctx, "k"); has {
		t.Fatal("the key outlived its minute")
	}
	if n, _ := c.CacheIncr(ctx, "k", 1); n != 1 {
		t.Fatalf("incr after expiry: %d", n)
	}
	// A rate limit window starts at its first hit.
	for i := range 3 {
		ok, hits, _ := c.CacheRateLimit(ctx, "rl", 2, time.Minute)
		if ok != (i < 2) || hits != int64(i+1) {
			t.Fatalf("hit %d: %v %d", i+1, ok, hits)
		}
		clock.advance(10 * time.Second)
	}
	clock.advance(30 * time.Second)
	if ok, hits, _ := c.CacheRateLimit(ctx, "rl", 2, time.Minute); !ok || hits != 1 {
		t.Fatalf("new window: %v %d", ok, hits)
	}
}

func TestCacheSweepsAndBounds(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	c := NewCache(clock.now)
	ctx := t.Context()
	for i := range 1000 {
		if _, _, err := c.CacheRateLimit(ctx, fmt.Sprintf("ip:%d", i), 10, time.Second); err != nil {
			t.Fatal(err)
		}
	}
	clock.advance(time.Second)
	// The keys above have expired and are never read again. The cache sweeps when it has
	// doubled since its last sweep, so enough new keys make it drop them.
	for i := range 1100 {
		if err := c.CacheSet(ctx, fmt.Sprintf("live:%d", i), []byte("x"), 0); err != nil {
			t.Fatal(err)
		}
	}
	c.mu.Lock()
	n := len(c.entries)
	c.mu.Unlock()
	if n > 1100+64 {
		t.Errorf("%d entries kept: expired keys never read again were not swept", n)
	}

	c.mu.Lock()
	c.max = c.bytes + 10_000
	c.mu.Unlock()
	if err := c.CacheSet(ctx, "big", make([]byte, 20_000), 0); !errors.Is(err, relaybase.ErrCacheFull) {
		t.Errorf("a value past the bound: %v", err)
	}
	if has, _ := c.CacheHas(ctx, "big"); has {
		t.Error("the refused value was stored")
	}
	for i := 0; ; i++ {
		_, err := c.CachePush(ctx, "list", make([]byte, 100), false)
		if errors.Is(err, relaybase.ErrCacheFull) {
			break
		}
		if err != nil || i > 1000 {
			t.Fatalf("push %d: %v", i, err)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bytes > c.max {
		t.Errorf("the cache holds %d bytes, past its bound %d", c.bytes, c.max)
	}
}

func TestGlob(t *testing.T) {
	for _, c := range []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true},
		{"*", "a/b:c", true},
		{"user:*", "user:1", true},
		{"user:*", "users:1", false},
		{"*:1", "a:b:1", true},
		{"u?er", "user", true},
		{"u?er", "uer", false},
		{"[abc]x", "bx", true},
		{"[^abc]x", "bx", false},
		{"[a-c]x", "cx", true},
		{"[a-c]x", "dx", false},
		{`a\*b`, "a*b", true},
		{`a\*b`, "axb", false},
		{"[unclosed", "[unclosed", true},
		{"a*b*c", "aXbYbZc", true},
		{"a*b*c", "aXbYbZ", false},
	} {
		if got := Glob(c.pattern, c.s); got != c.want {
			t.Errorf("Glob(%q, %q) = %v", c.pattern, c.s, got)
		}
	}
}
