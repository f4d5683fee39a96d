package servers

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"sync"
	"time"

	"relaybase"
	"relaybase/metrics"
	"relaybase/realtime"
	"relaybase/value"
)

// protocol speaks the current realtime on the connections of one server.
type protocol struct {
	s  *Service
	at *attachment
	sv *server
}

// session is one connection's state; only its reader goroutine touches it, apart from id
// and conn, which never change after Open.
type session struct {
	p       *protocol
	conn    *realtime.Conn
	id      relaybase.Identity
	socket  int64
	opened  time.Time
	ok      bool               // the handshake passed
	members map[string]*member // by filled-in path
	order   []*member          // in join order, for Closed
}

var _ realtime.Protocol = (*protocol)(nil)

func (p *protocol) reply(c *realtime.Conn, js []byte) { c.Reply(realtime.TextFrame(js)) }

func (p *protocol) refuse(c *realtime.Conn, channel, typ, code, msg string, extra ...any) {
	p.reply(c, errorFrame(channel, typ, code, msg, extra...))
	c.Refused()
}

// fail ends a handshake: one error frame, then close 4401.
// refuseJoin refuses a join, counted by its code (relaybase_realtime_joins_refused_total).
func (p *protocol) refuseJoin(c *realtime.Conn, channel, code, msg string) {
	c.JoinRefused(code)
	p.refuse(c, channel, "", code, msg)
}

func (p *protocol) fail(c *realtime.Conn, code, msg string) {
	p.reply(c, errorFrame("", "", code, msg))
	c.Close(4401, code)
}

// Open verifies the token, checks that the server admits the client, and runs the connect
// triggers (docs/realtime.md, "Connecting").
func (p *protocol) Open(c *realtime.Conn) {
	s := p.s
	sess := &session{p: p, conn: c, opened: s.now(), socket: s.sockets.Add(1), members: map[string]*member{}}
	c.State = sess
	if tok := c.Subprotocol; tok != "" {
		if p.at.tokens == nil {
			p.fail(c, codeUnauthorized, "The auth token is invalid or has expired.")
			return
		}
		id, err := p.at.tokens.Verify(tok)
		if err != nil {
			s.log.Debug("realtime servers: token refused", "err", err)
			p.fail(c, codeUnauthorized, "The auth token is invalid or has expired.")
			return
		}
		sess.id = id
	}
	switch {
	case len(p.sv.channels) == 0:
		p.fail(c, codeChannelNotFound, "This realtime server has no active channel.")
		return
	case !sess.id.Authenticated() && !p.sv.anyAnon:
		p.fail(c, codeUnauthorized, "This realtime server needs an authenticated client.")
		return
	}
	if err := p.lifecycle(sess, "", "connect", nil); err != nil {
		p.fail(c, lifecycleCode(err), lifecycleMessage(err, "connect"))
		return
	}
	sess.ok = true
}

// lifecycle runs the triggers of an action, when there are any.
func (p *protocol) lifecycle(sess *session, channel, action string, m *member) error {
	h := p.at.handlers
	tmpl := ""
	if m != nil {
		tmpl = m.ch.def.Path
	}
	if h == nil || !h.HasRealtimeLifecycle(p.sv.def.Name, tmpl, action) {
		return nil
	}
	return h.RunRealtimeLifecycle(p.s.ctx(), &relaybase.RealtimeLifecycleCall{
		Server: p.sv.def.Name, Channel: tmpl, Action: action, Session: sess.session(channel, m),
	})
}

func lifecycleCode(err error) string {
	var re *relaybase.Error
	if errors.As(err, &re) && re.Code == relaybase.CodeAccessDenied {
		return codeForbidden
	}
	return codeInternal
}

func lifecycleMessage(err error, action string) string {
	var re *relaybase.Error
	if errors.As(err, &re) && re.Code == relaybase.CodeAccessDenied && re.Message != "" {
		return re.Message
	}
	return "The " + action + " could not be checked right now. Try again."
}

