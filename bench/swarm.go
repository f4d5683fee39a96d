package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// A swarm is many WebSocket clients on a few event loops. Each loop owns an epoll instance,
// its clients' sockets and their state, and runs on one goroutine; other goroutines talk to
// it through a command queue and an eventfd, and read its progress from atomic counters.
// What a loop records (histograms, close codes, error codes) is read after it stopped.
type swarm struct {
	cfg   swarmConfig
	loops []*loop
	next  int // round-robin over loops for open

	closeOnce sync.Once
	stats     swarmStats
}

// swarmConfig is what every client of a swarm shares.
type swarmConfig struct {
	addr unix.SockaddrInet4
	host string // Host header
	path string // request path of the upgrade, /rt/{canonical}
	// raw clients skip the upgrade and the join: the socket is a member as soon as it is
	// connected (the floor scenario's writer speaks WebSocket frames without a handshake).
	raw bool
	// cycle: a client that has joined is closed at once (close frame, then close) and its
	// spec dialled again, for as long as the swarm runs (the connect scenario).
	cycle bool
	// cycleRate, when > 0, paces dials to that many per second (all loops together).
	cycleRate float64
	loops     int
	// maxDialing bounds the handshakes in flight per loop, so a ramp of 10,000 clients
	// doesn't hit the server's accept queue all at once.
	maxDialing int
	// readBuf is the size of each loop's read buffer.
	readBuf int
}

// clientSpec is what one client does: upgrade with req, then send joins (one frame per
// channel, concatenated) and wait for nJoins join replies.
type clientSpec struct {
	req    []byte
	joins  []byte
	nJoins int
	addr   *unix.SockaddrInet4 // the node to dial; nil: the swarm's address
	// ack, when set, is the start of this member's ack frame's JSON ({"action":"ack",
	// "channel":C,"id":"): it acks the highest id of each read (current protocol).
	ack []byte
}

// client is one socket and its state. It is owned by its loop.
type client struct {
	fd      int
	spec    *clientSpec
	state   uint8
	pending int    // join replies still expected
	start   int64  // wall ns when the dial began
	in      []byte // unparsed bytes carried to the next read
	ackID   int64  // the highest message id read, to ack
	acked   int64  // the highest id acked
	ackAt   int64  // wall ns of the last ack
}

const (
	stConnecting = iota
	stUpgrading
	stJoining
	stOpen
)

// swarmStats is what the loops recorded, merged once they stopped.
type swarmStats struct {
	Delivered int64
	Latency   *Latency // publish → deliver, frames that carry a marker
	Join      *Latency // dial → last join reply
	Complete  *Latency // per publish: publish → its last delivery
	Slowest   int64    // the publish whose last delivery came last (-1: none)
	Joins     int64    // clients that completed their joins (every cycle counts)
	Failed    int64    // dials, upgrades or joins that failed
	Dropped   int64    // members closed by the server or the network while joined
	Closes    map[int]int64
	Errors    map[string]int64 // error frames by code
	FirstErr  string
}

