package redis

import (
	"context"
	"errors"
	"sort"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"relaybase"
)

// The cache of redis.* statements (relaybase.Cache) lives under the engine's prefix and
// "cache:", so that it never meets the keys of fan-out and presence: key k is
// <prefix>cache:k. Values are Redis strings, lists are Redis lists; every operation is
// one command, a MULTI/EXEC, or a script, so it is atomic against the other nodes.

var _ relaybase.Cache = (*Engine)(nil)

func (k keys) cache(key string) string { return k.prefix + "cache:" + key }

// cacheError maps Redis's answers to the contract's errors.
func cacheError(op string, err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	switch {
	case strings.HasPrefix(msg, "WRONGTYPE"):
		return relaybase.ErrWrongKind
	case strings.Contains(msg, "not an integer") || strings.Contains(msg, "overflow"):
		return relaybase.ErrNotInteger
	}
	return unavailable(op, err)
}

// CacheSet implements relaybase.Cache.
func (e *Engine) CacheSet(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if e.closed.Load() {
		return ErrClosed
	}
	ctx, cancel := e.opContext(ctx)
	defer cancel()
	return cacheError("cache set", e.client.Set(ctx, e.keys.cache(key), value, max(ttl, 0)).Err())
}

// CacheSetList implements relaybase.Cache. An empty list is no key, as in Redis.
func (e *Engine) CacheSetList(ctx context.Context, key string, elems [][]byte, ttl time.Duration) error {
	if e.closed.Load() {
		return ErrClosed
	}
	ctx, cancel := e.opContext(ctx)
	defer cancel()
	k := e.keys.cache(key)
	_, err := e.client.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		p.Del(ctx, k)
		if len(elems) > 0 {
			args := make([]any, len(elems))
			for i, el := range elems {
				args[i] = el
			}
			p.RPush(ctx, k, args...)
			if ttl > 0 {
				p.PExpire(ctx, k, ttl)
			}
		}
		return nil
	})
	return cacheError("cache set list", err)
}

// getScript reads a key of either kind in one step.
var getScript = goredis.NewScript(`
local t = redis.call('TYPE', KEYS[1]).ok
if t == 'string' then return {'s', redis.call('GET', KEYS[1])} end
if t == 'list' then
  local l = redis.call('LRANGE', KEYS[1], 0, -1)
  table.insert(l, 1, 'l')
  return l
end
if t == 'none' then return {'n'} end
return {'x'}
`)

// CacheGet implements relaybase.Cache.
func (e *Engine) CacheGet(ctx context.Context, key string) ([]byte, [][]byte, bool, bool, error) {
	if e.closed.Load() {
		return nil, nil, false, false, ErrClosed
	}
	ctx, cancel := e.opContext(ctx)
	defer cancel()
	res, err := getScript.Run(ctx, e.client, []string{e.keys.cache(key)}).StringSlice()
	if err != nil {
		return nil, nil, false, false, cacheError("cache get", err)
	}
	switch res[0] {
	case "s":
		return []byte(res[1]), nil, false, true, nil
	case "l":
		out := make([][]byte, len(res)-1)
		for i, v := range res[1:] {
			out[i] = []byte(v)
		}
		return nil, out, true, true, nil
	case "x":
		return nil, nil, false, false, relaybase.ErrWrongKind
	}
	return nil, nil, false, false, nil
}

// CacheExpire implements relaybase.Cache (PEXPIRE, or PERSIST for no lifetime).
func (e *Engine) CacheExpire(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if e.closed.Load() {
		return false, ErrClosed
	}
	ctx, cancel := e.opContext(ctx)
	defer cancel()
	k := e.keys.cache(key)
	if ttl <= 0 {
		exists, err := e.client.Exists(ctx, k).Result()
		if err != nil || exists == 0 {
			return false, cacheError("cache expire", err)
		}
		return true, cacheError("cache expire", e.client.Persist(ctx, k).Err())
	}
	ok, err := e.client.PExpire(ctx, k, ttl).Result()
	return ok, cacheError("cache expire", err)
}

// CacheHas implements relaybase.Cache.
func (e *Engine) CacheHas(ctx context.Context, key string) (bool, error) {
	if e.closed.Load() {
		return false, ErrClosed
	}
	ctx, cancel := e.opContext(ctx)
	defer cancel()
	n, err := e.client.Exists(ctx, e.keys.cache(key)).Result()
	return n > 0, cacheError("cache has", err)
}

// CacheDel implements relaybase.Cache.
func (e *Engine) CacheDel(ctx context.Context, key string) error {
	if e.closed.Load() {
		return ErrClosed
	}
	ctx, cancel := e.opContext(ctx)
	defer cancel()
	return cacheError("cache del", e.client.Del(ctx, e.keys.cache(key)).Err())
}