// session is the RealtimeSession of a frame on channel (m's params), for stacks.
func (sess *session) session(channel string, m *member) relaybase.RealtimeSession {
	rs := relaybase.RealtimeSession{Identity: sess.id, SocketID: sess.socket, Channel: channel, OpenedAt: sess.opened, ClientIP: sess.conn.ClientAddr()}
	if m != nil {
		rs.Params = m.params
	}
	return rs
}

// Refuse implements realtime.Protocol.
func (p *protocol) Refuse(c *realtime.Conn, code, msg string) {
	p.reply(c, errorFrame("", "", code, msg))
}

// Frame implements realtime.Protocol.
func (p *protocol) Frame(c *realtime.Conn, text bool, data []byte) {
	sess, _ := c.State.(*session)
	if sess == nil || !sess.ok {
		return // the handshake failed: the connection is closing
	}
	if !text {
		p.refuse(c, "", "", codeBadFrame, "Frames must be text (JSON), not binary.")
		return
	}
	f, err := decodeFrame(data)
	if err != nil {
		c.Received("invalid")
		var fe *frameError
		errors.As(err, &fe)
		p.refuse(c, f.Channel, "", fe.code, fe.msg)
		return
	}
	c.Received(f.Action)
	switch f.Action {
	case actPing:
		p.reply(c, []byte(`{"action":"pong"}`))
	case actJoin:
		p.join(sess, &f)
	case actLeave:
		p.leave(sess, &f)
	case actBroadcast:
		p.broadcast(sess, &f)
	case actAck:
		p.ack(sess, &f)
	case actPresence:
		p.presence(sess, &f)
	}
}

// Closed implements realtime.Protocol: every membership ends, then disconnect triggers run.
func (p *protocol) Closed(c *realtime.Conn) {
	sess, _ := c.State.(*session)
	if sess == nil {
		return
	}
	for _, m := range sess.order {
		p.leaveMember(sess, m)
	}
	if sess.ok {
		if err := p.lifecycle(sess, "", "disconnect", nil); err != nil {
			p.s.log.Warn("realtime servers: disconnect trigger failed", "server", p.sv.def.Name, "err", err)
		}
	}
}

