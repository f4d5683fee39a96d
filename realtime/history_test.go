package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"relaybase"
	"relaybase/value"
)

func fixedClock() func() time.Time {
	return func() time.Time { return time.UnixMilli(1700000000123) }
}

// send n broadcasts from c to channel and wait for c's own copies.
func sendN(t *testing.T, c *client, channel string, from, to int) {
	t.Helper()
	for i := from; i <= to; i++ {
		c.send(actMessage, map[string]any{"channel": channel}, map[string]any{"n": i})
		c.expect(actMessage, channel)
	}
}

func offsetOf(f frame) int64 {
	n, _ := f.m["offset"].(float64)
	return int64(n)
}

func TestHistory(t *testing.T) {
	e := newEnv(t, func(c *envConfig) { c.channels.Now = fixedClock() })
	a := e.dial("user-1")
	a.join("history", nil)
	for i := 1; i <= 3; i++ {
		a.send(actMessage, map[string]any{"channel": "history"}, map[string]any{"n": i})
		f := a.expect(actMessage, "history")
		assertJSON(t, f.raw, fmt.Sprintf(`{"action":"message","client":%s,"options":{"channel":"history"},"payload":{"n":%d},"offset":%d}`, clientObj(a.socketID, 1), i, i))
	}
	b := e.dial("")
	join := b.join("history", map[string]any{"history": true, "presence": false})
	p := join.payloadMap()
	epoch, _ := p["epoch"].(string)
	if epoch == "" || p["offset"] != 3.0 {
		t.Fatalf("join reply %s: want an epoch and offset 3", join)
	}
	h := b.expect(actHistory, "history")
	var entries []string
	for i := 1; i <= 3; i++ {
		entries = append(entries, fmt.Sprintf(`{"action":"message","client":%s,"options":{"channel":"history"},"payload":{"n":%d},"offset":%d,"created_at":1700000000123}`, clientObj(a.socketID, 1), i, i))
	}
	want := fmt.Sprintf(`{"action":"history","options":{"channel":"history"},"payload":{"history":[%s,%s,%s]}}`, entries[0], entries[1], entries[2])
	assertJSON(t, h.raw, want)

	// The history action answers the same.
	b.send(actHistory, map[string]any{"channel": "history"}, nil)
	assertJSON(t, b.expect(actHistory, "history").raw, want)
	// A channel without history answers an empty list.
	b.join("public", map[string]any{"history": true})
	assertJSON(t, b.expect(actHistory, "public").raw, `{"action":"history","options":{"channel":"public"},"payload":{"history":[]}}`)
	b.quiet()

	// Private messages are never stored.
	b.join("public", nil)
	a.join("public", nil)
	a.send(actMessage, map[string]any{"channel": "public", "socketId": b.socketID}, "private")
	b.expect(actMessage, "public")
}

func TestHistoryKeepsNewest(t *testing.T) {
	e := newEnv(t)
	a := e.dial("")
	a.join("history", nil)
	sendN(t, a, "history", 1, 30) // the rule keeps 25
	b := e.dial("")
	b.join("history", map[string]any{"history": true})
	list := b.expect(actHistory, "history").payloadMap()["history"].([]any)
	if len(list) != 25 {
		t.Fatalf("history has %d frames, want 25", len(list))
	}
	if first := list[0].(map[string]any)["offset"]; first != 6.0 {
		t.Fatalf("oldest kept offset %v, want 6", first)
	}
}