// CacheIncr implements relaybase.Cache (INCRBY, which keeps the key's expiry).
func (e *Engine) CacheIncr(ctx context.Context, key string, by int64) (int64, error) {
	if e.closed.Load() {
		return 0, ErrClosed
	}
	ctx, cancel := e.opContext(ctx)
	defer cancel()
	n, err := e.client.IncrBy(ctx, e.keys.cache(key), by).Result()
	return n, cacheError("cache incr", err)
}

// CachePush implements relaybase.Cache.
func (e *Engine) CachePush(ctx context.Context, key string, elem []byte, front bool) (int64, error) {
	if e.closed.Load() {
		return 0, ErrClosed
	}
	ctx, cancel := e.opContext(ctx)
	defer cancel()
	var cmd *goredis.IntCmd
	if front {
		cmd = e.client.LPush(ctx, e.keys.cache(key), elem)
	} else {
		cmd = e.client.RPush(ctx, e.keys.cache(key), elem)
	}
	n, err := cmd.Result()
	return n, cacheError("cache push", err)
}

// CachePop implements relaybase.Cache.
func (e *Engine) CachePop(ctx context.Context, key string, front bool) ([]byte, bool, error) {
	if e.closed.Load() {
		return nil, false, ErrClosed
	}
	ctx, cancel := e.opContext(ctx)
	defer cancel()
	var cmd *goredis.StringCmd
	if front {
		cmd = e.client.LPop(ctx, e.keys.cache(key))
	} else {
		cmd = e.client.RPop(ctx, e.keys.cache(key))
	}
	b, err := cmd.Bytes()
	if errors.Is(err, goredis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, cacheError("cache pop", err)
	}
	return b, true, nil
}

// CacheRange implements relaybase.Cache.
func (e *Engine) CacheRange(ctx context.Context, key string, start, stop int64) ([][]byte, error) {
	if e.closed.Load() {
		return nil, ErrClosed
	}
	ctx, cancel := e.opContext(ctx)
	defer cancel()
	vals, err := e.client.LRange(ctx, e.keys.cache(key), start, stop).Result()
	if err != nil {
		return nil, cacheError("cache range", err)
	}
	var out [][]byte
	for _, v := range vals {
		out = append(out, []byte(v))
	}
	return out, nil
}

// CacheLen implements relaybase.Cache.
func (e *Engine) CacheLen(ctx context.Context, key string) (int64, error) {
	if e.closed.Load() {
		return 0, ErrClosed
	}
	ctx, cancel := e.opContext(ctx)
	defer cancel()
	n, err := e.client.LLen(ctx, e.keys.cache(key)).Result()
	return n, cacheError("cache len", err)
}

// CacheRemove implements relaybase.Cache.
func (e *Engine) CacheRemove(ctx context.Context, key string, elem []byte, count int64) (int64, error) {
	if e.closed.Load() {
		return 0, ErrClosed
	}
	ctx, cancel := e.opContext(ctx)
	defer cancel()
	n, err := e.client.LRem(ctx, e.keys.cache(key), count, elem).Result()
	return n, cacheError("cache remove", err)
}

// globEscape escapes the glob characters of a literal, for the prefix of a MATCH.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// CacheKeys implements relaybase.Cache with SCAN (never KEYS, which blocks Redis).
func (e *Engine) CacheKeys(ctx context.Context, pattern string) ([]string, error) {
	if e.closed.Load() {
		return nil, ErrClosed
	}
	ctx, cancel := e.opContext(ctx)
	defer cancel()
	prefix := e.keys.cache("")
	match := globEscape(prefix) + pattern
	seen := map[string]bool{}
	var out []string
	iter := e.client.Scan(ctx, 0, match, 1000).Iterator()
	for iter.Next(ctx) {
		k := strings.TrimPrefix(iter.Val(), prefix)
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	if err := iter.Err(); err != nil {
		return nil, cacheError("cache keys", err)
	}
	sort.Strings(out)
	return out, nil
}

// CacheRateLimit implements relaybase.Cache: INCR, then PEXPIRE ... NX, in one
// MULTI/EXEC, so the window starts at the first hit and every node counts in it.
func (e *Engine) CacheRateLimit(ctx context.Context, key string, limit int64, window time.Duration) (bool, int64, error) {
	if e.closed.Load() {
		return false, 0, ErrClosed
	}
	ctx, cancel := e.opContext(ctx)
	defer cancel()
	k := e.keys.cache(key)
	var incr *goredis.IntCmd
	_, err := e.client.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		incr = p.Incr(ctx, k)
		p.Do(ctx, "PEXPIRE", k, max(window.Milliseconds(), 1), "NX")
		return nil
	})
	if err != nil {
		return false, 0, cacheError("cache rate limit", err)
	}
	n := incr.Val()
	return n <= limit, n, nil
}