func (p *protocol) join(sess *session, f *clientFrame) {
	s, c := p.s, sess.conn
	path := f.Channel
	def, vals, ok := p.sv.match(path)
	if !ok {
		p.refuseJoin(c, path, codeChannelNotFound, "No active channel matches "+strconv.Quote(realtime.Truncate(path, 200))+".")
		return
	}
	if !sess.id.Authenticated() && !def.Anonymous {
		p.refuseJoin(c, path, codeUnauthorized, "This channel needs an authenticated client.")
		return
	}
	text, typed, err := bindParams(def, vals)
	if err != nil {
		p.refuseJoin(c, path, codeInputError, err.Error()+".")
		return
	}
	if m := sess.members[path]; m != nil {
		p.reply(c, joinAck(path, text, m.client != "", 0, false))
		return
	}
	if len(sess.members) >= c.MaxChannels() {
		p.refuseJoin(c, path, codeTooManyChannels, "A connection may join at most "+strconv.Itoa(c.MaxChannels())+" channels.")
		return
	}
	k := key(p.sv, path)
	m := &member{sess: sess, params: text, typed: typed, joinedAt: s.now().Unix()}
	if def.AtLeastOnce {
		m.client = clientKey(sess.id, f.ClientID)
	}
	tmp := &member{sess: sess, params: text, ch: &channel{def: def}}
	if err := p.lifecycle(sess, path, "join", tmp); err != nil {
		p.refuseJoin(c, path, lifecycleCode(err), lifecycleMessage(err, "join"))
		return
	}
	var cursor int64
	var resumed bool
	if m.client != "" && s.store != nil {
		cursor, resumed, err = s.store.RealtimeCursor(s.ctx(), k, m.client)
		if err != nil {
			s.log.Error("realtime servers: read cursor failed", "channel", path, "err", err)
			p.refuseJoin(c, path, codeInternal, "The server could not join the channel right now. Try again.")
			return
		}
		if pend := s.acks.pending(k, m.client); pend > cursor {
			cursor, resumed = pend, true
		}
		m.cursor = cursor
	}

	perRecipient := def.PerRecipient && p.at.handlers != nil && p.at.handlers.HasRealtimeLifecycle(p.sv.def.Name, def.Path, "deliver")
	ch := s.hub.acquire(k, path, p.sv, def, perRecipient)
	m.ch = ch
	held := []envelope{}
	ch.opMu.Lock()
	if !ch.subscribed {
		if err := s.engine.Subscribe(s.ctx(), k); err != nil {
			s.release(ch)
			ch.opMu.Unlock()
			s.log.Error("realtime servers: engine subscribe failed", "channel", path, "err", err)
			p.refuseJoin(c, path, codeInternal, "The server could not join the channel right now. Try again.")
			return
		}
		ch.subscribed = true
	}
	ch.mu.Lock()
	m.hold = &held
	ch.members = append(ch.members, m)
	ch.mu.Unlock()
	sess.members[path] = m
	sess.order = append(sess.order, m)
	pm := memberOf(sess, m.joinedAt)
	entry, _ := json.Marshal(presenceEntry{Socket: c.SocketID(), Member: pm})
	if err := s.engine.AddPresence(s.ctx(), k, c.SocketID(), entry); err != nil {
		s.log.Warn("realtime servers: engine add presence failed", "channel", path, "err", err)
	}
	var list []presenceEntry
	if def.Presence {
		if list, err = s.presenceList(k); err != nil {
			s.log.Warn("realtime servers: engine presence failed", "channel", path, "err", err)
		}
		if !identityPresent(list, sess, c.SocketID()) {
			b := appendHead(nil, "presence_join", path)
			b = append(b, `,"payload":{"member":`...)
			mj, _ := json.Marshal(pm)
			b = append(append(b, mj...), `}}`...)
			if err := s.engine.Publish(s.ctx(), k, seal(kindPresence, 0, c.SocketID(), realtime.TextFrame(b))); err != nil {
				s.log.Warn("realtime servers: engine publish failed", "channel", path, "err", err)
			}
		}
	}
	ch.opMu.Unlock()

	// The join ack, presence_full, the conversation, the replay; then what was held.
	p.reply(c, joinAck(path, text, m.client != "", cursor, resumed))
	if def.Presence {
		except := ""
		if sess.id.Authenticated() {
			except = identityKey(sess.id)
		}
		p.reply(c, presenceFull(path, members(list, except, c.SocketID())))
	}
	var seen int64
	if def.KeepsStream() && s.store != nil {
		seen = p.history(sess, m, def, k, path, cursor)
	}
	ch.mu.Lock()
	for _, env := range held {
		if env.id > 0 && env.id <= seen {
			continue
		}
		c.Send(env.wire)
	}
	m.hold = nil
	ch.mu.Unlock()
}

// personal is a stored message's frame as m gets it: through the deliver triggers on a
// per-recipient channel (false: withheld), as it is elsewhere.
func (p *protocol) personal(m *member, js []byte) ([]byte, bool) {
	if !m.ch.perRecipient {
		return js, true
	}
	return p.s.personal(m, js)
}

