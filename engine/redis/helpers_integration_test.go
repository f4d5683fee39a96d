//go:build integration

package redis_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os/exec"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"relaybase"
	"relaybase/engine/redis"
)

const wait = 10 * time.Second

// t0 is where fake clocks start.
var t0 = time.UnixMilli(1_700_000_000_000)

// fakeClock is a redis.Clock that moves only when told to.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	tickers []*fakeTicker
}

type fakeTicker struct {
	c       chan time.Time
	period  time.Duration
	next    time.Time
	stopped bool
}

func newFakeClock(now time.Time) *fakeClock { return &fakeClock{now: now} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) NewTicker(d time.Duration) (<-chan time.Time, func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTicker{c: make(chan time.Time, 1), period: d, next: c.now.Add(d)}
	c.tickers = append(c.tickers, t)
	return t.c, func() {
		c.mu.Lock()
		t.stopped = true
		c.mu.Unlock()
	}
}

// Advance moves the clock on by d, firing the tickers that come due (a ticker whose last
// tick was not taken yet drops the next, as time.Ticker does).
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	for _, t := range c.tickers {
		for !t.stopped && !t.next.After(c.now) {
			select {
			case t.c <- t.next:
			default:
			}
			t.next = t.next.Add(t.period)
		}
	}
}

// newPrefix returns a key prefix of the test's own, and deletes its keys at the end.
func newPrefix(t testing.TB, url string) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	prefix := "relaybase-test:" + hex.EncodeToString(b[:]) + ":"
	rc := rawClient(t, url)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		iter := rc.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		var keys []string
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		if len(keys) > 0 {
			rc.Del(ctx, keys...)
		}
	})
	return prefix
}

// rawClient is a plain go-redis client for looking at what the engine stored.
func rawClient(t testing.TB, url string) *goredis.Client {
	t.Helper()
	opt, err := goredis.ParseURL(url)
	if err != nil {
		t.Fatalf("parse %s: %v", url, err)
	}
	c := goredis.NewClient(opt)
	t.Cleanup(func() { c.Close() })
	return c
}

// newEngine makes an engine that the test closes at its end.
func newEngine(t testing.TB, url string, opts ...redis.Option) *redis.Engine {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	e, err := redis.New(ctx, url, opts...)
	if err != nil {
		t.Fatalf("redis.New: %v", err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// eventually polls cond until it holds, failing the test after the deadline.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	if !poll(cond) {
		t.Fatalf("%s: not within %v", what, wait)
	}
}

// poll polls cond until it holds (true) or the deadline passes (false).
func poll(cond func() bool) bool {
	deadline := time.Now().Add(wait)
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		<-tick.C
	}
	return true
}

// nodesOn returns the suites' newNodes: every call gets nodes sharing a key prefix of
// their own on the Redis at url.
func nodesOn(url string) func(t *testing.T, n int) []relaybase.Engine {
	return func(t *testing.T, n int) []relaybase.Engine {
		prefix := newPrefix(t, url)
		nodes := make([]relaybase.Engine, n)
		for i := range nodes {
			nodes[i] = newEngine(t, url, redis.WithPrefix(prefix))
		}
		return nodes
	}
}

// waitScore waits until a member's presence score is at (the heartbeat that set it ran).
func waitScore(t testing.TB, rc *goredis.Client, key, socketID string, at time.Time) {
	t.Helper()
	want := float64(at.UnixMilli())
	eventually(t, fmt.Sprintf("score of %s in %s at %v", socketID, key, at.Sub(t0)), func() bool {
		s, err := rc.ZScore(context.Background(), key, socketID).Result()
		return err == nil && s == want
	})
}

// waitBeat waits until the engine's heartbeat at the given time has run to its end (it
// marks the node alive last, with the heartbeat's time).
func waitBeat(t testing.TB, rc *goredis.Client, e *redis.Engine, at time.Time) {
	t.Helper()
	want := strconv.FormatInt(at.UnixMilli(), 10)
	eventually(t, fmt.Sprintf("heartbeat at %v", at.Sub(t0)), func() bool {
		v, err := rc.Get(context.Background(), e.NodeKey()).Result()
		return err == nil && v == want
	})
}

// recorder is a handler that keeps what it receives.
type recorder struct {
	mu   sync.Mutex
	msgs []string
}

func (r *recorder) handle(channel string, msg []byte) {
	r.mu.Lock()
	r.msgs = append(r.msgs, channel+"="+string(msg))
	r.mu.Unlock()
}

func (r *recorder) snapshot() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.msgs)
}

// redisServer is a redis-server of the test's own, on a free loopback port.
type redisServer struct {
	t    testing.TB
	port int
	cmd  *exec.Cmd
	out  bytes.Buffer
}

func startRedisServer(t testing.TB) *redisServer {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatalf("this test starts a redis-server of its own, and there is none: %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &redisServer{t: t, port: l.Addr().(*net.TCPAddr).Port}
	l.Close()
	s.start()
	t.Cleanup(s.stop)
	return s
}

func (s *redisServer) url() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", s.port) }

// start runs redis-server (without persistence: a restart loses everything) and waits
// until it answers.
func (s *redisServer) start() {
	s.t.Helper()
	s.out.Reset()
	s.cmd = exec.Command("redis-server", "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no")
	s.cmd.Stdout, s.cmd.Stderr = &s.out, &s.out
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("start redis-server: %v", err)
	}
	c := goredis.NewClient(&goredis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", s.port), MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(wait)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for c.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			s.t.Fatalf("redis-server on port %d did not answer within %v:\n%s", s.port, wait, s.out.String())
		}
		<-tick.C
	}
}

// kill ends the server at once, as a crash would.
func (s *redisServer) kill() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

func (s *redisServer) stop() { s.kill() }
