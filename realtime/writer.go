package realtime

import (
	"math"
	"sync"
	"time"

	"relaybase/metrics"
)

// writerPool runs connections' flushes on pooled goroutines: a connection with nothing
// queued has no writer goroutine, and a busy one keeps the worker it has until its queue
// is empty. A worker blocked on a slow socket blocks only that socket; the pool grows.
type writerPool struct {
	work chan *conn
	done <-chan struct{}
}

// workerIdle is how long an idle worker waits for more work before it ends.
const workerIdle = 10 * time.Second

func (p *writerPool) init(done <-chan struct{}) {
	p.work = make(chan *conn)
	p.done = done
}

// run flushes c on an idle worker, or on a new one when none is idle.
func (p *writerPool) run(c *conn) {
	select {
	case p.work <- c:
	default:
		go p.worker(c)
	}
}

func (p *writerPool) worker(c *conn) {
	t := time.NewTimer(workerIdle)
	defer t.Stop()
	for {
		c.flush()
		t.Reset(workerIdle)
		select {
		case c = <-p.work:
		case <-t.C:
			return
		case <-p.done:
			return
		}
	}
}

// enqueue queues a frame the client did not ask for: a fan-out, a ping, a pong. A
// connection whose queue would pass the limit is closed with 1013 instead: nobody ever
// waits for a slow client (one that pings without reading its pongs is one too).
func (c *conn) enqueue(frame []byte) {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return
	}
	if c.queued+c.inflight+len(frame) > c.srv.lim.OutQueue {
		c.mu.Unlock()
		c.slow()
		return
	}
	c.push(frame)
	c.mu.Unlock()
}

// reply queues a frame that answers this connection's own request. Rather than closing
// the connection it waits (the reader goroutine, so the client's own requests) until the
// queue has room. It reports false when the connection is closing.
func (c *conn) reply(frame []byte) bool {
	c.srv.met.FramesOut(c.protocol(), metrics.ActionOf(frameAction(frame)), 1)
	if c.deflate && len(frame) >= deflateReplyMin {
		if z := deflateFrame(frame); z != nil {
			frame = z
		}
	}
	var timer *time.Timer
	for {
		c.mu.Lock()
		if c.closing {
			c.mu.Unlock()
			return false
		}
		if pending := c.queued + c.inflight; pending == 0 || pending+len(frame) <= c.srv.lim.OutQueue {
			c.push(frame)
			c.mu.Unlock()
			if timer != nil {
				timer.Stop()
			}
			return true
		}
		if c.drained == nil {
			c.drained = make(chan struct{})
		}
		drained := c.drained
		c.mu.Unlock()
		if timer == nil {
			timer = time.NewTimer(c.srv.lim.IdleTimeout)
		}
		select {
		case <-drained:
		case <-timer.C:
			c.slow()
			return false
		}
	}
}

// push appends to the queue and makes sure a writer runs: a flusher for plain sockets, a
// pool worker for the others. Caller holds c.mu.
func (c *conn) push(frame []byte) {
	c.queue = append(c.queue, frame)
	c.queued += len(frame)
	if frame[0]&0x08 == 0 && c.framesOut != math.MaxUint32 { // a data frame, not a ping or pong
		c.framesOut++
	}
	if !c.writing {
		c.writing = true
		if c.raw != nil {
			c.srv.flush.add(c)
		} else {
			c.srv.pool.run(c)
		}
	}
}

// wakeLocked releases goroutines waiting for the queue to drain. Caller holds c.mu.
func (c *conn) wakeLocked() {
	if c.drained != nil {
		close(c.drained)
		c.drained = nil
	}
}

// flush writes everything queued, coalescing it into one write per round, and then the
// close frame if one is due. It runs on a pool worker while c.writing is set.
func (c *conn) flush() {
	for {
		c.mu.Lock()
		c.settleCutLocked()
		if len(c.queue) == 0 {
			if c.closeWire == nil || c.closeSent {
				c.writing = false
				c.wakeLocked()
				c.mu.Unlock()
				return
			}
			c.closeSent = true
			cw := c.closeWire
			c.mu.Unlock()
			c.writeClose(cw)
			continue
		}
		batch, rest := c.takeLocked()
		c.mu.Unlock()

		n, err := c.tr.Write(batch)
		if n > 0 {
			coalesced := 0
			if len(batch) > 1 {
				coalesced = 1
			}
			c.srv.met.Wrote(1, coalesced, n)
		}

		c.mu.Lock()
		c.inflight = 0
		switch {
		case err != nil && !c.cut:
			clear(batch)
			c.failLocked()
			c.mu.Unlock()
			c.tr.Close()
			return
		case err != nil:
			// Cut short for a slow consumer's close: the rest of the frame it was in
			// goes first, then the close frame.
			c.requeueLocked(batch, n, rest)
		default:
			c.recycleLocked(batch)
			if c.queued <= c.srv.lim.OutQueue/2 {
				c.wakeLocked()
			}
		}
		c.mu.Unlock()
	}
}

