package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/gobwas/ws"

	"relaybase"
	"relaybase/metrics"
	"relaybase/value"
)

// conn is one WebSocket connection: a client's identity, its memberships, and its
// outbound queue. One reader goroutine (serve) reads and handles the client's frames;
// writes happen on a flusher or a pooled writer only while something is queued. Bytes go
// in and out through its transport (a socket, or memory in tests).
//
// The fields a fan-out and the flushers touch for every frame come first, together: a
// delivery to 10,000 members reads each connection from memory, so each cache line counts
// (the struct is 384 bytes, a size class of whole cache lines).
type conn struct {
	srv *Server
	raw syscall.RawConn // the transport's socket for writes that never wait; nil: none (TLS)

	mu        sync.Mutex // guards the fields from here to members
	writing   bool
	closing   bool
	closeSent bool
	headRest  bool // queue[0] is the rest of a frame partly written: it goes out, whatever else is dropped
	discard   bool // closing as a slow consumer: frames not yet begun are dropped
	cut       bool // a write under way was cut short (write deadline now) for the close frame
	authed    bool
	badToken  bool
	deflate   bool // permessage-deflate negotiated (deflate.go); set before the reader starts
	peerClose bool // the client sent the close frame first
	closeCode uint16
	framesOut uint32 // data frames queued (saturates), for the access log
	queued    int    // bytes in queue
	inflight  int    // bytes being written
	queue     [][]byte
	spare     [][]byte
	closeWire []byte
	drained   chan struct{}
	opened    int64 // unix ns the connection was accepted, for the access log
	members   []*member
	lastFlush int64 // monoNow of the flushers' last write (0: none), for pacing (coalesce.go)
	due       int64 // on the flushers' later list: when to write; guarded by flushers.mu

	proto  *Conn // set when another Protocol speaks on this connection
	tr     transport
	id     string // socketId
	ident  relaybase.Identity
	client []byte // the client object C, encoded once

	// Reader goroutine only.
	pre      []byte  // bytes read and not yet consumed: past the handshake, or in rbuf
	rbuf     *[]byte // the pooled buffer of the last read from raw, while pre is in it
	readFn   func(fd uintptr) bool
	rerr     error    // readFD's error
	hdr      [16]byte // frame header scratch
	tokens   float64  // rate limiter bucket
	tokensAt int64    // unix ns of the last refill
	refusals int32
	framesIn uint32 // data messages read (saturates), for the access log
	refuseAt int64  // unix ns the refusal window began
}

// newConn makes a connection over tr; pre is what was read from it past the handshake.
func (s *Server) newConn(tr transport, pre []byte) *conn {
	c := &conn{
		srv:      s,
		tr:       tr,
		id:       newSocketID(),
		opened:   time.Now().UnixNano(),
		pre:      pre,
		tokens:   float64(s.lim.Burst),
		tokensAt: time.Now().UnixNano(),
	}
	if rs, ok := tr.(rawSocket); ok {
		c.raw = rs.rawConn()
	}
	c.client = clientJSON(c.id, c.ident)
	if c.raw != nil {
		c.readFn = c.readFD
	}
	return c
}

func (c *conn) setIdentity(id relaybase.Identity) {
	c.ident = id
	c.authed = id.Authenticated()
	c.client = clientJSON(c.id, id)
}

// Read reads what is buffered, then the socket (io.Reader for ws.ReadHeader). Small reads
// (frame headers, client frames) from a plain socket go through a pooled buffer: one
// system call takes everything the client sent so far, and the header, the mask and the
// payload of a frame come out of it. The buffer is taken only once the socket has data and
// returned once consumed, so an idle connection holds none.
func (c *conn) Read(p []byte) (int, error) {
	if len(c.pre) == 0 && c.raw != nil && len(p) < readBufSize {
		if err := c.fill(); err != nil {
			return 0, err
		}
	}
	if len(c.pre) > 0 {
		n := copy(p, c.pre)
		c.pre = c.pre[n:]
		if len(c.pre) == 0 {
			c.pre = nil
			c.releaseReadBuf()
		}
		return n, nil
	}
	return c.tr.Read(p)
}

const readBufSize = 4 << 10

var readBufs = sync.Pool{New: func() any { b := make([]byte, readBufSize); return &b }}

