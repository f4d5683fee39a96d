package realtime

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gobwas/ws"

	"relaybase/metrics"
)

// Protocol is another wire protocol spoken over this server's connections: package
// realtime/servers speaks Xano's current realtime (/ws/) through it. The connection
// machinery stays this package's — the bounded outbound queue and its flushers, keep-alive
// pings and the idle timeout, frame size and rate limits, 1013 for a slow client, 1012 on
// shutdown — and the frames and what they mean are the Protocol's.
//
// Every method runs on the connection's reader goroutine, so a Protocol sees one call at a
// time per connection.
type Protocol interface {
	// Open runs before the connection's first frame is read (a handshake, a connect
	// trigger); frames the client sends meanwhile wait.
	Open(c *Conn)
	// Frame handles one complete message; text is false for a binary one. data is reused
	// once Frame returns.
	Frame(c *Conn, text bool, data []byte)
	// Refuse sends the protocol's error frame for a frame the connection refused itself:
	// code is "too_large" or "rate_limited", message says why to a person.
	Refuse(c *Conn, code, message string)
	// Closed runs once, when the reader has ended, before the socket closes; frames queued
	// during it may still go out.
	Closed(c *Conn)
}

// Conn is one connection as a Protocol sees it.
type Conn struct {
	c *conn
	p Protocol
	// Subprotocol is what the client offered in Sec-WebSocket-Protocol (echoed back): the
	// auth token, for the protocols relaybase speaks.
	Subprotocol string
	// State is the Protocol's own, for its use only.
	State any
}

// Accept upgrades r to a WebSocket connection that p speaks on. An address that is not a
// WebSocket request, or a server that is shutting down, gets the HTTP error of the legacy
// endpoint; the caller has already checked the path.
func (s *Server) Accept(w http.ResponseWriter, r *http.Request, p Protocol) {
	s.upgrade(w, r, p)
}

// SocketID is the connection's unguessable id (128 random bits, base64url).
func (c *Conn) SocketID() string { return c.c.id }

// Reply queues a frame answering the client's own request; it waits (this reader only)
// for room in the queue rather than drop it. frame is one wire frame (TextFrame). It
// reports false when the connection is closing.
func (c *Conn) Reply(frame []byte) bool { return c.c.reply(frame) }

// Send queues a fan-out frame (TextFrame): a connection whose queue is full is closed with
// 1013 rather than waited for. The bytes are written as they are and never changed, so
// one frame may be sent to every member.
func (c *Conn) Send(frame []byte) { c.c.enqueue(frame) }

// ClientAddr is the client's IP address: the TCP peer's, or, through a trusted proxy, the
// client the proxy named (X-Forwarded-For, Forwarded).
func (c *Conn) ClientAddr() string { return c.c.clientAddr() }

// Close starts the closing handshake with code: what is queued goes out first.
func (c *Conn) Close(code int, reason string) { c.c.startClose(code, reason, false) }

// Allow takes one frame from the connection's rate bucket (Limits.Rate, Limits.Burst).
func (c *Conn) Allow() bool { return c.c.allow() }

// Refused counts a refused frame: more than Limits.RefusalsToClose within
// Limits.RefusalWindow close the connection with 1008.
func (c *Conn) Refused() {
	c.c.countRefusal()
}

// Received counts a frame the Protocol read, by its action ("invalid": it did not decode).
func (c *Conn) Received(action string) { c.c.srv.met.FrameIn(metrics.WS, action) }

// JoinRefused counts a join the Protocol refused, by the error code it answered.
func (c *Conn) JoinRefused(code string) { c.c.srv.met.JoinRefused(metrics.WS, code) }

// FrameAction is the action of a wire frame built as TextFrame builds them ({"action":"..."),
// as the metrics label it ("other" when it has none): for counting a fan-out once.
func FrameAction(frame []byte) string { return metrics.ActionOf(frameAction(frame)) }

// MaxChannels is how many channels one connection may join (Limits.MaxChannels).
func (c *Conn) MaxChannels() int { return c.c.srv.lim.MaxChannels }