// parseTarget turns a server base URL into a loopback address, the Host header, and the
// realtime path for canonical.
func parseTarget(base, canonical string) (unix.SockaddrInet4, string, string, error) {
	var sa unix.SockaddrInet4
	u, err := url.Parse(base)
	if err != nil {
		return sa, "", "", fmt.Errorf("url %q: %w", base, err)
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "80"
	}
	if host == "localhost" {
		host = "127.0.0.1"
	}
	ip := net.ParseIP(host).To4()
	if ip == nil || !ip.IsLoopback() {
		return sa, "", "", fmt.Errorf("url %q: the bench targets an IPv4 loopback address only (127.x.x.x)", base)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p <= 0 || p > 65535 {
		return sa, "", "", fmt.Errorf("url %q: bad port", base)
	}
	copy(sa.Addr[:], ip)
	sa.Port = p
	return sa, u.Host, "/rt/" + canonical, nil
}

func newSwarm(cfg swarmConfig) (*swarm, error) {
	if cfg.loops <= 0 {
		cfg.loops = runtime.GOMAXPROCS(0)
	}
	if cfg.maxDialing <= 0 {
		cfg.maxDialing = 256
	}
	if cfg.readBuf <= 0 {
		cfg.readBuf = 64 << 10
	}
	s := &swarm{cfg: cfg}
	for i := 0; i < cfg.loops; i++ {
		l, err := newLoop(s, i)
		if err != nil {
			s.close()
			return nil, err
		}
		s.loops = append(s.loops, l)
		go l.run()
	}
	return s, nil
}

// open hands specs to the loops, round robin; they dial as fast as maxDialing allows.
func (s *swarm) open(specs []*clientSpec) {
	per := make([][]*clientSpec, len(s.loops))
	for _, sp := range specs {
		per[s.next] = append(per[s.next], sp)
		s.next = (s.next + 1) % len(s.loops)
	}
	for i, l := range s.loops {
		if len(per[i]) > 0 {
			l.submit(per[i])
		}
	}
}

func (s *swarm) sum(f func(*loop) int64) int64 {
	var n int64
	for _, l := range s.loops {
		n += f(l)
	}
	return n
}

func (s *swarm) joined() int64 { return s.sum(func(l *loop) int64 { return l.nOpen.Load() }) }
func (s *swarm) delivered() int64 {
	return s.sum(func(l *loop) int64 { return l.nDelivered.Load() })
}
func (s *swarm) failed() int64  { return s.sum(func(l *loop) int64 { return l.nFailed.Load() }) }
func (s *swarm) cycles() int64  { return s.sum(func(l *loop) int64 { return l.nJoins.Load() }) }
func (s *swarm) dropped() int64 { return s.sum(func(l *loop) int64 { return l.nDropped.Load() }) }

// lastDelivery is the wall time (ns) of the newest delivery any loop has seen.
func (s *swarm) lastDelivery() int64 {
	var t int64
	for _, l := range s.loops {
		t = max(t, l.lastDelivery.Load())
	}
	return t
}

// waitJoined polls until n clients are joined, or every client left has failed, or ctx
// ends. It reports how many joined.
func (s *swarm) waitJoined(ctx context.Context, n int64) (int64, error) {
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for {
		j, f := s.joined(), s.failed()
		if j >= n {
			return j, nil
		}
		if j+f >= n {
			return j, fmt.Errorf("%d of %d members joined, %d failed: %s", j, n, f, s.firstErr())
		}
		select {
		case <-ctx.Done():
			return j, fmt.Errorf("%d of %d members joined before the deadline (%d failed): %s", j, n, f, s.firstErr())
		case <-t.C:
		}
	}
}

func (s *swarm) firstErr() string {
	for _, l := range s.loops {
		if e, _ := l.firstErr.Load().(string); e != "" {
			return e
		}
	}
	return "no error reported"
}

// close stops every loop (closing its sockets) and merges what they recorded.
func (s *swarm) close() swarmStats {
	s.closeOnce.Do(func() {
		for _, l := range s.loops {
			l.stop()
		}
		st := swarmStats{Latency: NewLatency(), Join: NewLatency(), Complete: NewLatency(), Slowest: -1, Closes: map[int]int64{}, Errors: map[string]int64{}}
		var seqMax []int64
		for _, l := range s.loops {
			<-l.done
			if len(l.seqMax) > len(seqMax) {
				seqMax = append(seqMax, make([]int64, len(l.seqMax)-len(seqMax))...)
			}
			for i, v := range l.seqMax {
				seqMax[i] = max(seqMax[i], v)
			}
			st.Delivered += l.nDelivered.Load()
			st.Joins += l.nJoins.Load()
			st.Failed += l.nFailed.Load()
			st.Dropped += l.nDropped.Load()
			st.Latency.Merge(l.lat)
			st.Join.Merge(l.joinLat)
			for k, v := range l.closes {
				st.Closes[k] += v
			}
			for k, v := range l.errCodes {
				st.Errors[k] += v
			}
			if e, _ := l.firstErr.Load().(string); e != "" && st.FirstErr == "" {
				st.FirstErr = e
			}
		}
		var worst int64
		for seq, v := range seqMax {
			if v == 0 {
				continue
			}
			st.Complete.RecordMicros(v - 1)
			if v > worst {
				worst, st.Slowest = v, int64(seq)
			}
		}
		s.stats = st
	})
	return s.stats
}

// loop is one event loop of a swarm.
type loop struct {
	sw     *swarm
	id     int
	epfd   int
	epf    *os.File // epfd, registered with Go's poller
	rc     syscall.RawConn
	wakefd int
	done   chan struct{}

	// Owned by the loop goroutine.
	addr     unix.SockaddrInet4 // a copy per loop: Connect writes into it
	conns    []*client          // by fd
	buf      []byte
	events   []unix.EpollEvent
	ackJS    []byte // scratch for ack frames' JSON
	queue    []*clientSpec
	dialing  int
	dialed   int64 // dials paced so far (cycleRate)
	pacer    Pacer
	backoff  time.Time // no dial before this (ports exhausted)
	lat      *Latency
	joinLat  *Latency
	closes   map[int]int64
	errCodes map[string]int64
	scratch  []byte
	closeMsg []byte
	seqMax   []int64 // by publish: the slowest delivery seen, µs + 1

	// Shared.
	mu       sync.Mutex
	cmds     [][]*clientSpec
	stopping atomic.Bool

	nOpen        atomic.Int64 // clients joined and open now
	nJoins       atomic.Int64 // joins completed, ever
	nDelivered   atomic.Int64
	nFailed      atomic.Int64
	nDropped     atomic.Int64
	lastDelivery atomic.Int64
	firstErr     atomic.Value // string
}

func newLoop(s *swarm, id int) (*loop, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("epoll_create: %w", err)
	}
	// The loop waits for its epoll fd to become readable in Go's own poller (an epoll fd
	// is pollable), never in a blocking epoll_wait: a goroutine blocked in a system call
	// keeps its P until sysmon takes it back, up to 10 ms later, and the publishers of a
	// generator pinned to one CPU (GOMAXPROCS 1) would wait that long.
	if err := unix.SetNonblock(epfd, true); err != nil {
		unix.Close(epfd)
		return nil, fmt.Errorf("epoll fd: %w", err)
	}
	epf := os.NewFile(uintptr(epfd), "epoll")
	rc, err := epf.SyscallConn()
	if err != nil {
		epf.Close()
		return nil, fmt.Errorf("epoll fd: %w", err)
	}
	wakefd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		epf.Close()
		return nil, fmt.Errorf("eventfd: %w", err)
	}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wakefd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(wakefd)}); err != nil {
		epf.Close()
		unix.Close(wakefd)
		return nil, fmt.Errorf("epoll_ctl eventfd: %w", err)
	}
	if s.cfg.readBuf <= 0 {
		s.cfg.readBuf = 64 << 10
	}
	l := &loop{
		sw:       s,
		id:       id,
		addr:     s.cfg.addr,
		epfd:     epfd,
		epf:      epf,
		rc:       rc,
		wakefd:   wakefd,
		done:     make(chan struct{}),
		buf:      make([]byte, s.cfg.readBuf),
		events:   make([]unix.EpollEvent, 256),
		lat:      NewLatency(),
		joinLat:  NewLatency(),
		closes:   map[int]int64{},
		errCodes: map[string]int64{},
		closeMsg: clientCloseFrame(),
	}
	if s.cfg.cycleRate > 0 {
		l.pacer = Pacer{Start: time.Now(), Rate: s.cfg.cycleRate / float64(s.cfg.loops)}
	}
	return l, nil
}

