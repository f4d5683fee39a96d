//go:build linux

package realtime

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/gobwas/ws"

	"relaybase"
)

// TestSlowConsumerSees1013: a member that stops reading is dropped, and when it reads
// again it gets what the kernel had taken, at most the rest of one frame more, and the
// 1013 close frame: the close doesn't wait behind the frames queued for it, and the stream
// it reads stays whole.
func TestSlowConsumerSees1013(t *testing.T) {
	e := newEnv(t, withStore(nil), withLimits(Limits{CloseTimeout: 5 * time.Second}))
	slow, err := dialURL(e.url, "")
	if err != nil {
		t.Fatal(err)
	}
	slow.t = t
	t.Cleanup(func() { slow.nc.Close() })
	slow.send(actJoin, map[string]any{"channel": "public"}, nil)
	h, err := ws.ReadHeader(slow.r)
	if err != nil || h.Length > 4096 {
		t.Fatalf("join reply: %+v %v", h, err)
	}
	reply := make([]byte, h.Length)
	if _, err := io.ReadFull(slow.r, reply); err != nil || !strings.Contains(string(reply), `"action":"join"`) {
		t.Fatalf("join reply: %q %v", reply, err)
	}
	// Small socket buffers (fixed: no autotuning) on both sides, so that the writer is
	// caught with frames in hand, blocked on the full socket.
	server := onlyConn(t, e.srv).tr.(*netTransport).nc.(*net.TCPConn)
	if err := server.SetWriteBuffer(32 << 10); err != nil {
		t.Fatal(err)
	}
	if err := slow.nc.(*net.TCPConn).SetReadBuffer(32 << 10); err != nil {
		t.Fatal(err)
	}
	// From here on the member reads nothing until it has been dropped.
	payload := strings.Repeat("z", 16<<10)
	event := func(i int) []byte {
		return fmt.Appendf(nil, `{"action":"event","options":{"channel":"public"},"payload":"%d %s"}`, i, payload)
	}
	frameSize := len(wireCopy(event(999999)))
	ctx := context.Background()
	c := onlyConn(t, e.srv)
	sent := 0
	publish := func() {
		e.srv.Publish(ctx, []relaybase.StagedEvent{{Channel: "public", Frame: event(sent)}})
		sent++
	}
	// Bursts of frames, each taken by the writer, until the socket is full: the kernel
	// holds bytes it can't send (the client's window is closed) and the writer is blocked
	// with a batch in hand.
	stuck := false
	for !stuck {
		for range 8 {
			publish()
		}
		eventually(t, "the writer takes the burst, or the socket is full", func() bool {
			c.mu.Lock()
			queued, inflight := c.queued, c.inflight
			c.mu.Unlock()
			stuck = inflight > 0 && sockQueue(t, server, 0x894B /* SIOCOUTQNSD: not sent yet */) > 0
			return queued == 0 || stuck
		})
	}
	// Then more than OutQueue behind it: the member is dropped.
	for sent < 100000 && !closingOf(e.srv) {
		publish()
	}
	if !closingOf(e.srv) {
		t.Fatalf("not dropped after %d events", sent)
	}
	// A write under way when the member was dropped goes on while the socket takes it
	// without waiting, and is cut when it would wait: once the writer has seen the cut,
	// what was written is in the kernel, in the server's send queue and the client's
	// receive queue.
	eventually(t, "the writer has seen the cut", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return !c.cut
	})
	inKernel := sockQueue(t, server, 0x894B /* SIOCOUTQNSD: not sent yet */) + sockQueue(t, slow.nc.(*net.TCPConn), 0x541B /* SIOCINQ */)

	go slow.readLoop(false)
	got, bytes := 0, 0
	for {
		select {
		case f := <-slow.frames:
			if want := fmt.Sprintf(`{"action":"event","options":{"channel":"public"},"payload":"%d `, got); !strings.HasPrefix(string(f.raw), want) {
				t.Fatalf("event %d: got %.80s", got, f.raw)
			}
			got++
			bytes += wsHeaderLen(len(f.raw)) + len(f.raw)
			continue
		case <-slow.closed:
		case <-time.After(2 * wait):
			t.Fatalf("not closed; %d events read", got)
		}
		break
	}
	for len(slow.frames) > 0 { // frames the reader passed on just before the close
		f := <-slow.frames
		if want := fmt.Sprintf(`"payload":"%d `, got); !strings.Contains(string(f.raw), want) {
			t.Fatalf("event %d: got %.80s", got, f.raw)
		}
		got++
		bytes += wsHeaderLen(len(f.raw)) + len(f.raw)
	}
	if code, msg := slow.waitClose(); code != 1013 {
		t.Fatalf("closed with %d %q after %d events, want 1013", code, msg, got)
	}
	t.Logf("dropped after %d events published; it read %d events (%d bytes; %d in the kernel at the drop) and 1013", sent, got, bytes, inKernel)
	if bytes > inKernel+frameSize {
		t.Fatalf("read %d bytes of events before the close frame: more than the %d the kernel held at the drop and one frame (%d)", bytes, inKernel, frameSize)
	}
}

// sockQueue reads a socket's queue length with ioctl req (SIOCINQ, SIOCOUTQ).
func sockQueue(t *testing.T, c *net.TCPConn, req uintptr) int {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var n int32
	var errno syscall.Errno
	if err := rc.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, req, uintptr(unsafe.Pointer(&n)))
	}); err != nil {
		t.Fatal(err)
	}
	if errno != 0 {
		t.Fatalf("ioctl %#x: %v", req, errno)
	}
	return int(n)
}