// fill reads what the socket has into a pooled buffer (c.pre), waiting for it to have
// something; the read deadline applies.
func (c *conn) fill() error {
	c.rerr = nil
	if err := c.raw.Read(c.readFn); err != nil {
		return err
	}
	if c.rerr != nil {
		return c.rerr
	}
	if len(c.pre) == 0 {
		c.pre = nil
		c.releaseReadBuf()
		return io.EOF
	}
	return nil
}

// readFD is fill's non-blocking read: false (nothing to read yet) makes raw.Read wait
// until the socket is readable, holding no buffer meanwhile.
func (c *conn) readFD(fd uintptr) bool {
	bp := readBufs.Get().(*[]byte)
	for {
		n, err := syscall.Read(int(fd), *bp)
		switch err {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			readBufs.Put(bp)
			return false
		case nil:
			c.rbuf, c.pre = bp, (*bp)[:n]
		default:
			readBufs.Put(bp)
			c.rerr = err
		}
		return true
	}
}

func (c *conn) releaseReadBuf() {
	if c.rbuf != nil {
		readBufs.Put(c.rbuf)
		c.rbuf = nil
	}
}

var errClosed = errors.New("connection closing")

// serve is the connection's reader goroutine.
func (c *conn) serve() {
	defer c.cleanup()
	if c.proto != nil {
		c.proto.p.Open(c.proto)
	} else if c.badToken {
		c.sendError("", codeUnauthorized, "The auth token is invalid or has expired.")
		c.startClose(4401, "unauthorized", false)
	}
	for {
		op, buf, err := c.readMessage()
		if err != nil {
			if isTimeout(err) {
				c.startClose(1001, "idle timeout", false)
			}
			return
		}
		if c.framesIn != math.MaxUint32 {
			c.framesIn++
		}
		if c.proto != nil {
			c.handleProto(op, *buf)
		} else {
			c.handle(op, *buf)
		}
		putBuf(buf)
	}
}

// readMessage reads one complete data message, answering control frames on the way.
// Messages over the soft limit are skipped with too_large; over the hard limit the
// connection closes with 1009. While closing, data is read and dropped until the client's
// close frame (or the deadline) ends the connection.
func (c *conn) readMessage() (ws.OpCode, *[]byte, error) {
	var (
		op         ws.OpCode
		buf        *[]byte
		size       int64
		fragmented bool
		skip       bool // the message is over the soft limit, or we are closing
		compressed bool // the message came with RSV1: permessage-deflate
	)
	fail := func(err error) (ws.OpCode, *[]byte, error) {
		if buf != nil {
			putBuf(buf)
		}
		return 0, nil, err
	}
	for {
		c.mu.Lock()
		if !c.closing {
			_ = c.tr.SetReadDeadline(time.Now().Add(c.srv.lim.IdleTimeout))
		}
		closing := c.closing
		c.mu.Unlock()

		h, err := ws.ReadHeaderBuffer(c, c.hdr[:])
		if err != nil {
			return fail(err)
		}
		state := ws.StateServerSide
		if fragmented {
			state = state.Set(ws.StateFragmented)
		}
		if c.deflate {
			state = state.Set(ws.StateExtended)
		}
		if err := ws.CheckHeader(h, state); err != nil {
			c.startClose(1002, err.Error(), false)
			return fail(err)
		}
		if h.Rsv != 0 {
			// Only permessage-deflate's RSV1, and only on a message's first frame.
			if h.Rsv != ws.Rsv(true, false, false) || h.OpCode.IsControl() || h.OpCode == ws.OpContinuation {
				c.startClose(1002, "unexpected RSV bits", false)
				return fail(ws.ErrProtocolNonZeroRsv)
			}
			compressed = true
		}
		if h.OpCode.IsControl() {
			if err := c.readControl(h); err != nil {
				return fail(err)
			}
			continue
		}
		if !fragmented {
			op = h.OpCode
		}
		size += h.Length
		if size > int64(c.srv.lim.HardFrame) && !closing {
			c.startClose(1009, "frame over "+strconv.Itoa(c.srv.lim.HardFrame)+" bytes", false)
			closing = true
		}
		if closing || skip || size > int64(c.srv.lim.SoftFrame) {
			if !closing && !skip {
				skip = true
			}
			if _, err := io.CopyN(io.Discard, c, h.Length); err != nil {
				return fail(err)
			}
			if !h.Fin {
				fragmented = true
				continue
			}
			if skip && !closing {
				c.refuse("", codeTooLarge, "A frame may be at most "+strconv.Itoa(c.srv.lim.SoftFrame)+" bytes.")
			}
			if buf != nil {
				putBuf(buf)
				buf = nil
			}
			op, size, fragmented, skip, compressed = 0, 0, false, false, false
			continue
		}
		if buf == nil {
			buf = getBuf(int(h.Length))
		}
		start := len(*buf)
		*buf = slices.Grow(*buf, int(h.Length))[:start+int(h.Length)]
		if _, err := io.ReadFull(c, (*buf)[start:]); err != nil {
			return fail(err)
		}
		ws.Cipher((*buf)[start:], h.Mask, 0)
		if !h.Fin {
			fragmented = true
			continue
		}
		if !compressed {
			if c.validText(op, *buf) {
				return op, buf, nil
			}
			putBuf(buf)
			buf = nil
			op, size, fragmented, skip, compressed = 0, 0, false, false, false
			continue
		}
		// The limits hold for the message as it decompresses, not only as it came.
		lim := c.srv.lim
		plain := getBuf(min(4*len(*buf), 32<<10))
		var n int
		*plain, n, err = inflate((*plain)[:0], *buf, lim.SoftFrame, lim.HardFrame)
		putBuf(buf)
		buf = plain
		switch {
		case err != nil:
			c.startClose(1007, "the message does not decompress", false)
			return fail(err)
		case n > lim.HardFrame:
			c.startClose(1009, "frame over "+strconv.Itoa(lim.HardFrame)+" bytes", false)
		case n > lim.SoftFrame:
			c.refuse("", codeTooLarge, "A frame may be at most "+strconv.Itoa(lim.SoftFrame)+" bytes.")
		case c.validText(op, *buf):
			return op, buf, nil
		}
		putBuf(buf)
		buf = nil
		op, size, fragmented, skip, compressed = 0, 0, false, false, false
	}
}

