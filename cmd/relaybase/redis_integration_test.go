//go:build integration

package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"path/filepath"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"relaybase/internal/testenv"
)

var counterWorkspace = map[string]string{
	"api/app/api_group.xs": "api_group app {\n  canonical = \"app\"\n}\n",
	"api/app/hit_post.xs": `query hit verb=POST {
  input {
    text key
  }
  stack {
    redis.incr { key = $input.key } as $n
    redis.ratelimit {
      key = "rl:" ~ $input.key
      max = 3
      ttl = 60
      error = "Slow down."
    }
  }
  response = $n
}`,
}

// With --engine redis://, redis.* statements share Redis: two nodes count together and
// rate-limit together. With the in-process engine each node has its own.
func TestRedisStatementsShareRedis(t *testing.T) {
	dir := testenv.TempFiles(t, counterWorkspace)
	rdb := testenv.RedisURL(t)
	var b [6]byte
	rand.Read(b[:])
	key := "test-" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		opt, err := goredis.ParseURL(rdb)
		if err != nil {
			t.Error(err)
			return
		}
		c := goredis.NewClient(opt)
		defer c.Close()
		c.Del(context.Background(), "relaybase:cache:"+key, "relaybase:cache:rl:"+key)
	})

	a := startServer(t, dir, filepath.Join(t.TempDir(), "a"), "--engine", rdb)
	c := startServer(t, dir, filepath.Join(t.TempDir(), "b"), "--engine", rdb)
	for i, s := range []*server{a, c, a} {
		r := s.do("POST", "/api:app/hit", map[string]any{"key": key})
		wantStatus(t, r, http.StatusOK, "")
		if n, _ := r.json.(float64); int(n) != i+1 {
			t.Fatalf("hit %d answered %v", i+1, r.json)
		}
	}
	wantStatus(t, c.do("POST", "/api:app/hit", map[string]any{"key": key}), http.StatusTooManyRequests, "ERROR_CODE_TOO_MANY_REQUESTS")

	alone := startServer(t, dir, filepath.Join(t.TempDir(), "alone"))
	r := alone.do("POST", "/api:app/hit", map[string]any{"key": key})
	wantStatus(t, r, http.StatusOK, "")
	if n, _ := r.json.(float64); n != 1 {
		t.Fatalf("a node on the in-process engine counted %v", r.json)
	}
}
