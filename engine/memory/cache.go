package memory

import (
	"bytes"
	"context"
	"sort"
	"strconv"
	"sync"
	"time"

	"relaybase"
)

// Cache is an in-process relaybase.Cache: what redis.* statements use when no Redis is
// configured. Expired keys are dropped when next touched, and all of them when the cache
// has grown to twice its size at the last sweep, so keys written once and never read
// again (rate limits by address) do not pile up. It holds at most MaxCacheBytes of keys
// and data; a write past that fails with relaybase.ErrCacheFull. It owns no goroutine.
type Cache struct {
	now func() time.Time

	mu      sync.Mutex
	entries map[string]*cacheEntry
	bytes   int64
	swept   int // entries left by the last sweep
	max     int64
}

// MaxCacheBytes bounds an in-process Cache (keys and data).
const MaxCacheBytes = 256 << 20

type cacheEntry struct {
	value   []byte
	list    [][]byte
	isList  bool
	expires time.Time // zero: never
}

func (e *cacheEntry) size(key string) int64 {
	n := int64(len(key) + len(e.value) + 64)
	for _, el := range e.list {
		n += int64(len(el) + 24)
	}
	return n
}

var _ relaybase.Cache = (*Cache)(nil)

// NewCache returns an empty Cache on the clock now (nil: time.Now).
func NewCache(now func() time.Time) *Cache {
	if now == nil {
		now = time.Now
	}
	return &Cache{now: now, entries: map[string]*cacheEntry{}, max: MaxCacheBytes}
}

// get returns the live entry of key, dropping it when it has expired. c.mu is held.
func (c *Cache) get(key string) *cacheEntry {
	e, ok := c.entries[key]
	if !ok {
		return nil
	}
	if !e.expires.IsZero() && !c.now().Before(e.expires) {
		c.drop(key, e)
		return nil
	}
	return e
}

func (c *Cache) drop(key string, e *cacheEntry) {
	c.bytes -= e.size(key)
	delete(c.entries, key)
}

// put stores e under key, replacing what was there, within the size bound. c.mu is held.
func (c *Cache) put(key string, e *cacheEntry) error {
	old := c.entries[key]
	var oldSize int64
	if old != nil {
		oldSize = old.size(key)
	}
	if c.bytes-oldSize+e.size(key) > c.max {
		c.sweep()
		if c.bytes-oldSize+e.size(key) > c.max {
			return relaybase.ErrCacheFull
		}
	}
	c.bytes += e.size(key) - oldSize
	c.entries[key] = e
	if len(c.entries) > 2*c.swept+64 {
		c.sweep()
	}
	return nil
}

// resize accounts for an entry changed in place. c.mu is held.
func (c *Cache) resize(key string, e *cacheEntry, before int64) error {
	after := e.size(key)
	if c.bytes-before+after > c.max {
		return relaybase.ErrCacheFull
	}
	c.bytes += after - before
	return nil
}

// sweep drops every expired entry. c.mu is held.
func (c *Cache) sweep() {
	now := c.now()
	for k, e := range c.entries {
		if !e.expires.IsZero() && !now.Before(e.expires) {
			c.drop(k, e)
		}
	}
	c.swept = len(c.entries)
}

func (c *Cache) expiry(ttl time.Duration) time.Time {
	if ttl <= 0 {
		return time.Time{}
	}
	return c.now().Add(ttl)
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }

// CacheSet implements relaybase.Cache.
func (c *Cache) CacheSet(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.put(key, &cacheEntry{value: clone(value), expires: c.expiry(ttl)})
}

// CacheSetList implements relaybase.Cache.
func (c *Cache) CacheSetList(ctx context.Context, key string, elems [][]byte, ttl time.Duration) error {
	list := make([][]byte, len(elems))
	for i, el := range elems {
		list[i] = clone(el)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.put(key, &cacheEntry{list: list, isList: true, expires: c.expiry(ttl)})
}

// CacheGet implements relaybase.Cache.
func (c *Cache) CacheGet(ctx context.Context, key string) ([]byte, [][]byte, bool, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.get(key)
	switch {
	case e == nil:
		return nil, nil, false, false, nil
	case e.isList:
		out := make([][]byte, len(e.list))
		for i, el := range e.list {
			out[i] = clone(el)
		}
		return nil, out, true, true, nil
	}
	return clone(e.value), nil, false, true, nil
}

// CacheExpire implements relaybase.Cache.
func (c *Cache) CacheExpire(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.get(key)
	if e == nil {
		return false, nil
	}
	e.expires = c.expiry(ttl)
	return true, nil
}

// CacheHas implements relaybase.Cache.
func (c *Cache) CacheHas(ctx context.Context, key string) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.get(key) != nil, nil
}

// CacheDel implements relaybase.Cache.
func (c *Cache) CacheDel(ctx context.Context, key string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.get(key); e != nil {
		c.drop(key, e)
	}
	return nil
}