func TestHistoryFiltering(t *testing.T) {
	e := newEnv(t)
	user, anon := e.dial("user-1"), e.dial("")
	user.join("authchan", nil)
	anon.join("authchan", nil)
	user.send(actMessage, map[string]any{"channel": "authchan"}, "members only") // offset 1, auth_channel
	user.expect(actMessage, "authchan")
	anon.send(actMessage, map[string]any{"channel": "authchan"}, "for all") // offset 2
	anon.expect(actMessage, "authchan")
	user.expect(actMessage, "authchan")
	user.join("history", nil)
	anon.join("history", nil)
	user.send(actMessage, map[string]any{"channel": "history", "authenticated": true}, "flagged") // offset 1 of history
	user.expect(actMessage, "history")

	for _, tc := range []struct {
		name    string
		c       *client
		channel string
		want    []any
	}{
		{"auth_channel, anonymous reader", anon, "authchan", []any{"for all"}},
		{"auth_channel, authenticated reader", user, "authchan", []any{"members only", "for all"}},
		{"authenticated flag, anonymous reader", anon, "history", []any{}},
		{"authenticated flag, authenticated reader", user, "history", []any{"flagged"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.c.t = t
			tc.c.send(actHistory, map[string]any{"channel": tc.channel}, nil)
			got := []any{}
			for _, f := range tc.c.expect(actHistory, tc.channel).payloadMap()["history"].([]any) {
				got = append(got, f.(map[string]any)["payload"])
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("history payloads %v, want %v", got, tc.want)
			}
		})
	}
	// Resume applies the same rule.
	anon.t = t
	c := e.dial("")
	j := c.join("authchan", map[string]any{"since": 0, "epoch": ""})
	if j.payloadMap()["offset"] != 2.0 {
		t.Fatalf("join reply %s", j)
	}
	if f := c.expect(actMessage, "authchan"); f.payload() != "for all" || offsetOf(f) != 2 {
		t.Fatalf("resumed %s", f)
	}
	c.quiet()
}

func TestResume(t *testing.T) {
	e := newEnv(t)
	a := e.dial("")
	j := a.join("history", nil)
	if j.payloadMap()["epoch"] != "" || j.payloadMap()["offset"] != 0.0 {
		t.Fatalf("join reply before anything stored: %s", j)
	}
	sendN(t, a, "history", 1, 5)
	epoch := a.join("history", nil).payloadMap()["epoch"].(string)

	t.Run("since within what is kept", func(t *testing.T) {
		e.t = t
		b := e.dial("")
		j := b.join("history", map[string]any{"history": true, "since": 2, "epoch": epoch})
		if j.payloadMap()["offset"] != 5.0 {
			t.Fatalf("join reply %s", j)
		}
		for want := int64(3); want <= 5; want++ {
			f := b.expect(actMessage, "history")
			if offsetOf(f) != want || f.payloadMap()["n"] != float64(want) {
				t.Fatalf("resumed frame %s, want offset %d", f, want)
			}
		}
		b.quiet() // no history frame: the resume replaces it
	})
	t.Run("since the newest", func(t *testing.T) {
		e.t = t
		b := e.dial("")
		b.join("history", map[string]any{"since": 5, "epoch": epoch})
		b.quiet()
	})
	t.Run("empty epoch from before the first frame", func(t *testing.T) {
		e.t = t
		b := e.dial("")
		b.join("history", map[string]any{"since": 0, "epoch": ""})
		for want := int64(1); want <= 5; want++ {
			if f := b.expect(actMessage, "history"); offsetOf(f) != want {
				t.Fatalf("resumed %s, want offset %d", f, want)
			}
		}
		b.quiet()
	})
	t.Run("another epoch", func(t *testing.T) {
		e.t = t
		b := e.dial("")
		b.join("history", map[string]any{"since": 2, "epoch": "not-" + epoch})
		b.expectError(codeHistoryGap, "history")
		if h := b.expect(actHistory, "history").payloadMap()["history"].([]any); len(h) != 5 {
			t.Fatalf("full history after gap has %d frames, want 5", len(h))
		}
		b.quiet()
	})
	t.Run("an offset never reached", func(t *testing.T) {
		e.t = t
		b := e.dial("")
		b.join("history", map[string]any{"since": 99, "epoch": epoch})
		b.expectError(codeHistoryGap, "history")
		b.expect(actHistory, "history")
	})
	t.Run("frames no longer kept", func(t *testing.T) {
		e.t = t
		a.t = t
		sendN(t, a, "history", 6, 30) // keeps 6..30
		b := e.dial("")
		b.join("history", map[string]any{"since": 4, "epoch": epoch})
		b.expectError(codeHistoryGap, "history")
		if h := b.expect(actHistory, "history").payloadMap()["history"].([]any); len(h) != 25 {
			t.Fatalf("full history after gap has %d frames, want 25", len(h))
		}
		// One before the oldest kept is still a resume without gap.
		c := e.dial("")
		c.join("history", map[string]any{"since": 5, "epoch": epoch})
		for want := int64(6); want <= 30; want++ {
			if f := c.expect(actMessage, "history"); offsetOf(f) != want {
				t.Fatalf("resumed %s, want offset %d", f, want)
			}
		}
		c.quiet()
	})
	t.Run("channel without history", func(t *testing.T) {
		e.t = t
		b := e.dial("")
		b.join("public", map[string]any{"since": 3, "epoch": "x"})
		b.expectError(codeHistoryGap, "public")
		assertJSON(t, b.expect(actHistory, "public").raw, `{"action":"history","options":{"channel":"public"},"payload":{"history":[]}}`)
		b.join("nopresence", map[string]any{"since": 0, "epoch": ""})
		b.quiet()
	})
}

