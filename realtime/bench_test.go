package realtime

import (
	"context"
	"encoding/binary"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/gobwas/ws"

	"relaybase"
	"relaybase/engine/memory"
	"relaybase/httpapi"
	"relaybase/metrics"
	"relaybase/value"
)

// BenchmarkEncodeEvent: what one api.realtime_event costs before fan-out: the frame
// encoded once (Stage, no history) and sealed for the Engine (Publish).
func BenchmarkEncodeEvent(b *testing.B) {
	e := newEnv(b, withStore(nil))
	data := value.ObjectOf("id", int64(1234), "user", "marvel fan", "text", "Hello, everyone! This is a chat message.", "created_at", int64(1700000000000))
	ev := relaybase.Event{Channel: "public", Data: data, Sender: &relaybase.Identity{TableID: 42, RowID: 7}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		st, err := e.srv.Stage(ctx, ev)
		if err != nil {
			b.Fatal(err)
		}
		b2 := append(newFrame(len(st.Frame)), st.Frame...)
		_ = seal(b2, kindBroadcast, 0, st.Offset, "")
	}
}

// BenchmarkFanout1000: one publish to a channel of 1,000 members, until every member has it.
func BenchmarkFanout1000(b *testing.B) {
	b.Run("loopback", func(b *testing.B) { benchFanoutLoopback(b, nil) })
	// The coalescer keeping its account (every write timed) with its delay held at zero, so
	// that every frame is still one write: its own cost per delivery, without fewer writes
	// to show for it. Instructions per delivery by callgrind (docs/BENCHMARKS.md).
	b.Run("loopback-accounted", func(b *testing.B) {
		benchFanoutLoopback(b, func(e *env) {
			k := &e.srv.flush.k
			k.windowAt.Store(monoNow() + int64(time.Hour))
			k.delay.Store(0)
		}, withLimits(Limits{FlushDelay: time.Second}))
	})
	b.Run("memory", benchFanoutMemory)
}

const fanout = 1000

func publishEvent(b *testing.B, s *Server, frame []byte) {
	s.Publish(context.Background(), []relaybase.StagedEvent{{Channel: "public", Frame: frame}})
}

var benchFrame = []byte(`{"action":"event","options":{"channel":"public"},"payload":{"id":1234,"user":"marvel fan","text":"Hello, everyone! This is a chat message."}}`)

// benchFanoutLoopback: members are real WebSocket connections over loopback, each read by
// a goroutine that counts frames without allocating.
func benchFanoutLoopback(b *testing.B, setup func(*env), opts ...option) {
	e := newEnv(b, append([]option{withStore(nil)}, opts...)...)
	if setup != nil {
		setup(e)
	}
	var delivered atomic.Int64
	var target atomic.Int64
	done := make(chan struct{}, 1)
	for range fanout {
		c, err := dialURL(e.url, "")
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { c.nc.Close() })
		if err := ws.WriteFrame(c.nc, ws.MaskFrameInPlace(ws.NewTextFrame([]byte(`{"action":"join","options":{"channel":"public"},"payload":null}`)))); err != nil {
			b.Fatal(err)
		}
		if _, _, err := readFrame(c.r); err != nil { // the join reply
			b.Fatal(err)
		}
		go countFrames(c.nc, func() {
			if delivered.Add(1) == target.Load() {
				done <- struct{}{}
			}
		})
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; b.Loop(); i++ {
		target.Store(int64(i+1) * fanout)
		publishEvent(b, e.srv, benchFrame)
		<-done
	}
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N*fanout), "ns/delivery")
}

// countFrames reads unmasked server frames from nc, calling f for each text frame.
func countFrames(nc net.Conn, f func()) {
	buf := make([]byte, 64<<10)
	have := 0
	for {
		n, err := nc.Read(buf[have:])
		if err != nil {
			return
		}
		have += n
		off := 0
	parse:
		for have-off >= 2 {
			hl, pl := 2, int(buf[off+1]&0x7f)
			switch pl {
			case 126:
				if have-off < 4 {
					break parse
				}
				hl, pl = 4, int(binary.BigEndian.Uint16(buf[off+2:]))
			case 127:
				if have-off < 10 {
					break parse
				}
				hl, pl = 10, int(binary.BigEndian.Uint64(buf[off+2:]))
			}
			if have-off < hl+pl {
				break
			}
			if buf[off]&0x0f == 0x1 {
				f()
			}
			off += hl + pl
		}
		copy(buf, buf[off:have])
		have -= off
	}
}

// discardConn is an in-memory transport: writes are counted and dropped, reads block
// until it is closed.
type discardConn struct {
	pipeConn
	written *atomic.Int64
	closed  chan struct{}
}