// takeLocked takes the queue for writing; rest reports that its first frame is the rest
// of one begun earlier. Caller holds c.mu.
func (c *conn) takeLocked() (batch [][]byte, rest bool) {
	batch, rest = c.queue, c.headRest
	c.queue = c.spare[:0]
	c.spare = nil
	c.inflight = c.queued
	c.queued = 0
	c.headRest = false
	return batch, rest
}

// recycleLocked keeps a written batch's array for the next queue. Caller holds c.mu.
func (c *conn) recycleLocked(batch [][]byte) {
	clear(batch)
	if cap(batch) <= 64 {
		c.spare = batch[:0]
	}
}

// requeueLocked puts what of batch did not go out (its first n bytes did) back in front of
// the queue: the rest of a frame begun always, since the client is reading a stream that
// must stay whole; the frames not begun unless the queue is being discarded. rest reports
// that batch[0] was itself the rest of a frame. Caller holds c.mu.
func (c *conn) requeueLocked(batch [][]byte, n int, rest bool) {
	i := 0
	for i < len(batch) && n >= len(batch[i]) {
		n -= len(batch[i])
		i++
	}
	clear(batch[:i])
	if i == len(batch) {
		return
	}
	partial := n > 0 || i == 0 && rest
	left := batch[i:]
	left[0] = left[0][n:] // the frame's own bytes, shared: resliced, never changed
	if c.discard {
		if !partial {
			clear(left)
			return
		}
		clear(left[1:])
		left = left[:1]
	}
	size := 0
	for _, f := range left {
		size += len(f)
	}
	c.queue = append(left, c.queue...)
	c.queued += size
	c.headRest = partial
}

// failLocked gives up writing: the socket is gone or stuck. Caller holds c.mu and then
// closes the transport.
func (c *conn) failLocked() {
	c.closing = true
	c.closeSent = true
	c.queue = nil
	c.queued = 0
	c.headRest = false
	c.writing = false
	c.wakeLocked()
}

// writeClose writes the close frame, then lets the reader wait (CloseTimeout at most) for
// the client's close reply.
func (c *conn) writeClose(frame []byte) {
	if _, err := c.tr.Write([][]byte{frame}); err != nil {
		c.tr.Close()
		return
	}
	_ = c.tr.SetReadDeadline(time.Now().Add(c.srv.lim.CloseTimeout))
}

// startClose begins the closing handshake with code: what is queued goes first (unless
// drop), then the close frame; fan-out stops at once.
//
// drop is for a slow consumer, whose queue may be a whole OutQueue of frames it is not
// reading: they are discarded so that the close frame is next on the wire (after the rest
// of a frame partly written: the stream stays whole). A write blocked on the full socket is
// cut short (its deadline set to now) so that the frames it had not begun are dropped too;
// the writer then writes the rest of its frame and the close frame within CloseTimeout, or
// gives up and closes. A TLS write can't be cut and resumed: it gets CloseTimeout to finish.
func (c *conn) startClose(code int, reason string, drop bool) {
	c.closeWith(code, reason, drop, false)
}

// closeWith is startClose; peer says the client's close frame started it.
func (c *conn) closeWith(code int, reason string, drop, peer bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return
	}
	c.closing = true
	c.closeCode = uint16(code)
	c.peerClose = peer
	if drop {
		c.srv.met.SlowConsumer(c.protocol())
		c.discard = true
		keep := 0
		if c.headRest && len(c.queue) > 0 {
			keep = 1
		}
		clear(c.queue[keep:])
		c.queue = c.queue[:keep]
		c.queued = 0
		if keep == 1 {
			c.queued = len(c.queue[0])
		}
		if c.inflight > 0 && !c.tr.Secure() {
			c.cut = true
			_ = c.tr.SetWriteDeadline(time.Now())
		} else {
			_ = c.tr.SetWriteDeadline(time.Now().Add(c.srv.lim.CloseTimeout))
		}
	}
	c.closeWire = closeFrame(code, reason)
	c.wakeLocked()
	if !c.writing {
		c.writing = true
		c.srv.pool.run(c)
	}
}

// settleCutLocked gives the writer after a cut its own deadline for what is left: the rest
// of a frame and the close frame. The deadline is set under c.mu, after the cut's, so it
// can't be undone by it. Caller holds c.mu.
func (c *conn) settleCutLocked() {
	if c.cut {
		c.cut = false
		_ = c.tr.SetWriteDeadline(time.Now().Add(c.srv.lim.CloseTimeout))
	}
}

