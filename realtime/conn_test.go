package realtime

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/gobwas/ws"

	"relaybase"
)

// These tests run the protocol over memTransport: no sockets, every byte the server wrote
// read back in order.

// TestJoinOrderInMemory: a join with history and presence answers in protocol.md §2.3's
// order (join reply, presence_full, history, then live frames), and a frame published
// while the history is read comes once, after it, whether or not the history held it.
func TestJoinOrderInMemory(t *testing.T) {
	bs := &blockingStore{Store: openStore(t)}
	e := newEnv(t, withStore(bs))
	a := e.connectMem(0)
	join := func(mt *memTransport, payload map[string]any) frame {
		mt.sendJSON(t, map[string]any{"action": actJoin, "options": map[string]any{"channel": "history"}, "payload": payload})
		return mt.expect(t, actJoin, "history")
	}
	say := func(n int) {
		a.sendJSON(t, map[string]any{"action": actMessage, "options": map[string]any{"channel": "history"}, "payload": map[string]any{"n": n}})
		if f := a.expect(t, actMessage, "history"); offsetOf(f) != int64(n) {
			t.Fatalf("sender got %s, want offset %d", f, n)
		}
	}
	join(a, nil)
	say(1)
	say(2)
	// 3 is stored before the joiner's read (in its history, and held live: sent once);
	// 4 after it (held, and sent after the history).
	bs.hooks(func() { say(3) }, func() { say(4) })
	b := e.connectMem(0)
	if f := join(b, map[string]any{"history": true, "presence": true}); f.payloadMap()["offset"] != float64(3) {
		t.Fatalf("join reply %s, want the newest offset 3", f)
	}
	if list, _ := b.expect(t, actPresenceFull, "history").payloadMap()["presence"].([]any); len(list) != 2 {
		t.Fatalf("presence_full lists %d members, want 2", len(list))
	}
	var offsets []int64
	for _, h := range b.expect(t, actHistory, "history").payloadMap()["history"].([]any) {
		offsets = append(offsets, int64(h.(map[string]any)["offset"].(float64)))
	}
	if fmt.Sprint(offsets) != "[1 2 3]" {
		t.Fatalf("history offsets %v, want [1 2 3]", offsets)
	}
	if f := b.expect(t, actMessage, "history"); offsetOf(f) != 4 {
		t.Fatalf("after the history: %s, want offset 4", f)
	}
	b.sendJSON(t, map[string]any{"action": actLeave, "options": map[string]any{"channel": "~barrier"}})
	b.expect(t, actLeave, "~barrier") // nothing in between
}

