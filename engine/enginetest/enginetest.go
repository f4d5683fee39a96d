package enginetest

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"relaybase"
)

// NewNodes returns n engines that share one backend, as n relaybase nodes would (for
// engine/memory: n nodes of one Network; for Redis: n clients of one server with a key
// prefix of their own). The suite starts and closes them.
type NewNodes func(t *testing.T, n int) []relaybase.Engine

// Options tunes the suite for an engine.
type Options struct {
	// Wait bounds how long the suite waits for something to arrive (default 5s).
	Wait time.Duration
	// Interrupt breaks e's connection to the backend the way a network failure does (its
	// subscriptions lapse) and returns; the engine is expected to come back by itself. The
	// suite then checks that the engine, a relaybase.Resubscriber, reports that it has
	// subscribed again and delivers from then on. Required.
	Interrupt func(t *testing.T, e relaybase.Engine)
}

// Run runs the suite.
func Run(t *testing.T, newNodes NewNodes, opts Options) {
	if opts.Wait <= 0 {
		opts.Wait = 5 * time.Second
	}
	if opts.Interrupt == nil {
		t.Fatal("enginetest: Options.Interrupt is required: the suite checks that an engine reports its resubscriptions")
	}
	s := &suite{newNodes: newNodes, wait: opts.Wait, interrupt: opts.Interrupt}
	t.Run("DeliversToSubscribedNodesOnly", s.testDelivery)
	t.Run("UnsubscribeStops", s.testUnsubscribe)
	t.Run("OrderPerPublisher", s.testOrder)
	t.Run("MessagesAreKept", s.testRetain)
	t.Run("Presence", s.testPresence)
	t.Run("PresenceAcrossNodes", s.testPresenceNodes)
	t.Run("CloseStopsDelivery", s.testClose)
	t.Run("ContextEndStopsDelivery", s.testContext)
	t.Run("Ping", s.testPing)
	t.Run("ResubscribeIsReported", s.testResubscribe)
}

type suite struct {
	newNodes  NewNodes
	wait      time.Duration
	interrupt func(t *testing.T, e relaybase.Engine)
}

// recorder is a handler that keeps what it receives.
type recorder struct {
	mu   sync.Mutex
	msgs []received
}

type received struct {
	channel string
	msg     []byte
}

func (r *recorder) handle(channel string, msg []byte) {
	r.mu.Lock()
	r.msgs = append(r.msgs, received{channel, msg})
	r.mu.Unlock()
}

func (r *recorder) snapshot() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.msgs)
}