// handleProto is handle for a Protocol's connection: the same closing check and rate
// limit, then the Protocol.
func (c *conn) handleProto(op ws.OpCode, data []byte) {
	if c.admit() {
		c.proto.p.Frame(c.proto, op == ws.OpText, data)
	}
}

// admit reports whether a client message is to be handled: not while closing, and not
// past the rate limit (refused).
func (c *conn) admit() bool {
	c.mu.Lock()
	closing := c.closing
	c.mu.Unlock()
	if closing {
		return false
	}
	if !c.allow() {
		c.refuse("", codeRateLimited, "Too many frames: at most "+strconv.Itoa(c.srv.lim.Rate)+" per second.")
		return false
	}
	return true
}

// AppendJSONString appends s as a JSON string (invalid UTF-8 replaced, so a frame stays
// text), for protocols that build their frames by hand as this package does.
func AppendJSONString(b []byte, s string) []byte { return appendString(b, s) }

// NewTextFrame returns an empty buffer to append the JSON of one frame to (room for n bytes
// reserved), and FinishTextFrame puts the WebSocket header in front of it: a frame built in
// one buffer, without TextFrame's copy.
func NewTextFrame(n int) []byte { return newFrame(n) }

// FinishTextFrame returns b, built by NewTextFrame and appends, as one text frame.
func FinishTextFrame(b []byte) []byte { return wire(b) }

// JSONObject walks the members of a JSON object in place, without encoding/json: the
// decoder of client frames walks the text this way, and so may another protocol's. The
// text must be valid JSON (ValidJSONObject), as the walk never checks the grammar.
type JSONObject struct{ it objectIter }

// ValidJSONObject reports whether data is UTF-8 text holding one JSON object (spaces
// around it allowed), and returns the object without those spaces.
func ValidJSONObject(data []byte) ([]byte, bool) {
	if !utf8.Valid(data) {
		return nil, false
	}
	top := trimJSONSpace(data)
	if len(top) == 0 || top[0] != '{' || !json.Valid(top) {
		return nil, false
	}
	return top, true
}

// WalkJSONObject starts a walk of obj, an object ValidJSONObject accepted or a value inside
// one that starts with '{'.
func WalkJSONObject(obj []byte) JSONObject { return JSONObject{objectIter{b: obj, i: 1}} }

// Next moves to the next member; false at the end.
func (o *JSONObject) Next() bool { return o.it.next() }

// KeyIs reports whether the current member's key is name once unquoted.
func (o *JSONObject) KeyIs(name string) bool { return o.it.keyIs(name) }

// Value is the current member's value as written: a slice of the text.
func (o *JSONObject) Value() []byte { return o.it.val }

// JSONString decodes raw, a valid JSON value (or nil), when it is a string.
func JSONString(raw []byte) (string, bool) { return jsonString(raw) }

// Truncate cuts s to at most n bytes on a character boundary, marking the cut with "…":
// for echoing a client's text in an error message.
func Truncate(s string, n int) string { return truncate(s, n) }

// TextFrame returns js (a JSON text) as one unmasked WebSocket text frame, in a new buffer.
func TextFrame(js []byte) []byte { return wireCopy(js) }

// Route sends the Engine messages of channels whose name starts with prefix to deliver
// (and the expiry of their presence entries, when the Engine expires them, to expired)
// instead of this server's hub: another protocol shares the Engine this way. Route
// before serving; a later Route replaces the routes.
type Route struct {
	Prefix  string
	Deliver func(channel string, msg []byte)
	Expired func(channel, socketID string, member []byte)
}

// SetRoutes installs the routes (see Route).
func (s *Server) SetRoutes(routes ...Route) {
	rs := append([]Route(nil), routes...)
	s.routes.Store(&rs)
}

func (s *Server) routeOf(channel string) *Route {
	rs := s.routes.Load()
	if rs == nil {
		return nil
	}
	for i := range *rs {
		if strings.HasPrefix(channel, (*rs)[i].Prefix) {
			return &(*rs)[i]
		}
	}
	return nil
}
