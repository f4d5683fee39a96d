package stack

import (
	"errors"
	"strings"
	"time"

	"relaybase"
	"relaybase/value"
	"relaybase/xs"
)

// The redis.* statements run on Options.Cache (the Redis engine's cache when the engine is
// Redis, an in-process one otherwise). The cache is outside the stack's transaction: what a
// stack wrote there stays even when the stack fails afterwards, as in Xano.

func init() {
	m := map[string]func(c *compiler, n *xs.Node) execFn{}
	for _, kw := range []string{"set", "get", "has", "del", "incr", "decr", "push", "unshift", "pop",
		"shift", "range", "count", "remove", "keys", "ratelimit", "expire"} {
		m["redis."+kw] = (*compiler).stmtRedis
	}
	registerStatements(m)
}

// redisArgs are a redis.* statement's compiled attributes.
type redisArgs struct {
	key, pkg, data, ttl, by, val, start, stop, count, search, where, max, errMsg evalFn
}

func (c *compiler) stmtRedis(n *xs.Node) execFn {
	op := strings.TrimPrefix(n.Keyword, "redis.")
	opt := func(k string) evalFn {
		if e := attrOf(n, k); e != nil {
			return c.expr(e)
		}
		return nil
	}
	a := redisArgs{key: opt("key"), pkg: opt("package_key"), data: opt("data"), ttl: opt("ttl"), by: opt("by"),
		val: opt("value"), start: opt("start"), stop: opt("stop"), count: opt("count"), search: opt("search"), where: opt("where"),
		max: opt("max"), errMsg: opt("error")}
	if a.key == nil && op != "keys" {
		c.errorf(n.Pos, "%s needs key = ...", n.Keyword)
		return nop
	}
	if (op == "push" || op == "unshift" || op == "remove") && a.val == nil {
		c.errorf(n.Pos, "%s needs value = ...", n.Keyword)
		return nop
	}
	if op == "ratelimit" && (a.max == nil || a.ttl == nil) {
		c.errorf(n.Pos, "redis.ratelimit needs max = ... and ttl = ...")
		return nop
	}
	pos, kw := n.Pos, n.Keyword
	return c.result(n, func(f *frame) (any, error) {
		cache := f.r.p.opts.Cache
		if cache == nil {
			return nil, errorAt(pos, "%s: no cache is configured", kw)
		}
		res, err := runRedis(f, cache, op, &a, kw, pos)
		if err != nil {
			return nil, err
		}
		return res, nil
	})
}