func (l *loop) submit(specs []*clientSpec) {
	l.mu.Lock()
	l.cmds = append(l.cmds, specs)
	l.mu.Unlock()
	l.wake()
}

func (l *loop) stop() {
	l.stopping.Store(true)
	l.wake()
}

func (l *loop) wake() {
	var one = [8]byte{1}
	_, _ = unix.Write(l.wakefd, one[:])
}

func (l *loop) fail(msg string) {
	l.firstErr.CompareAndSwap(nil, msg)
}

func (l *loop) run() {
	defer close(l.done)
	defer func() {
		for _, c := range l.conns {
			if c != nil {
				if c.state == stOpen && !l.sw.cfg.raw {
					_, _ = rawWrite(c.fd, l.closeMsg)
				}
				unix.Close(c.fd)
			}
		}
		l.conns = nil
		l.epf.Close()
		unix.Close(l.wakefd)
	}()
	for !l.stopping.Load() {
		l.takeCommands()
		timeout := l.dialMore()
		n, err := l.wait(timeout)
		if err != nil {
			l.fail("epoll_wait: " + err.Error())
			return
		}
		now := time.Now().UnixNano()
		for _, ev := range l.events[:n] {
			fd := int(ev.Fd)
			if fd == l.wakefd {
				var b [8]byte
				_, _ = unix.Read(l.wakefd, b[:])
				continue
			}
			c := l.get(fd)
			if c == nil {
				continue
			}
			if c.state == stConnecting {
				if ev.Events&(unix.EPOLLOUT|unix.EPOLLERR|unix.EPOLLHUP) == 0 {
					continue
				}
				if !l.connected(c, now) {
					continue
				}
			}
			if ev.Events&(unix.EPOLLIN|unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
				l.readable(c)
			}
		}
	}
}