func (d *discardConn) Write(frames [][]byte) (int, error) {
	n, _ := d.pipeConn.Write(frames)
	d.written.Add(int64(n))
	return n, nil
}
func (d *discardConn) Read([]byte) (int, error) { <-d.closed; return 0, net.ErrClosed }
func (d *discardConn) Close() error {
	select {
	case <-d.closed:
	default:
		close(d.closed)
	}
	return nil
}

// benchFanoutMemory: members write to in-memory connections, so the figure is the server's
// own cost per delivery, without the system call.
func benchFanoutMemory(b *testing.B) { fanoutMemory(b, "public", nil) }

// BenchmarkFanoutStored1000 is BenchmarkFanout1000/memory on a channel that keeps history:
// every frame carries the next offset, so it goes through the sequencer (the frames are
// published as stored, without a store write, to measure delivery alone).
func BenchmarkFanoutStored1000(b *testing.B) {
	fanoutMemory(b, "live/bench", openStore(b))
}

func fanoutMemory(b *testing.B, channel string, store relaybase.Store) {
	ch, err := NewChannels(ChannelsConfig{Rules: testRules, Engine: memory.New(), Store: store})
	if err != nil {
		b.Fatal(err)
	}
	srv, err := New(Config{Canonical: canonical, Channels: ch, Triggers: NoTriggers, Metrics: metrics.New().Realtime})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		srv.conns.each(func(c *conn) { c.tr.Close() })
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	var written atomic.Int64
	join := []byte(`{"action":"join","options":{"channel":"` + channel + `"},"payload":null}`)
	for range fanout {
		c := srv.newConn(&discardConn{written: &written, closed: make(chan struct{})}, nil)
		srv.accept(c)
		f, ferr := decodeFrame(join)
		if ferr != nil {
			b.Fatal(ferr)
		}
		c.join(&f)
	}
	frame := []byte(`{"action":"event","options":{"channel":"` + channel + `"},"payload":{"id":1234,"user":"marvel fan","text":"Hello, everyone! This is a chat message."}}`)
	stored := store != nil
	waitFor := func(n int64) {
		for written.Load() < n {
			time.Sleep(20 * time.Microsecond)
		}
	}
	// Let the join replies drain first.
	deadline := time.Now().Add(5 * time.Second)
	for last := int64(-1); written.Load() != last && time.Now().Before(deadline); {
		last = written.Load()
		time.Sleep(10 * time.Millisecond)
	}
	base := written.Load()
	var sent int64
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; b.Loop(); i++ {
		st := relaybase.StagedEvent{Channel: channel, Frame: frame}
		if stored {
			st.Offset = int64(i + 1)
			st.Frame = withOffset(slices.Clone(frame), st.Offset)
		}
		srv.Publish(context.Background(), []relaybase.StagedEvent{st})
		sent += int64(len(wireCopy(st.Frame))) * fanout
		waitFor(base + sent)
	}
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N*fanout), "ns/delivery")
}

// BenchmarkConnectJoin: connect with a token, join a channel, read the reply, disconnect
// (client and server in one process): through net/http's hijack (net-http), and straight
// from the listener in front of net/http that relaybase serve uses (direct).
func BenchmarkConnectJoin(b *testing.B) {
	b.Run("net-http", func(b *testing.B) {
		e := newEnv(b, withStore(nil))
		benchConnectJoin(b, e.url)
	})
	b.Run("direct", func(b *testing.B) {
		e := newEnv(b, withStore(nil))
		inner, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		api := httpapi.New(httpapi.Config{Realtime: e.srv})
		hs := &http.Server{Handler: api}
		go func() { _ = hs.Serve(api.Listener(inner)) }()
		b.Cleanup(func() { hs.Close() })
		benchConnectJoin(b, "ws://"+inner.Addr().String()+"/rt/"+canonical)
	})
}

func benchConnectJoin(b *testing.B, url string) {
	join := []byte(`{"action":"join","options":{"channel":"public"},"payload":{"history":false,"presence":false}}`)
	b.ReportAllocs()
	for b.Loop() {
		nc, _, _, err := ws.Dialer{Protocols: []string{"user-1"}}.Dial(context.Background(), url)
		if err != nil {
			b.Fatal(err)
		}
		if err := ws.WriteFrame(nc, ws.MaskFrameInPlace(ws.NewTextFrame(append([]byte(nil), join...)))); err != nil {
			b.Fatal(err)
		}
		if _, _, err := readFrame(nc); err != nil {
			b.Fatal(err)
		}
		nc.Close()
	}
}

