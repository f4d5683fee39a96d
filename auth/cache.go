package auth

import (
	"crypto/sha256"
	"sync"

	"relaybase"
	"relaybase/value"
)

// DefaultVerifyCache is how many recently verified tokens Tokens remembers unless
// WithVerifyCache says otherwise: a few hundred kilobytes, enough for every client of a busy
// node reconnecting within a token's life.
const DefaultVerifyCache = 8192

// cacheMaxToken is the longest token the cache keeps. A longer one carries large extras,
// whose copy on every hit would cost about what decoding them does.
const cacheMaxToken = 4 << 10

const cacheShards = 16

// verifyCache remembers the identities of tokens that verified, keyed by the SHA-256 of the
// token text, so that a client that connects or calls again with the same token skips the
// key unwrap, the AEAD and the claims' JSON. Only a token that verified is put in it (a
// failure of any kind never is), with its expiry, which is checked again on every hit: an
// entry never outlives its token. The text is canonical (canonicalSegments), so one token
// has one digest.
//
// It is bounded: each shard keeps two generations of at most per entries each. New entries
// go to the current one; when it is full, it becomes the old one and the previous old one is
// dropped whole. A hit in the old generation moves the entry to the current one, so tokens
// in use stay and the ones not seen for a generation go. Lookups and inserts take only their
// shard's lock.
type verifyCache struct {
	per    int // entries per generation per shard
	shards [cacheShards]cacheShard
}

type cacheShard struct {
	mu  sync.Mutex
	cur map[[sha256.Size]byte]cachedToken
	old map[[sha256.Size]byte]cachedToken
}

type cachedToken struct {
	id  relaybase.Identity // Extras is never handed out: callers get a copy
	exp int64              // Unix seconds: the token is refused from this second on
}

// newVerifyCache returns a cache of at most size entries, or nil (no cache) for size <= 0.
func newVerifyCache(size int) *verifyCache {
	if size <= 0 {
		return nil
	}
	c := &verifyCache{per: max(1, size/(2*cacheShards))}
	for i := range c.shards {
		c.shards[i].cur = make(map[[sha256.Size]byte]cachedToken)
	}
	return c
}

func tokenDigest(token string) [sha256.Size]byte {
	return sha256.Sum256([]byte(token))
}

func (c *verifyCache) shard(d *[sha256.Size]byte) *cacheShard {
	return &c.shards[d[0]%cacheShards]
}

// get returns the identity of a token that verified before. expired reports a token that
// did verify but whose expiry has come (now is Unix seconds); it is forgotten.
func (c *verifyCache) get(d [sha256.Size]byte, now int64) (id relaybase.Identity, ok, expired bool) {
	sh := c.shard(&d)
	sh.mu.Lock()
	e, ok := sh.cur[d]
	if !ok {
		if e, ok = sh.old[d]; ok {
			delete(sh.old, d)
			if now < e.exp {
				sh.putLocked(d, e, c.per)
			}
		}
	}
	if ok && now >= e.exp {
		delete(sh.cur, d)
		sh.mu.Unlock()
		return relaybase.Identity{}, false, true
	}
	sh.mu.Unlock()
	if !ok {
		return relaybase.Identity{}, false, false
	}
	id = e.id
	if id.Extras != nil {
		// The caller may change its identity's extras; the next one gets them as issued.
		id.Extras = value.Clone(id.Extras).(*value.Object)
	}
	return id, true, false
}

// put remembers a token that just verified. id.Extras must not be changed after.
func (c *verifyCache) put(d [sha256.Size]byte, id relaybase.Identity, exp int64) {
	sh := c.shard(&d)
	sh.mu.Lock()
	sh.putLocked(d, cachedToken{id: id, exp: exp}, c.per)
	sh.mu.Unlock()
}

func (sh *cacheShard) putLocked(d [sha256.Size]byte, e cachedToken, per int) {
	if len(sh.cur) >= per {
		sh.old = sh.cur
		sh.cur = make(map[[sha256.Size]byte]cachedToken, per)
	}
	sh.cur[d] = e
}

// len is how many entries the cache holds (tests).
func (c *verifyCache) len() int {
	n := 0
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		n += len(sh.cur) + len(sh.old)
		sh.mu.Unlock()
	}
	return n
}
