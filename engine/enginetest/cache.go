package enginetest

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"relaybase"
)

// RunCache runs the relaybase.Cache suite on engines that implement it: two nodes made
// by newNodes share one cache, as the nodes of one Redis do. Expiry is checked with short
// lifetimes and polling (a backend's clock cannot be moved), bounded by wait.
func RunCache(t *testing.T, newNodes NewNodes, wait time.Duration) {
	if wait <= 0 {
		wait = 5 * time.Second
	}
	caches := func(t *testing.T) (relaybase.Cache, relaybase.Cache) {
		nodes := newNodes(t, 2)
		t.Cleanup(func() {
			for _, n := range nodes {
				n.Close()
			}
		})
		a, ok1 := nodes[0].(relaybase.Cache)
		b, ok2 := nodes[1].(relaybase.Cache)
		if !ok1 || !ok2 {
			t.Fatalf("%T does not implement relaybase.Cache", nodes[0])
		}
		return a, b
	}
	t.Run("Values", func(t *testing.T) {
		a, b := caches(t)
		ctx := t.Context()
		if _, _, _, ok, err := a.CacheGet(ctx, "missing"); ok || err != nil {
			t.Fatalf("get of a missing key: %v %v", ok, err)
		}
		must(t, a.CacheSet(ctx, "user:1", []byte(`{"name":"Ann"}`), 0))
		v, _, list, ok, err := b.CacheGet(ctx, "user:1")
		if err != nil || !ok || list || string(v) != `{"name":"Ann"}` {
			t.Fatalf("get on the other node: %q %v %v %v", v, list, ok, err)
		}
		if has, err := b.CacheHas(ctx, "user:1"); !has || err != nil {
			t.Fatalf("has: %v %v", has, err)
		}
		must(t, a.CacheSet(ctx, "user:1", []byte(`"replaced"`), 0))
		if v, _, _, _, _ := b.CacheGet(ctx, "user:1"); string(v) != `"replaced"` {
			t.Fatalf("after a second set: %q", v)
		}
		must(t, b.CacheDel(ctx, "user:1"))
		must(t, b.CacheDel(ctx, "user:1")) // deleting what is gone is fine
		if has, _ := a.CacheHas(ctx, "user:1"); has {
			t.Fatal("the key is still there after del")
		}
	})
	t.Run("Counters", func(t *testing.T) {
		a, b := caches(t)
		ctx := t.Context()
		for i, want := range []int64{1, 6, 4} {
			by := []int64{1, 5, -2}[i]
			n, err := []relaybase.Cache{a, b}[i%2].CacheIncr(ctx, "views", by)
			if err != nil || n != want {
				t.Fatalf("incr %d: %d %v, want %d", by, n, err, want)
			}
		}
		must(t, a.CacheSet(ctx, "seven", []byte("7"), 0))
		if n, err := b.CacheIncr(ctx, "seven", 1); n != 8 || err != nil {
			t.Fatalf("incr of a set integer: %d %v", n, err)
		}
		must(t, a.CacheSet(ctx, "text", []byte(`"x"`), 0))
		if _, err := b.CacheIncr(ctx, "text", 1); !errors.Is(err, relaybase.ErrNotInteger) {
			t.Fatalf("incr of text: %v", err)
		}
	})
	t.Run("Lists", func(t *testing.T) {
		a, b := caches(t)
		ctx := t.Context()
		for i, el := range []string{`"b"`, `"c"`, `"b"`} {
			n, err := a.CachePush(ctx, "q", []byte(el), false)
			if err != nil || n != int64(i+1) {
				t.Fatalf("push: %d %v", n, err)
			}
		}
		if n, err := b.CachePush(ctx, "q", []byte(`"a"`), true); n != 4 || err != nil {
			t.Fatalf("unshift: %d %v", n, err)
		}
		if got := texts(t)(b.CacheRange(ctx, "q", 0, -1)); got != `"a" "b" "c" "b"` {
			t.Fatalf("range 0 -1: %s", got)
		}
		if got := texts(t)(b.CacheRange(ctx, "q", 1, 2)); got != `"b" "c"` {
			t.Fatalf("range 1 2: %s", got)
		}
		if got := texts(t)(b.CacheRange(ctx, "q", -2, 10)); got != `"c" "b"` {
			t.Fatalf("range -2 10: %s", got)
		}
		_, elems, list, ok, err := a.CacheGet(ctx, "q")
		if err != nil || !ok || !list || len(elems) != 4 {
			t.Fatalf("get of a list: %v %v %d %v", list, ok, len(elems), err)
		}
		if n, err := a.CacheRemove(ctx, "q", []byte(`"b"`), 1); n != 1 || err != nil {
			t.Fatalf("remove 1: %d %v", n, err)
		}
		if got := texts(t)(b.CacheRange(ctx, "q", 0, -1)); got != `"a" "c" "b"` {
			t.Fatalf("after remove: %s", got)
		}
		if n, _ := b.CacheLen(ctx, "q"); n != 3 {
			t.Fatalf("len %d", n)
		}
		if el, ok, err := b.CachePop(ctx, "q", false); string(el) != `"b"` || !ok || err != nil {
			t.Fatalf("pop: %q %v %v", el, ok, err)
		}
		if el, ok, err := a.CachePop(ctx, "q", true); string(el) != `"a"` || !ok || err != nil {
			t.Fatalf("shift: %q %v %v", el, ok, err)
		}
		if el, ok, _ := a.CachePop(ctx, "q", true); string(el) != `"c"` || !ok {
			t.Fatalf("shift: %q", el)
		}
		if _, ok, err := a.CachePop(ctx, "q", true); ok || err != nil {
			t.Fatalf("shift of an empty list: %v %v", ok, err)
		}
		if n, err := a.CacheLen(ctx, "nothing"); n != 0 || err != nil {
			t.Fatalf("len of a missing list: %d %v", n, err)
		}
		must(t, a.CacheSetList(ctx, "set", [][]byte{[]byte(`1`), []byte(`2`)}, 0))
		if n, _ := b.CachePush(ctx, "set", []byte(`3`), false); n != 3 {
			t.Fatalf("push onto a set list: %d", n)
		}
		must(t, a.CacheSet(ctx, "plain", []byte(`1`), 0))
		if _, err := b.CachePush(ctx, "plain", []byte(`2`), false); !errors.Is(err, relaybase.ErrWrongKind) {
			t.Fatalf("push onto a value: %v", err)
		}
		if _, err := b.CacheIncr(ctx, "set", 1); !errors.Is(err, relaybase.ErrWrongKind) {
			t.Fatalf("incr of a list: %v", err)
		}
	})
	t.Run("Keys", func(t *testing.T) {
		a, b := caches(t)
		ctx := t.Context()
		for _, k := range []string{"user:1", "user:2", "user/3", "session:9", "u[x]"} {
			must(t, a.CacheSet(ctx, k, []byte(`1`), 0))
		}
		for pattern, want := range map[string]string{
			"user*":  "user/3 user:1 user:2",
			"user:?": "user:1 user:2",
			"*:[12]": "user:1 user:2",
			"*":      "session:9 u[x] user/3 user:1 user:2",
			`u\[x]`:  "u[x]",
			"nobody": "",
		} {
			got, err := b.CacheKeys(ctx, pattern)
			if err != nil || strings.Join(got, " ") != want {
				t.Errorf("keys %q: %q %v, want %q", pattern, got, err, want)
			}
		}
	})
	t.Run("Expiry", func(t *testing.T) {
		a, b := caches(t)
		ctx := t.Context()
		must(t, a.CacheSet(ctx, "short", []byte(`1`), 150*time.Millisecond))
		must(t, a.CacheSetList(ctx, "shortlist", [][]byte{[]byte(`1`)}, 150*time.Millisecond))
		must(t, a.CacheSet(ctx, "long", []byte(`1`), time.Hour))
		if n, _ := b.CacheIncr(ctx, "short", 1); n != 2 {
			t.Fatalf("incr: %d", n)
		}
		eventually(t, wait, "the short keys to expire", func() bool {
			h1, _ := b.CacheHas(ctx, "short")
			h2, _ := b.CacheHas(ctx, "shortlist")
			return !h1 && !h2
		})
		if has, _ := b.CacheHas(ctx, "long"); !has {
			t.Fatal("a key with an hour to live expired")
		}
		if keys, _ := b.CacheKeys(ctx, "short*"); len(keys) != 0 {
			t.Fatalf("expired keys listed: %v", keys)
		}
		// CacheExpire gives a key a lifetime, or takes it away.
		must(t, a.CacheSet(ctx, "later", []byte(`1`), 0))
		must(t, a.CacheSet(ctx, "kept", []byte(`1`), 150*time.Millisecond))
		if ok, err := b.CacheExpire(ctx, "later", 150*time.Millisecond); !ok || err != nil {
			t.Fatalf("expire: %v %v", ok, err)
		}
		if ok, err := b.CacheExpire(ctx, "kept", 0); !ok || err != nil {
			t.Fatalf("persist: %v %v", ok, err)
		}
		if ok, err := b.CacheExpire(ctx, "absent", time.Second); ok || err != nil {
			t.Fatalf("expire of an absent key: %v %v", ok, err)
		}
		eventually(t, wait, "the key given a lifetime to expire", func() bool {
			has, _ := a.CacheHas(ctx, "later")
			return !has
		})
		if has, _ := a.CacheHas(ctx, "kept"); !has {
			t.Fatal("a key whose lifetime was taken away expired")
		}
	})
	t.Run("RateLimit", func(t *testing.T) {
		a, b := caches(t)
		ctx := t.Context()
		var mu sync.Mutex
		allowed, refused := 0, 0
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, _, err := []relaybase.Cache{a, b}[i%2].CacheRateLimit(ctx, "ip:1", 5, time.Hour)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				if ok {
					allowed++
				} else {
					refused++
				}
			}()
		}
		wg.Wait()
		if allowed != 5 || refused != 15 {
			t.Fatalf("allowed %d, refused %d; want 5 and 15 across both nodes", allowed, refused)
		}
		if ok, hits, _ := a.CacheRateLimit(ctx, "ip:2", 1, time.Hour); !ok || hits != 1 {
			t.Fatalf("another key: %v %d", ok, hits)
		}
		// The window starts at the first hit and does not slide: once it ends, hits count
		// from one again.
		if ok, _, _ := a.CacheRateLimit(ctx, "burst", 1, 150*time.Millisecond); !ok {
			t.Fatal("first hit refused")
		}
		if ok, _, _ := b.CacheRateLimit(ctx, "burst", 1, 150*time.Millisecond); ok {
			t.Fatal("second hit allowed")
		}
		eventually(t, wait, "the window to end", func() bool {
			has, _ := a.CacheHas(ctx, "burst")
			return !has
		})
		if ok, hits, _ := b.CacheRateLimit(ctx, "burst", 1, 150*time.Millisecond); !ok || hits != 1 {
			t.Fatalf("after the window: %v %d", ok, hits)
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func texts(t *testing.T) func([][]byte, error) string {
	return func(elems [][]byte, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, e := range elems {
			s = append(s, string(e))
		}
		return strings.Join(s, " ")
	}
}

func eventually(t *testing.T, wait time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, wait)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