// wait returns the ready events, parking the goroutine in Go's poller until the epoll fd
// is readable or timeoutMs passes (then with none).
func (l *loop) wait(timeoutMs int) (int, error) {
	_ = l.epf.SetReadDeadline(time.Now().Add(time.Duration(timeoutMs) * time.Millisecond))
	var (
		n    int
		werr error
	)
	err := l.rc.Read(func(fd uintptr) bool {
		n, werr = unix.EpollWait(int(fd), l.events, 0)
		if werr == unix.EINTR {
			n, werr = 0, nil
			return true
		}
		return n > 0 || werr != nil
	})
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return n, werr
}

func (l *loop) takeCommands() {
	l.mu.Lock()
	cmds := l.cmds
	l.cmds = nil
	l.mu.Unlock()
	for _, specs := range cmds {
		l.queue = append(l.queue, specs...)
	}
}

// dialMore starts dials while the queue, maxDialing, the backoff and the pacer allow, and
// returns the epoll timeout (ms) until the next dial could be due.
func (l *loop) dialMore() int {
	const idle = 250
	for len(l.queue) > 0 && l.dialing < l.sw.cfg.maxDialing {
		now := time.Now()
		if now.Before(l.backoff) {
			return msUntil(now, l.backoff)
		}
		if l.pacer.Rate > 0 {
			if due := l.pacer.Due(l.dialed); now.Before(due) {
				return msUntil(now, due)
			}
		}
		sp := l.queue[0]
		l.queue[0] = nil
		l.queue = l.queue[1:]
		if len(l.queue) == 0 {
			l.queue = nil
		}
		if !l.dial(sp) {
			return 10
		}
		l.dialed++
	}
	return idle
}

func msUntil(now, t time.Time) int {
	return max(1, int((t.Sub(now)+time.Millisecond-1)/time.Millisecond))
}

func (l *loop) get(fd int) *client {
	if fd < len(l.conns) {
		return l.conns[fd]
	}
	return nil
}

func (l *loop) put(fd int, c *client) {
	if fd >= len(l.conns) {
		n := max(fd+1, 2*len(l.conns), 1024)
		grown := make([]*client, n)
		copy(grown, l.conns)
		l.conns = grown
	}
	l.conns[fd] = c
}

// dial starts a non-blocking connect. It reports false when the dial must wait (the spec
// goes back to the queue).
func (l *loop) dial(sp *clientSpec) bool {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return l.dialFailed(sp, "socket", err)
	}
	_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	c := &client{fd: fd, spec: sp, start: time.Now().UnixNano()}
	if sp.addr != nil {
		sa := *sp.addr // Connect writes into it
		err = unix.Connect(fd, &sa)
	} else {
		err = unix.Connect(fd, &l.addr)
	}
	if err != nil && err != unix.EINPROGRESS {
		unix.Close(fd)
		return l.dialFailed(sp, "connect", err)
	}
	// Edge-triggered: one event per arrival, so a read that comes back short has emptied
	// the socket and the next arrival raises a new event.
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLOUT | unix.EPOLLRDHUP | unix.EPOLLET, Fd: int32(fd)}
	if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		unix.Close(fd)
		return l.dialFailed(sp, "epoll_ctl", err)
	}
	l.put(fd, c)
	l.dialing++
	return true
}

// dialFailed handles a dial that could not start. Running out of ports or files is
// transient while a cycling pool closes sockets: wait and retry. Anything else fails the
// client.
func (l *loop) dialFailed(sp *clientSpec, op string, err error) bool {
	if errors.Is(err, unix.EADDRNOTAVAIL) || errors.Is(err, unix.EAGAIN) || (l.sw.cfg.cycle && errors.Is(err, unix.EMFILE)) {
		l.queue = append([]*clientSpec{sp}, l.queue...)
		l.backoff = time.Now().Add(10 * time.Millisecond)
		l.errCodes[op+": "+err.Error()]++
		return false
	}
	l.nFailed.Add(1)
	l.fail(op + ": " + err.Error())
	return true
}