// blockingStore runs hook around History reads, to put live frames in the middle of a join.
type blockingStore struct {
	relaybase.Store
	mu     sync.Mutex
	before func()
	after  func()
}

func (s *blockingStore) hooks(before, after func()) {
	s.mu.Lock()
	s.before, s.after = before, after
	s.mu.Unlock()
}

func (s *blockingStore) History(ctx context.Context, channel string, after int64, limit int) (relaybase.HistoryPage, error) {
	s.mu.Lock()
	before, afterHook := s.before, s.after
	s.before, s.after = nil, nil
	s.mu.Unlock()
	if before != nil {
		before()
	}
	page, err := s.Store.History(ctx, channel, after, limit)
	if afterHook != nil {
		afterHook()
	}
	return page, err
}

// TestLiveFramesDuringHistory: frames published while a joiner's history is read are
// sent after the history, none lost and none twice.
func TestLiveFramesDuringHistory(t *testing.T) {
	bs := &blockingStore{Store: openStore(t)}
	e := newEnv(t, withStore(bs))
	a := e.dial("")
	a.join("history", nil)
	sendN(t, a, "history", 1, 2)

	// Published before the read: in the history, and held live, so dropped once.
	// Published after the read: not in the history, held and sent after it.
	bs.hooks(func() { sendN(t, a, "history", 3, 3) }, func() { sendN(t, a, "history", 4, 4) })
	b := e.dial("")
	b.join("history", map[string]any{"history": true, "presence": true})
	b.expect(actPresenceFull, "history")
	h := b.expect(actHistory, "history").payloadMap()["history"].([]any)
	if len(h) != 3 {
		t.Fatalf("history has %d frames, want 3", len(h))
	}
	if f := b.expect(actMessage, "history"); offsetOf(f) != 4 {
		t.Fatalf("after the history: %s, want offset 4", f)
	}
	b.quiet()

	// The same with a resume.
	ep := a.join("history", nil).payloadMap()["epoch"].(string)
	bs.hooks(func() { sendN(t, a, "history", 5, 5) }, func() { sendN(t, a, "history", 6, 6) })
	c := e.dial("")
	c.join("history", map[string]any{"since": 2, "epoch": ep})
	for want := int64(3); want <= 6; want++ {
		if f := c.expect(actMessage, "history"); offsetOf(f) != want {
			t.Fatalf("resume: got %s, want offset %d", f, want)
		}
	}
	c.quiet()
}

