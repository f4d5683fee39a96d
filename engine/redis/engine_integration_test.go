//go:build integration

package redis_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"relaybase"
	"relaybase/engine/enginetest"
	"relaybase/engine/redis"
	"relaybase/internal/testenv"
	"relaybase/metrics"
)

// TestEngine runs the conformance suite: every call of newNodes gets nodes sharing a key
// prefix of their own on the Redis of RELAYBASE_TEST_REDIS_URL.
func TestEngine(t *testing.T) {
	url := testenv.RedisURL(t)
	enginetest.Run(t, nodesOn(url), enginetest.Options{Wait: wait, Interrupt: func(t *testing.T, e relaybase.Engine) {
		e.(*redis.Engine).DropPubSub()
	}})
}

// TestPresenceExpiry: a node that stops heartbeating loses its members once their last
// heartbeat is the expiry old; the sweeping node reports them; when the node heartbeats
// again it writes them back.
func TestPresenceExpiry(t *testing.T) {
	url := testenv.RedisURL(t)
	prefix := newPrefix(t, url)
	rc := rawClient(t, url)
	ctx := context.Background()
	ca, cb := newFakeClock(t0), newFakeClock(t0)
	opts := []redis.Option{redis.WithPrefix(prefix), redis.WithHeartbeat(10 * time.Second), redis.WithExpiry(30 * time.Second)}
	a := newEngine(t, url, append(opts, redis.WithClock(ca))...)
	b := newEngine(t, url, append(opts, redis.WithClock(cb))...)

	var mu sync.Mutex
	var expired []string
	b.OnExpire(func(channel, socketID string, member []byte) {
		mu.Lock()
		expired = append(expired, channel+"/"+socketID+"="+string(member))
		mu.Unlock()
	})
	a.OnExpire(func(channel, socketID string, member []byte) {
		t.Errorf("node a swept %s/%s", channel, socketID)
	})

	must(t, a.AddPresence(ctx, "room", "a1", []byte(`{"socketId":"a1"}`)))
	must(t, b.AddPresence(ctx, "room", "b1", []byte(`{"socketId":"b1"}`)))
	both := []string{`{"socketId":"a1"}`, `{"socketId":"b1"}`}
	if got := enginetest.Members(t, b, "room"); !slices.Equal(got, both) {
		t.Fatalf("b sees %v, want %v", got, both)
	}

	// a stops heartbeating (its clock stands still); b heartbeats every 10 s.
	zset := prefix + "presence:{room}"
	for i := 1; i <= 2; i++ {
		cb.Advance(10 * time.Second)
		waitBeat(t, rc, b, t0.Add(time.Duration(i)*10*time.Second))
		if got := enginetest.Members(t, b, "room"); !slices.Equal(got, both) {
			t.Fatalf("after %ds b sees %v, want %v", 10*i, got, both)
		}
	}
	cb.Advance(10 * time.Second) // a1's last heartbeat is now the expiry old
	waitBeat(t, rc, b, t0.Add(30*time.Second))
	if got, want := enginetest.Members(t, b, "room"), []string{`{"socketId":"b1"}`}; !slices.Equal(got, want) {
		t.Fatalf("after the expiry b sees %v, want %v", got, want)
	}
	// Swept from Redis, not only filtered out, and reported once.
	if n := rc.ZCard(ctx, zset).Val(); n != 1 {
		t.Fatalf("presence set has %d entries after the sweep, want 1", n)
	}
	if n := rc.HLen(ctx, prefix+"members:{room}").Val(); n != 1 {
		t.Fatalf("member hash has %d entries after the sweep, want 1", n)
	}
	mu.Lock()
	if want := []string{`room/a1={"socketId":"a1"}`}; !slices.Equal(expired, want) {
		t.Fatalf("expired %v, want %v", expired, want)
	}
	mu.Unlock()

	// a comes back: its heartbeats stopped longer than another node may wait, so it
	// writes its entries whole.
	ca.Advance(30 * time.Second)
	waitBeat(t, rc, a, t0.Add(30*time.Second))
	waitScore(t, rc, zset, "a1", t0.Add(30*time.Second))
	if got := enginetest.Members(t, b, "room"); !slices.Equal(got, both) {
		t.Fatalf("after a came back b sees %v, want %v", got, both)
	}

	// An entry another node removes stays removed: a's next heartbeats refresh only.
	must(t, a.AddPresence(ctx, "room", "a2", []byte(`{"socketId":"a2"}`)))
	must(t, b.RemovePresence(ctx, "room", "a1"))
	ca.Advance(10 * time.Second)
	waitBeat(t, rc, a, t0.Add(40*time.Second))
	if got, want := enginetest.Members(t, b, "room"), []string{`{"socketId":"a2"}`, `{"socketId":"b1"}`}; !slices.Equal(got, want) {
		t.Fatalf("after b removed a1 and a heartbeat: %v, want %v", got, want)
	}

	// An entry gone without a removal (swept while its node was late, say) is written
	// back: the heartbeat that finds it gone asks for another at once.
	must(t, rc.ZRem(ctx, zset, "a2").Err())
	must(t, rc.HDel(ctx, prefix+"members:{room}", "a2").Err())
	ca.Advance(10 * time.Second)
	waitScore(t, rc, zset, "a2", t0.Add(50*time.Second))
	if got, want := enginetest.Members(t, b, "room"), []string{`{"socketId":"a2"}`, `{"socketId":"b1"}`}; !slices.Equal(got, want) {
		t.Fatalf("after a2 was lost and a heartbeat: %v, want %v", got, want)
	}

	// Redis loses everything of this prefix (a restart without persistence, a flush): the
	// next heartbeat of each node notices its liveness key is gone and writes back.
	keys, err := rc.Keys(ctx, prefix+"*").Result()
	must(t, err)
	must(t, rc.Del(ctx, keys...).Err())
	ca.Advance(10 * time.Second)
	cb.Advance(30 * time.Second)
	waitBeat(t, rc, a, t0.Add(60*time.Second))
	waitBeat(t, rc, b, t0.Add(60*time.Second))
	if got, want := enginetest.Members(t, b, "room"), []string{`{"socketId":"a2"}`, `{"socketId":"b1"}`}; !slices.Equal(got, want) {
		t.Fatalf("after Redis lost the keys: %v, want %v", got, want)
	}
	if ttl := rc.PTTL(ctx, zset).Val(); ttl <= 0 || ttl > 60*time.Second {
		t.Fatalf("presence set TTL %v, want (0, 60s]", ttl)
	}
}

