package httpapi

import (
	"bytes"
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

// directUpgrader is a realtime server that takes WebSocket upgrades straight from the
// listener (realtime.Server).
type directUpgrader interface {
	// Owns reports whether a request for path (no query) is the realtime server's.
	Owns(path string) bool
	// UpgradeConn upgrades nc, whose first request (headers complete) is head and whose
	// bytes after it are rest; it owns nc from then on and keeps neither slice.
	UpgradeConn(nc net.Conn, head, rest []byte)
}

// sniffTimeout is how long a new connection has to send its first request: net/http's
// ReadHeaderTimeout as relaybase serve sets it.
const sniffTimeout = 10 * time.Second

// Listener returns the listener net/http should serve: l itself, or, when the realtime server
// can take connections straight from the listener, a listener in front of l that reads each
// new plain TCP connection's first bytes and gives a WebSocket upgrade for /rt/{canonical}
// (a GET with "Upgrade: websocket" whose headers arrived whole in that first read, which
// is how clients send them) to the realtime server without net/http; every other
// connection goes on to net/http with those bytes in front, as if nothing had read them. An
// upgrade that doesn't qualify is still served, through net/http and the mux. Serve it
// with http.Server.Serve (not for TLS: a TLS listener's bytes can't be read this way).
//
// Either way, the answers net/http writes itself to a request it cannot read (400, 431
// past Config.MaxHeaderBytes) carry relaybase's JSON error body (jsonErrorResponse).
func (s *Server) Listener(l net.Listener) net.Listener {
	rt, ok := s.cfg.Realtime.(directUpgrader)
	if !ok {
		return errorBodyListener{Listener: l, headerLimit: s.cfg.MaxHeaderBytes}
	}
	ul := &upgradeListener{Listener: l, rt: rt, headerLimit: s.cfg.MaxHeaderBytes, accepted: make(chan accepted), done: make(chan struct{}), sniffing: map[net.Conn]struct{}{}}
	ul.wg.Add(1)
	go ul.acceptLoop()
	return ul
}

type accepted struct {
	c   net.Conn
	err error
}

// upgradeListener is Listener's listener. Its accept loop takes connections from the
// inner listener and starts a short-lived goroutine per connection (sniff) that reads its
// first bytes and routes it; connections for net/http come out of Accept.
type upgradeListener struct {
	net.Listener
	rt          directUpgrader
	headerLimit int // Config.MaxHeaderBytes
	accepted    chan accepted
	done        chan struct{}
	once        sync.Once
	wg          sync.WaitGroup // the accept loop and the sniffs

	mu       sync.Mutex
	sniffing map[net.Conn]struct{} // closed by Close, so that their reads end
	closed   bool
}

func (ul *upgradeListener) Accept() (net.Conn, error) {
	select {
	case a := <-ul.accepted:
		return a.c, a.err
	case <-ul.done:
		return nil, net.ErrClosed
	}
}

// Close closes the inner listener and the connections still being read, and waits for the
// accept loop and the sniffs to end.
func (ul *upgradeListener) Close() error {
	var err error
	ul.once.Do(func() {
		close(ul.done)
		err = ul.Listener.Close()
		ul.mu.Lock()
		ul.closed = true
		for c := range ul.sniffing {
			c.Close()
		}
		ul.mu.Unlock()
		ul.wg.Wait()
	})
	return err
}

func (ul *upgradeListener) acceptLoop() {
	defer ul.wg.Done()
	for {
		c, err := ul.Listener.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// net/http decides what an accept error means (it backs off on temporary
			// ones); it gets each one through Accept.
			select {
			case ul.accepted <- accepted{err: err}:
				continue
			case <-ul.done:
				return
			}
		}
		tc, ok := c.(*net.TCPConn)
		if !ok {
			ul.handOn(&errorBodyConn{Conn: c, headerLimit: ul.headerLimit})
			continue
		}
		ul.mu.Lock()
		if ul.closed {
			ul.mu.Unlock()
			c.Close()
			return
		}
		ul.sniffing[c] = struct{}{}
		ul.wg.Add(1)
		ul.mu.Unlock()
		go ul.sniff(tc)
	}
}

// handOn gives c to net/http.
func (ul *upgradeListener) handOn(c net.Conn) {
	select {
	case ul.accepted <- accepted{c: c}:
	case <-ul.done:
		c.Close()
	}
}

