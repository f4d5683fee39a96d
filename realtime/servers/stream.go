package servers

import (
	"context"
	"errors"
	"strconv"

	"relaybase"
	"relaybase/realtime"
	"relaybase/value"
)

// outMessage is one message on its way to a channel: from realtime.publish, or a message
// handler's response.
type outMessage struct {
	key     string
	channel string
	typ     string
	payload []byte
	from    *relaybase.Identity
	def     *relaybase.RealtimeChannel
	receipt bool // a sender waits for a receipt: count the recipients

	// Set by the Deliver of its StagedEvent, for the sender's receipt.
	id    int64
	local int
	total int
	sent  bool
}

// trimEvery batches a stream's trim: one DELETE per 64 messages rather than per message
// (relaybase.HistoryEntry.TrimEvery). A stream so holds up to 63 messages more than keep;
// what a join reads is cut to the conversation and replay windows all the same.
const trimEvery = 64

// keep is how many messages a channel's stream keeps (docs/realtime.md).
func keep(def *relaybase.RealtimeChannel) int {
	if def.ConversationTTL > 0 {
		return 10000
	}
	return max(def.ConversationLimit, DefaultReplayWindow)
}

// stage encodes m once. When its channel keeps a stream (and it is not a direct message),
// the StagedEvent's StoreIn stores it, with the stream's next id, in the transaction of the
// stack that staged it, once that stack has finished (relaybase.StagedEvent); its Deliver
// publishes it through the Engine once the transaction has committed, counting its
// recipients for the receipt. A stack that fails stores and sends nothing.
func (s *Service) stage(m *outMessage, kind byte, subject string) relaybase.StagedEvent {
	stored := storedJSON(m.channel, m.typ, m.payload, m.from)
	ts := s.now().UnixMilli()
	st := relaybase.StagedEvent{Channel: m.channel}
	if kind != kindDirect && m.def.KeepsStream() && s.store != nil {
		st.StoreKey = m.key
		st.StoreIn = func(ctx context.Context, tx relaybase.Tx) error {
			id, _, err := tx.AppendHistory(ctx, &relaybase.HistoryEntry{Channel: m.key, CreatedAt: ts, Frame: stored, TrimEvery: trimEvery}, keep(m.def))
			if err != nil {
				return err
			}
			m.id = id
			return nil
		}
	}
	st.Deliver = func(ctx context.Context) {
		// Built here, after StoreIn gave the message its id.
		wire := realtime.TextFrame(messageFrame("message", stored, idIf(m.def, m.id), ts, false))
		msg := seal(kind, m.id, subject, wire)
		if m.receipt {
			// Only a client's broadcast has a receipt: realtime.publish never pays for
			// reading the channel's presence.
			if c := s.hub.get(m.key); c != nil {
				m.local = c.countLocal(kind, subject)
			}
			if list, err := s.presenceList(m.key); err == nil {
				env := envelope{kind: kind, subject: subject}
				for _, e := range list {
					if entryAudience(env, e) {
						m.total++
					}
				}
			} else {
				m.total = m.local
			}
		}
		if err := s.engine.Publish(ctx, m.key, msg); err != nil {
			s.log.Error("realtime servers: publish failed; the message is stored and replays to at-least-once clients",
				"channel", m.channel, "id", m.id, "err", err)
			return
		}
		m.sent = true
	}
	return st
}

// entryAudience is audience for a presence entry of any node.
func entryAudience(env envelope, e presenceEntry) bool {
	switch env.kind {
	case kindAll:
		return true
	case kindOthers:
		return e.Socket != env.subject
	case kindDirect:
		return e.Member.Authenticated && e.Member.identity() == env.subject
	}
	return false
}

