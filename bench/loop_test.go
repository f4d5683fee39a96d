package bench

import (
	"bytes"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"golang.org/x/sys/unix"
)

// These tests drive one event loop's client logic by hand, over a socketpair, with the
// loop goroutine not running: what is timed is given (now), so every figure is exact.

func testLoop(t *testing.T, cfg swarmConfig) *loop {
	t.Helper()
	l, err := newLoop(&swarm{cfg: cfg}, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.epf.Close(); unix.Close(l.wakefd) })
	return l
}

// pair returns a client on one end of a socketpair and the other end, standing in for
// the server.
func pair(t *testing.T, l *loop, state uint8, spec *clientSpec) (*client, int) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fds[1]) })
	if spec == nil {
		spec = &clientSpec{}
	}
	c := &client{fd: fds[0], state: state, spec: spec}
	l.put(c.fd, c)
	if state == stOpen {
		l.nOpen.Add(1)
	} else {
		l.dialing++
	}
	return c, fds[1]
}

// within reports whether an HDR value is the exact one to 3 significant digits.
func within(got, want float64) bool { return got >= want && got <= want*1.001 }

func event(channel string, sentNs, seq int64) []byte {
	return floorFrame(nil, channel, sentNs, seq, 64)
}

func TestLatencyAccounting(t *testing.T) {
	l := testLoop(t, swarmConfig{})
	c, _ := pair(t, l, stOpen, nil)
	now := int64(1_800_000_000_000_000_000)
	var data []byte
	for i, ms := range []int64{1, 2, 3, 50, 250} {
		data = append(data, event("c", now-ms*int64(time.Millisecond), int64(i))...)
	}
	// Frames that are not deliveries, or carry no marker, are not counted.
	data = appendServerFrame(data, opText, []byte(`{"action":"presence_update","options":{"channel":"c"},"payload":{"presence":"@t=1;"}}`))
	data = appendServerFrame(data, opText, []byte(`{"action":"event","options":{"channel":"c"},"payload":{"no":"marker"}}`))
	data = appendServerFrame(data, opPong, nil)

	rest, alive := l.consume(c, data, now)
	if !alive || len(rest) != 0 {
		t.Fatalf("consume: alive %v, %d bytes left", alive, len(rest))
	}
	if got := l.nDelivered.Load(); got != 5 {
		t.Errorf("delivered = %d, want 5", got)
	}
	if l.lastDelivery.Load() != now {
		t.Errorf("last delivery = %d, want %d", l.lastDelivery.Load(), now)
	}
	s := l.lat.Summary()
	if s.Count != 5 || !within(s.P50, 3) || !within(s.Max, 250) {
		t.Errorf("latency = %+v, want 5 values, p50 3 ms, max 250 ms", s)
	}
}

func TestFramesSplitAcrossReads(t *testing.T) {
	var stream []byte
	for i := 0; i < 3; i++ {
		stream = append(stream, event("bench/x", 1000, int64(i))...)
	}
	big := appendServerFrame(nil, opText, append([]byte(`{"action":"event","payload":"`), append(bytes.Repeat([]byte("y"), 300), []byte(`@t=1000;@s=9;"}`)...)...))
	stream = append(stream, big...)
	for cut := 1; cut < len(stream); cut++ {
		l := testLoop(t, swarmConfig{})
		c, peer := pair(t, l, stOpen, nil)
		for _, part := range [][]byte{stream[:cut], stream[cut:]} {
			if _, err := unix.Write(peer, part); err != nil {
				t.Fatalf("cut at %d: %v (delivered %d, first error %v)", cut, err, l.nDelivered.Load(), l.firstErr.Load())
			}
			l.readable(c)
		}
		if got := l.nDelivered.Load(); got != 4 {
			t.Fatalf("cut at %d: delivered %d of 4", cut, got)
		}
		if len(c.in) != 0 {
			t.Fatalf("cut at %d: %d bytes left over", cut, len(c.in))
		}
		unix.Close(c.fd)
	}
}

