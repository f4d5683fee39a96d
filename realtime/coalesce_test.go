package realtime

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"relaybase"
)

func TestCoalesceDelay(t *testing.T) {
	const maxDelay = int64(15 * time.Millisecond)
	span := int64(coalesceWindow) // 50 ms
	for _, tc := range []struct {
		name                 string
		frames, writes, each int64 // frames written, in writes system calls of each ns
		want                 int64
	}{
		{"idle", 0, 0, 0, 0},
		{"1 publish/s to 1,000 members: 1% of a core", 50, 50, 10000, 0},
		{"light: 20%", 1000, 1000, 10000, 0},
		{"halfway up the ramp: 42.5%", 2125, 2125, 10000, maxDelay / 2},
		{"1,000 members × 100/s: 100%", 5000, 5000, 10000, maxDelay},
		{"the same frames already coalesced: frames count, not writes", 5000, 2000, 10000, maxDelay},
		{"cheaper writes: 33%", 5000, 5000, 3300, maxDelay * 8 / 35}, // (0.33 − 0.25) / (0.60 − 0.25)
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := coalesceDelay(tc.frames, tc.writes, tc.writes*tc.each, span, maxDelay)
			if d := got - tc.want; d > 1000 || d < -1000 {
				t.Fatalf("delay %v, want %v", time.Duration(got), time.Duration(tc.want))
			}
		})
	}
}

// A connection written less than the delay ago waits on the later list until its due; one
// never written, or written longer ago, is ready at once.
func TestFlushersPaceBusyConnections(t *testing.T) {
	var f flushers
	f.wake = make(chan struct{}, 1)
	f.k.max = int64(time.Second)
	const delay = 40 * time.Millisecond
	f.k.delay.Store(int64(delay))

	fresh := &conn{}                                          // never written
	quiet := &conn{lastFlush: monoNow() - int64(time.Second)} // written long ago
	busy := &conn{lastFlush: monoNow()}                       // written just now
	f.add(busy)
	f.add(fresh)
	f.add(quiet)

	got, next := f.take(nil)
	if len(got) != 2 || got[0] != fresh || got[1] != quiet {
		t.Fatalf("took %v at once, want the fresh and the quiet connection", got)
	}
	if want := busy.lastFlush + int64(delay); next != want {
		t.Fatalf("next due %d, want %d (the busy one's last write + the delay)", next, want)
	}
	deadline := time.Now().Add(wait)
	for {
		got, _ = f.take(got)
		if len(got) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the busy connection never came due")
		}
		time.Sleep(time.Millisecond)
	}
	if now := monoNow(); len(got) != 1 || got[0] != busy || now < busy.lastFlush+int64(delay) {
		t.Fatalf("took %v %v after its last write, want the busy one no sooner than %v", got, time.Duration(now-busy.lastFlush), delay)
	}
	if got, next = f.take(got); len(got) != 0 || next != 0 {
		t.Fatalf("left: %v, next %d", got, next)
	}

	// With no delay (a light load) nothing waits.
	f.k.delay.Store(0)
	busy.lastFlush = monoNow()
	f.add(busy)
	if got, _ = f.take(got); len(got) != 1 {
		t.Fatal("a connection waited with the delay at zero")
	}
}