// BenchmarkDecodeJoin: decoding the join frame every connection sends, in place and (for
// comparison) with the encoding/json decoder it replaced.
func BenchmarkDecodeJoin(b *testing.B) {
	join := []byte(`{"action":"join","options":{"channel":"bench/fanout"},"payload":{"history":false,"presence":false}}`)
	for _, d := range []struct {
		name string
		f    func([]byte) (clientFrame, *frameError)
	}{{"inplace", decodeFrame}, {"encoding-json", decodeFrameStd}} {
		b.Run(d.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := d.f(join); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestConnLayout keeps what every delivery touches of a connection in its first three
// cache lines, and the struct in the 384-byte size class (whole cache lines, so that every
// connection's hot fields start a line).
func TestConnLayout(t *testing.T) {
	var c conn
	if n := unsafe.Sizeof(c); n > 384 {
		t.Errorf("conn is %d bytes, want at most 384", n)
	}
	for _, f := range []struct {
		name     string
		off, len uintptr
	}{
		{"srv", unsafe.Offsetof(c.srv), unsafe.Sizeof(c.srv)},
		{"raw", unsafe.Offsetof(c.raw), unsafe.Sizeof(c.raw)},
		{"mu", unsafe.Offsetof(c.mu), unsafe.Sizeof(c.mu)},
		{"writing", unsafe.Offsetof(c.writing), 1},
		{"closing", unsafe.Offsetof(c.closing), 1},
		{"queued", unsafe.Offsetof(c.queued), unsafe.Sizeof(c.queued)},
		{"inflight", unsafe.Offsetof(c.inflight), unsafe.Sizeof(c.inflight)},
		{"queue", unsafe.Offsetof(c.queue), unsafe.Sizeof(c.queue)},
		{"spare", unsafe.Offsetof(c.spare), unsafe.Sizeof(c.spare)},
		{"closeWire", unsafe.Offsetof(c.closeWire), unsafe.Sizeof(c.closeWire)},
		{"drained", unsafe.Offsetof(c.drained), unsafe.Sizeof(c.drained)},
	} {
		if f.off+f.len > 3*64 {
			t.Errorf("conn.%s ends at byte %d, past the first three cache lines", f.name, f.off+f.len)
		}
	}
}

// BenchmarkValidText: the UTF-8 check every client text message now goes through
// (validText), on the join frame of BenchmarkDecodeJoin and on a 4 KiB message, to set
// beside what decoding the frame costs.
func BenchmarkValidText(b *testing.B) {
	join := []byte(`{"action":"join","options":{"channel":"bench/fanout"},"payload":{"history":false,"presence":false}}`)
	big := []byte(`{"action":"message","options":{"channel":"bench/fanout"},"payload":{"text":"` + strings.Repeat("héllo wörld ", 340) + `"}}`)
	c := &conn{}
	for _, m := range []struct {
		name string
		p    []byte
	}{{"join", join}, {"4KiB", big}} {
		b.Run(m.name, func(b *testing.B) {
			b.SetBytes(int64(len(m.p)))
			for b.Loop() {
				if !c.validText(ws.OpText, m.p) {
					b.Fatal("not valid")
				}
			}
		})
	}
}

// BenchmarkRequestDuringFanout: how long a request arriving on another socket waits while
// the flushers write a fan-out to 1,000 loopback members: the time from writing one byte to
// a probe connection to its reader goroutine having it ("µs/wake"). Run it on one CPU with
// one P and with two (taskset -c 0 go test -bench RequestDuringFanout -cpu 1, then -cpu 2:
// 56 ms against 11 ms per wake on the loaded machine of issue 13's session): with one P
// the runtime polls the network only when that P idles or when sysmon gets to it, so the
// probe waits for the rest of the fan-out; `relaybase serve` runs with at least two Ps for
// this reason (cmd/relaybase/procs.go).
func BenchmarkRequestDuringFanout(b *testing.B) {
	e := newEnv(b, withStore(nil), withLimits(Limits{FlushDelay: -1}))
	var delivered, target atomic.Int64
	done := make(chan struct{}, 1)
	for range fanout {
		c, err := dialURL(e.url, "")
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { c.nc.Close() })
		if err := ws.WriteFrame(c.nc, ws.MaskFrameInPlace(ws.NewTextFrame([]byte(`{"action":"join","options":{"channel":"public"},"payload":null}`)))); err != nil {
			b.Fatal(err)
		}
		if _, _, err := readFrame(c.r); err != nil {
			b.Fatal(err)
		}
		go countFrames(c.nc, func() {
			if delivered.Add(1) == target.Load() {
				done <- struct{}{}
			}
		})
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	probe, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer probe.Close()
	served, err := ln.Accept()
	if err != nil {
		b.Fatal(err)
	}
	defer served.Close()
	woke := make(chan time.Time, 1)
	go func() {
		var one [1]byte
		for {
			if _, err := served.Read(one[:]); err != nil {
				return
			}
			woke <- time.Now()
		}
	}()
	var waited time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		target.Store(int64(i+1) * fanout)
		publishEvent(b, e.srv, benchFrame)
		sent := time.Now()
		if _, err := probe.Write([]byte{1}); err != nil {
			b.Fatal(err)
		}
		waited += (<-woke).Sub(sent)
		<-done
	}
	b.ReportMetric(float64(waited.Microseconds())/float64(b.N), "µs/wake")
}