// slow closes a connection that can't keep up with 1013 (try again later), dropping what
// is queued (see startClose).
func (c *conn) slow() {
	c.startClose(1013, "too slow: outbound queue full", true)
}

// flushers write queued frames to plain sockets without blocking: a fan-out marks the
// connections it queued for as ready and wakes a flusher once, not once per connection;
// the flusher coalesces each one's queue into one buffer and writes it with one
// non-blocking system call. A socket that can't take it all (a slow client) is handed,
// with the rest, to the writer pool, which waits for it. Under load the ready list grows
// and every connection's frames are written together. The list is first in, first out:
// the connection that has waited longest is written first, so none starves under load.
//
// Under load the flushers also pace connections (coalesce.go): one written less than the
// current delay ago goes to the later list, due when the delay is up, so that what reaches
// it meanwhile leaves in one write. The later list is a min-heap by due. (It was a list in
// the order connections were added, on the thought that one delay for everyone makes dues
// come in that order; but connections are added in the order a fan-out reaches them and
// were written in the order the flushers got to them, so a connection due now could wait
// behind one due several milliseconds later: a frame held longer than the delay.)
type flushers struct {
	mu    sync.Mutex
	ready []*conn // ready[head:] are waiting, oldest first
	head  int
	later []*conn // a min-heap by conn.due: later[0] is due first
	wake  chan struct{}
	done  <-chan struct{}
	k     coalescer
}

const (
	flushChunk = 128      // connections a flusher takes from the ready list at once
	flushBuf   = 64 << 10 // batches larger than this go to the writer pool
)

func (f *flushers) init(n int, maxDelay time.Duration, done <-chan struct{}, bg *sync.WaitGroup) {
	f.wake = make(chan struct{}, n)
	f.done = done
	f.k.max = int64(max(0, maxDelay))
	f.k.windowAt.Store(monoNow())
	for range n {
		w := &flusher{f: f, buf: make([]byte, 0, flushBuf)}
		w.fn = w.writeFD
		bg.Add(1)
		go func() {
			defer bg.Done()
			w.run()
		}()
	}
}

// add marks c ready, or due later when it was written less than the delay ago. Caller
// holds c.mu (lock order: conn.mu → flushers.mu).
func (f *flushers) add(c *conn) {
	if due := f.k.dueAt(c.lastFlush); due != 0 {
		f.addLater(c, due)
		return
	}
	f.mu.Lock()
	f.ready = append(f.ready, c)
	n := len(f.ready) - f.head
	f.mu.Unlock()
	if n == 1 || n%flushChunk == 0 {
		select {
		case f.wake <- struct{}{}:
		default:
		}
	}
}

// addLater puts c on the later list, to be written at due (monoNow). Caller holds c.mu.
func (f *flushers) addLater(c *conn, due int64) {
	f.mu.Lock()
	c.due = due
	first := f.pushLater(c)
	f.mu.Unlock()
	if first {
		// Due before anything else waiting: a flusher arms its timer for it.
		select {
		case f.wake <- struct{}{}:
		default:
		}
	}
}

// pushLater adds c to the later heap and reports whether it is now the first due. Caller
// holds f.mu.
func (f *flushers) pushLater(c *conn) bool {
	h := append(f.later, c)
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if h[p].due <= c.due {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = c
	f.later = h
	return i == 0
}

// popLater removes and returns the first due of the later heap, which is not empty.
// Caller holds f.mu.
func (f *flushers) popLater() *conn {
	h := f.later
	top := h[0]
	n := len(h) - 1
	last := h[n]
	h[n] = nil
	h = h[:n]
	if n > 0 {
		i := 0
		for {
			l := 2*i + 1
			if l >= n {
				break
			}
			if r := l + 1; r < n && h[r].due < h[l].due {
				l = r
			}
			if last.due <= h[l].due {
				break
			}
			h[i] = h[l]
			i = l
		}
		h[i] = last
	}
	f.later = h
	return top
}

// take takes up to flushChunk ready connections, the later ones that are due first. next
// is when the first of those still waiting is due (0: none waits).
func (f *flushers) take(dst []*conn) (_ []*conn, next int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.later) > 0 {
		now := monoNow()
		for len(f.later) > 0 && f.later[0].due <= now {
			f.ready = append(f.ready, f.popLater())
		}
		if len(f.later) > 0 {
			next = f.later[0].due
		} else if cap(f.later) > 4096 {
			f.later = nil
		}
	}
	waiting := f.ready[f.head:]
	n := min(flushChunk, len(waiting))
	dst = append(dst[:0], waiting[:n]...)
	clear(waiting[:n])
	f.head += n
	switch {
	case f.head == len(f.ready):
		f.head, f.ready = 0, f.ready[:0]
		if cap(f.ready) > 4096 {
			f.ready = nil
		}
	case f.head >= 4096 && 2*f.head >= len(f.ready):
		// Reuse the front of the array rather than let it grow while the head advances.
		m := copy(f.ready, f.ready[f.head:])
		clear(f.ready[m:])
		f.ready, f.head = f.ready[:m], 0
	}
	return dst, next
}