// CacheIncr implements relaybase.Cache.
func (c *Cache) CacheIncr(ctx context.Context, key string, by int64) (int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.get(key)
	var n int64
	var expires time.Time
	if e != nil {
		if e.isList {
			return 0, relaybase.ErrWrongKind
		}
		var err error
		if n, err = strconv.ParseInt(string(e.value), 10, 64); err != nil {
			return 0, relaybase.ErrNotInteger
		}
		expires = e.expires
	}
	sum := n + by
	if (by > 0 && sum < n) || (by < 0 && sum > n) {
		return 0, relaybase.ErrNotInteger // Redis: increment or decrement would overflow
	}
	if err := c.put(key, &cacheEntry{value: []byte(strconv.FormatInt(sum, 10)), expires: expires}); err != nil {
		return 0, err
	}
	return sum, nil
}

// list returns key's list for a change, making it when absent (make) . c.mu is held.
func (c *Cache) list(key string, create bool) (*cacheEntry, error) {
	e := c.get(key)
	if e == nil {
		if !create {
			return nil, nil
		}
		e = &cacheEntry{isList: true}
		if err := c.put(key, e); err != nil {
			return nil, err
		}
		return e, nil
	}
	if !e.isList {
		return nil, relaybase.ErrWrongKind
	}
	return e, nil
}

// CachePush implements relaybase.Cache.
func (c *Cache) CachePush(ctx context.Context, key string, elem []byte, front bool) (int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, err := c.list(key, true)
	if err != nil {
		return 0, err
	}
	before := e.size(key)
	if front {
		e.list = append([][]byte{clone(elem)}, e.list...)
	} else {
		e.list = append(e.list, clone(elem))
	}
	if err := c.resize(key, e, before); err != nil {
		if front {
			e.list = e.list[1:]
		} else {
			e.list = e.list[:len(e.list)-1]
		}
		return 0, err
	}
	return int64(len(e.list)), nil
}

// CachePop implements relaybase.Cache.
func (c *Cache) CachePop(ctx context.Context, key string, front bool) ([]byte, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, err := c.list(key, false)
	if err != nil || e == nil || len(e.list) == 0 {
		return nil, false, err
	}
	before := e.size(key)
	var el []byte
	if front {
		el, e.list = e.list[0], e.list[1:]
	} else {
		el, e.list = e.list[len(e.list)-1], e.list[:len(e.list)-1]
	}
	_ = c.resize(key, e, before)
	if len(e.list) == 0 {
		c.drop(key, e) // as Redis: an emptied list is no key
	}
	return el, true, nil
}

// CacheRange implements relaybase.Cache.
func (c *Cache) CacheRange(ctx context.Context, key string, start, stop int64) ([][]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, err := c.list(key, false)
	if err != nil || e == nil {
		return nil, err
	}
	n := int64(len(e.list))
	if start < 0 {
		start = max(n+start, 0)
	}
	if stop < 0 {
		stop = n + stop
	}
	stop = min(stop, n-1)
	var out [][]byte
	for i := start; i <= stop; i++ {
		out = append(out, clone(e.list[i]))
	}
	return out, nil
}

// CacheLen implements relaybase.Cache.
func (c *Cache) CacheLen(ctx context.Context, key string) (int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, err := c.list(key, false)
	if err != nil || e == nil {
		return 0, err
	}
	return int64(len(e.list)), nil
}

