package realtime

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/gobwas/ws"
)

// memTransport is a transport in memory, for the protocol without sockets: what the server
// writes is kept for the test to read back as frames, and the test writes the client's
// frames in. room bounds the written bytes the test has not read yet, as a socket's
// buffers do: a Write waits for the test to read, for its deadline, or for Close. While
// hold is set a Write takes nothing: the writer is caught with its batch in hand.
type memTransport struct {
	mu       sync.Mutex
	changed  chan struct{} // closed and replaced whenever something changes
	in       []byte        // client → server, not read yet
	out      []byte        // server → client, not read by the test yet
	room     int           // 0: unlimited
	hold     bool          // Writes wait, taking nothing, until it is false
	closed   bool
	rdl, wdl time.Time
	blocked  int // Writes waiting for room
}

func newMemTransport(room int) *memTransport {
	return &memTransport{changed: make(chan struct{}), room: room}
}

var _ transport = (*memTransport)(nil)

// signalLocked wakes everything waiting on t. Caller holds t.mu.
func (t *memTransport) signalLocked() {
	close(t.changed)
	t.changed = make(chan struct{})
}

// waitLocked waits for a change, or until deadline (zero: none). Caller holds t.mu,
// which is released meanwhile.
func (t *memTransport) waitLocked(deadline time.Time) {
	ch := t.changed
	t.mu.Unlock()
	defer t.mu.Lock()
	if deadline.IsZero() {
		<-ch
		return
	}
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case <-ch:
	case <-timer.C:
	}
}

func passed(deadline time.Time) bool { return !deadline.IsZero() && !time.Now().Before(deadline) }

func (t *memTransport) Read(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for len(t.in) == 0 {
		switch {
		case t.closed:
			return 0, net.ErrClosed
		case passed(t.rdl):
			return 0, os.ErrDeadlineExceeded
		}
		t.waitLocked(t.rdl)
	}
	n := copy(p, t.in)
	t.in = t.in[n:]
	return n, nil
}

func (t *memTransport) Write(frames [][]byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for t.hold && !t.closed && !passed(t.wdl) {
		t.blocked++
		t.signalLocked()
		t.waitLocked(t.wdl)
		t.blocked--
	}
	n := 0
	for _, f := range frames {
		for len(f) > 0 {
			switch {
			case t.closed:
				return n, net.ErrClosed
			case passed(t.wdl):
				return n, os.ErrDeadlineExceeded
			}
			k := len(f)
			if t.room > 0 {
				k = min(k, t.room-len(t.out))
			}
			if k <= 0 {
				t.blocked++
				t.signalLocked()
				t.waitLocked(t.wdl)
				t.blocked--
				continue
			}
			t.out = append(t.out, f[:k]...)
			n += k
			f = f[k:]
			t.signalLocked()
		}
	}
	return n, nil
}

func (t *memTransport) SetReadDeadline(d time.Time) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.rdl = d
	t.signalLocked()
	return nil
}

func (t *memTransport) SetWriteDeadline(d time.Time) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.wdl = d
	t.signalLocked()
	return nil
}

func (t *memTransport) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closed = true
	t.signalLocked()
	return nil
}

func (t *memTransport) RemoteAddr() net.Addr { return &net.UnixAddr{Name: "memory", Net: "memory"} }
func (t *memTransport) Secure() bool         { return false }

// The client's side, for tests.

// send writes a client frame (masked, as a client must).
func (t *memTransport) send(tb testing.TB, op ws.OpCode, p []byte) {
	tb.Helper()
	var b bytes.Buffer
	if err := ws.WriteFrame(&b, ws.MaskFrameInPlace(ws.NewFrame(op, true, append([]byte(nil), p...)))); err != nil {
		tb.Fatal(err)
	}
	t.mu.Lock()
	t.in = append(t.in, b.Bytes()...)
	t.signalLocked()
	t.mu.Unlock()
}

func (t *memTransport) sendJSON(tb testing.TB, v any) {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	t.send(tb, ws.OpText, b)
}

// memFrame is a server frame as the test read it.
type memFrame struct {
	op      ws.OpCode
	payload []byte
}

// next reads the next whole frame the server wrote, waiting for it at most wait. It
// fails the test on anything that is not a well-formed server frame.
func (t *memTransport) next(tb testing.TB) memFrame {
	tb.Helper()
	deadline := time.Now().Add(wait)
	t.mu.Lock()
	defer t.mu.Unlock()
	for {
		if len(t.out) > 0 {
			h, err := ws.ReadHeader(bytes.NewReader(t.out))
			if err == nil && h.Masked {
				tb.Fatalf("server frame is masked")
			}
			if err == nil && !h.Fin {
				tb.Fatalf("server frame is fragmented")
			}
			if hl := headerLen(h); err == nil && len(t.out) >= hl+int(h.Length) {
				f := memFrame{op: h.OpCode, payload: bytes.Clone(t.out[hl : hl+int(h.Length)])}
				t.out = t.out[hl+int(h.Length):]
				t.signalLocked() // room for a waiting Write
				return f
			}
		}
		if t.closed {
			tb.Fatalf("transport closed with %d bytes of a frame left: %q", len(t.out), t.out)
		}
		if time.Now().After(deadline) {
			tb.Fatalf("no whole frame within %v (%d bytes waiting)", wait, len(t.out))
		}
		t.waitLocked(deadline)
	}
}

func headerLen(h ws.Header) int {
	switch {
	case h.Length < 126:
		return 2
	case h.Length <= 0xffff:
		return 4
	}
	return 10
}

// expect reads the next frame: a text frame with the action (and channel, if given).
func (t *memTransport) expect(tb testing.TB, action, channel string) frame {
	tb.Helper()
	mf := t.next(tb)
	if mf.op != ws.OpText {
		tb.Fatalf("got a frame of opcode %v (%q), want %s", mf.op, mf.payload, action)
	}
	f := frame{raw: mf.payload}
	f.parse()
	if f.action() != action || (channel != "" && f.channel() != channel) {
		tb.Fatalf("got %s, want action %q channel %q", f, action, channel)
	}
	return f
}

// eventually waits until cond holds of t (called with t.mu held).
func (t *memTransport) eventually(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(wait)
	t.mu.Lock()
	defer t.mu.Unlock()
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("%s: not within %v", what, wait)
		}
		t.waitLocked(deadline)
	}
}

// connectMem connects a client over a memTransport to e's server.
func (e *env) connectMem(room int) *memTransport {
	mt := newMemTransport(room)
	e.t.Cleanup(func() { mt.Close() }) // before the server's Shutdown (cleanups run last first)
	e.srv.accept(e.srv.newConn(mt, nil))
	return mt
}