// TestCloseTakesPresence: a node that closes removes its entries at once; one that crashes
// leaves them to expire.
func TestCloseTakesPresence(t *testing.T) {
	url := testenv.RedisURL(t)
	prefix := newPrefix(t, url)
	rc := rawClient(t, url)
	ctx := context.Background()
	clock := newFakeClock(t0)
	a := newEngine(t, url, redis.WithPrefix(prefix), redis.WithClock(clock))
	b := newEngine(t, url, redis.WithPrefix(prefix), redis.WithClock(clock))
	c := newEngine(t, url, redis.WithPrefix(prefix), redis.WithClock(clock))
	must(t, a.AddPresence(ctx, "room", "a1", []byte("A")))
	must(t, b.AddPresence(ctx, "room", "b1", []byte("B")))
	must(t, c.AddPresence(ctx, "room", "c1", []byte("C")))
	clock.Advance(10 * time.Second) // every node heartbeats: liveness keys exist
	for _, e := range []*redis.Engine{a, b, c} {
		waitBeat(t, rc, e, t0.Add(10*time.Second))
	}
	nodeKey := a.NodeKey()
	must(t, a.Close())
	if got, want := enginetest.Members(t, c, "room"), []string{"B", "C"}; !slices.Equal(got, want) {
		t.Fatalf("after a closed: %v, want %v", got, want)
	}
	if rc.Exists(ctx, nodeKey).Val() != 0 {
		t.Fatalf("node key %s left after Close", nodeKey)
	}
	b.Crash()
	if got, want := enginetest.Members(t, c, "room"), []string{"B", "C"}; !slices.Equal(got, want) {
		t.Fatalf("right after b crashed: %v, want %v", got, want)
	}
	for _, e := range []*redis.Engine{a, b} {
		if err := e.AddPresence(ctx, "room", "x", []byte("X")); !errors.Is(err, relaybase.ErrUnavailable) {
			t.Fatalf("AddPresence on a closed engine: %v, want ErrUnavailable", err)
		}
		if _, err := e.Presence(ctx, "room"); !errors.Is(err, relaybase.ErrUnavailable) {
			t.Fatalf("Presence on a closed engine: %v, want ErrUnavailable", err)
		}
		must(t, e.Close())
	}
}

