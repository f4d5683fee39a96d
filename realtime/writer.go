package realtime

import (
	"net"
	"sync"
	"time"
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

// enqueue queues a fan-out frame. A connection whose queue would pass the limit is closed
// with 1013 instead: nobody ever waits for a slow client.
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

// control queues a control frame (ping, pong). A client that pings without reading its
// pongs is a slow consumer like any other.
func (c *conn) control(frame []byte) {
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
		batch := c.queue
		if len(batch) == 0 {
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
		c.queue = c.spare[:0]
		c.spare = nil
		c.inflight = c.queued
		c.queued = 0
		c.mu.Unlock()

		err := c.writeBatch(batch)

		clear(batch)
		c.mu.Lock()
		c.inflight = 0
		if cap(batch) <= 64 {
			c.spare = batch[:0]
		}
		if c.queued <= c.srv.lim.OutQueue/2 {
			c.wakeLocked()
		}
		if err != nil {
			c.failLocked()
			c.mu.Unlock()
			c.nc.Close()
			return
		}
		c.mu.Unlock()
	}
}

// failLocked gives up writing: the socket is gone or stuck. Caller holds c.mu and then
// closes the socket.
func (c *conn) failLocked() {
	c.closing = true
	c.closeSent = true
	c.queue = nil
	c.queued = 0
	c.writing = false
	c.wakeLocked()
}

// writeBatch writes frames in one system call where the connection allows it.
func (c *conn) writeBatch(batch [][]byte) error {
	if len(batch) == 1 {
		_, err := c.nc.Write(batch[0])
		return err
	}
	if c.vectored {
		c.wbufs = batch
		_, err := c.wbufs.WriteTo(c.nc)
		c.wbufs = nil
		return err
	}
	bp := copyBufs.Get().(*[]byte)
	buf := (*bp)[:0]
	var err error
	for _, f := range batch {
		if len(buf)+len(f) > cap(buf) && len(buf) > 0 {
			if _, err = c.nc.Write(buf); err != nil {
				break
			}
			buf = buf[:0]
		}
		if len(f) > cap(buf) {
			if _, err = c.nc.Write(f); err != nil {
				break
			}
			continue
		}
		buf = append(buf, f...)
	}
	if err == nil && len(buf) > 0 {
		_, err = c.nc.Write(buf)
	}
	*bp = buf[:0]
	copyBufs.Put(bp)
	return err
}

// copyBufs coalesce frames for connections that can't write vectors (TLS).
var copyBufs = sync.Pool{New: func() any { b := make([]byte, 0, 32<<10); return &b }}

// writeClose writes the close frame, then lets the reader wait (CloseTimeout at most) for
// the client's close reply.
func (c *conn) writeClose(frame []byte) {
	if _, err := c.nc.Write(frame); err != nil {
		c.nc.Close()
		return
	}
	_ = c.nc.SetReadDeadline(time.Now().Add(c.srv.lim.CloseTimeout))
}

// startClose begins the closing handshake with code: what is queued goes first (unless
// drop), then the close frame; fan-out stops at once.
func (c *conn) startClose(code int, reason string, drop bool) {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return
	}
	c.closing = true
	c.closeCode = code
	if drop {
		clear(c.queue)
		c.queue = c.queue[:0]
		c.queued = 0
	}
	c.closeWire = closeFrame(code, reason)
	c.wakeLocked()
	if !c.writing {
		c.writing = true
		c.srv.pool.run(c)
	}
	c.mu.Unlock()
}

// slow closes a connection that can't keep up with 1013 (try again later), dropping what
// is queued; a write stuck on its socket gets CloseTimeout more.
func (c *conn) slow() {
	c.startClose(1013, "too slow: outbound queue full", true)
	_ = c.nc.SetWriteDeadline(time.Now().Add(c.srv.lim.CloseTimeout))
}

// isVectored reports whether writes to nc can be vectored (net.Buffers → writev).
func isVectored(nc net.Conn) bool {
	switch nc.(type) {
	case *net.TCPConn, *net.UnixConn:
		return true
	}
	return false
}

// flushers write queued frames to plain sockets without blocking: a fan-out marks the
// connections it queued for as ready and wakes a flusher once, not once per connection;
// the flusher coalesces each one's queue into one buffer and writes it with one
// non-blocking system call. A socket that can't take it all (a slow client) is handed,
// with the rest, to the writer pool, which waits for it. Under load the ready list grows
// and every connection's frames are written together. The list is first in, first out:
// the connection that has waited longest is written first, so none starves under load.
type flushers struct {
	mu    sync.Mutex
	ready []*conn // ready[head:] are waiting, oldest first
	head  int
	wake  chan struct{}
	done  <-chan struct{}
}

const (
	flushChunk = 128      // connections a flusher takes from the ready list at once
	flushBuf   = 64 << 10 // batches larger than this go to the writer pool
)

func (f *flushers) init(n int, done <-chan struct{}, bg *sync.WaitGroup) {
	f.wake = make(chan struct{}, n)
	f.done = done
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

// add marks c ready. Caller holds c.mu (lock order: conn.mu → flushers.mu).
func (f *flushers) add(c *conn) {
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

func (f *flushers) take(dst []*conn) []*conn {
	f.mu.Lock()
	defer f.mu.Unlock()
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
	return dst
}

type flusher struct {
	f     *flushers
	buf   []byte // coalesces a connection's frames
	out   []byte // what writeFD writes: one frame as it is, or buf
	local []*conn
	fn    func(fd uintptr) bool
	n     int
	err   error
}

func (w *flusher) run() {
	for {
		select {
		case <-w.f.wake:
		case <-w.f.done:
			return
		}
		for {
			w.local = w.f.take(w.local)
			if len(w.local) == 0 {
				break
			}
			for i, c := range w.local {
				w.flushConn(c)
				w.local[i] = nil
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
		batch := c.queue
		total := c.queued
		if len(batch) == 0 || c.closeWire != nil || total > flushBuf {
			if len(batch) == 0 && c.closeWire == nil {
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
		c.queue = c.spare[:0]
		c.spare = nil
		c.inflight = total
		c.queued = 0
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
		if err := c.raw.Write(w.fn); err != nil && w.err == nil {
			w.err = err
		}
		out := w.out
		w.out = nil
		clear(batch)

		c.mu.Lock()
		c.inflight = 0
		if cap(batch) <= 64 {
			c.spare = batch[:0]
		}
		if w.err != nil {
			c.failLocked()
			c.mu.Unlock()
			c.nc.Close()
			return
		}
		if w.n < len(out) {
			// The socket is full: the rest goes first, by the pool's blocking writer.
			rest := append([]byte(nil), out[w.n:]...)
			c.queue = append([][]byte{rest}, c.queue...)
			c.queued += len(rest)
			c.mu.Unlock()
			c.srv.pool.run(c)
			return
		}
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
		c.mu.Unlock()
	}
}