// Over a real socket: with the delay held at 50 ms, frames that reach a connection written
// moments ago leave together in one write, in order, within the delay. (With the delay at
// zero, the same frames go out in five writes.)
func TestCoalescedWrites(t *testing.T) {
	e := newEnv(t, withStore(nil), withLimits(Limits{FlushDelay: time.Second}))
	k := &e.srv.flush.k
	k.windowAt.Store(monoNow() + int64(time.Hour)) // no window ends: the delay stays as set
	const delay = 50 * time.Millisecond
	k.delay.Store(int64(delay))

	c := e.dial("")
	c.join("public", nil) // the join reply: the connection's first write
	eventually(t, "the join reply's write counted", func() bool { return k.writes.Load() == 1 })
	publish := func(i int) {
		e.srv.Publish(context.Background(), []relaybase.StagedEvent{{Channel: "public", Frame: []byte(fmt.Sprintf(`{"action":"event","options":{"channel":"public"},"payload":%d}`, i))}})
	}
	w0, f0 := k.writes.Load(), k.frames.Load()
	queued := func() int64 {
		var n int64
		e.srv.conns.each(func(sc *conn) {
			sc.mu.Lock()
			n += int64(len(sc.queue))
			sc.mu.Unlock()
		})
		return n
	}
	laterWaiting := func() bool {
		f := &e.srv.flush
		f.mu.Lock()
		defer f.mu.Unlock()
		return len(f.later) > 0
	}
	start := time.Now()
	for i := range 5 {
		// One at a time: each is in the queue, or written, before the next is published,
		// so that only the delay can put them in one write.
		publish(i)
		eventually(t, "the frame written, or queued on a connection that waits for its due", func() bool {
			written := k.frames.Load() - f0
			return written == int64(i+1) || written+queued() == int64(i+1) && laterWaiting()
		})
	}
	for i := range 5 {
		if f := c.expect(actEvent, "public"); f.payload() != float64(i) {
			t.Fatalf("frame %d: %s", i, f)
		}
	}
	took := time.Since(start)
	// The client can read a write before the flusher has counted it.
	eventually(t, "the write counted", func() bool { return k.frames.Load()-f0 == 5 })
	if w, f := k.writes.Load()-w0, k.frames.Load()-f0; w != 1 || f != 5 {
		t.Fatalf("5 frames went out in %d writes carrying %d frames, want 1 write of 5", w, f)
	}
	if took > delay+wait/2 {
		t.Fatalf("the frames took %v, the delay is %v", took, delay)
	}
}

// BenchmarkCoalescedFanout: one publish every 2 ms to 200 loopback members (a pace the
// flushers keep up with, so frames don't pile up by themselves), with the delay held at zero
// and at 6 ms: write system calls per frame delivered, which is what coalescing saves.
func BenchmarkCoalescedFanout(b *testing.B) {
	const members = 200
	for _, delay := range []time.Duration{0, 6 * time.Millisecond} {
		b.Run(fmt.Sprintf("delay=%v", delay), func(b *testing.B) {
			e := newEnv(b, withStore(nil), withLimits(Limits{FlushDelay: time.Second}))
			k := &e.srv.flush.k
			k.windowAt.Store(monoNow() + int64(time.Hour))
			k.delay.Store(int64(delay))
			var delivered atomic.Int64
			for range members {
				c, err := dialURL(e.url, "")
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { c.nc.Close() })
				if err := ws.WriteFrame(c.nc, ws.MaskFrameInPlace(ws.NewTextFrame([]byte(`{"action":"join","options":{"channel":"public"},"payload":null}`)))); err != nil {
					b.Fatal(err)
				}
				go countFrames(c.nc, func() { delivered.Add(1) })
			}
			eventually(b, "join replies", func() bool { return delivered.Load() >= members })
			base := delivered.Load()
			w0, f0 := k.writes.Load(), k.frames.Load()
			tick := time.NewTicker(2 * time.Millisecond)
			defer tick.Stop()
			b.ResetTimer()
			for b.Loop() {
				<-tick.C
				publishEvent(b, e.srv, benchFrame)
			}
			want := base + int64(b.N)*members
			eventually(b, "every frame delivered", func() bool { return delivered.Load() >= want && k.frames.Load()-f0 >= int64(b.N)*members })
			b.ReportMetric(float64(k.writes.Load()-w0)/float64(k.frames.Load()-f0), "writes/frame")
		})
	}
}

// TestCoalescerDueAt: a connection is held only while its last write is less than the delay
// ago; the latest time a flusher saw settles it without the clock when it is well past, and
// never holds one that the clock says is due.
func TestCoalescerDueAt(t *testing.T) {
	var k coalescer
	k.max = int64(time.Second)
	const delay = int64(50 * time.Millisecond)
	now := monoNow()
	if got := k.dueAt(now); got != 0 {
		t.Fatalf("delay zero: due %d, want 0 (at once)", got)
	}
	k.delay.Store(delay)
	if got := k.dueAt(0); got != 0 {
		t.Fatalf("never written: due %d, want 0", got)
	}
	if got := k.dueAt(now); got != now+delay {
		t.Fatalf("written just now: due %d, want %d", got, now+delay)
	}
	k.seen.Store(now + 2*delay) // a flusher's clock read after that due
	if got := k.dueAt(now); got != 0 {
		t.Fatalf("due before what a flusher saw: due %d, want 0", got)
	}
	k.seen.Store(1) // stale: only the clock can tell
	old := monoNow() - 2*delay
	if got := k.dueAt(old); got != 0 {
		t.Fatalf("written two delays ago, stale seen: due %d, want 0", got)
	}
}