// TestReconnect kills the Redis under two nodes and starts it again: calls fail with
// ErrUnavailable meanwhile, then delivery resumes on the channels subscribed before, in
// order, and presence that the restart lost is written back.
func TestReconnect(t *testing.T) {
	srv := startRedisServer(t)
	ctx := context.Background()
	clock := newFakeClock(t0)
	opts := []redis.Option{redis.WithClock(clock), redis.WithHealthCheck(200 * time.Millisecond), redis.WithTimeout(2 * time.Second)}
	pubMet, subMet := metrics.New(), metrics.New()
	pub := newEngine(t, srv.url(), append(opts, redis.WithMetrics(pubMet.Engine))...)
	sub := newEngine(t, srv.url(), append(opts, redis.WithMetrics(subMet.Engine))...)
	rec := &recorder{}
	must(t, pub.Start(ctx, func(string, []byte) {}))
	must(t, sub.Start(ctx, rec.handle))
	must(t, sub.Subscribe(ctx, "room"))
	must(t, sub.AddPresence(ctx, "room", "s1", []byte(`{"socketId":"s1"}`)))
	must(t, pub.Publish(ctx, "room", []byte("before")))
	eventually(t, "delivery before the restart", func() bool { return len(rec.snapshot()) == 1 })

	if v, _ := pubMet.Sample("relaybase_engine_publish_errors_total", nil); v != 0 {
		t.Fatalf("publish errors before the restart: %v", v)
	}
	srv.kill()
	publishErrors := 1.0
	if err := pub.Publish(ctx, "room", []byte("while down")); !errors.Is(err, relaybase.ErrUnavailable) {
		t.Fatalf("Publish with Redis down: %v, want ErrUnavailable", err)
	}
	if err := pub.Ping(ctx); !errors.Is(err, relaybase.ErrUnavailable) {
		t.Fatalf("Ping with Redis down: %v, want ErrUnavailable", err)
	}
	if _, err := pub.Presence(ctx, "room"); !errors.Is(err, relaybase.ErrUnavailable) {
		t.Fatalf("Presence with Redis down: %v, want ErrUnavailable", err)
	}
	if err := sub.Subscribe(ctx, "other"); !errors.Is(err, relaybase.ErrUnavailable) {
		t.Fatalf("Subscribe with Redis down: %v, want ErrUnavailable", err)
	}

	srv.start()
	must(t, pub.Ping(ctx))
	// Pub/sub is at most once: what is published before the subscriber's connection is
	// back is lost. Publish until something arrives.
	i := 0
	eventually(t, "delivery after the restart", func() bool {
		i++
		if pub.Publish(ctx, "room", fmt.Appendf(nil, "probe %d", i)) != nil {
			publishErrors++
		}
		return len(rec.snapshot()) > 1
	})
	// Every failed publish was counted, and the subscriber's lost connection too.
	if v, _ := pubMet.Sample("relaybase_engine_publish_errors_total", nil); v != publishErrors {
		t.Errorf("relaybase_engine_publish_errors_total = %v, want %v", v, publishErrors)
	}
	if v, _ := subMet.Sample("relaybase_engine_reconnects_total", nil); v < 1 {
		t.Errorf("relaybase_engine_reconnects_total = %v after Redis restarted, want at least 1", v)
	}
	n := len(rec.snapshot())
	for j := range 200 {
		must(t, pub.Publish(ctx, "room", fmt.Appendf(nil, "after %03d", j)))
	}
	eventually(t, "200 messages after the restart", func() bool {
		return slices.Contains(rec.snapshot(), "room=after 199")
	})
	got := slices.DeleteFunc(rec.snapshot()[n:], func(m string) bool { return strings.HasPrefix(m, "room=probe ") })
	for j, m := range got {
		if want := fmt.Sprintf("room=after %03d", j); m != want {
			t.Fatalf("message %d after the restart is %q, want %q", j, m, want)
		}
	}
	// The restart lost presence; the subscriber's reconnection wrote it back.
	eventually(t, "presence written back", func() bool {
		list, err := pub.Presence(ctx, "room")
		return err == nil && len(list) == 1 && string(list[0]) == `{"socketId":"s1"}`
	})
	// Channels subscribed after the restart work too.
	must(t, sub.Subscribe(ctx, "later"))
	must(t, pub.Publish(ctx, "later", []byte("x")))
	eventually(t, "delivery on a channel subscribed after the restart", func() bool {
		return slices.Contains(rec.snapshot(), "later=x")
	})
}