// broadcast runs a message handler for a broadcast frame and delivers its response
// (docs/realtime.md, "Messages and their handlers").
func (p *protocol) broadcast(sess *session, f *clientFrame) {
	s, c := p.s, sess.conn
	m := sess.members[f.Channel]
	if m == nil {
		p.refuse(c, f.Channel, f.Type, codeNotJoined, "Join the channel before broadcasting to it.")
		return
	}
	def := m.ch.def
	if f.Type == "" {
		p.refuse(c, f.Channel, "", codeBadFrame, "A broadcast needs a \"type\": the name of one of the channel's messages.")
		return
	}
	md, ok := def.Message(f.Type)
	if !ok || !md.Active {
		p.refuse(c, f.Channel, f.Type, codeUnknownType, "Unknown message type "+strconv.Quote(realtime.Truncate(f.Type, 100))+".")
		return
	}
	authed := sess.id.Authenticated()
	if md.Auth != "" && (!authed || sess.id.TableID != s.cfg.AuthTables[md.Auth]) {
		p.refuse(c, f.Channel, f.Type, codeUnauthorized, "This message needs a token of "+md.Auth+".")
		return
	}
	if f.HasTo {
		switch {
		case !def.Direct:
			p.refuse(c, f.Channel, f.Type, codeForbidden, "Direct messaging is disabled in this channel.")
			return
		case !authed:
			p.refuse(c, f.Channel, f.Type, codeUnauthorized, "Direct messages need an authenticated sender.")
			return
		}
	} else {
		switch {
		case def.Publish == relaybase.PublishNobody:
			p.refuse(c, f.Channel, f.Type, codeForbidden, "Clients may not publish in this channel.")
			return
		case def.Publish == relaybase.PublishAuthenticated && !authed:
			p.refuse(c, f.Channel, f.Type, codeUnauthorized, "Publishing in this channel needs an authenticated client.")
			return
		}
	}
	if def.RateLimit > 0 {
		who := "s:" + c.SocketID()
		if authed {
			who = "u:" + identityKey(sess.id)
		}
		if ok, retry := s.limits.take(m.ch.key+"\x1f"+who, def.RateLimit, s.now()); !ok {
			p.refuse(c, f.Channel, f.Type, codeRateLimited, "Too many messages: at most "+strconv.Itoa(def.RateLimit)+" a minute in this channel.",
				"limit", def.RateLimit, "retry_after", retry)
			return
		}
	}
	h := p.at.handlers
	if h == nil {
		p.refuse(c, f.Channel, f.Type, codeInternal, "Message handlers are not running.")
		return
	}
	var payload any
	if f.Payload != nil {
		v, err := value.DecodeJSON(f.Payload)
		if err != nil {
			p.refuse(c, f.Channel, f.Type, codeBadFrame, "The payload is not valid JSON.")
			return
		}
		payload = v
	}
	out := &outMessage{key: m.ch.key, channel: f.Channel, typ: f.Type, def: def, from: &sess.id, receipt: true}
	call := &relaybase.RealtimeMessageCall{
		Server: p.sv.def.Name, Channel: def.Path, Message: md.Name,
		Session: sess.session(f.Channel, m), Params: m.typed, Payload: payload,
	}
	var kind byte
	var subject string
	switch {
	case f.HasTo:
		kind, subject = kindDirect, identityKey(*f.To)
	case md.DeliverTo == relaybase.DeliverChannel:
		kind = kindAll
	case md.DeliverTo == relaybase.DeliverOthers:
		kind, subject = kindOthers, c.SocketID()
	}
	if kind != 0 {
		call.Stage = func(resp any) (relaybase.StagedEvent, error) {
			data, err := value.EncodeJSON(resp)
			if err != nil {
				return relaybase.StagedEvent{}, &relaybase.Error{Code: relaybase.CodeFatal, Message: "The handler's response can't be encoded as JSON.", Err: err}
			}
			out.payload = data
			return s.stage(out, kind, subject), nil
		}
	}
	resp, err := h.RunRealtimeMessage(s.ctx(), call)
	if err != nil {
		// Nothing is delivered: never the raw payload (better than Xano's fail-open).
		code, msg := codeInternal, "The message handler failed; nothing was delivered."
		var re *relaybase.Error
		if errors.As(err, &re) {
			switch re.Code {
			case relaybase.CodeInputError:
				code, msg = codeInputError, re.Message
			case relaybase.CodeAccessDenied:
				code, msg = codeForbidden, re.Message
			case relaybase.CodeUnauthorized:
				code, msg = codeUnauthorized, re.Message
			case relaybase.CodeNotFound:
				code, msg = codeUnknownType, re.Message
			}
		}
		if code == codeInternal {
			s.log.Error("realtime servers: message handler failed", "server", p.sv.def.Name, "channel", f.Channel, "type", f.Type, "err", err)
		}
		p.refuse(c, f.Channel, f.Type, code, msg)
		return
	}
	b := appendHead(nil, "broadcast", f.Channel)
	b = append(b, `,"type":`...)
	b = realtime.AppendJSONString(b, f.Type)
	switch {
	case resp == nil:
		b = append(b, `,"payload":{"delivered_local":0,"delivered":0,"dropped":true}}`...)
		p.reply(c, b)
		return
	case md.DeliverTo == relaybase.DeliverSender && !f.HasTo:
		data, _ := value.EncodeJSON(resp)
		p.reply(c, messageFrame("message", storedJSON(f.Channel, f.Type, data, &sess.id), 0, s.now().UnixMilli(), false))
		out.local, out.total = 1, 1
	}
	b = append(b, `,"payload":{"delivered_local":`...)
	b = strconv.AppendInt(b, int64(out.local), 10)
	b = append(b, `,"delivered":`...)
	b = strconv.AppendInt(b, int64(out.total), 10)
	if out.id > 0 && def.AtLeastOnce {
		b = append(b, `,"id":"`...)
		b = strconv.AppendInt(b, out.id, 10)
		b = append(b, '"')
	}
	if f.HasTo {
		b = append(b, `,"direct":true`...)
	}
	p.reply(c, append(b, `}}`...))
}
