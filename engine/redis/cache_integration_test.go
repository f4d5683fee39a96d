//go:build integration

package redis_test

import (
	"testing"

	"relaybase"
	"relaybase/engine/enginetest"
	"relaybase/engine/redis"
	"relaybase/internal/testenv"
)

// TestCache runs the cache suite on Redis: two nodes under one prefix share the cache.
func TestCache(t *testing.T) {
	url := testenv.RedisURL(t)
	enginetest.RunCache(t, func(t *testing.T, n int) []relaybase.Engine {
		prefix := newPrefix(t, url)
		nodes := make([]relaybase.Engine, n)
		for i := range nodes {
			nodes[i] = newEngine(t, url, redis.WithPrefix(prefix))
		}
		return nodes
	}, wait)
}