// waitFor polls until r holds at least n messages or the deadline passes.
func (s *suite) waitFor(t *testing.T, r *recorder, n int) []received {
	t.Helper()
	deadline := time.Now().Add(s.wait)
	for {
		got := r.snapshot()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("received %d messages within %v, want %d", len(got), s.wait, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// settle publishes marker from pub on the channel named marker (the nodes of rs must be
// subscribed to it) and waits until every recorder in rs has received it. A message that
// would have reached a recorder and was published before the marker has then had as long to
// arrive as the marker had, so a test can check that something did not arrive without
// sleeping.
func (s *suite) settle(t *testing.T, pub relaybase.Engine, marker string, rs ...*recorder) {
	t.Helper()
	ctx := context.Background()
	if err := pub.Publish(ctx, marker, []byte(marker)); err != nil {
		t.Fatalf("publish marker: %v", err)
	}
	for _, r := range rs {
		deadline := time.Now().Add(s.wait)
		for !slices.ContainsFunc(r.snapshot(), func(m received) bool { return m.channel == marker }) {
			if time.Now().After(deadline) {
				t.Fatalf("marker %q did not arrive within %v", marker, s.wait)
			}
			time.Sleep(time.Millisecond)
		}
	}
}

func (s *suite) start(t *testing.T, n int) ([]relaybase.Engine, []*recorder) {
	t.Helper()
	nodes := s.newNodes(t, n)
	if len(nodes) != n {
		t.Fatalf("newNodes returned %d engines, want %d", len(nodes), n)
	}
	recs := make([]*recorder, n)
	for i, e := range nodes {
		recs[i] = &recorder{}
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		t.Cleanup(func() { _ = e.Close() })
		if err := e.Start(ctx, recs[i].handle); err != nil {
			t.Fatalf("node %d: Start: %v", i, err)
		}
	}
	return nodes, recs
}

func subscribe(t *testing.T, e relaybase.Engine, channels ...string) {
	t.Helper()
	for _, ch := range channels {
		if err := e.Subscribe(context.Background(), ch); err != nil {
			t.Fatalf("Subscribe %q: %v", ch, err)
		}
	}
}

func publish(t *testing.T, e relaybase.Engine, channel, msg string) {
	t.Helper()
	if err := e.Publish(context.Background(), channel, []byte(msg)); err != nil {
		t.Fatalf("Publish %q: %v", channel, err)
	}
}

func (s *suite) testDelivery(t *testing.T) {
	nodes, recs := s.start(t, 3)
	subscribe(t, nodes[0], "a", "marker")
	subscribe(t, nodes[1], "a", "b", "marker")
	subscribe(t, nodes[2], "marker")

	publish(t, nodes[2], "a", "to a")
	publish(t, nodes[0], "b", "to b")
	publish(t, nodes[0], "c", "to nobody")
	s.settle(t, nodes[0], "marker", recs...)

	want := [][]received{
		{{"a", []byte("to a")}, {"marker", []byte("marker")}},
		{{"a", []byte("to a")}, {"b", []byte("to b")}, {"marker", []byte("marker")}},
		{{"marker", []byte("marker")}},
	}
	for i, r := range recs {
		got := r.snapshot()
		// Messages of different channels may interleave in any order.
		slices.SortFunc(got, func(x, y received) int { return bytes.Compare(x.msg, y.msg) })
		slices.SortFunc(want[i], func(x, y received) int { return bytes.Compare(x.msg, y.msg) })
		if !equalReceived(got, want[i]) {
			t.Errorf("node %d received %v, want %v", i, got, want[i])
		}
	}
}

func equalReceived(a, b []received) bool {
	return slices.EqualFunc(a, b, func(x, y received) bool {
		return x.channel == y.channel && bytes.Equal(x.msg, y.msg)
	})
}

func (s *suite) testUnsubscribe(t *testing.T) {
	nodes, recs := s.start(t, 2)
	subscribe(t, nodes[0], "a", "marker")
	subscribe(t, nodes[1], "a", "marker")
	publish(t, nodes[0], "a", "1")
	s.waitFor(t, recs[1], 1)
	if err := nodes[1].Unsubscribe(context.Background(), "a"); err != nil {
		t.Fatalf("Unsubscribe: %v", err)
	}
	// Unsubscribing what is not subscribed is not an error.
	if err := nodes[1].Unsubscribe(context.Background(), "never"); err != nil {
		t.Fatalf("Unsubscribe of a channel never subscribed: %v", err)
	}
	publish(t, nodes[0], "a", "2")
	s.settle(t, nodes[0], "marker", recs...)
	for _, m := range recs[1].snapshot() {
		if m.channel == "a" && string(m.msg) == "2" {
			t.Fatalf("node 1 received a message of a channel it unsubscribed from")
		}
	}
	if got := recs[0].snapshot(); len(got) != 3 {
		t.Fatalf("node 0 received %d messages, want 3 (1, 2, marker)", len(got))
	}
}

func (s *suite) testOrder(t *testing.T) {
	const n = 2000
	nodes, recs := s.start(t, 2)
	for _, e := range nodes {
		subscribe(t, e, "x", "y")
	}
	// Two publishers, each on its own node and goroutine, interleaving two channels.
	var wg sync.WaitGroup
	for p, e := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range n {
				ch := "x"
				if i%3 == 0 {
					ch = "y"
				}
				if err := e.Publish(context.Background(), ch, fmt.Appendf(nil, "%d:%d", p, i)); err != nil {
					t.Errorf("Publish: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for node, r := range recs {
		got := s.waitFor(t, r, 2*n)
		// Per (publisher, channel), the sequence numbers must be increasing.
		last := map[string]int{}
		for _, m := range got {
			var p, i int
			if _, err := fmt.Sscanf(string(m.msg), "%d:%d", &p, &i); err != nil {
				t.Fatalf("node %d: unexpected message %q", node, m.msg)
			}
			key := fmt.Sprintf("%d/%s", p, m.channel)
			if prev, ok := last[key]; ok && i <= prev {
				t.Fatalf("node %d: publisher %d on %s: %d arrived after %d", node, p, m.channel, i, prev)
			}
			last[key] = i
		}
		if len(got) != 2*n {
			t.Fatalf("node %d: received %d messages, want %d", node, len(got), 2*n)
		}
	}
}

// testRetain checks that a handler may keep a message: the engine never reuses its bytes.
func (s *suite) testRetain(t *testing.T) {
	nodes, recs := s.start(t, 2)
	subscribe(t, nodes[1], "a")
	const n = 100
	for i := range n {
		publish(t, nodes[0], "a", fmt.Sprintf("message %03d", i))
	}
	got := s.waitFor(t, recs[1], n)
	for i, m := range got {
		if want := fmt.Sprintf("message %03d", i); string(m.msg) != want {
			t.Fatalf("message %d is %q, want %q (bytes reused or reordered?)", i, m.msg, want)
		}
	}
}

// Members lists a channel's presence on e as sorted strings, failing the test when e can't
// say.
func Members(t testing.TB, e relaybase.Engine, channel string) []string {
	t.Helper()
	list, err := e.Presence(context.Background(), channel)
	if err != nil {
		t.Fatalf("Presence %q: %v", channel, err)
	}
	out := make([]string, len(list))
	for i, m := range list {
		out[i] = string(m)
	}
	slices.Sort(out)
	return out
}

func (s *suite) testPresence(t *testing.T) {
	nodes, _ := s.start(t, 1)
	e := nodes[0]
	ctx := context.Background()
	if got := Members(t, e, "room"); len(got) != 0 {
		t.Fatalf("empty channel has members %v", got)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(e.AddPresence(ctx, "room", "s1", []byte(`{"socketId":"s1"}`)))
	must(e.AddPresence(ctx, "room", "s2", []byte(`{"socketId":"s2"}`)))
	must(e.AddPresence(ctx, "other", "s1", []byte(`{"socketId":"s1","other":true}`)))
	if got, want := Members(t, e, "room"), []string{`{"socketId":"s1"}`, `{"socketId":"s2"}`}; !slices.Equal(got, want) {
		t.Fatalf("room members %v, want %v", got, want)
	}
	// Adding the same socketID again replaces its entry.
	must(e.AddPresence(ctx, "room", "s1", []byte(`{"socketId":"s1","v":2}`)))
	if got, want := Members(t, e, "room"), []string{`{"socketId":"s1","v":2}`, `{"socketId":"s2"}`}; !slices.Equal(got, want) {
		t.Fatalf("room members after re-add %v, want %v", got, want)
	}
	must(e.RemovePresence(ctx, "room", "s1"))
	must(e.RemovePresence(ctx, "room", "absent"))
	if got, want := Members(t, e, "room"), []string{`{"socketId":"s2"}`}; !slices.Equal(got, want) {
		t.Fatalf("room members after remove %v, want %v", got, want)
	}
	if got, want := Members(t, e, "other"), []string{`{"socketId":"s1","other":true}`}; !slices.Equal(got, want) {
		t.Fatalf("other members %v, want %v", got, want)
	}
	must(e.RemovePresence(ctx, "room", "s2"))
	if got := Members(t, e, "room"); len(got) != 0 {
		t.Fatalf("room members after removing all: %v", got)
	}
}

func (s *suite) testPresenceNodes(t *testing.T) {
	nodes, _ := s.start(t, 2)
	ctx := context.Background()
	if err := nodes[0].AddPresence(ctx, "room", "a", []byte("A")); err != nil {
		t.Fatal(err)
	}
	if err := nodes[1].AddPresence(ctx, "room", "b", []byte("B")); err != nil {
		t.Fatal(err)
	}
	for i, e := range nodes {
		if got, want := Members(t, e, "room"), []string{"A", "B"}; !slices.Equal(got, want) {
			t.Fatalf("node %d sees %v, want %v", i, got, want)
		}
	}
	if err := nodes[1].RemovePresence(ctx, "room", "a"); err != nil {
		t.Fatal(err)
	}
	if got, want := Members(t, nodes[0], "room"), []string{"B"}; !slices.Equal(got, want) {
		t.Fatalf("after node 1 removed a: %v, want %v", got, want)
	}
}

func (s *suite) testClose(t *testing.T) {
	nodes, recs := s.start(t, 2)
	subscribe(t, nodes[0], "a", "marker")
	subscribe(t, nodes[1], "a", "marker")
	publish(t, nodes[0], "a", "before")
	s.waitFor(t, recs[1], 1)
	if err := nodes[1].Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := nodes[1].Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	n := len(recs[1].snapshot())
	publish(t, nodes[0], "a", "after")
	s.settle(t, nodes[0], "marker", recs[0])
	if got := len(recs[1].snapshot()); got != n {
		t.Fatalf("closed node received %d more messages", got-n)
	}
	if err := nodes[1].Publish(context.Background(), "a", []byte("x")); err == nil {
		t.Fatalf("Publish on a closed engine succeeded")
	}
}

func (s *suite) testContext(t *testing.T) {
	nodes := s.newNodes(t, 2)
	for _, e := range nodes {
		t.Cleanup(func() { _ = e.Close() })
	}
	pubRec, subRec := &recorder{}, &recorder{}
	if err := nodes[0].Start(context.Background(), pubRec.handle); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := nodes[1].Start(ctx, subRec.handle); err != nil {
		t.Fatal(err)
	}
	subscribe(t, nodes[0], "marker")
	subscribe(t, nodes[1], "a")
	publish(t, nodes[0], "a", "before")
	s.waitFor(t, subRec, 1)
	cancel()
	// Once ctx has ended, delivery stops; an engine may take a moment to notice, so keep
	// publishing until a publish is no longer delivered, then check that it stays so.
	deadline := time.Now().Add(s.wait)
	for {
		n := len(subRec.snapshot())
		_ = nodes[0].Publish(context.Background(), "a", []byte("after"))
		s.settle(t, nodes[0], "marker", pubRec)
		if len(subRec.snapshot()) == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery goes on after the Start context ended")
		}
	}
}

func (s *suite) testPing(t *testing.T) {
	nodes, _ := s.start(t, 1)
	if err := nodes[0].Ping(context.Background()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	_ = nodes[0].Close()
	if err := nodes[0].Ping(context.Background()); err == nil {
		t.Fatalf("Ping after Close succeeded")
	}
}

// testResubscribe: a node whose subscriptions lapse reports, once they are back, that it
// has subscribed again (and only then, once per interruption); what is published from the
// report on arrives.
func (s *suite) testResubscribe(t *testing.T) {
	nodes, recs := s.start(t, 2)
	rs, ok := nodes[0].(relaybase.Resubscriber)
	if !ok {
		t.Fatalf("%T does not implement relaybase.Resubscriber", nodes[0])
	}
	reports := make(chan struct{}, 16)
	rs.OnResubscribe(func() { reports <- struct{}{} })
	subscribe(t, nodes[0], "a", "b")
	subscribe(t, nodes[1], "marker")
	publish(t, nodes[1], "a", "before")
	s.waitFor(t, recs[0], 1)
	select {
	case <-reports:
		t.Fatal("a resubscription was reported without an interruption")
	default:
	}

	for round := range 2 {
		s.interrupt(t, nodes[0])
		select {
		case <-reports:
		case <-time.After(s.wait):
			t.Fatalf("round %d: no resubscription reported within %v", round, s.wait)
		}
		n := len(recs[0].snapshot())
		msg := fmt.Sprintf("after %d", round)
		publish(t, nodes[1], "b", msg)
		got := s.waitFor(t, recs[0], n+1)
		if last := got[len(got)-1]; last.channel != "b" || string(last.msg) != msg {
			t.Fatalf("round %d: after the report node 0 received %s=%q, want b=%q", round, last.channel, last.msg, msg)
		}
	}
	s.settle(t, nodes[1], "marker", recs[1])
	select {
	case <-reports:
		t.Fatal("one interruption was reported twice")
	default:
	}
}
