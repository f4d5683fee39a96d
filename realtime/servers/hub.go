package servers

import (
	"encoding/json"
	"sync"

	"relaybase"
	"relaybase/metrics"
	"relaybase/realtime"
	"relaybase/value"
)

// hub maps channel keys to this node's members, in shards.
//
// It has the shape of realtime's hub (realtime/hub.go): a sharded map of channels, each
// reference-counted by its joins, with an opMu over the Engine calls of joins and leaves.
// Only that shape is shared; what a channel holds differs (legacy: rules, history offsets,
// the sequencer, gap repair, coalescing; here: stream ids, join holds, the per-recipient
// queue), and the legacy fan-out path reads its channel through its own hub on every frame.
// Sharing the shape means a generic sharded, reference-counted map in package realtime
// that both hubs use, measured with the legacy fanout benchmarks before and after; that has
// not been done yet (issue 11).
type hub struct {
	shards [32]hubShard
}

type hubShard struct {
	mu sync.Mutex
	m  map[string]*channel
}

func (h *hub) init() {
	for i := range h.shards {
		h.shards[i].m = map[string]*channel{}
	}
}

func (h *hub) shard(k string) *hubShard {
	x := uint32(2166136261)
	for i := 0; i < len(k); i++ {
		x ^= uint32(k[i])
		x *= 16777619
	}
	return &h.shards[x%uint32(len(h.shards))]
}

