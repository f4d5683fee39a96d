package realtime

import (
	"bytes"
	"io"
	"net"
	"strconv"
	"strings"

	"github.com/gobwas/ws"

	"relaybase"
	"relaybase/internal/clientip"
)

// Upgrading straight from the listener.
//
// Through net/http, every connect pays for net/http's connection (its goroutine, its 4 KiB
// reader and writer, which the hijack hands over and never gets back), parsing the request
// into maps, the middlewares, and the hijack's wait for net/http's background reader. A
// listener in front of net/http (httpapi.Server.Listener) can read a connection's first
// request itself and, when it is a WebSocket upgrade for this server's path, hand it here
// instead: the request is parsed in place by gobwas/ws, the 101 written in one write, and
// the connection starts like any other. Everything else still goes through net/http, and
// so does an upgrade through it (ServeHTTP), which stays as it was.

// Owns reports whether path (without its query) is this server's: /rt/{canonical}.
func (s *Server) Owns(path string) bool {
	name, ok := strings.CutPrefix(path, "/rt/")
	return ok && name == s.cfg.Canonical
}

// UpgradeConn upgrades nc, a plain (not TLS) connection whose first bytes, read by the
// caller, are head, a complete GET request for a path Owns up to and including the blank
// line that ends its headers, and rest, whatever followed it. It owns nc from then on: the
// connection starts, or gets an HTTP error and is closed. head and rest are not kept.
func (s *Server) UpgradeConn(nc net.Conn, head, rest []byte) {
	s.mu.Lock()
	closing := s.closing
	s.mu.Unlock()
	if closing {
		writeRawHTTPError(nc, 503, "Service Unavailable", relaybase.CodeServiceUnavailable, "The server is restarting.")
		nc.Close()
		return
	}
	up := ws.Upgrader{Protocol: func([]byte) bool { return true }}
	peer := nc.RemoteAddr().String()
	var xff, fwd []string
	if s.cfg.TrustedProxies.Trusts(peer) {
		// Only a trusted proxy's headers are worth reading; anyone else's are ignored.
		up.OnHeader = func(key, value []byte) error {
			switch {
			case bytes.EqualFold(key, []byte("X-Forwarded-For")):
				xff = append(xff, string(value))
			case bytes.EqualFold(key, []byte("Forwarded")):
				fwd = append(fwd, string(value))
			}
			return nil
		}
	}
	var deflate deflateNegotiation
	if s.cfg.Deflate {
		up.Negotiate = deflate.negotiate
	}
	hs, err := up.Upgrade(headConn{r: bytes.NewReader(head), w: nc})
	if err != nil {
		// gobwas/ws has answered with the status that fits (400, 426).
		s.log.Debug("realtime: upgrade failed", "err", err, "client", clientip.Client(s.cfg.TrustedProxies, peer, xff, fwd))
		nc.Close()
		return
	}
	var pre []byte
	if len(rest) > 0 {
		pre = append([]byte(nil), rest...)
	}
	tr := newNetTransport(nc, false)
	tr.client = clientip.Client(s.cfg.TrustedProxies, peer, xff, fwd)
	c := s.newConn(tr, pre)
	c.deflate = deflate.accepted
	s.start(c, nil, hs.Protocol, tr.client)
}

// headConn is what ws.Upgrader reads the request from (the bytes already read) and writes
// the response to (the connection).
type headConn struct {
	r io.Reader
	w io.Writer
}

func (h headConn) Read(p []byte) (int, error)  { return h.r.Read(p) }
func (h headConn) Write(p []byte) (int, error) { return h.w.Write(p) }

// writeRawHTTPError answers on a connection net/http never saw, with the body writeHTTPError
// writes.
func writeRawHTTPError(nc net.Conn, status int, text string, code relaybase.Code, msg string) {
	body := append([]byte(`{"code":`), appendString(nil, string(code))...)
	body = append(body, `,"message":`...)
	body = appendString(body, msg)
	body = append(body, `,"payload":""}`...)
	b := make([]byte, 0, 160+len(body))
	b = append(b, "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, ' ')
	b = append(b, text...)
	b = append(b, "\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: "...)
	b = strconv.AppendInt(b, int64(len(body)), 10)
	b = append(b, "\r\n\r\n"...)
	b = append(b, body...)
	_, _ = nc.Write(b)
}
