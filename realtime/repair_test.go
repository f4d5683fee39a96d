package realtime

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"relaybase"
	"relaybase/engine/memory"
)

// twoNodes starts two servers on one in-process network and one store, and returns them
// with their engines (to cut them off).
func twoNodes(t *testing.T, opts ...option) (n1, n2 *env, e1, e2 *memory.Engine) {
	t.Helper()
	net := memoryNetwork()
	store := openStore(t)
	e1, e2 = net.Node(), net.Node()
	n1 = newEnv(t, append([]option{withEngine(e1), withStore(store)}, opts...)...)
	n2 = newEnv(t, append([]option{withEngine(e2), withStore(store)}, opts...)...)
	return n1, n2, e1, e2
}

// expectMessages reads message frames on channel and fails unless their offsets are want,
// in order.
func expectMessages(t *testing.T, c *client, channel string, want ...int64) {
	t.Helper()
	for _, w := range want {
		if f := c.expect(actMessage, channel); offsetOf(f) != w {
			t.Fatalf("got %s, want offset %d", f, w)
		}
	}
}

// TestRepairAfterResubscribe: frames stored while a node was cut off from the engine reach
// its members once the engine reports the node subscribed again, read from the store, in
// order and once.
func TestRepairAfterResubscribe(t *testing.T) {
	n1, n2, _, e2 := twoNodes(t)
	a, b := n1.dial(""), n2.dial("")
	a.join("history", nil)
	b.join("history", nil)

	e2.Disconnect()
	sendN(t, a, "history", 1, 3)
	b.quiet()
	e2.Reconnect()
	expectMessages(t, b, "history", 1, 2, 3)

	sendN(t, a, "history", 4, 4)
	expectMessages(t, b, "history", 4)
	b.quiet()
	a.quiet()
}

// TestPublishWithoutEngine: a node whose engine is down still delivers the frames it
// stores to its own members at once (a client's message is not refused), and the other
// nodes get them, from the store, once the engine is back.
func TestPublishWithoutEngine(t *testing.T) {
	n1, n2, e1, _ := twoNodes(t, withLimits(Limits{ReorderWait: 20 * time.Millisecond}))
	a, a2, b := n1.dial(""), n1.dial(""), n2.dial("")
	for _, c := range []*client{a, a2, b} {
		c.join("history", nil)
	}

	e1.Disconnect()
	sendN(t, a, "history", 1, 2) // a gets its own copies, no error
	ev := storeEvents(t, n1, "history", 1)
	n1.srv.Publish(context.Background(), ev)
	expectMessages(t, a2, "history", 1, 2)
	expectOffsets(t, a2, "history", 3)
	b.quiet()

	e1.Reconnect()
	expectMessages(t, b, "history", 1, 2)
	expectOffsets(t, b, "history", 3)
	b.quiet()
	a.expect(actEvent, "history")
	a.quiet()
	a2.quiet()
}

// TestLostPublishFoundByCheck: a frame that was stored but never published (its node died
// between commit and publish), with no later frame to reveal the gap, reaches the members
// at the next periodic check.
func TestLostPublishFoundByCheck(t *testing.T) {
	e := newEnv(t, withLimits(Limits{GapCheck: 50 * time.Millisecond}))
	c := e.dial("")
	c.join("history", nil)
	storeEvents(t, e, "history", 2) // never published
	expectOffsets(t, c, "history", 1, 2)
	c.quiet()
}

// TestGapSignalledWhenTrimmed: frames a node missed that the channel no longer keeps are
// announced with history_gap; the ones it keeps follow in order.
func TestGapSignalledWhenTrimmed(t *testing.T) {
	n1, n2, _, e2 := twoNodes(t)
	a, b := n1.dial(""), n2.dial("")
	a.join("history", nil)
	b.join("history", nil)
	e2.Disconnect()
	sendN(t, a, "history", 1, 40) // "history" keeps 25: 16 to 40
	e2.Reconnect()
	b.expectError(codeHistoryGap, "history")
	for want := int64(16); want <= 40; want++ {
		expectMessages(t, b, "history", want)
	}
	b.quiet()
}