// CacheRemove implements relaybase.Cache.
func (c *Cache) CacheRemove(ctx context.Context, key string, elem []byte, count int64) (int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, err := c.list(key, false)
	if err != nil || e == nil {
		return 0, err
	}
	before := e.size(key)
	limit := count
	if limit < 0 {
		limit = -limit
	}
	removed := int64(0)
	keep := func(i int) bool {
		if (limit == 0 || removed < limit) && bytes.Equal(e.list[i], elem) {
			removed++
			return false
		}
		return true
	}
	out := make([][]byte, 0, len(e.list))
	if count >= 0 {
		for i := range e.list {
			if keep(i) {
				out = append(out, e.list[i])
			}
		}
	} else {
		for i := len(e.list) - 1; i >= 0; i-- {
			if keep(i) {
				out = append(out, e.list[i])
			}
		}
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	e.list = out
	_ = c.resize(key, e, before)
	if len(e.list) == 0 {
		c.drop(key, e)
	}
	return removed, nil
}

// CacheKeys implements relaybase.Cache.
func (c *Cache) CacheKeys(ctx context.Context, pattern string) ([]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for k := range c.entries {
		if c.get(k) == nil {
			continue
		}
		if Glob(pattern, k) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out, nil
}

// CacheRateLimit implements relaybase.Cache.
func (c *Cache) CacheRateLimit(ctx context.Context, key string, max int64, window time.Duration) (bool, int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.get(key)
	var n int64
	expires := c.expiry(window)
	if e != nil {
		if e.isList {
			return false, 0, relaybase.ErrWrongKind
		}
		var err error
		if n, err = strconv.ParseInt(string(e.value), 10, 64); err != nil {
			return false, 0, relaybase.ErrNotInteger
		}
		expires = e.expires
	}
	n++
	if err := c.put(key, &cacheEntry{value: []byte(strconv.FormatInt(n, 10)), expires: expires}); err != nil {
		return false, 0, err
	}
	return n <= max, n, nil
}

// Glob reports whether s matches pattern as Redis's KEYS and SCAN MATCH do: * any run of
// characters (slashes included), ? one character, [abc] [a-z] [^a] a class, \x x itself.
func Glob(pattern, s string) bool {
	p, t := []rune(pattern), []rune(s)
	// star and its match position, for backtracking over the last *.
	star, mark := -1, 0
	i, j := 0, 0
	for j < len(t) {
		if i < len(p) {
			switch p[i] {
			case '*':
				star, mark = i, j
				i++
				continue
			case '?':
				i++
				j++
				continue
			case '[':
				if end, ok := classMatch(p, i, t[j]); end > 0 {
					if ok {
						i, j = end, j+1
						continue
					}
				} else if t[j] == '[' { // an unclosed [ is itself
					i++
					j++
					continue
				}
			case '\\':
				if i+1 < len(p) && p[i+1] == t[j] {
					i += 2
					j++
					continue
				}
			default:
				if p[i] == t[j] {
					i++
					j++
					continue
				}
			}
		}
		if star < 0 {
			return false
		}
		mark++
		i, j = star+1, mark
	}
	for i < len(p) && p[i] == '*' {
		i++
	}
	return i == len(p)
}

// classMatch matches r against the class starting at p[i] == '['. It returns the index
// after the class (0 when the class is not closed) and whether r is in it.
func classMatch(p []rune, i int, r rune) (int, bool) {
	i++
	negate := i < len(p) && p[i] == '^'
	if negate {
		i++
	}
	in := false
	for first := true; i < len(p); first = false {
		if p[i] == ']' && !first {
			return i + 1, in != negate
		}
		c := p[i]
		if c == '\\' && i+1 < len(p) {
			i++
			c = p[i]
		}
		if i+2 < len(p) && p[i+1] == '-' && p[i+2] != ']' {
			lo, hi := c, p[i+2]
			if lo > hi {
				lo, hi = hi, lo
			}
			if r >= lo && r <= hi {
				in = true
			}
			i += 3
			continue
		}
		if c == r {
			in = true
		}
		i++
	}
	return 0, false
}

// The Engine's cache is its network's: the nodes of one network share it, as nodes on one
// Redis share theirs.

// CacheSet implements relaybase.Cache.
func (e *Engine) CacheSet(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	return e.net.cache.CacheSet(ctx, key, value, ttl)
}

// CacheSetList implements relaybase.Cache.
func (e *Engine) CacheSetList(ctx context.Context, key string, elems [][]byte, ttl time.Duration) error {
	return e.net.cache.CacheSetList(ctx, key, elems, ttl)
}

// CacheGet implements relaybase.Cache.
func (e *Engine) CacheGet(ctx context.Context, key string) ([]byte, [][]byte, bool, bool, error) {
	return e.net.cache.CacheGet(ctx, key)
}

// CacheExpire implements relaybase.Cache.
func (e *Engine) CacheExpire(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	return e.net.cache.CacheExpire(ctx, key, ttl)
}

// CacheHas implements relaybase.Cache.
func (e *Engine) CacheHas(ctx context.Context, key string) (bool, error) {
	return e.net.cache.CacheHas(ctx, key)
}

// CacheDel implements relaybase.Cache.
func (e *Engine) CacheDel(ctx context.Context, key string) error {
	return e.net.cache.CacheDel(ctx, key)
}

// CacheIncr implements relaybase.Cache.
func (e *Engine) CacheIncr(ctx context.Context, key string, by int64) (int64, error) {
	return e.net.cache.CacheIncr(ctx, key, by)
}

// CachePush implements relaybase.Cache.
func (e *Engine) CachePush(ctx context.Context, key string, elem []byte, front bool) (int64, error) {
	return e.net.cache.CachePush(ctx, key, elem, front)
}

// CachePop implements relaybase.Cache.
func (e *Engine) CachePop(ctx context.Context, key string, front bool) ([]byte, bool, error) {
	return e.net.cache.CachePop(ctx, key, front)
}

// CacheRange implements relaybase.Cache.
func (e *Engine) CacheRange(ctx context.Context, key string, start, stop int64) ([][]byte, error) {
	return e.net.cache.CacheRange(ctx, key, start, stop)
}

// CacheLen implements relaybase.Cache.
func (e *Engine) CacheLen(ctx context.Context, key string) (int64, error) {
	return e.net.cache.CacheLen(ctx, key)
}

// CacheRemove implements relaybase.Cache.
func (e *Engine) CacheRemove(ctx context.Context, key string, elem []byte, count int64) (int64, error) {
	return e.net.cache.CacheRemove(ctx, key, elem, count)
}

// CacheKeys implements relaybase.Cache.
func (e *Engine) CacheKeys(ctx context.Context, pattern string) ([]string, error) {
	return e.net.cache.CacheKeys(ctx, pattern)
}

// CacheRateLimit implements relaybase.Cache.
func (e *Engine) CacheRateLimit(ctx context.Context, key string, max int64, window time.Duration) (bool, int64, error) {
	return e.net.cache.CacheRateLimit(ctx, key, max, window)
}

var _ relaybase.Cache = (*Engine)(nil)