// history sends a joiner the conversation and the replay; it returns the newest stream id
// the replay carried.
func (p *protocol) history(sess *session, m *member, def *relaybase.RealtimeChannel, k, path string, cursor int64) int64 {
	s, c := p.s, sess.conn
	s.metrics().HistoryRead(metrics.WS)
	page, err := s.store.History(s.ctx(), k, 0, 0)
	if err != nil {
		s.log.Error("realtime servers: read stream failed", "channel", path, "err", err)
		p.refuse(c, path, "", codeInternal, "The server could not read the channel's messages right now.")
		return 0
	}
	m.ch.mu.Lock()
	m.ch.newest = max(m.ch.newest, page.Newest)
	m.ch.mu.Unlock()
	now := s.now()
	if def.Conversation && def.ConversationLimit > 0 {
		entries := page.Entries
		if def.ConversationTTL > 0 && len(entries) > 0 &&
			entries[len(entries)-1].CreatedAt < now.Add(-time.Duration(def.ConversationTTL)*time.Second).UnixMilli() {
			entries = nil // the whole transcript expired
		}
		if len(entries) > def.ConversationLimit {
			entries = entries[len(entries)-def.ConversationLimit:]
		}
		frames := make([][]byte, 0, len(entries))
		for _, e := range entries {
			if f, ok := p.personal(m, messageFrame("message", e.Frame, idIf(def, e.Offset), e.CreatedAt, true)); ok {
				frames = append(frames, f)
			}
		}
		count := strconv.Itoa(len(frames))
		p.reply(c, append(appendHead(nil, "conversation_start", path), `,"payload":{"count":`+count+`}}`...))
		for _, f := range frames {
			p.reply(c, f)
		}
		p.reply(c, append(appendHead(nil, "conversation_end", path), `,"payload":{"count":`+count+`}}`...))
	}
	if m.client == "" {
		return 0
	}
	entries := replayWindow(def, page.Entries, now)
	var seen int64
	for _, e := range entries {
		if e.Offset <= cursor {
			continue
		}
		if f, ok := p.personal(m, messageFrame("replay", e.Frame, e.Offset, e.CreatedAt, false)); ok {
			p.reply(c, f)
		}
		seen = e.Offset
	}
	if seen == 0 {
		seen = page.Newest
	}
	return seen
}

// replayWindow is what at-least-once replay may reach (docs/realtime.md): younger than
// conversation.ttl, else the newest conversation.limit, else the newest 1,000.
func replayWindow(def *relaybase.RealtimeChannel, entries []relaybase.HistoryEntry, now time.Time) []relaybase.HistoryEntry {
	switch {
	case def.ConversationTTL > 0:
		cut := now.Add(-time.Duration(def.ConversationTTL) * time.Second).UnixMilli()
		i := 0
		for i < len(entries) && entries[i].CreatedAt < cut {
			i++
		}
		return entries[i:]
	case def.ConversationLimit > 0:
		if len(entries) > def.ConversationLimit {
			return entries[len(entries)-def.ConversationLimit:]
		}
	default:
		if len(entries) > DefaultReplayWindow {
			return entries[len(entries)-DefaultReplayWindow:]
		}
	}
	return entries
}

// DefaultReplayWindow is how many messages at-least-once replay reaches when the
// channel's conversation settings say nothing.
const DefaultReplayWindow = 1000

func idIf(def *relaybase.RealtimeChannel, id int64) int64 {
	if def.AtLeastOnce {
		return id
	}
	return 0
}

// clientKey is whose cursor an at-least-once member moves: its identity, or the anonymous
// client's options.client_id; "" when it has neither.
func clientKey(id relaybase.Identity, clientID string) string {
	if id.Authenticated() {
		return "u:" + identityKey(id)
	}
	if clientID != "" {
		return "c:" + clientID
	}
	return ""
}

func identityPresent(list []presenceEntry, sess *session, socket string) bool {
	if !sess.id.Authenticated() {
		return false
	}
	want := identityKey(sess.id)
	for _, e := range list {
		if e.Socket != socket && e.Member.Authenticated && e.Member.identity() == want {
			return true
		}
	}
	return false
}

func joinAck(path string, params *value.Object, hasCursor bool, cursor int64, resumed bool) []byte {
	b := appendHead(nil, "join", path)
	b = append(b, `,"payload":{"joined":true,"params":`...)
	pj, _ := params.MarshalJSON()
	b = append(b, pj...)
	if hasCursor {
		b = append(b, `,"cursor":"`...)
		b = strconv.AppendInt(b, cursor, 10)
		b = append(b, `","resumed":`...)
		b = strconv.AppendBool(b, resumed)
	}
	return append(b, `}}`...)
}