// TestSlowConsumerCutInMemory: a member whose transport stops taking bytes in the middle
// of a batch of frames, and is then dropped for its queue, gets the rest of the frame cut
// short and then the 1013 close frame: the frames not begun, queued or in the writer's
// hands, are dropped, and the stream stays whole.
func TestSlowConsumerCutInMemory(t *testing.T) {
	e := newEnv(t, withStore(nil), withLimits(Limits{OutQueue: 64 << 10}))
	event := func(i int) []byte {
		return fmt.Appendf(nil, `{"action":"event","options":{"channel":"public"},"payload":"%04d %s"}`, i, strings.Repeat("z", 900))
	}
	size := len(wireCopy(event(0)))
	m := e.connectMem(0)
	m.sendJSON(t, map[string]any{"action": actJoin, "options": map[string]any{"channel": "public"}})
	m.expect(t, actJoin, "public")
	c := onlyConn(t, e.srv)
	ctx := context.Background()
	publish := func(i int) {
		e.srv.Publish(ctx, []relaybase.StagedEvent{{Channel: "public", Frame: event(i)}})
	}

	// Catch the writer with frame 0 in hand, and queue 1 to 4 behind it.
	m.mu.Lock()
	m.hold = true
	m.mu.Unlock()
	publish(0)
	m.eventually(t, "the writer waiting with frame 0", func() bool { return m.blocked > 0 })
	for i := 1; i <= 4; i++ {
		publish(i)
	}
	eventually(t, "frames 1 to 4 queued", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return len(c.queue) == 4
	})
	// Let it write two and a half frames: 0, then 1 and half of 2 of the batch 1 to 4.
	m.mu.Lock()
	m.hold = false
	m.room = size*5/2 + len(m.out)
	m.signalLocked()
	m.mu.Unlock()
	m.eventually(t, "a write waiting in the middle of frame 2", func() bool { return m.blocked > 0 && !m.hold })
	eventually(t, "frames 1 to 4 in the writer's hands", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.inflight == 4*size
	})
	// Queue more than OutQueue behind it: the member is dropped.
	sent := 5
	for ; sent < 200 && !closingOf(e.srv); sent++ {
		publish(sent)
	}
	if !closingOf(e.srv) {
		t.Fatalf("member not dropped after %d frames of %d bytes", sent, size)
	}
	for i := range 3 {
		f := m.expect(t, "event", "public")
		if want := fmt.Sprintf("%04d ", i); !strings.HasPrefix(f.payload().(string), want) {
			t.Fatalf("frame %d: %.60s", i, f.raw)
		}
	}
	f := m.next(t)
	if f.op != ws.OpClose {
		t.Fatalf("after the frame cut short: opcode %v %.60q, want the close frame", f.op, f.payload)
	}
	if code, reason := ws.ParseCloseFrameData(f.payload); code != 1013 {
		t.Fatalf("closed with %d %q, want 1013", code, reason)
	}
	m.send(t, ws.OpClose, f.payload)
	m.eventually(t, "the transport closed, with nothing after the close frame", func() bool { return m.closed && len(m.out) == 0 })
}

// onlyConn returns srv's one connection.
func onlyConn(t *testing.T, srv *Server) *conn {
	t.Helper()
	var list []*conn
	srv.conns.each(func(c *conn) { list = append(list, c) })
	if len(list) != 1 {
		t.Fatalf("%d connections, want 1", len(list))
	}
	return list[0]
}

// closingOf reports whether any connection of srv is closing.
func closingOf(srv *Server) bool {
	closing := false
	srv.conns.each(func(c *conn) {
		c.mu.Lock()
		closing = closing || c.closing
		c.mu.Unlock()
	})
	return closing
}

// TestLimitsInMemory: the per-connection limits hold without a socket: too many channels
// is refused, and a client frame over the hard limit closes with 1009.
func TestLimitsInMemory(t *testing.T) {
	e := newEnv(t, withLimits(Limits{MaxChannels: 1, SoftFrame: 512, HardFrame: 1024}), withStore(nil))
	m := e.connectMem(0)
	m.sendJSON(t, map[string]any{"action": actJoin, "options": map[string]any{"channel": "room/1"}})
	m.expect(t, actJoin, "room/1")
	m.sendJSON(t, map[string]any{"action": actJoin, "options": map[string]any{"channel": "room/2"}})
	if f := m.expect(t, actError, "room/2"); f.payloadMap()["code"] != codeTooManyChannels {
		t.Fatalf("got %s, want %s", f, codeTooManyChannels)
	}
	m.sendJSON(t, map[string]any{"action": actMessage, "options": map[string]any{"channel": "room/1"}, "payload": strings.Repeat("x", 600)})
	if f := m.expect(t, actError, ""); f.payloadMap()["code"] != codeTooLarge {
		t.Fatalf("got %s, want %s", f, codeTooLarge)
	}
	m.sendJSON(t, map[string]any{"action": actMessage, "options": map[string]any{"channel": "room/1"}, "payload": strings.Repeat("x", 2000)})
	f := m.next(t)
	if code, _ := ws.ParseCloseFrameData(f.payload); f.op != ws.OpClose || code != 1009 {
		t.Fatalf("got opcode %v %q, want close 1009", f.op, f.payload)
	}
}