// connected runs when a connecting socket reports writable: the connect finished.
func (l *loop) connected(c *client, now int64) bool {
	soerr, err := unix.GetsockoptInt(c.fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err == nil && soerr != 0 {
		err = unix.Errno(soerr)
	}
	if err != nil {
		l.failClient(c, "connect: "+err.Error())
		return false
	}
	if l.sw.cfg.raw {
		c.state = stOpen
		l.dialing--
		l.nOpen.Add(1)
		l.nJoins.Add(1)
		l.joinLat.RecordMicros((now - c.start) / 1000)
		return true
	}
	c.state = stUpgrading
	return l.write(c, c.spec.req)
}

// write sends a small frame or request whole; a socket that can't take it is dropped.
func (l *loop) write(c *client, b []byte) bool {
	n, err := rawWrite(c.fd, b)
	if err != nil || n != len(b) {
		if err == nil {
			err = errors.New("short write")
		}
		l.failClient(c, "write: "+err.Error())
		return false
	}
	return true
}

// readable reads what the socket holds and acts on every complete frame.
func (l *loop) readable(c *client) {
	for {
		n, err := rawRead(c.fd, l.buf)
		if n > 0 {
			now := time.Now().UnixNano()
			data := l.buf[:n]
			if len(c.in) > 0 {
				c.in = append(c.in, data...)
				data = c.in
			}
			rest, alive := l.consume(c, data, now)
			if !alive {
				return
			}
			switch {
			case len(rest) == 0:
				if cap(c.in) > 64<<10 {
					c.in = nil
				} else {
					c.in = c.in[:0]
				}
			case len(c.in) > 0 && &rest[0] == &c.in[len(c.in)-len(rest)]:
				c.in = c.in[:copy(c.in, rest)]
			default:
				c.in = append(c.in[:0], rest...)
			}
			if n < len(l.buf) {
				return
			}
			continue
		}
		switch {
		case err == unix.EAGAIN:
			return
		case err == unix.EINTR:
			continue
		case err == nil: // EOF
			l.lost(c, "connection closed by the server")
		default:
			l.lost(c, "read: "+err.Error())
		}
		return
	}
}

// consume parses data and returns the bytes of an incomplete frame (or response head) to
// keep, and false when c was closed.
func (l *loop) consume(c *client, data []byte, now int64) ([]byte, bool) {
	if c.state == stUpgrading {
		n, err := parseUpgradeResponse(data)
		if err != nil {
			l.failClient(c, err.Error())
			return nil, false
		}
		if n == 0 {
			return data, true
		}
		data = data[n:]
		c.state = stJoining
		c.pending = c.spec.nJoins
		if c.pending == 0 {
			if !l.joined(c, now) {
				return nil, false
			}
		} else if !l.write(c, c.spec.joins) {
			return nil, false
		}
	}
	var delivered int64
	defer func() {
		if delivered > 0 {
			l.nDelivered.Add(delivered)
			l.lastDelivery.Store(now)
		}
	}()
	for len(data) > 0 {
		h, ok, err := parseHeader(data)
		if err != nil {
			l.lost(c, err.Error())
			return nil, false
		}
		if !ok || len(data) < h.len+h.size {
			return data, l.sendAck(c)
		}
		p := data[h.len : h.len+h.size]
		data = data[h.len+h.size:]
		if h.masked {
			unmask(p, h.mask)
		}
		switch h.op {
		case opText:
			switch classify(p) {
			case actDelivery:
				if c.spec.ack != nil {
					if id := findID(p); id > c.ackID {
						c.ackID = id
					}
				}
				if t, seq, ok := findMarker(p); ok {
					us := (now - t) / 1000
					l.lat.RecordMicros(us)
					l.noteSeq(seq, us)
					delivered++
				}
			case actJoin:
				if c.state == stJoining {
					c.pending--
					if c.pending == 0 && !l.joined(c, now) {
						return nil, false
					}
				}
			case actError:
				code := errorCode(p)
				l.errCodes[code]++
				if c.state == stJoining {
					l.failClient(c, "join refused: "+string(p))
					return nil, false
				}
			}
		case opPing:
			pong := appendClientFrame(l.scratch[:0], opPong, p, [4]byte{9, 8, 7, 6})
			l.scratch = pong
			if !l.write(c, pong) {
				return nil, false
			}
		case opClose:
			code := closeCode(p)
			l.closes[code]++
			l.lost(c, "closed by the server with "+strconv.Itoa(code))
			return nil, false
		}
	}
	return nil, l.sendAck(c)
}

// ackEvery is how often a member acks at most, as an at-least-once client does (the chat
// example's page acks every 100 ms): the highest id it has read, then nothing until the
// next read after ackEvery.
const ackEvery = int64(100 * time.Millisecond)

// sendAck acks the highest id c read, when it has not acked it yet. It reports whether c
// is still open.
func (l *loop) sendAck(c *client) bool {
	if c.spec.ack == nil || c.ackID <= c.acked {
		return true
	}
	now := time.Now().UnixNano()
	if now-c.ackAt < ackEvery {
		return true // acked recently: the next read acks this one too
	}
	c.ackAt = now
	js := strconv.AppendInt(append(l.ackJS[:0], c.spec.ack...), c.ackID, 10)
	js = append(js, `"}`...)
	l.ackJS = js
	fr := appendClientFrame(l.scratch[:0], opText, js, [4]byte{3, 1, 4, 1})
	l.scratch = fr
	c.acked = c.ackID
	return l.write(c, fr)
}

// maxSeqs bounds the per-publish record (8 bytes a publish).
const maxSeqs = 1 << 22

// noteSeq keeps the slowest delivery of each publish: how long that publish took to reach
// every member that got it.
func (l *loop) noteSeq(seq, us int64) {
	if seq < 0 || seq >= maxSeqs {
		return
	}
	if seq >= int64(len(l.seqMax)) {
		n := max(int(seq)+1, 2*len(l.seqMax), 1024)
		grown := make([]int64, min(n, maxSeqs))
		copy(grown, l.seqMax)
		l.seqMax = grown
	}
	if us+1 > l.seqMax[seq] {
		l.seqMax[seq] = us + 1 // 0 means no delivery seen
	}
}

// joined runs when c's last join reply arrived. In cycle mode c closes at once and its spec
// is dialled again. It reports whether c is still open.
func (l *loop) joined(c *client, now int64) bool {
	l.joinLat.RecordMicros((now - c.start) / 1000)
	l.nJoins.Add(1)
	l.dialing--
	if l.sw.cfg.cycle {
		_, _ = rawWrite(c.fd, l.closeMsg)
		l.release(c)
		if !l.stopping.Load() {
			l.queue = append(l.queue, c.spec)
		}
		return false
	}
	c.state = stOpen
	l.nOpen.Add(1)
	return true
}

// failClient ends a client that never joined.
func (l *loop) failClient(c *client, msg string) {
	if c.state == stOpen {
		l.lost(c, msg)
		return
	}
	l.dialing--
	l.nFailed.Add(1)
	l.fail(msg)
	l.release(c)
	if l.sw.cfg.cycle && !l.stopping.Load() {
		l.queue = append(l.queue, c.spec)
	}
}

// lost ends a client: a joined member that the server or the network dropped, or one that
// failed on its way in.
func (l *loop) lost(c *client, msg string) {
	if c.state != stOpen {
		l.failClient(c, msg)
		return
	}
	l.nOpen.Add(-1)
	if !l.stopping.Load() {
		l.nDropped.Add(1)
		l.fail(msg)
	}
	l.release(c)
}

func (l *loop) release(c *client) {
	unix.Close(c.fd) // leaves the epoll set with its last descriptor
	l.conns[c.fd] = nil
	c.fd = -1
}

// rawRead and rawWrite are read(2) and write(2) on non-blocking sockets. They never block,
// so they skip the scheduler's syscall bookkeeping.
func rawRead(fd int, b []byte) (int, error) {
	r, _, e := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}

func rawWrite(fd int, b []byte) (int, error) {
	r, _, e := unix.RawSyscall(unix.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}

// sortedCloses lists close codes in order, for stable output.
func sortedCloses(m map[int]int64) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	return keys
}
