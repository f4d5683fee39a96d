package realtime

import (
	"net"
	"sync"
	"syscall"
	"time"
)

// transport is the byte stream under a connection: what the protocol logic (conn, join,
// the writers) needs of it, and all it may assume. It carries WebSocket frames as bytes;
// framing, the queue, coalescing and closing handshakes are the connection's. A net.Conn
// (plain or TLS) is one (netTransport); tests run the protocol over memory.
//
// A transport over a socket may also offer the socket for reads and writes that never
// wait (rawSocket): the flushers and the reader use it where there is one, and the writer
// pool's blocking Write where there is not.
type transport interface {
	// Read reads bytes the client sent.
	Read(p []byte) (int, error)
	// Write writes frames in order (whole frames; the first may be the rest of one begun
	// by an earlier Write), as one write where it can. It returns once all is written, or
	// the write deadline passed, or the transport closed, with how many bytes went out.
	// It never changes frames or the slice: their bytes are shared by every member.
	Write(frames [][]byte) (int, error)
	// SetReadDeadline and SetWriteDeadline are net.Conn's: a deadline in the past ends a
	// Read or Write under way with a timeout error.
	SetReadDeadline(t time.Time) error
	SetWriteDeadline(t time.Time) error
	// Close ends the stream at once; what was not written is lost.
	Close() error
	// RemoteAddr is the peer's address, for logs.
	RemoteAddr() net.Addr
	// Secure reports TLS. A TLS stream can't resume a write cut short (the record is
	// broken), so a slow consumer's write is left to finish rather than cut.
	Secure() bool
}

// clientAddr is the address of c's client for logs: from a trusted proxy's headers when
// it came through one (package clientip), else the peer's.
func (c *conn) clientAddr() string {
	if t, ok := c.tr.(*netTransport); ok && t.client != "" {
		return t.client
	}
	if a := c.tr.RemoteAddr(); a != nil {
		return a.String()
	}
	return ""
}

// rawSocket is a transport whose socket can be read and written without waiting.
type rawSocket interface {
	// rawConn returns the socket, or nil when it has none to offer.
	rawConn() syscall.RawConn
}

// netTransport is a transport over a net.Conn: TCP, Unix, or TLS over one of them.
type netTransport struct {
	nc       net.Conn
	raw      syscall.RawConn // nil: TLS, or a conn with no socket of its own
	vectored bool            // several frames go out in one writev
	secure   bool
	client   string // the client's address: the peer's, or from a trusted proxy (package clientip)
}

func newNetTransport(nc net.Conn, secure bool) *netTransport {
	t := &netTransport{nc: nc, secure: secure}
	if !secure {
		t.raw = rawConn(nc)
		t.vectored = isVectored(nc)
	}
	return t
}

func (t *netTransport) Read(p []byte) (int, error)         { return t.nc.Read(p) }
func (t *netTransport) SetReadDeadline(d time.Time) error  { return t.nc.SetReadDeadline(d) }
func (t *netTransport) SetWriteDeadline(d time.Time) error { return t.nc.SetWriteDeadline(d) }
func (t *netTransport) Close() error                       { return t.nc.Close() }
func (t *netTransport) RemoteAddr() net.Addr               { return t.nc.RemoteAddr() }
func (t *netTransport) Secure() bool                       { return t.secure }
func (t *netTransport) rawConn() syscall.RawConn           { return t.raw }

// Write writes frames in one system call where the connection allows it: one frame as it
// is, several with writev, or (TLS) copied together into few records.
func (t *netTransport) Write(frames [][]byte) (int, error) {
	switch {
	case len(frames) == 1:
		return t.nc.Write(frames[0])
	case t.vectored:
		// WriteTo consumes the slice it is given: give it a copy, so frames stay as they
		// are for the caller to tell, after a short write, where it stopped.
		bp := bufsPool.Get().(*net.Buffers)
		list := append((*bp)[:0], frames...)
		*bp = list
		n, err := bp.WriteTo(t.nc)
		clear(list)
		*bp = list[:0]
		bufsPool.Put(bp)
		return int(n), err
	}
	bp := copyBufs.Get().(*[]byte)
	buf := (*bp)[:0]
	var (
		total int
		err   error
	)
	write := func(p []byte) {
		var n int
		n, err = t.nc.Write(p)
		total += n
	}
	for _, f := range frames {
		if len(buf)+len(f) > cap(buf) && len(buf) > 0 {
			if write(buf); err != nil {
				break
			}
			buf = buf[:0]
		}
		if len(f) > cap(buf) {
			if write(f); err != nil {
				break
			}
			continue
		}
		buf = append(buf, f...)
	}
	if err == nil && len(buf) > 0 {
		write(buf)
	}
	*bp = buf[:0]
	copyBufs.Put(bp)
	return total, err
}

// bufsPool holds the writev lists of netTransport.Write.
var bufsPool = sync.Pool{New: func() any { return new(net.Buffers) }}

// copyBufs coalesce frames for connections that can't write vectors (TLS).
var copyBufs = sync.Pool{New: func() any { b := make([]byte, 0, 32<<10); return &b }}

// isVectored reports whether writes to nc can be vectored (net.Buffers → writev).
func isVectored(nc net.Conn) bool {
	switch nc.(type) {
	case *net.TCPConn, *net.UnixConn:
		return true
	}
	return false
}