func presenceFull(path string, list []presenceMember) []byte {
	if list == nil {
		list = []presenceMember{}
	}
	b := appendHead(nil, "presence_full", path)
	b = append(b, `,"payload":{"members":`...)
	lj, _ := json.Marshal(list)
	b = append(b, lj...)
	return append(b, `}}`...)
}

func (p *protocol) leave(sess *session, f *clientFrame) {
	m := sess.members[f.Channel]
	if m == nil {
		p.refuse(sess.conn, f.Channel, "", codeNotJoined, "This socket has not joined "+strconv.Quote(realtime.Truncate(f.Channel, 200))+".")
		return
	}
	p.leaveMember(sess, m)
	p.reply(sess.conn, append(appendHead(nil, "leave", f.Channel), `,"payload":{"left":true}}`...))
}

// leaveMember ends a membership: out of the hub and presence (announced when the identity
// has no other socket left), then the leave triggers.
func (p *protocol) leaveMember(sess *session, m *member) {
	s, ch := p.s, m.ch
	c := sess.conn
	delete(sess.members, ch.path)
	for i, o := range sess.order {
		if o == m {
			sess.order = append(sess.order[:i], sess.order[i+1:]...)
			break
		}
	}
	ctx, cancel := context.WithTimeout(s.bg(), 5*time.Second)
	defer cancel()
	ch.opMu.Lock()
	ch.mu.Lock()
	for i, o := range ch.members {
		if o == m {
			ch.members = append(ch.members[:i], ch.members[i+1:]...)
			break
		}
	}
	m.left = true
	ch.mu.Unlock()
	if err := s.engine.RemovePresence(ctx, ch.key, c.SocketID()); err != nil {
		s.log.Warn("realtime servers: engine remove presence failed", "channel", ch.path, "err", err)
	}
	if ch.def.Presence {
		list, err := s.presenceList(ch.key)
		if err != nil {
			s.log.Warn("realtime servers: engine presence failed", "channel", ch.path, "err", err)
		} else if !identityPresent(list, sess, c.SocketID()) {
			s.announceLeave(ctx, ch.key, ch.path, c.SocketID(), memberOf(sess, m.joinedAt))
		}
	}
	s.release(ch)
	ch.opMu.Unlock()
	if err := p.lifecycle(sess, ch.path, "leave", m); err != nil {
		s.log.Warn("realtime servers: leave trigger failed", "channel", ch.path, "err", err)
	}
}

func (s *Service) announceLeave(ctx context.Context, k, path, socket string, pm presenceMember) {
	b := appendHead(nil, "presence_leave", path)
	b = append(b, `,"payload":{"member":`...)
	mj, _ := json.Marshal(pm)
	b = append(append(b, mj...), `}}`...)
	if err := s.engine.Publish(ctx, k, seal(kindPresenceLeave, 0, socket, realtime.TextFrame(b))); err != nil {
		s.log.Warn("realtime servers: engine publish failed", "channel", path, "err", err)
	}
}

// expired announces the leave of a member whose node died (the Engine expired its entry),
// unless another socket of its identity is still there.
func (s *Service) expired(k, socket string, raw []byte) {
	var e presenceEntry
	if json.Unmarshal(raw, &e) != nil {
		return
	}
	path := k[len(KeyPrefix):]
	for i := 0; i < len(path); i++ {
		if path[i] == '\x1f' {
			path = path[i+1:]
			break
		}
	}
	if e.Member.Authenticated {
		if list, err := s.presenceList(k); err == nil {
			for _, o := range list {
				if o.Member.Authenticated && o.Member.identity() == e.Member.identity() {
					return
				}
			}
		}
	}
	s.announceLeave(s.bg(), k, path, socket, e.Member)
}