var sniffBufs = sync.Pool{New: func() any { b := make([]byte, 4<<10); return &b }}

// sniff reads c's first bytes and routes it.
func (ul *upgradeListener) sniff(c *net.TCPConn) {
	defer ul.wg.Done()
	bp := sniffBufs.Get().(*[]byte)
	defer sniffBufs.Put(bp)
	_ = c.SetReadDeadline(time.Now().Add(sniffTimeout))
	n, err := c.Read(*bp)
	ul.mu.Lock()
	delete(ul.sniffing, c)
	closed := ul.closed
	ul.mu.Unlock()
	if err != nil && n == 0 || closed {
		c.Close() // nothing sent in time, or the peer went: net/http would close it too
		return
	}
	_ = c.SetReadDeadline(time.Time{})
	first := (*bp)[:n]
	// A head past the header limit goes to net/http, which answers it 431.
	if end, ok := directUpgrade(first, ul.rt); ok && end <= ul.headerLimit {
		ul.rt.UpgradeConn(c, first[:end], first[end:])
		return
	}
	ul.handOn(&prefixConn{TCPConn: c, pre: append([]byte(nil), first...), headerLimit: ul.headerLimit})
}

// directUpgrade reports whether b begins with a whole GET request for a path the realtime
// server owns that asks for a WebSocket upgrade, and where its headers end.
func directUpgrade(b []byte, rt directUpgrader) (end int, ok bool) {
	i := bytes.Index(b, []byte("\r\n\r\n"))
	if i < 0 {
		return 0, false
	}
	head := b[:i+2]
	line, headers, _ := bytes.Cut(head, []byte("\r\n"))
	target, ok := bytes.CutPrefix(line, []byte("GET "))
	if !ok {
		return 0, false
	}
	target, ok = bytes.CutSuffix(target, []byte(" HTTP/1.1"))
	if !ok {
		return 0, false
	}
	path, _, _ := bytes.Cut(target, []byte("?"))
	if !rt.Owns(string(path)) {
		return 0, false
	}
	for len(headers) > 0 {
		var h []byte
		h, headers, _ = bytes.Cut(headers, []byte("\r\n"))
		name, value, _ := bytes.Cut(h, []byte(":"))
		if bytes.EqualFold(bytes.TrimSpace(name), []byte("Upgrade")) && bytes.EqualFold(bytes.TrimSpace(value), []byte("websocket")) {
			return i + 4, true
		}
	}
	return 0, false
}

// prefixConn is a TCP connection served by net/http, whose first bytes may have been read
// already: they are read again first. net/http's own answers to requests it cannot read
// get relaybase's JSON body (errorBodyConn); everything else is the TCP connection's, so
// net/http still finds its ReadFrom (sendfile) and CloseWrite.
type prefixConn struct {
	*net.TCPConn
	pre         []byte
	headerLimit int
}

func (p *prefixConn) Write(b []byte) (int, error) {
	return (&errorBodyConn{Conn: p.TCPConn, headerLimit: p.headerLimit}).Write(b)
}

func (p *prefixConn) Read(b []byte) (int, error) {
	if len(p.pre) > 0 {
		n := copy(b, p.pre)
		p.pre = p.pre[n:]
		return n, nil
	}
	return p.TCPConn.Read(b)
}

// errorBodyListener is Listener's listener when no connection is upgraded from it: it only
// gives net/http's own answers relaybase's error body.
type errorBodyListener struct {
	net.Listener
	headerLimit int
}

func (l errorBodyListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if tc, ok := c.(*net.TCPConn); ok {
		return &prefixConn{TCPConn: tc, headerLimit: l.headerLimit}, nil
	}
	return &errorBodyConn{Conn: c, headerLimit: l.headerLimit}, nil
}

// WriteTo copies what the connection reads to w, the bytes read already first.
func (p *prefixConn) WriteTo(w io.Writer) (int64, error) {
	var n int64
	if len(p.pre) > 0 {
		m, err := w.Write(p.pre)
		n += int64(m)
		p.pre = p.pre[m:]
		if err != nil {
			return n, err
		}
	}
	m, err := p.TCPConn.WriteTo(w)
	return n + m, err
}
