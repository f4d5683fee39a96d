package servers

import (
	"relaybase"
	"relaybase/metrics"
	"relaybase/realtime"
	"relaybase/value"
)

// Per-recipient delivery (docs/realtime.md, "Per-recipient delivery"): on a channel with
// delivery.per_recipient and an active deliver trigger, every message frame a member gets
// — live, held during its join, in the conversation or replayed — is first passed through
// the channel's deliver triggers for that member, which may change its payload or withhold
// it. Other channels never reach this file.

// maxPerRecipientQueue bounds the messages waiting for a channel's drainer: past it (the
// triggers far slower than the publishers) live messages are dropped with a log line;
// at-least-once members get them on their next join.
const maxPerRecipientQueue = 4096

func isMessage(kind byte) bool {
	return kind == kindAll || kind == kindOthers || kind == kindDirect
}

// queuePerRecipient queues a message for c's drainer, starting one when none runs. The
// caller holds c.mu.
func (s *Service) queuePerRecipient(c *channel, env envelope) {
	if len(c.prq) >= maxPerRecipientQueue {
		s.log.Error("realtime servers: per-recipient delivery is behind; a live message was dropped (at-least-once members get it on their next join)",
			"channel", c.path, "id", env.id, "queued", len(c.prq))
		return
	}
	c.prq = append(c.prq, env)
	if !c.prBusy {
		c.prBusy = true
		s.drainers.Add(1)
		go s.drainPerRecipient(c)
	}
}

// drainPerRecipient delivers c's queued messages in order, each to its recipients one by
// one through the deliver triggers, and ends when the queue is empty. Owned by the
// channel (one at a time, prBusy); Close waits for it.
func (s *Service) drainPerRecipient(c *channel) {
	defer s.drainers.Done()
	for {
		c.mu.Lock()
		if len(c.prq) == 0 {
			c.prq, c.prBusy = nil, false
			c.mu.Unlock()
			return
		}
		env := c.prq[0]
		c.prq = c.prq[1:]
		var to []*member
		for _, m := range c.members {
			if audience(env, m) {
				to = append(to, m)
			}
		}
		c.mu.Unlock()
		js := unframe(env.wire)
		n := 0
		for _, m := range to {
			out, ok := s.personal(m, js)
			if !ok {
				continue
			}
			wire := realtime.TextFrame(out)
			c.mu.Lock()
			switch {
			case m.left:
			case m.hold != nil:
				*m.hold = append(*m.hold, envelope{kind: env.kind, id: env.id, subject: env.subject, wire: wire})
				n++
			default:
				m.sess.conn.Send(wire)
				n++
			}
			c.mu.Unlock()
		}
		if n > 0 {
			s.metrics().Delivered(metrics.WS, realtime.FrameAction(env.wire), n)
		}
	}
}

// personal runs the channel's deliver triggers on a message frame (JSON) for member m: the
// frame m gets, with the payload the triggers gave, or false when m gets nothing (a
// trigger withheld it, or failed: logged).
func (s *Service) personal(m *member, js []byte) ([]byte, bool) {
	at := s.attached.Load()
	if at == nil || at.handlers == nil {
		return nil, false
	}
	v, err := value.DecodeJSON(js)
	o, _ := v.(*value.Object)
	if err != nil || o == nil {
		s.log.Error("realtime servers: a message frame could not be read for per-recipient delivery", "channel", m.ch.path, "err", err)
		return nil, false
	}
	payload, _ := o.Get("payload")
	typ, _ := o.Get("type")
	out, deliver, err := at.handlers.RunRealtimeDeliver(s.ctx(), &relaybase.RealtimeDeliverCall{
		Server: m.ch.sv.def.Name, Channel: m.ch.def.Path, Type: value.ToText(typ), Payload: payload,
		Session: m.sess.session(m.ch.path, m),
	})
	if err != nil {
		s.log.Error("realtime servers: deliver trigger failed; the recipient gets nothing", "channel", m.ch.path, "socket", m.sess.socket, "err", err)
		return nil, false
	}
	if !deliver {
		return nil, false
	}
	o.Set("payload", out)
	b, err := value.EncodeJSON(o)
	if err != nil {
		s.log.Error("realtime servers: a deliver trigger's payload can't be encoded as JSON; the recipient gets nothing", "channel", m.ch.path, "err", err)
		return nil, false
	}
	return b, true
}

// unframe is the JSON of a server text frame (unmasked: a 2, 4 or 10 byte header).
func unframe(w []byte) []byte {
	switch w[1] & 0x7f {
	case 126:
		return w[4:]
	case 127:
		return w[10:]
	}
	return w[2:]
}
