package realtime

import (
	"context"
	"sync"
	"testing"
	"time"

	"relaybase"
)

// handTimers replaces the server's reorder timers with ones the test fires by hand.
type handTimers struct {
	mu    sync.Mutex
	armed []*handTimer
}

// handTimer is one armed reorder wait. Like a *time.Timer made by time.AfterFunc, it can
// no longer be stopped once it has come due (start), even though its callback may not have
// run yet (run).
type handTimer struct {
	ts      *handTimers
	f       func()
	due     bool
	stopped bool
}

func (ts *handTimers) install(s *Server) {
	s.afterFunc = func(_ time.Duration, f func()) stopper {
		ts.mu.Lock()
		defer ts.mu.Unlock()
		t := &handTimer{ts: ts, f: f}
		ts.armed = append(ts.armed, t)
		return t
	}
}

// last returns the timer armed most recently.
func (ts *handTimers) last(t *testing.T) *handTimer {
	t.Helper()
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if len(ts.armed) == 0 {
		t.Fatal("no reorder timer was armed")
	}
	return ts.armed[len(ts.armed)-1]
}

// fireAll fires every timer armed so far that was not stopped.
func (ts *handTimers) fireAll() {
	ts.mu.Lock()
	armed := append([]*handTimer(nil), ts.armed...)
	ts.mu.Unlock()
	for _, t := range armed {
		t.fire()
	}
}

func (t *handTimer) Stop() bool {
	t.ts.mu.Lock()
	defer t.ts.mu.Unlock()
	if t.due || t.stopped {
		return false
	}
	t.stopped = true
	return true
}

// start makes the timer come due: from now on Stop fails, as it does for a timer whose
// callback the runtime has started.
func (t *handTimer) start() {
	t.ts.mu.Lock()
	t.due = true
	t.ts.mu.Unlock()
}

// fire makes the timer come due, if it was not stopped, and runs its callback.
func (t *handTimer) fire() {
	t.ts.mu.Lock()
	stopped := t.stopped
	t.due = true
	t.ts.mu.Unlock()
	if !stopped {
		t.f()
	}
}

// storeEvents stores n events on channel, committed but not published, and returns them
// in offset order.
func storeEvents(t *testing.T, e *env, channel string, n int) []relaybase.StagedEvent {
	t.Helper()
	ctx := context.Background()
	out := make([]relaybase.StagedEvent, n)
	for i := range out {
		tx, err := e.store.Begin(ctx, true)
		if err != nil {
			t.Fatal(err)
		}
		st, err := e.srv.Stage(ctx, relaybase.Event{Channel: channel, Data: int64(i)})
		if err == nil {
			staged := []relaybase.StagedEvent{st}
			err = e.srv.Store(ctx, tx, staged)
			st = staged[0]
		}
		if err != nil {
			tx.Rollback()
			t.Fatalf("Stage and Store: %v", err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		out[i] = st
	}
	return out
}

// expectOffsets reads events on channel and fails unless their offsets are want, in order.
func expectOffsets(t *testing.T, c *client, channel string, want ...int64) {
	t.Helper()
	for _, w := range want {
		if f := c.expect(actEvent, channel); offsetOf(f) != w {
			t.Fatalf("got %s, want offset %d", f, w)
		}
	}
}

// TestReorderTimerOfAFilledGap: a reorder wait armed for a gap that filled meanwhile must
// not cut short the wait for a later gap. Offset 3 waits for 2 and arms a timer; the timer
// comes due just as 2 arrives (too late to be stopped); 5 then waits for 4. When the stale
// timer's callback runs it must leave 5 waiting, so 4 still goes out before 5.
func TestReorderTimerOfAFilledGap(t *testing.T) {
	timers := &handTimers{}
	e := newEnv(t)
	timers.install(e.srv)
	c := e.dial("")
	c.join("history", nil)
	ev := storeEvents(t, e, "history", 5)
	pub := func(off int64) { e.srv.Publish(context.Background(), []relaybase.StagedEvent{ev[off-1]}) }

	pub(1)
	expectOffsets(t, c, "history", 1)
	pub(3)
	stale := timers.last(t)
	stale.start()
	pub(2)
	expectOffsets(t, c, "history", 2, 3)
	pub(5)
	stale.fire()
	pub(4)
	expectOffsets(t, c, "history", 4, 5)
	c.quiet()
}

// TestSubscribeSeedsTheSequence: the node's first member of a channel has the node read
// where the channel stands; frames that reach the node before that read are held, and
// those at or below the newest offset read are not delivered, so the member gets exactly
// the frames after its join reply's offset, in order.
func TestSubscribeSeedsTheSequence(t *testing.T) {
	bs := &blockingStore{Store: openStore(t)}
	e := newEnv(t, withStore(bs))
	timers := &handTimers{}
	timers.install(e.srv)
	ev := storeEvents(t, e, "history", 5)
	pub := func(off int64) { e.srv.Publish(context.Background(), []relaybase.StagedEvent{ev[off-1]}) }

	// The join subscribes, then reads: offsets 3 and 4 are stored by then, and 4 reaches
	// the node (3 not yet) between the subscribe and the read.
	bs.hooks(func() { pub(4) }, nil)
	c := e.dial("")
	reply := c.join("history", nil)
	head := int64(reply.payloadMap()["offset"].(float64))
	if head != 5 {
		t.Fatalf("join reply offset %d, want 5", head)
	}
	pub(3)
	pub(5)
	timers.fireAll()
	more := storeEvents(t, e, "history", 1)
	e.srv.Publish(context.Background(), more)
	expectOffsets(t, c, "history", 6)
	c.quiet()
}
