package relaybase

import (
	"context"
	"errors"
	"time"
)

// Cache is the key-value store behind XanoScript's redis.* statements: values, integer
// counters and lists, each key with an optional expiry. engine/memory keeps it in the
// process (one node's own); engine/redis keeps it in Redis, shared by every node. Values
// and list elements are opaque bytes (the stack stores JSON). A key holds either a value
// (counters are values whose text is an integer) or a list; an operation on a key of the
// other kind fails with ErrWrongKind. An expired key is absent.
//
// Keys are the workspace's own: an adapter keeps them apart from its other data (the
// Redis engine under its prefix), and Keys returns them as given.
type Cache interface {
	// CacheSet stores value under key, replacing what was there; ttl > 0 expires it.
	CacheSet(ctx context.Context, key string, value []byte, ttl time.Duration) error
	// CacheSetList stores a list under key, replacing what was there; ttl > 0 expires it.
	CacheSetList(ctx context.Context, key string, elems [][]byte, ttl time.Duration) error
	// CacheGet returns the value under key; list is set (and value nil) when key holds a
	// list, whose elements are then in elems. ok is false when key is absent.
	CacheGet(ctx context.Context, key string) (value []byte, elems [][]byte, list, ok bool, err error)
	// CacheExpire gives key a new lifetime from now (ttl <= 0: none) and reports whether
	// key was present.
	CacheExpire(ctx context.Context, key string, ttl time.Duration) (bool, error)
	// CacheHas reports whether key is present.
	CacheHas(ctx context.Context, key string) (bool, error)
	// CacheDel removes key (nothing when it is absent).
	CacheDel(ctx context.Context, key string) error
	// CacheIncr adds by to the integer under key (an absent key counts as 0) and returns
	// the sum; the key's expiry is kept. A value that is not an integer is ErrNotInteger.
	CacheIncr(ctx context.Context, key string, by int64) (int64, error)
	// CachePush adds an element at the end of the list (front: at its start), making the
	// list when key is absent, and returns the list's length.
	CachePush(ctx context.Context, key string, elem []byte, front bool) (int64, error)
	// CachePop removes and returns the list's last element (front: its first); ok is false
	// when the list is empty or absent.
	CachePop(ctx context.Context, key string, front bool) (elem []byte, ok bool, err error)
	// CacheRange returns the elements from start to stop, both included; negative indexes
	// count from the end (-1 is the last), as Redis's LRANGE.
	CacheRange(ctx context.Context, key string, start, stop int64) ([][]byte, error)
	// CacheLen returns the list's length (0 when absent).
	CacheLen(ctx context.Context, key string) (int64, error)
	// CacheRemove removes elements equal to elem: count > 0 the first count of them,
	// count < 0 the last -count, 0 all; it returns how many it removed.
	CacheRemove(ctx context.Context, key string, elem []byte, count int64) (int64, error)
	// CacheKeys lists the present keys matching a glob pattern (* ? [...]), sorted.
	CacheKeys(ctx context.Context, pattern string) ([]string, error)
	// CacheRateLimit counts one hit under key in a fixed window of length window that
	// starts at the first hit, and reports whether the hit is within max; it returns the
	// hits counted in the window so far.
	CacheRateLimit(ctx context.Context, key string, max int64, window time.Duration) (allowed bool, hits int64, err error)
}

// Errors of a Cache that callers branch on.
var (
	// ErrWrongKind: a list operation on a value, or a value operation on a list.
	ErrWrongKind = errors.New("the key holds the other kind of entry (a value or a list)")
	// ErrNotInteger: CacheIncr on a value that is not an integer.
	ErrNotInteger = errors.New("the value is not an integer")
	// ErrCacheFull: the in-process cache has no room for the write.
	ErrCacheFull = errors.New("the cache is full")
)
