package httpapi

import (
	"bytes"
	"net"
	"net/http"
	"strconv"

	"relaybase"
	"relaybase/value"
)

// DefaultMaxHeaderBytes is the limit on a request's line and headers when
// Config.MaxHeaderBytes is 0: 64 KiB, where net/http's own default is 1 MiB.
const DefaultMaxHeaderBytes = 64 << 10

// headerSlack is what net/http reads past http.Server.MaxHeaderBytes before it answers 431
// (its bufio slack): the head of a request may be MaxHeaderBytes+headerSlack bytes.
const headerSlack = 4096

// NetHTTPMaxHeaderBytes is the http.Server.MaxHeaderBytes that makes net/http refuse (431)
// a request whose line and headers together pass limit bytes (DefaultMaxHeaderBytes when
// limit is 0). net/http allows 4 KiB on top of its setting; this takes them off.
func NetHTTPMaxHeaderBytes(limit int) int {
	if limit <= 0 {
		limit = DefaultMaxHeaderBytes
	}
	return max(limit-headerSlack, 1)
}

// goErrorHeaders is what follows the status line of the answers net/http writes itself,
// before any handler runs, to a request it cannot read (server.go, conn.serve).
var goErrorHeaders = []byte("\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n")

// jsonErrorResponse returns the answer to write instead of b when b is one of net/http's
// own plain-text answers to a request it could not read (400 malformed, 431 headers too
// large, 501 unknown transfer coding, 505 version): the same status with relaybase's JSON
// error body (docs/http.md). net/http writes each of them in one Write of exactly the form
// "HTTP/1.1 <line>" + goErrorHeaders + <body>, with no Date header, which no response of
// a handler has (net/http adds Date and writes header fields in another order), so
// nothing else is taken for one.
func jsonErrorResponse(b []byte, headerLimit int) ([]byte, bool) {
	rest, ok := bytes.CutPrefix(b, []byte("HTTP/1.1 "))
	if !ok || len(b) > 1024 {
		return nil, false
	}
	line, body, ok := bytes.Cut(rest, goErrorHeaders)
	if !ok || len(line) < 4 || bytes.IndexByte(line, '\n') >= 0 || bytes.IndexByte(body, '\n') >= 0 {
		return nil, false
	}
	status, err := strconv.Atoi(string(line[:3]))
	if err != nil || status < 400 || status > 599 || line[3] != ' ' {
		return nil, false
	}
	e := &relaybase.Error{Code: relaybase.CodeInputError}
	switch status {
	case 431:
		e.Message = "The request's line and headers are larger than " + strconv.Itoa(headerLimit) + " bytes."
	case 501:
		e.Code = relaybase.CodeNotImplemented
		e.Message = "The request's Transfer-Encoding is not supported."
	default:
		// "400 Bad Request: missing required Host header": Go's reason says what was wrong
		// without echoing what the client sent.
		reason := string(line[4:])
		if _, after, ok := bytes.Cut(line[4:], []byte(": ")); ok {
			reason = string(after)
		}
		e.Message = "The request is not HTTP that can be read: " + reason + "."
	}
	data, err := value.EncodeJSON(value.ObjectOf("code", string(e.Code), "message", e.Message, "payload", ""))
	if err != nil {
		return nil, false
	}
	out := make([]byte, 0, 160+len(line)+len(data))
	out = append(out, "HTTP/1.1 "...)
	out = append(out, line[:3]...)
	out = append(out, ' ')
	out = append(out, http.StatusText(status)...)
	out = append(out, "\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: "...)
	out = strconv.AppendInt(out, int64(len(data)), 10)
	out = append(out, "\r\nX-Request-Id: "...)
	out = append(out, newRequestID()...)
	out = append(out, "\r\nConnection: close\r\n\r\n"...)
	return append(out, data...), true
}

// errorBodyConn is a connection served by net/http whose own plain-text answers to
// requests it cannot read go out with relaybase's JSON error body instead
// (jsonErrorResponse); every other write passes as it is.
type errorBodyConn struct {
	net.Conn
	headerLimit int
}

func (c *errorBodyConn) Write(b []byte) (int, error) {
	if len(b) > 0 && b[0] == 'H' {
		if out, ok := jsonErrorResponse(b, c.headerLimit); ok {
			if _, err := c.Conn.Write(out); err != nil {
				return 0, err
			}
			return len(b), nil
		}
	}
	return c.Conn.Write(b)
}
