//go:build integration

package redis_test

import (
	"testing"

	"relaybase/engine/enginetest"
	"relaybase/internal/testenv"
)

// TestCache runs the cache suite on Redis: two nodes under one prefix share the cache.
func TestCache(t *testing.T) {
	url := testenv.RedisURL(t)
	enginetest.RunCache(t, nodesOn(url), wait)
}