func stage(t *testing.T, e *env, ev relaybase.Event, commit bool) relaybase.StagedEvent {
	t.Helper()
	ctx := context.Background()
	tx, err := e.store.Begin(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	st, err := e.srv.Stage(ctx, ev)
	if err == nil {
		staged := []relaybase.StagedEvent{st}
		err = e.srv.Store(ctx, tx, staged)
		st = staged[0]
	}
	if err != nil {
		tx.Rollback()
		t.Fatalf("Stage and Store: %v", err)
	}
	if !commit {
		tx.Rollback()
		return st
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	e.srv.Publish(ctx, []relaybase.StagedEvent{st})
	return st
}

func TestEvents(t *testing.T) {
	e := newEnv(t, func(c *envConfig) { c.channels.Now = fixedClock() })
	user, anon := e.dial("user-1"), e.dial("")
	for _, ch := range []string{"public", "authchan"} {
		user.join(ch, nil)
		anon.join(ch, nil)
	}
	data := value.ObjectOf("text", "hello", "n", int64(3), "list", []any{1.5, nil, true})

	// Without a sender: no client, everyone.
	stage(t, e, relaybase.Event{Channel: "public", Data: data}, true)
	want := `{"action":"event","options":{"channel":"public"},"payload":{"text":"hello","n":3,"list":[1.5,null,true]}}`
	assertJSON(t, user.expect(actEvent, "public").raw, want)
	assertJSON(t, anon.expect(actEvent, "public").raw, want)

	// An empty identity is no sender.
	stage(t, e, relaybase.Event{Channel: "authchan", Data: "open", Sender: &relaybase.Identity{}}, true)
	assertJSON(t, anon.expect(actEvent, "authchan").raw, `{"action":"event","options":{"channel":"authchan"},"payload":"open","offset":1}`)
	user.expect(actEvent, "authchan")

	// With a sender: its identity, and on an auth_channel, authenticated members only.
	st := stage(t, e, relaybase.Event{Channel: "authchan", Data: "closed", Sender: &relaybase.Identity{TableID: authTable, RowID: 7}}, true)
	if st.Offset != 2 || !st.SenderAuthenticated {
		t.Fatalf("staged %+v", st)
	}
	assertJSON(t, user.expect(actEvent, "authchan").raw,
		`{"action":"event","client":{"socketId":"","extras":{},"permissions":{"dbo_id":42,"row_id":7}},"options":{"channel":"authchan"},"payload":"closed","offset":2}`)
	user.barrier()
	anon.quiet()

	// Stored events are in history with created_at, filtered like live ones.
	anon.send(actHistory, map[string]any{"channel": "authchan"}, nil)
	assertJSON(t, anon.expect(actHistory, "authchan").raw,
		`{"action":"history","options":{"channel":"authchan"},"payload":{"history":[{"action":"event","options":{"channel":"authchan"},"payload":"open","offset":1,"created_at":1700000000123}]}}`)

	// A rolled-back transaction stores nothing (and the runtime publishes nothing).
	stage(t, e, relaybase.Event{Channel: "authchan", Data: "never"}, false)
	st = stage(t, e, relaybase.Event{Channel: "authchan", Data: "next"}, true)
	if st.Offset != 3 {
		t.Fatalf("offset after a rollback %d, want 3", st.Offset)
	}
	anon.expect(actEvent, "authchan")

	// Channels no active rule matches fail the statement, as the caller's mistake.
	for _, ch := range []string{"nowhere", "inactive", "", "room/"} {
		_, err := e.srv.Stage(context.Background(), relaybase.Event{Channel: ch, Data: 1})
		var re *relaybase.Error
		if err == nil || !errors.As(err, &re) || re.Message == "" || re.Code != relaybase.CodeInputError {
			t.Fatalf("Stage to %q: %v, want an *Error with %s", ch, err, relaybase.CodeInputError)
		}
	}
	// An event that was never given to Store goes out without an offset.
	st, err := e.srv.Stage(context.Background(), relaybase.Event{Channel: "authchan", Data: "unstored"})
	if err != nil || st.Offset != 0 || st.Keep == 0 {
		t.Fatalf("Stage: %+v, %v; want no offset, waiting for Store", st, err)
	}
	e.srv.Publish(context.Background(), []relaybase.StagedEvent{st})
	if f := anon.expect(actEvent, "authchan"); f.m["offset"] != nil {
		t.Fatalf("unstored event carries an offset: %s", f)
	}
	var frame map[string]any
	if err := json.Unmarshal(st.Frame, &frame); err != nil {
		t.Fatalf("StagedEvent.Frame is not JSON: %v", err)
	}
}

// TestOffsetOrder: stored frames that overtake each other reach members in offset order;
// an offset that does not come is waited for, then read from the store, and its late copy
// is dropped.
func TestOffsetOrder(t *testing.T) {
	e := newEnv(t, withLimits(Limits{ReorderWait: 200 * time.Millisecond}))
	c := e.dial("")
	c.join("authchan", nil)
	ev := storeEvents(t, e, "authchan", 6)
	pub := func(off int64) { e.srv.Publish(context.Background(), []relaybase.StagedEvent{ev[off-1]}) }
	pub(1)
	pub(3)
	pub(2)
	expectOffsets(t, c, "authchan", 1, 2, 3)

	start := time.Now()
	pub(5)
	expectOffsets(t, c, "authchan", 4, 5)
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Fatalf("offset 4 read from the store after %v, before the reorder wait", d)
	}
	pub(4)
	pub(6)
	expectOffsets(t, c, "authchan", 6)
	c.quiet()
}

// countingStore counts History reads.
type countingStore struct {
	relaybase.Store
	reads atomic.Int64
}

func (s *countingStore) History(ctx context.Context, channel string, after int64, limit int) (relaybase.HistoryPage, error) {
	s.reads.Add(1)
	return s.Store.History(ctx, channel, after, limit)
}

// TestJoinHead: a join that asks for neither history nor a resume gets the channel's epoch
// and newest offset from what its node knows, without a store read, and they stay right
// when another node (sharing the store) stores the frames.
func TestJoinHead(t *testing.T) {
	net := memoryNetwork()
	store := &countingStore{Store: openStore(t)}
	n1 := newEnv(t, withEngine(net.Node()), withStore(store))
	n2 := newEnv(t, withEngine(net.Node()), withStore(store))
	var members []*client // node 1's, to drain
	join := func(e *env, payload map[string]any) (*client, string, int64) {
		t.Helper()
		c := e.dial("")
		p := c.join("history", payload).payloadMap()
		if e == n1 {
			members = append(members, c)
		}
		return c, p["epoch"].(string), int64(p["offset"].(float64))
	}
	wantHead := func(e *env, epoch string, offset, reads int64) {
		t.Helper()
		_, ep, off := join(e, nil)
		if ep != epoch || off != offset {
			t.Fatalf("join reply epoch %q offset %d, want %q %d", ep, off, epoch, offset)
		}
		if n := store.reads.Load(); n != reads {
			t.Fatalf("%d store reads, want %d", n, reads)
		}
	}
	wantHead(n1, "", 0, 1) // node 1's first join reads the store: nothing stored
	b, _, _ := join(n2, nil)
	wantHead(n2, "", 0, 2) // node 2's first read it too
	wantHead(n1, "", 0, 2) // known empty: no read

	// Node 2 stores three frames; node 1 has them through the engine.
	drain := func(n int) {
		t.Helper()
		for _, c := range members {
			for range n {
				c.expect(actMessage, "history")
			}
		}
	}
	sendN(t, b, "history", 1, 3)
	drain(3)
	_, epoch, off := join(n1, nil) // the channel has an epoch now: read once
	if epoch == "" || off != 3 || store.reads.Load() != 3 {
		t.Fatalf("join reply epoch %q offset %d after %d reads, want an epoch, 3, 3 reads", epoch, off, store.reads.Load())
	}
	wantHead(n1, epoch, 3, 3)
	sendN(t, b, "history", 4, 5)
	drain(2)
	wantHead(n1, epoch, 5, 3)
	wantHead(n2, epoch, 5, 4) // node 2 knew the channel empty, so it reads the epoch once
	wantHead(n2, epoch, 5, 4)

	// History and resumes still read the store.
	c, _, _ := join(n1, map[string]any{"history": true})
	if h := c.expect(actHistory, "history").payloadMap()["history"].([]any); len(h) != 5 || store.reads.Load() != 5 {
		t.Fatalf("history of %d frames after %d reads", len(h), store.reads.Load())
	}

	// Once node 1's last member leaves, what it knew is forgotten.
	for _, c := range members {
		c.send(actLeave, map[string]any{"channel": "history"}, nil)
		c.expect(actLeave, "history")
	}
	members = nil
	sendN(t, b, "history", 6, 6)
	wantHead(n1, epoch, 6, 6)
	wantHead(n1, epoch, 6, 6)
}

// Store stores what waits for it, channel by channel in name order (one channel's events in
// their own order), numbers each within its channel and leaves the order of the list, which
// is the order they are published in, alone. Events of channels without history pass by.
func TestStoreOrdersChannels(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for ch, want := range map[string]bool{"history": true, "live/a": true, "public": false, "nowhere": false} {
		if got := e.srv.KeepsHistory(ch); got != want {
			t.Errorf("KeepsHistory(%s) = %v, want %v", ch, got, want)
		}
	}
	var staged []relaybase.StagedEvent
	for i, ch := range []string{"live/b", "public", "history", "live/b", "live/a"} {
		st, err := e.srv.Stage(ctx, relaybase.Event{Channel: ch, Data: int64(i)})
		if err != nil {
			t.Fatal(err)
		}
		staged = append(staged, st)
	}
	tx, err := e.store.Begin(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	seen := &appendOrder{Tx: tx}
	if err := e.srv.Store(ctx, seen, staged); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(seen.channels, " "); got != "history live/a live/b live/b" {
		t.Errorf("appended to %s, want the channels in name order", got)
	}
	want := []struct {
		ch  string
		off int64
	}{{"live/b", 1}, {"public", 0}, {"history", 1}, {"live/b", 2}, {"live/a", 1}}
	for i, st := range staged {
		if st.Channel != want[i].ch || st.Offset != want[i].off || st.Keep != 0 {
			t.Fatalf("staged[%d] = %s offset %d keep %d, want %s offset %d, stored", i, st.Channel, st.Offset, st.Keep, want[i].ch, want[i].off)
		}
		var f map[string]any
		if err := json.Unmarshal(st.Frame, &f); err != nil || (st.Offset > 0) != (f["offset"] == float64(st.Offset)) || f["payload"] != float64(i) {
			t.Fatalf("staged[%d] frame %s (%v)", i, st.Frame, err)
		}
	}
	for ch, payloads := range map[string][]string{"live/a": {"4"}, "live/b": {"0", "3"}, "history": {"2"}} {
		p, err := e.store.History(ctx, ch, 0, 0)
		if err != nil || len(p.Entries) != len(payloads) {
			t.Fatalf("History(%s): %+v %v", ch, p, err)
		}
		for i, en := range p.Entries {
			var f map[string]any
			if err := json.Unmarshal(en.Frame, &f); err != nil || fmt.Sprint(f["payload"]) != payloads[i] {
				t.Errorf("History(%s)[%d] = %s, want payload %s", ch, i, en.Frame, payloads[i])
			}
		}
	}
}

// appendOrder is a Tx that notes the channel of each AppendHistory it passes on.
type appendOrder struct {
	relaybase.Tx
	channels []string
}

func (a *appendOrder) AppendHistory(ctx context.Context, e *relaybase.HistoryEntry, keep int) (int64, string, error) {
	a.channels = append(a.channels, e.Channel)
	return a.Tx.AppendHistory(ctx, e, keep)
}