// TestGapSignalledWithoutHistory: on a channel that keeps no history, frames lost to an
// engine outage can't be repaired: the members are told, on the node that was cut off when
// it is back, and on every node when a publish failed.
func TestGapSignalledWithoutHistory(t *testing.T) {
	n1, n2, e1, e2 := twoNodes(t)
	a, a2, b := n1.dial(""), n1.dial(""), n2.dial("")
	for _, c := range []*client{a, a2, b} {
		c.join("public", nil)
	}

	e2.Disconnect()
	a.send(actMessage, map[string]any{"channel": "public"}, "lost on node 2")
	a.expect(actMessage, "public")
	a2.expect(actMessage, "public")
	e2.Reconnect()
	b.expectError(codeHistoryGap, "public")
	b.quiet()

	e1.Disconnect()
	a.send(actMessage, map[string]any{"channel": "public"}, "lost everywhere")
	a.expectError(codeHistoryGap, "public")
	a.expectError(codeInternal, "public") // the sender learns that its message failed
	a2.expectError(codeHistoryGap, "public")
	b.quiet()
	e1.Reconnect()
	b.expectError(codeHistoryGap, "public") // owed by node 1, published once it is back
	b.quiet()
}

// failingStore fails History reads while failing is set.
type failingStore struct {
	relaybase.Store
	failing atomic.Bool
}

var errStoreDown = errors.New("store down (test)")

func (s *failingStore) History(ctx context.Context, channel string, after int64, limit int) (relaybase.HistoryPage, error) {
	if s.failing.Load() {
		return relaybase.HistoryPage{}, errStoreDown
	}
	return s.Store.History(ctx, channel, after, limit)
}

// TestRepairGivesUp: when the store can't be read, frames that wait for a gap go out
// after a few tries, announced by history_gap, in order.
func TestRepairGivesUp(t *testing.T) {
	fs := &failingStore{Store: openStore(t)}
	e := newEnv(t, withStore(fs), withLimits(Limits{ReorderWait: 10 * time.Millisecond}))
	c := e.dial("")
	c.join("history", nil)
	ev := storeEvents(t, e, "history", 3)
	fs.failing.Store(true)
	e.srv.Publish(context.Background(), ev[1:])
	c.expectError(codeHistoryGap, "history")
	expectOffsets(t, c, "history", 2, 3)
	fs.failing.Store(false)
	e.srv.Publish(context.Background(), ev[:1]) // too late
	c.quiet()
}

// publishPath marks the context of a test's own publish calls. The republisher tries the
// engine too, on its own goroutine and context, whenever its backoff says so; countingNode
// counts only the calls that carry the mark, so what it counts does not depend on when the
// republisher happens to run.
type publishPath struct{}

// countingNode counts the stored frames a node publishes through its engine on the publish
// path (a context marked with publishPath), by offset.
type countingNode struct {
	*memory.Engine
	mu      sync.Mutex
	offsets map[int64]int
}

func (e *countingNode) Publish(ctx context.Context, channel string, msg []byte) error {
	if env, ok := openEnvelope(msg); ok && env.offset > 0 && ctx.Value(publishPath{}) != nil {
		e.mu.Lock()
		e.offsets[env.offset]++
		e.mu.Unlock()
	}
	return e.Engine.Publish(ctx, channel, msg)
}

func (e *countingNode) count(offset int64) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.offsets[offset]
}

// TestOwedPublishesWaitForTheEngine: once a stored frame's publish has failed, later stored
// frames of the channel do not try the engine (each would wait for it to fail): they are
// owed, and the newest goes out once the engine is back, the others read from the store.
//
// Only the publish path's engine calls are counted: the republisher, woken by the first
// failure and then on its backoff, tries the newest owed frame (offset 2 or 3 when it runs
// between the test's publishes, as it may on a loaded machine), which is what it is for.
func TestOwedPublishesWaitForTheEngine(t *testing.T) {
	net := memoryNetwork()
	store := openStore(t)
	e1 := &countingNode{Engine: net.Node(), offsets: map[int64]int{}}
	n1 := newEnv(t, withEngine(e1), withStore(store), withLimits(Limits{ReorderWait: 20 * time.Millisecond}))
	n2 := newEnv(t, withEngine(net.Node()), withStore(store), withLimits(Limits{ReorderWait: 20 * time.Millisecond}))
	a, b := n1.dial(""), n2.dial("")
	a.join("history", nil)
	b.join("history", nil)

	e1.Disconnect()
	ev := storeEvents(t, n1, "history", 4)
	ctx := context.WithValue(context.Background(), publishPath{}, true)
	for i := range ev {
		n1.srv.Publish(ctx, ev[i:i+1])
	}
	expectOffsets(t, a, "history", 1, 2, 3, 4)
	if n := e1.count(1); n != 1 {
		t.Errorf("offset 1 was published %d times, want 1 (the try that found the engine down)", n)
	}
	for off := int64(2); off <= 3; off++ {
		if n := e1.count(off); n != 0 {
			t.Errorf("offset %d was published %d times while the engine was known down", off, n)
		}
	}
	e1.Reconnect()
	expectOffsets(t, b, "history", 1, 2, 3, 4)
	b.quiet()
}