func TestUpgradeThenJoin(t *testing.T) {
	l := testLoop(t, swarmConfig{})
	spec := &clientSpec{req: upgradeRequest("h", "/rt/bench", ""), joins: append(joinFrame("a"), joinFrame("b")...), nJoins: 2}
	c, peer := pair(t, l, stUpgrading, spec)
	c.start = 1_000_000
	resp := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
	if _, alive := l.consume(c, []byte(resp[:20]), 2_000_000); !alive || c.state != stUpgrading {
		t.Fatal("a partial response head moved the client on")
	}
	rest, alive := l.consume(c, []byte(resp), 2_000_000)
	if !alive || len(rest) != 0 || c.state != stJoining {
		t.Fatalf("after the head: alive %v state %d rest %q", alive, c.state, rest)
	}
	// Both joins went out, as masked frames a server can read.
	buf := make([]byte, 4096)
	n, _ := unix.Read(peer, buf)
	r := bytes.NewReader(buf[:n])
	for _, ch := range []string{"a", "b"} {
		f, err := readFrame(r)
		if err != nil {
			t.Fatal(err)
		}
		ws.Cipher(f.Payload, f.Header.Mask, 0)
		if !bytes.Contains(f.Payload, []byte(`"channel":"`+ch+`"`)) {
			t.Errorf("join frame %s", f.Payload)
		}
	}
	reply := func(ch string) []byte {
		return appendServerFrame(nil, opText, []byte(`{"action":"join","client":{},"options":{"channel":"`+ch+`"},"payload":null}`))
	}
	l.consume(c, reply("a"), 3_000_000)
	if c.state != stJoining || l.nOpen.Load() != 0 {
		t.Fatal("joined after one of two replies")
	}
	l.consume(c, reply("b"), 5_000_000)
	if c.state != stOpen || l.nOpen.Load() != 1 || l.nJoins.Load() != 1 {
		t.Fatalf("state %d open %d joins %d", c.state, l.nOpen.Load(), l.nJoins.Load())
	}
	if s := l.joinLat.Summary(); s.Count != 1 || !within(s.Max, 4) {
		t.Errorf("join latency = %+v, want one value of 4 ms", s)
	}
}

func TestPingGetsPong(t *testing.T) {
	l := testLoop(t, swarmConfig{})
	c, peer := pair(t, l, stOpen, nil)
	if _, alive := l.consume(c, appendServerFrame(nil, opPing, []byte("keepalive")), 1); !alive {
		t.Fatal("closed on a ping")
	}
	buf := make([]byte, 256)
	n, _ := unix.Read(peer, buf)
	f, err := readFrame(bytes.NewReader(buf[:n]))
	if err != nil {
		t.Fatal(err)
	}
	ws.Cipher(f.Payload, f.Header.Mask, 0)
	if f.Header.OpCode != ws.OpPong || !f.Header.Masked || string(f.Payload) != "keepalive" {
		t.Errorf("pong = %+v %q", f.Header, f.Payload)
	}
}

func TestServerCloseIsCounted(t *testing.T) {
	l := testLoop(t, swarmConfig{})
	c, _ := pair(t, l, stOpen, nil)
	if _, alive := l.consume(c, appendServerFrame(nil, opClose, []byte{0x03, 0xF5, 's', 'l', 'o', 'w'}), 1); alive {
		t.Fatal("still alive after a close frame")
	}
	if l.closes[1013] != 1 || l.nDropped.Load() != 1 || l.nOpen.Load() != 0 || c.fd != -1 {
		t.Errorf("closes %v dropped %d open %d fd %d", l.closes, l.nDropped.Load(), l.nOpen.Load(), c.fd)
	}
}

func TestJoinRefused(t *testing.T) {
	l := testLoop(t, swarmConfig{cycle: true})
	spec := &clientSpec{nJoins: 1}
	c, _ := pair(t, l, stJoining, spec)
	c.pending = 1
	frame := appendServerFrame(nil, opText, []byte(`{"action":"error","options":{"channel":"x"},"payload":{"code":"channel_not_found","message":"no"}}`))
	if _, alive := l.consume(c, frame, 1); alive {
		t.Fatal("alive after a refused join")
	}
	if l.nFailed.Load() != 1 || l.errCodes["channel_not_found"] != 1 || l.dialing != 0 {
		t.Errorf("failed %d codes %v dialing %d", l.nFailed.Load(), l.errCodes, l.dialing)
	}
	// A cycling pool dials the spec again.
	if len(l.queue) != 1 || l.queue[0] != spec {
		t.Errorf("queue = %v", l.queue)
	}
}

// Each publish's reach-all time is its slowest delivery over every loop; the slowest
// publish is named.
func TestCompletionAccounting(t *testing.T) {
	sw := &swarm{}
	now := int64(1_800_000_000_000_000_000)
	deliver := func(l *loop, seq int64, ms ...int64) {
		c, _ := pair(t, l, stOpen, nil)
		var data []byte
		for _, m := range ms {
			data = append(data, event("c", now-m*int64(time.Millisecond), seq)...)
		}
		if _, alive := l.consume(c, data, now); !alive {
			t.Fatal("closed")
		}
	}
	a, b := testLoop(t, swarmConfig{}), testLoop(t, swarmConfig{})
	deliver(a, 0, 1, 2)
	deliver(b, 0, 7) // publish 0 reached its last member after 7 ms, on the other loop
	deliver(a, 1, 3)
	deliver(b, 2, 40, 1)
	for _, l := range []*loop{a, b} {
		l.sw = sw
		sw.loops = append(sw.loops, l)
		close(l.done) // not running: nothing to wait for
	}
	st := sw.close()
	if st.Delivered != 6 || st.Latency.Count() != 6 {
		t.Errorf("delivered %d, latencies %d, want 6", st.Delivered, st.Latency.Count())
	}
	c := st.Complete.Summary()
	if c.Count != 3 || !within(c.P50, 7) || !within(c.Max, 40) || st.Slowest != 2 {
		t.Errorf("completion = %+v slowest #%d, want 3 publishes (3, 7, 40 ms), slowest #2", c, st.Slowest)
	}
}