// acquire returns the channel of k, created if needed, with one more reference. Every
// acquire is paired with a release under the channel's opMu.
func (h *hub) acquire(k, path string, sv *server, def *relaybase.RealtimeChannel, perRecipient bool) *channel {
	sh := h.shard(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	c := sh.m[k]
	if c == nil {
		c = &channel{key: k, path: path, sv: sv, def: def, shard: sh, perRecipient: perRecipient}
		sh.m[k] = c
	}
	c.refs++
	return c
}

func (h *hub) get(k string) *channel {
	sh := h.shard(k)
	sh.mu.Lock()
	c := sh.m[k]
	sh.mu.Unlock()
	return c
}

// channel is one filled-in channel path on this node.
type channel struct {
	key   string
	path  string
	sv    *server
	def   *relaybase.RealtimeChannel
	shard *hubShard

	// opMu serialises the Engine calls of joins and leaves: subscribe and unsubscribe
	// never cross, and presence is read while no other join of this node is half done.
	opMu       sync.Mutex
	subscribed bool // guarded by opMu
	refs       int  // guarded by shard.mu

	mu      sync.Mutex // guards members, their delivery state, newest and the per-recipient queue
	members []*member
	newest  int64 // the newest stream id this node has seen: acks above it were never issued

	// perRecipient: delivery.per_recipient with an active deliver trigger. Messages then
	// wait in prq for the channel's drainer (drainPerRecipient), which runs the triggers
	// for each recipient in turn, off the Engine's goroutine; prBusy while it runs.
	perRecipient bool
	prq          []envelope
	prBusy       bool
}

// member is one socket's membership of one channel.
type member struct {
	sess     *session
	ch       *channel
	params   *value.Object // path parameters as text (the session's params)
	typed    *value.Object // ... coerced to their types ($input of a handler)
	joinedAt int64         // epoch seconds
	client   string        // the at-least-once cursor's client key, "" when it has none
	cursor   int64         // its cursor as this member knows it (reader goroutine only)
	ackHead  []byte        // the ack reply up to the cursor, built at the first ack (reader goroutine only)

	// Guarded by ch.mu.
	hold *[]envelope // non-nil while the join replies go out: live frames wait here
	left bool        // the membership ended
}

// release drops one reference; the last one unsubscribes and removes the channel. The
// caller holds c.opMu.
func (s *Service) release(c *channel) {
	sh := c.shard
	sh.mu.Lock()
	c.refs--
	last := c.refs == 0
	if last && sh.m[c.key] == c {
		delete(sh.m, c.key)
	}
	sh.mu.Unlock()
	if last && c.subscribed {
		if err := s.engine.Unsubscribe(s.bg(), c.key); err != nil {
			s.log.Warn("realtime servers: engine unsubscribe failed", "channel", c.path, "err", err)
		}
		c.subscribed = false
	}
}

// deliver is the Engine handler for this package's channels.
func (s *Service) deliver(k string, msg []byte) {
	env, ok := openEnvelope(msg)
	if !ok {
		s.log.Warn("realtime servers: malformed engine message dropped", "bytes", len(msg))
		return
	}
	c := s.hub.get(k)
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.newest = max(c.newest, env.id)
	if c.perRecipient && isMessage(env.kind) {
		s.queuePerRecipient(c, env)
		return
	}
	n := 0
	for _, m := range c.members {
		if !audience(env, m) {
			continue
		}
		n++
		if m.hold != nil {
			*m.hold = append(*m.hold, env)
			continue
		}
		m.sess.conn.Send(env.wire)
	}
	if n > 0 { // counted once per fan-out, never per member
		s.metrics().Delivered(metrics.WS, realtime.FrameAction(env.wire), n)
	}
}

// audience reports whether a member is one of an Engine message's recipients.
func audience(env envelope, m *member) bool {
	switch env.kind {
	case kindAll:
		return true
	case kindOthers:
		return m.sess.conn.SocketID() != env.subject
	case kindDirect:
		return m.sess.id.Authenticated() && identityKey(m.sess.id) == env.subject
	case kindPresence, kindPresenceLeave:
		return m.ch.def.Presence && m.sess.conn.SocketID() != env.subject
	}
	return false
}

// countLocal counts this node's members an Engine message of kind would reach.
func (c *channel) countLocal(kind byte, subject string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	env := envelope{kind: kind, subject: subject}
	for _, m := range c.members {
		if audience(env, m) {
			n++
		}
	}
	return n
}

// presenceEntry is what the Engine keeps for each joined socket: the socket and the
// presence member of its identity.
type presenceEntry struct {
	Socket string         `json:"socket"`
	Member presenceMember `json:"member"`
}

type presenceMember struct {
	ID            string          `json:"id"`
	DboID         int64           `json:"dbo_id"`
	Authenticated bool            `json:"authenticated"`
	Extras        json.RawMessage `json:"extras"`
	JoinedAt      int64           `json:"joined_at"`
}

func (pm presenceMember) identity() string {
	return strconvI(pm.DboID) + ":" + pm.ID
}

// memberOf is the presence member of a session.
func memberOf(s *session, joinedAt int64) presenceMember {
	pm := presenceMember{ID: "0", Extras: json.RawMessage("[]"), JoinedAt: joinedAt}
	if s.id.Authenticated() {
		pm.ID, pm.DboID, pm.Authenticated = strconvI(s.id.RowID), s.id.TableID, true
	}
	if s.id.Extras != nil && s.id.Extras.Len() > 0 {
		if b, err := s.id.Extras.MarshalJSON(); err == nil {
			pm.Extras = b
		}
	}
	return pm
}

// presenceList reads a channel's entries from the Engine.
func (s *Service) presenceList(k string) ([]presenceEntry, error) {
	raw, err := s.engine.Presence(s.bg(), k)
	if err != nil {
		return nil, err
	}
	out := make([]presenceEntry, 0, len(raw))
	for _, r := range raw {
		var e presenceEntry
		if json.Unmarshal(r, &e) == nil && e.Socket != "" {
			out = append(out, e)
		}
	}
	return out, nil
}

// members merges entries into presence members: one per authenticated identity (its
// earliest join), one per anonymous socket; except drops an identity (or, anonymous, a
// socket).
func members(entries []presenceEntry, exceptIdentity, exceptSocket string) []presenceMember {
	var out []presenceMember
	index := map[string]int{}
	for _, e := range entries {
		m := e.Member
		if m.Authenticated {
			id := m.identity()
			if id == exceptIdentity {
				continue
			}
			if i, ok := index[id]; ok {
				out[i].JoinedAt = min(out[i].JoinedAt, m.JoinedAt)
				continue
			}
			index[id] = len(out)
		} else if e.Socket == exceptSocket {
			continue
		}
		out = append(out, m)
	}
	return out
}