type flusher struct {
	f     *flushers
	buf   []byte // coalesces a connection's frames
	out   []byte // what writeFD writes: one frame as it is, or buf
	local []*conn
	fn    func(fd uintptr) bool
	n     int
	err   error
	// clock is monoNow when the last write ended, or when this chunk was taken: the
	// start of the next write, close enough for pacing and for the coalescer's account,
	// for one clock read per write instead of two.
	clock int64
	// Writes, writes of more than one frame, and bytes since the last report to the
	// metrics: added to the shared counters once per round of connections, not per write.
	writes, coalesced, bytes int
}

func (w *flusher) run() {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-w.f.wake:
		case <-timer.C:
		case <-w.f.done:
			return
		}
		for {
			var next int64
			w.local, next = w.f.take(w.local)
			if w.f.k.max != 0 {
				w.clock = monoNow()
			}
			if len(w.local) == 0 {
				if next != 0 {
					timer.Reset(time.Duration(max(0, next-monoNow())))
				}
				break
			}
			var srv *Server
			for i, c := range w.local {
				srv = c.srv
				w.flushConn(c)
				w.local[i] = nil
			}
			if w.writes > 0 {
				srv.met.Wrote(w.writes, w.coalesced, w.bytes)
				w.writes, w.coalesced, w.bytes = 0, 0, 0
			}
		}
	}
}

func (w *flusher) writeFD(fd uintptr) bool {
	w.n, w.err = writeNow(fd, w.out)
	return true
}

// flushConn writes c's queue, all of it, without blocking, or hands c to the pool.
func (w *flusher) flushConn(c *conn) {
	for {
		c.mu.Lock()
		if len(c.queue) == 0 || c.closeWire != nil || c.queued > flushBuf {
			if len(c.queue) == 0 && c.closeWire == nil {
				c.writing = false
				c.wakeLocked()
				c.mu.Unlock()
				return
			}
			// A close to send, or a big batch: the pool's blocking writer does it.
			c.mu.Unlock()
			c.srv.pool.run(c)
			return
		}
		batch, rest := c.takeLocked()
		c.mu.Unlock()

		if len(batch) == 1 {
			w.out = batch[0] // the frame's own bytes, shared by every member: written, never changed
		} else {
			w.buf = w.buf[:0]
			for _, fr := range batch {
				w.buf = append(w.buf, fr...)
			}
			w.out = w.buf
		}
		w.n, w.err = 0, nil
		k := &c.srv.flush.k
		t0 := w.clock
		if err := c.raw.Write(w.fn); err != nil && w.err == nil {
			w.err = err
		}
		short := w.n < len(w.out)
		w.out = nil
		if w.n > 0 {
			w.writes++
			w.bytes += w.n
			if len(batch) > 1 {
				w.coalesced++
			}
		}
		if k.max != 0 {
			w.clock = monoNow()
			k.seen.Store(w.clock)
			k.note(len(batch), w.clock-t0, w.clock)
		}

		c.mu.Lock()
		c.inflight = 0
		c.lastFlush = t0
		if w.err != nil && !c.cut {
			clear(batch)
			c.failLocked()
			c.mu.Unlock()
			c.tr.Close()
			return
		}
		if w.err != nil || short {
			// The socket is full, or the write was cut for a slow consumer's close: the
			// rest goes first, by the pool's blocking writer.
			c.requeueLocked(batch, w.n, rest)
			c.mu.Unlock()
			c.srv.pool.run(c)
			return
		}
		c.recycleLocked(batch)
		if len(c.queue) == 0 && c.closeWire == nil {
			// Done: the usual case, settled without another round.
			c.writing = false
			c.wakeLocked()
			c.mu.Unlock()
			return
		}
		if c.queued <= c.srv.lim.OutQueue/2 {
			c.wakeLocked()
		}
		if c.closeWire == nil {
			if due := k.dueAt(c.lastFlush); due != 0 {
				// More came during the write: it waits its turn like any frame.
				c.srv.flush.addLater(c, due)
				c.mu.Unlock()
				return
			}
		}
		c.mu.Unlock()
	}
}