func runRedis(f *frame, cache relaybase.Cache, op string, a *redisArgs, kw string, pos xs.Pos) (any, error) {
	r := f.r
	ctx := r.ctx
	eval := func(fn evalFn) (any, error) {
		if fn == nil {
			return nil, nil
		}
		return fn(f)
	}
	num := func(fn evalFn, what string, def int64) (int64, error) {
		v, err := eval(fn)
		if err != nil || v == nil || v == "" {
			return def, err
		}
		n, ok := toInt(v)
		if !ok {
			return 0, errorAt(pos, "%s: %s must be a whole number, got %s", kw, what, value.TypeName(v))
		}
		return n, nil
	}
	encode := func(v any) ([]byte, error) {
		b, err := value.EncodeJSON(r.strip(v, false))
		if err != nil {
			return nil, errorAt(pos, "%s: the value cannot be stored: %v", kw, err)
		}
		return b, nil
	}
	decode := func(b []byte) any {
		v, err := value.DecodeJSON(b)
		if err != nil {
			return string(b) // written by something else than a stack: give the text
		}
		return v
	}
	fail := func(err error) error {
		switch {
		case err == nil:
			return nil
		case errors.Is(err, relaybase.ErrWrongKind):
			return errorAt(pos, "%s: the key holds a list where a value is expected, or a value where a list is", kw)
		case errors.Is(err, relaybase.ErrNotInteger):
			return errorAt(pos, "%s: the key does not hold a whole number", kw)
		case errors.Is(err, relaybase.ErrCacheFull):
			return errorAt(pos, "%s: the cache is full", kw)
		}
		return wrapAt(pos, kw, err)
	}

	var key string
	if op != "keys" {
		kv, err := eval(a.key)
		if err != nil {
			return nil, err
		}
		key = value.ToText(kv)
		if key == "" {
			return nil, errorAt(pos, "%s needs a key", kw)
		}
	}
	pv, err := eval(a.pkg)
	if err != nil {
		return nil, err
	}
	if p := value.ToText(pv); p != "" && op != "keys" {
		key = p + ":" + key
	}

	switch op {
	case "set":
		dv, err := eval(a.data)
		if err != nil {
			return nil, err
		}
		secs, err := num(a.ttl, "ttl", 0)
		if err != nil {
			return nil, err
		}
		ttl := time.Duration(max(secs, 0)) * time.Second
		if list, ok := dv.([]any); ok {
			elems := make([][]byte, len(list))
			for i, el := range list {
				if elems[i], err = encode(el); err != nil {
					return nil, err
				}
			}
			return nil, fail(cache.CacheSetList(ctx, key, elems, ttl))
		}
		b, err := encode(dv)
		if err != nil {
			return nil, err
		}
		return nil, fail(cache.CacheSet(ctx, key, b, ttl))
	case "get":
		v, elems, list, ok, err := cache.CacheGet(ctx, key)
		if err != nil || !ok {
			return nil, fail(err)
		}
		if list {
			out := make([]any, len(elems))
			for i, el := range elems {
				out[i] = decode(el)
			}
			return out, nil
		}
		return decode(v), nil
	case "has":
		ok, err := cache.CacheHas(ctx, key)
		return ok, fail(err)
	case "del":
		return nil, fail(cache.CacheDel(ctx, key))
	case "incr", "decr":
		by, err := num(a.by, "by", 1)
		if err != nil {
			return nil, err
		}
		if op == "decr" {
			by = -by
		}
		n, err := cache.CacheIncr(ctx, key, by)
		if err != nil {
			return nil, fail(err)
		}
		return n, nil
	case "push", "unshift":
		vv, err := eval(a.val)
		if err != nil {
			return nil, err
		}
		b, err := encode(vv)
		if err != nil {
			return nil, err
		}
		n, err := cache.CachePush(ctx, key, b, op == "unshift")
		if err != nil {
			return nil, fail(err)
		}
		return n, nil
	case "pop", "shift":
		b, ok, err := cache.CachePop(ctx, key, op == "shift")
		if err != nil || !ok {
			return nil, fail(err)
		}
		return decode(b), nil
	case "range":
		start, err := num(a.start, "start", 0)
		if err != nil {
			return nil, err
		}
		stop, err := num(a.stop, "stop", -1)
		if err != nil {
			return nil, err
		}
		elems, err := cache.CacheRange(ctx, key, start, stop)
		if err != nil {
			return nil, fail(err)
		}
		out := make([]any, len(elems))
		for i, el := range elems {
			out[i] = decode(el)
		}
		return out, nil
	case "count":
		n, err := cache.CacheLen(ctx, key)
		if err != nil {
			return nil, fail(err)
		}
		return n, nil
	case "remove":
		vv, err := eval(a.val)
		if err != nil {
			return nil, err
		}
		b, err := encode(vv)
		if err != nil {
			return nil, err
		}
		count, err := num(a.count, "count", 0)
		if err != nil {
			return nil, err
		}
		n, err := cache.CacheRemove(ctx, key, b, count)
		if err != nil {
			return nil, fail(err)
		}
		return n, nil
	case "keys":
		search := a.search
		if search == nil {
			search = a.where // an older spelling: redis.keys { where = "user_*" }
		}
		sv, err := eval(search)
		if err != nil {
			return nil, err
		}
		pattern := value.ToText(sv)
		if !strings.ContainsAny(pattern, "*?[") {
			// A plain word finds the keys that contain it, as Xano's search does.
			pattern = "*" + pattern + "*"
		}
		keys, err := cache.CacheKeys(ctx, pattern)
		if err != nil {
			return nil, fail(err)
		}
		out := make([]any, len(keys))
		for i, k := range keys {
			out[i] = k
		}
		return out, nil
	case "expire":
		secs, err := num(a.ttl, "ttl", 0)
		if err != nil {
			return nil, err
		}
		ok, err := cache.CacheExpire(ctx, key, time.Duration(max(secs, 0))*time.Second)
		if err != nil {
			return nil, fail(err)
		}
		return ok, nil
	case "ratelimit":
		limit, err := num(a.max, "max", 0)
		if err != nil {
			return nil, err
		}
		secs, err := num(a.ttl, "ttl", 0)
		if err != nil {
			return nil, err
		}
		if limit < 0 || secs <= 0 {
			return nil, errorAt(pos, "redis.ratelimit needs max >= 0 and ttl > 0 seconds")
		}
		ok, _, err := cache.CacheRateLimit(ctx, key, limit, time.Duration(secs)*time.Second)
		if err != nil {
			return nil, fail(err)
		}
		if !ok {
			ev, err := eval(a.errMsg)
			if err != nil {
				return nil, err
			}
			if msg := value.ToText(ev); msg != "" {
				return nil, &relaybase.Error{Code: relaybase.CodeTooManyRequests, Message: msg}
			}
		}
		return ok, nil
	}
	return nil, errorAt(pos, "%s is not a redis statement", kw)
}