func (p *protocol) presence(sess *session, f *clientFrame) {
	m := sess.members[f.Channel]
	if m == nil {
		p.refuse(sess.conn, f.Channel, "", codeNotJoined, "Join the channel before asking for its presence.")
		return
	}
	if !m.ch.def.Presence {
		p.refuse(sess.conn, f.Channel, "", codeForbidden, "This channel has no presence.")
		return
	}
	list, err := p.s.presenceList(m.ch.key)
	if err != nil {
		p.s.log.Error("realtime servers: engine presence failed", "channel", f.Channel, "err", err)
		p.refuse(sess.conn, f.Channel, "", codeInternal, "The server could not read the presence right now.")
		return
	}
	p.reply(sess.conn, presenceFull(f.Channel, members(list, "", "")))
}

func (p *protocol) ack(sess *session, f *clientFrame) {
	s, c := p.s, sess.conn
	m := sess.members[f.Channel]
	switch {
	case m == nil:
		p.refuse(c, f.Channel, "", codeNotJoined, "Join the channel before acking its messages.")
		return
	case !m.ch.def.AtLeastOnce:
		p.refuse(c, f.Channel, "", codeBadFrame, "This channel is at most once: there is nothing to ack.")
		return
	case m.client == "":
		p.refuse(c, f.Channel, "", codeBadFrame, "An anonymous client has no cursor: send options.client_id when joining to ack.")
		return
	case !f.HasID:
		p.refuse(c, f.Channel, "", codeBadFrame, "An ack needs the \"id\" of the message.")
		return
	case s.store == nil:
		p.refuse(c, f.Channel, "", codeInternal, "No database keeps cursors.")
		return
	}
	m.ch.mu.Lock()
	newest := m.ch.newest
	m.ch.mu.Unlock()
	if f.ID > newest {
		p.refuse(c, f.Channel, "", codeBadFrame, "This channel never issued the message id "+strconv.FormatInt(f.ID, 10)+".")
		return
	}
	cursor := max(m.cursor, f.ID)
	m.cursor = cursor
	s.acks.note(m.ch.key, m.client, cursor)
	// The reply is the member's prebuilt head, the cursor and the tail, framed in place:
	// one allocation per ack.
	if m.ackHead == nil {
		m.ackHead = append(appendHead(nil, "ack", f.Channel), `,"payload":{"cursor":"`...)
	}
	b := realtime.NewTextFrame(len(m.ackHead) + 24)
	b = append(b, m.ackHead...)
	b = strconv.AppendInt(b, cursor, 10)
	c.Reply(realtime.FinishTextFrame(append(b, `"}}`...)))
}

// bg is the context for Engine calls that must happen even while shutting down.
func (s *Service) bg() context.Context { return context.WithoutCancel(s.ctx()) }

// limiter holds the rate buckets of rate_limit.messages_per_minute: per identity and
// channel for token holders, per socket and channel for anonymous clients. In this node's
// memory, so it has no store that could be down and fail open.
type limiter struct {
	mu sync.Mutex
	m  map[string]*bucket
	n  int // takes since the last sweep
}

type bucket struct {
	tokens    float64
	at        time.Time
	perMinute int
}

func (l *limiter) init() { l.m = map[string]*bucket{} }

// take takes one message from k's bucket of perMinute; when empty it reports how many
// seconds until one is back.
func (l *limiter) take(k string, perMinute int, now time.Time) (ok bool, retryAfter int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	rate := float64(perMinute) / 60
	b := l.m[k]
	if b == nil || b.perMinute != perMinute {
		b = &bucket{tokens: float64(perMinute), at: now, perMinute: perMinute}
		l.m[k] = b
	}
	b.tokens = math.Min(float64(perMinute), b.tokens+now.Sub(b.at).Seconds()*rate)
	b.at = now
	l.n++
	if l.n > 4096 {
		// Full buckets hold nothing worth keeping.
		l.n = 0
		for key, o := range l.m {
			if o.tokens+now.Sub(o.at).Seconds()*float64(o.perMinute)/60 >= float64(o.perMinute) && key != k {
				delete(l.m, key)
			}
		}
	}
	if b.tokens < 1 {
		return false, int(math.Ceil((1 - b.tokens) / rate))
	}
	b.tokens--
	return true, 0
}

func strconvI(n int64) string { return strconv.FormatInt(n, 10) }