// TestSubscribeChurn subscribes and unsubscribes channels from many goroutines while a
// publisher sends to them: every Subscribe that returned sees what is published after it.
func TestSubscribeChurn(t *testing.T) {
	url := testenv.RedisURL(t)
	prefix := newPrefix(t, url)
	ctx := context.Background()
	pub := newEngine(t, url, redis.WithPrefix(prefix))
	sub := newEngine(t, url, redis.WithPrefix(prefix))
	type key struct{ channel, msg string }
	var mu sync.Mutex
	seen := map[key]bool{}
	must(t, sub.Start(ctx, func(channel string, msg []byte) {
		mu.Lock()
		seen[key{channel, string(msg)}] = true
		mu.Unlock()
	}))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for round := range 20 {
				ch := fmt.Sprintf("ch%d", (g+round)%5)
				if err := sub.Subscribe(ctx, fmt.Sprintf("%s-%d", ch, g)); err != nil {
					t.Errorf("Subscribe: %v", err)
					return
				}
				name := fmt.Sprintf("%s-%d", ch, g)
				msg := fmt.Sprintf("%d", round)
				if err := pub.Publish(ctx, name, []byte(msg)); err != nil {
					t.Errorf("Publish: %v", err)
					return
				}
				if !poll(func() bool {
					mu.Lock()
					defer mu.Unlock()
					return seen[key{name, msg}]
				}) {
					t.Errorf("%s: %s not delivered within %v", name, msg, wait)
					return
				}
				if err := sub.Unsubscribe(ctx, name); err != nil {
					t.Errorf("Unsubscribe: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// BenchmarkPublish measures a publish and its delivery to a subscriber on another node:
// sequential publishes from one goroutine, and concurrent ones from many.
func BenchmarkPublish(b *testing.B) {
	url := testenv.RedisURL(b)
	for _, par := range []bool{false, true} {
		name := "Sequential"
		if par {
			name = "Parallel"
		}
		b.Run(name, func(b *testing.B) {
			prefix := newPrefix(b, url)
			ctx := context.Background()
			pub := newEngine(b, url, redis.WithPrefix(prefix))
			sub := newEngine(b, url, redis.WithPrefix(prefix))
			var got atomic.Int64
			must(b, pub.Start(ctx, func(string, []byte) {}))
			must(b, sub.Start(ctx, func(string, []byte) { got.Add(1) }))
			must(b, sub.Subscribe(ctx, "room"))
			msg := []byte(strings.Repeat("x", 200))
			b.ReportAllocs()
			b.ResetTimer()
			if par {
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if err := pub.Publish(ctx, "room", msg); err != nil {
							b.Error(err)
							return
						}
					}
				})
			} else {
				for range b.N {
					must(b, pub.Publish(ctx, "room", msg))
				}
			}
			eventually(b, "delivery", func() bool { return got.Load() >= int64(b.N) })
		})
	}
}

// TestSubscribeGivenUp: a Subscribe whose context ends before the confirmation fails and
// leaves nothing behind; subscribing again works, and so does every message after it.
func TestSubscribeGivenUp(t *testing.T) {
	url := testenv.RedisURL(t)
	prefix := newPrefix(t, url)
	ctx := context.Background()
	pub := newEngine(t, url, redis.WithPrefix(prefix))
	sub := newEngine(t, url, redis.WithPrefix(prefix))
	rec := &recorder{}
	must(t, sub.Start(ctx, rec.handle))
	given := 0
	for i := range 50 {
		ch := fmt.Sprintf("room%d", i)
		done, cancel := context.WithCancel(ctx)
		cancel()
		// The SUBSCRIBE goes out all the same; whether its confirmation beats the check
		// of the context is a race: either outcome is right.
		switch err := sub.Subscribe(done, ch); {
		case err == nil:
			must(t, sub.Unsubscribe(ctx, ch))
		case errors.Is(err, relaybase.ErrUnavailable) && errors.Is(err, context.Canceled):
			given++
		default:
			t.Fatalf("Subscribe with an ended context: %v, want nil or ErrUnavailable and context.Canceled", err)
		}
		must(t, sub.Subscribe(ctx, ch))
		must(t, pub.Publish(ctx, ch, []byte("m")))
	}
	eventually(t, "a message on every channel", func() bool { return len(rec.snapshot()) == 50 })
	t.Logf("%d of 50 subscriptions given up before their confirmation", given)
}