// validText reports whether a whole message may be handled: a text message must be UTF-8
// (RFC 6455 §8.1), and one that is not starts the close with 1007. It is checked once the
// message is whole (and decompressed), since a fragment may end inside a character.
func (c *conn) validText(op ws.OpCode, p []byte) bool {
	if op != ws.OpText || utf8.Valid(p) {
		return true
	}
	c.startClose(1007, "a text message that is not UTF-8", false)
	return false
}

// readControl reads and answers a ping, pong or close frame.
func (c *conn) readControl(h ws.Header) error {
	p := make([]byte, h.Length)
	if _, err := io.ReadFull(c, p); err != nil {
		return err
	}
	ws.Cipher(p, h.Mask, 0)
	switch h.OpCode {
	case ws.OpPing:
		c.enqueue(controlFrame(0xA, p))
	case ws.OpClose:
		code, reason := ws.ParseCloseFrameData(p)
		switch {
		case len(p) == 0:
			code = 1000
		case len(p) > 1 && !utf8.ValidString(reason):
			code = 1007 // the reason is text, so this is RFC 6455 §8.1's failure too
		case len(p) == 1 || ws.CheckCloseFrameData(code, reason) != nil:
			code = ws.StatusProtocolError
		}
		c.closeWith(int(code), "", false, true)
		return errClosed
	}
	return nil
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

func getBuf(n int) *[]byte {
	if n > 32<<10 {
		b := make([]byte, 0, n)
		return &b
	}
	bp := bufPool.Get().(*[]byte)
	*bp = (*bp)[:0]
	return bp
}

func putBuf(bp *[]byte) {
	if cap(*bp) <= 32<<10 {
		bufPool.Put(bp)
	}
}

// handle acts on one client message.
func (c *conn) handle(op ws.OpCode, data []byte) {
	if c.srv.watch.counting() {
		c.srv.watch.in.Add(1)
	}
	if !c.admit() {
		return
	}
	met := c.srv.met
	if op != ws.OpText {
		met.FrameIn(metrics.RT, "invalid")
		c.refuse("", codeBadFrame, "Frames must be text (JSON), not binary.")
		return
	}
	f, ferr := decodeFrame(data)
	if ferr != nil {
		met.FrameIn(metrics.RT, "invalid")
		c.refuse(ferr.Channel, ferr.Code, ferr.Message)
		return
	}
	met.FrameIn(metrics.RT, f.Action)
	switch f.Action {
	case actJoin:
		c.join(&f)
	case actLeave:
		c.leave(&f)
	case actMessage:
		c.message(&f)
	case actHistory:
		c.history(&f)
	}
}

// allow takes a token from the connection's rate bucket.
func (c *conn) allow() bool {
	now := time.Now().UnixNano()
	lim := c.srv.lim
	c.tokens = min(float64(lim.Burst), c.tokens+float64(now-c.tokensAt)/1e9*float64(lim.Rate))
	c.tokensAt = now
	if c.tokens < 1 {
		return false
	}
	c.tokens--
	return true
}

// refuse answers a refused frame with an error; too many refusals close with 1008.
func (c *conn) refuse(channel, code, msg string) {
	c.sendError(channel, code, msg)
	c.countRefusal()
}

// countRefusal counts a refused frame; too many within the window close with 1008.
func (c *conn) countRefusal() {
	now := time.Now().UnixNano()
	if now-c.refuseAt > int64(c.srv.lim.RefusalWindow) {
		c.refuseAt = now
		c.refusals = 0
	}
	c.refusals++
	if int(c.refusals) > c.srv.lim.RefusalsToClose {
		c.startClose(1008, "too many refused frames", false)
	}
}

func (c *conn) sendError(channel, code, msg string) {
	if c.proto != nil {
		c.proto.p.Refuse(c.proto, code, msg)
		return
	}
	b := newFrame(64 + len(channel) + len(msg))
	c.reply(wire(appendError(b, channel, code, msg)))
}

// internal reports a failure that is not the client's doing: logged, and `internal` sent.
func (c *conn) internal(channel, op string, err error) {
	c.srv.log.Error("realtime: "+op+" failed", "channel", channel, "socket", c.id, "err", err)
	c.sendError(channel, codeInternal, "The server could not "+op+" right now. Try again.")
}

func (c *conn) memberOf(channel string) *member {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range c.members {
		if m.ch.name == channel {
			return m
		}
	}
	return nil
}

func (c *conn) leave(f *clientFrame) {
	if m := c.memberOf(f.Channel); m != nil {
		c.leaveMember(c.srv.ctx, m)
	}
	c.reply(wire(appendLeaveReply(newFrame(48+len(f.Channel)), f.Channel)))
}

// leaveMember ends a membership: out of the hub, out of presence (announced), and the
// channel's Engine subscription dropped with its last local member.
func (c *conn) leaveMember(ctx context.Context, m *member) {
	s := c.srv
	ch := m.ch
	ch.opMu.Lock()
	defer ch.opMu.Unlock()
	ch.mu.Lock()
	if ch.removeMember(m) {
		s.members.Add(-1)
	}
	ch.mu.Unlock()
	c.mu.Lock()
	if i := slices.Index(c.members, m); i >= 0 {
		c.members = slices.Delete(c.members, i, i+1)
	}
	c.mu.Unlock()
	if err := s.engine.RemovePresence(ctx, ch.name, c.id); err != nil {
		s.log.Warn("realtime: engine remove presence failed", "channel", ch.name, "err", err)
	}
	if ch.rule.Presence {
		s.publishPresence(ctx, ch.name, false, c)
	}
	s.release(ch)
}

func (s *Server) publishPresence(ctx context.Context, channel string, join bool, c *conn) {
	b := appendPresenceUpdate(newFrame(len(c.client)+len(channel)+96), channel, join, c.client)
	kind := byte(kindPresenceLeave)
	if join {
		kind = kindPresenceJoin
	}
	if err := s.engine.Publish(ctx, channel, seal(b, kind, 0, 0, c.id)); err != nil {
		s.log.Warn("realtime: engine publish failed", "channel", channel, "err", err)
	}
}

func (c *conn) message(f *clientFrame) {
	s := c.srv
	name := f.Channel
	m := c.memberOf(name)
	if m == nil {
		c.refuse(name, codeNotJoined, "Join the channel before sending to it.")
		return
	}
	rule := m.ch.rule
	ctx := s.ctx
	if f.Private {
		if !rule.PrivateMessaging {
			c.refuse(name, codeForbidden, "Private messages are off in this channel.")
			return
		}
		if rule.PrivateMessagingAuth && !c.authed {
			c.refuse(name, codeForbidden, "Private messages in this channel need an authenticated client.")
			return
		}
		found, recipientAuthed, err := s.findMember(ctx, name, f.SocketID)
		if err != nil {
			c.internal(name, "find the recipient", err)
			return
		}
		if !found {
			c.refuse(name, codeRecipientNotFound, "No member of this channel has that socketId.")
			return
		}
		if rule.PrivateMessagingAuth && !recipientAuthed {
			c.refuse(name, codeForbidden, "Private messages in this channel go to authenticated members only.")
			return
		}
		if !c.trigger(actMessage, f) {
			return
		}
		b := appendMessage(newFrame(len(c.client)+len(name)+len(f.Payload)+96), c.client, name, false, f.SocketID, true, f.Payload)
		if err := s.engine.Publish(ctx, name, seal(b, kindPrivate, 0, 0, f.SocketID)); err != nil {
			c.internal(name, "send the message", err)
		}
		return
	}
	if !rule.PublicMessaging {
		c.refuse(name, codeForbidden, "Clients may not send messages in this channel.")
		return
	}
	if rule.PublicMessagingAuth && !c.authed {
		c.refuse(name, codeForbidden, "Messages in this channel need an authenticated client.")
		return
	}
	if !c.trigger(actMessage, f) {
		return
	}
	b := appendMessage(newFrame(len(c.client)+len(name)+len(f.Payload)+96), c.client, name, f.Authenticated, "", false, f.Payload)
	var flags byte
	if f.Authenticated || (rule.AuthChannel && c.authed) {
		flags = flagAuthOnly
	}
	var offset int64
	if s.keepsHistory(rule) {
		var err error
		offset, err = s.storeFrame(ctx, name, rule, b[headroom:], c.authed, f.Authenticated)
		if err != nil {
			c.internal(name, "store the message", err)
			return
		}
		b = withOffset(b, offset)
	}
	if err := s.broadcast(ctx, name, seal(b, kindBroadcast, flags, offset, ""), offset); err != nil && offset == 0 {
		// A stored message is not lost: it reaches every node once the engine is back.
		c.internal(name, "send the message", err)
	}
}

// storeFrame appends a client's broadcast to the channel's history in a transaction of
// its own and returns its offset.
func (s *Server) storeFrame(ctx context.Context, channel string, rule *relaybase.ChannelRule, frame []byte, senderAuthed, authOnly bool) (int64, error) {
	tx, err := s.store.Begin(ctx, true)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	off, _, err := tx.AppendHistory(ctx, &relaybase.HistoryEntry{
		Channel:             channel,
		CreatedAt:           s.now().UnixMilli(),
		SenderAuthenticated: senderAuthed,
		AuthenticatedOnly:   authOnly,
		Frame:               slices.Clone(frame),
	}, rule.History)
	if err != nil {
		return 0, err
	}
	return off, tx.Commit()
}

// findMember looks a channel member up by socketId: on this node first, then in the
// Engine's presence (members of other nodes).
func (s *Server) findMember(ctx context.Context, channel, socketID string) (found, authed bool, err error) {
	if c := s.conns.get([]byte(socketID)); c != nil {
		return c.memberOf(channel) != nil, c.authed, nil
	}
	list, err := s.engine.Presence(ctx, channel)
	if err != nil {
		return false, false, err
	}
	for _, p := range list {
		var v struct {
			SocketID    string `json:"socketId"`
			Permissions struct {
				DboID int64 `json:"dbo_id"`
			} `json:"permissions"`
		}
		if json.Unmarshal(p, &v) == nil && v.SocketID == socketID {
			return true, v.Permissions.DboID != 0, nil
		}
	}
	return false, false, nil
}

func (c *conn) history(f *clientFrame) {
	s := c.srv
	name := f.Channel
	m := c.memberOf(name)
	if m == nil {
		c.refuse(name, codeNotJoined, "Join the channel before asking for its history.")
		return
	}
	rule := m.ch.rule
	var page relaybase.HistoryPage
	if s.keepsHistory(rule) {
		s.met.HistoryRead(metrics.RT)
		var err error
		if page, err = s.store.History(s.ctx, name, 0, 0); err != nil {
			c.internal(name, "read the channel's history", err)
			return
		}
	}
	c.reply(wire(appendHistory(newFrame(historySize(page)), name, page.Entries, rule, c.authed)))
}

// trigger runs the realtime_trigger stacks for a join or message. A refusal is answered
// with forbidden (the trigger's message); any other failure with internal.
func (c *conn) trigger(action string, f *clientFrame) bool {
	return c.triggerCode(action, f) == ""
}

// triggerCode is trigger, with the code of the answer to a refusal ("" when allowed).
func (c *conn) triggerCode(action string, f *clientFrame) string {
	t := c.srv.cfg.Triggers
	if m, ok := t.(relaybase.TriggerMatcher); ok && !m.HasRealtimeTrigger(f.Channel, action) {
		return "" // no stack to run: don't decode its input
	}
	opts, _ := value.DecodeJSON(f.Options)
	payload, _ := value.DecodeJSON(f.Payload)
	err := t.RunRealtimeTrigger(c.srv.ctx, &relaybase.TriggerCall{
		Action:  action,
		Channel: f.Channel,
		Client:  c.clientValue(),
		Options: opts,
		Payload: payload,
		Auth:    c.ident,

		ClientIP: c.clientAddr(),
	})
	if err == nil {
		return ""
	}
	var e *relaybase.Error
	if errors.As(err, &e) && e.Code == relaybase.CodeAccessDenied {
		msg := e.Message
		if msg == "" {
			msg = "A realtime trigger refused this."
		}
		c.refuse(f.Channel, codeForbidden, msg)
		return codeForbidden
	}
	c.internal(f.Channel, "run the channel's realtime trigger", err)
	return codeInternal
}

// clientValue is the client object C as a value, for triggers.
func (c *conn) clientValue() *value.Object {
	extras := c.ident.Extras
	if extras == nil {
		extras = value.NewObject(0)
	}
	return value.ObjectOf(
		"socketId", c.id,
		"extras", extras,
		"permissions", value.ObjectOf("dbo_id", c.ident.TableID, "row_id", c.ident.RowID),
	)
}

// cleanup runs when the reader ends: every membership ends (presence leaves announced),
// the close frame gets its chance to go out, and the socket closes.
func (c *conn) cleanup() {
	s := c.srv
	c.mu.Lock()
	c.closing = true
	members := slices.Clone(c.members)
	c.mu.Unlock()
	if c.proto != nil {
		c.proto.p.Closed(c.proto)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(s.ctx), s.lim.CloseTimeout)
	for _, m := range members {
		c.leaveMember(ctx, m)
	}
	cancel()
	s.conns.remove(c)
	c.pre = nil
	c.releaseReadBuf()
	c.waitWriter(s.lim.CloseTimeout)
	c.tr.Close()
	c.logClose()
	s.wg.Done()
}

// protocol is the connection's protocol, as the metrics label it.
func (c *conn) protocol() metrics.Protocol {
	if c.proto != nil {
		return metrics.WS
	}
	return metrics.RT
}

// logClose counts the connection's end by its close code and writes its access log line:
// how long it was open, the data frames it read and was sent, the close code (1006 when it
// ended without a close frame) and why.
func (c *conn) logClose() {
	s := c.srv
	c.mu.Lock()
	code, peer, cw := int(c.closeCode), c.peerClose, c.closeWire
	in, out := c.framesIn, c.framesOut
	c.mu.Unlock()
	var reason string
	switch {
	case code == 0:
		code, reason = 1006, "connection lost"
	case peer:
		reason = "closed by the client"
	case len(cw) > 4:
		reason = string(cw[4:]) // the close frame's reason: after the 2-byte header and the code
	}
	p := c.protocol()
	s.met.Closed(p, code)
	if s.cfg.AccessLog == nil {
		return
	}
	s.cfg.AccessLog.LogAttrs(context.Background(), s.cfg.AccessLevel, "realtime connection closed",
		slog.String("protocol", p.String()),
		slog.String("socket", c.id),
		slog.String("client", c.clientAddr()),
		slog.Duration("duration", time.Duration(time.Now().UnixNano()-c.opened)),
		slog.Uint64("frames_in", uint64(in)),
		slog.Uint64("frames_out", uint64(out)),
		slog.Int("close_code", code),
		slog.String("reason", reason),
	)
}

// waitWriter waits, at most d, for the writer to finish what is queued.
func (c *conn) waitWriter(d time.Duration) {
	deadline := time.Now().Add(d)
	c.mu.Lock()
	if !c.cut { // else the writer sets it, once it has seen its write cut short
		_ = c.tr.SetWriteDeadline(deadline)
	}
	c.mu.Unlock()
	for {
		c.mu.Lock()
		if !c.writing {
			c.mu.Unlock()
			return
		}
		if c.drained == nil {
			c.drained = make(chan struct{})
		}
		ch := c.drained
		c.mu.Unlock()
		t := time.NewTimer(time.Until(deadline))
		select {
		case <-ch:
			t.Stop()
		case <-t.C:
			return
		}
	}
}
