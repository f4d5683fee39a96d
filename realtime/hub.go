package realtime

import (
	"cmp"
	"slices"
	"sync"

	"relaybase"
	"relaybase/metrics"
)

// hub maps channel names to this node's members, in shards so that different channels
// don't contend.
type hub struct {
	shards [hubShards]hubShard
}

const hubShards = 64

type hubShard struct {
	mu sync.Mutex
	m  map[string]*hubChannel
}

func (h *hub) init() {
	for i := range h.shards {
		h.shards[i].m = make(map[string]*hubChannel)
	}
}

func (h *hub) shard(name string) *hubShard {
	return &h.shards[fnv32(name)%hubShards]
}

// acquire returns the channel's entry, created if needed, with one more reference (a
// member or a join in progress). Every acquire is paired with a release under opMu.
func (h *hub) acquire(name string, rule *relaybase.ChannelRule) *hubChannel {
	sh := h.shard(name)
	sh.mu.Lock()
	ch := sh.m[name]
	if ch == nil {
		ch = &hubChannel{name: name, rule: rule, shard: sh}
		sh.m[name] = ch
	}
	ch.refs++
	sh.mu.Unlock()
	return ch
}

// list returns the shard's channels.
func (sh *hubShard) list() []*hubChannel {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	out := make([]*hubChannel, 0, len(sh.m))
	for _, ch := range sh.m {
		out = append(out, ch)
	}
	return out
}

func (h *hub) get(name string) *hubChannel {
	sh := h.shard(name)
	sh.mu.Lock()
	ch := sh.m[name]
	sh.mu.Unlock()
	return ch
}

// hubChannel is one channel on this node.
type hubChannel struct {
	name  string
	rule  *relaybase.ChannelRule
	shard *hubShard

	// opMu serialises the Engine calls of joins and leaves of this channel: subscribe and
	// unsubscribe never cross, and a joiner's presence list is read while no other member
	// of this node is between adding its presence and announcing it.
	opMu       sync.Mutex
	subscribed bool // guarded by opMu

	refs int // guarded by shard.mu

	mu      sync.Mutex // guards members, every member's delivery state, and the sequencer
	members []*member

	// Stored frames are delivered in offset order: one that arrives before an earlier
	// offset waits (at most ReorderWait) for it. last is the newest offset delivered;
	// seeded says it is known: a store read made since the channel was subscribed set it
	// (frames that arrive before that wait too). gen is the generation of the reorder
	// wait that timer runs.
	last    int64
	seeded  bool
	pending []envelope
	timer   stopper
	gen     uint64

	// Gap repair (repair.go). era counts subscribes, so a store read made before the last
	// one is not applied; gone: the entry left the hub. failures counts store reads in a
	// row that failed, stuck repairs in a row that found the missing offsets not stored.
	era      uint64
	gone     bool
	failures int
	stuck    int

	repair int // repairIdle...; guarded by Server.repairs.mu

	// The join reply's head without a store read, when headOK: the channel's epoch, and
	// last as its newest offset. A store read made while subscribed sets it, when last has
	// caught up with what the store holds (see noteHead). It stays true because every
	// stored frame reaches this node while the entry has members (through the Engine, or
	// read from the store when the Engine lost it: repair.go): frames above last are still
	// to arrive, and reach members added from now on. An epoch of ""
	// (nothing stored yet) holds until a stored frame arrives.
	epoch  string
	headOK bool

	// taps are the admin console's tails of this channel (watch.go); nil when none, so
	// delivery pays one nil check. Guarded by mu.
	taps []*tap
}

// member is one connection's membership of one channel.
type member struct {
	c  *conn
	ch *hubChannel

	// Guarded by ch.mu.
	idx      int
	presence bool     // receives presence frames
	seen     int64    // stored frames up to this offset were sent as history: skip them
	hold     *holdBuf // non-nil while join replies are being sent: live frames wait here
}

type holdBuf struct {
	items []heldFrame
	bytes int
}

type heldFrame struct {
	wire    []byte
	kind    byte
	offset  int64
	subject string
}

// release drops one reference; the last one unsubscribes from the Engine and removes the
// entry. The caller holds ch.opMu.
func (s *Server) release(ch *hubChannel) {
	sh := ch.shard
	sh.mu.Lock()
	ch.refs--
	last := ch.refs == 0
	sh.mu.Unlock()
	if !last || !ch.subscribed {
		if last {
			s.dropChannel(ch)
		}
		return
	}
	if err := s.engine.Unsubscribe(s.bgCtx(), ch.name); err != nil {
		s.log.Warn("realtime: engine unsubscribe failed", "channel", ch.name, "err", err)
	}
	ch.subscribed = false
	s.dropChannel(ch)
}

// dropChannel removes ch from its shard if nobody took a reference meanwhile (a joiner
// that did waits on opMu and subscribes again).
func (s *Server) dropChannel(ch *hubChannel) {
	sh := ch.shard
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if ch.refs != 0 || sh.m[ch.name] != ch {
		return
	}
	delete(sh.m, ch.name)
	ch.mu.Lock()
	ch.gone = true
	s.stopReorder(ch)
	ch.pending = nil
	ch.last, ch.seeded = 0, false
	ch.epoch, ch.headOK = "", false
	ch.mu.Unlock()
}

// noteHead records what a store read made during a join (while subscribed) says of the
// channel's head, if the sequencer has caught up with it. Caller holds ch.mu.
func (ch *hubChannel) noteHead(page relaybase.HistoryPage) {
	if page.Epoch != "" && ch.last >= page.Newest || page.Epoch == "" && ch.last == 0 {
		ch.epoch, ch.headOK = page.Epoch, true
	}
}

// deliver is the Engine handler: a message published by some node for a channel.
func (s *Server) deliver(channel string, msg []byte) {
	if rt := s.routeOf(channel); rt != nil {
		rt.Deliver(channel, msg)
		return
	}
	env, ok := openEnvelope(msg)
	if !ok {
		s.log.Warn("realtime: malformed engine message dropped", "channel", channel, "bytes", len(msg))
		return
	}
	if env.kind == kindGap && string(env.subject) == s.nodeID {
		return // this node told its own members when the publish failed
	}
	ch := s.hub.get(channel)
	if ch == nil {
		return
	}
	ch.mu.Lock()
	if ch.taps != nil && env.kind == kindBroadcast {
		sendTaps(ch, env)
	}
	if env.kind == kindBroadcast && env.offset > 0 {
		s.sequence(ch, env)
	} else {
		s.deliverLocked(ch, env)
	}
	ch.mu.Unlock()
}

// sequence delivers stored frames in offset order. Caller holds ch.mu.
func (s *Server) sequence(ch *hubChannel, env envelope) {
	if ch.epoch == "" {
		ch.headOK = false // the channel's first frame: it has an epoch now, to be read
	}
	switch {
	case !ch.seeded || env.offset > ch.last+1:
		ch.hold(env)
		s.armReorder(ch)
		return
	case env.offset <= ch.last:
		return // delivered already: this node's own frame coming back, or read from the store
	}
	s.deliverLocked(ch, env)
	ch.last = env.offset
	s.drainPending(ch)
}

// hold keeps a stored frame that must wait for earlier offsets (or for the seed), in
// offset order, once. Caller holds ch.mu.
func (ch *hubChannel) hold(env envelope) {
	i, found := slices.BinarySearchFunc(ch.pending, env.offset, func(e envelope, off int64) int {
		return cmp.Compare(e.offset, off)
	})
	if !found {
		ch.pending = slices.Insert(ch.pending, i, env)
	}
}

// seed sets where the channel stands, from a store read made since the last subscribe, if
// nothing did yet: frames at or below newest are not delivered (they precede every
// member's join), the ones after it are, in order. Caller holds ch.mu.
func (s *Server) seed(ch *hubChannel, newest int64) {
	if ch.seeded {
		return
	}
	ch.seeded, ch.last = true, newest
	s.drainPending(ch)
}

// armReorder starts the wait of the first pending frame, unless one is running. Each wait
// has a generation: a callback of an earlier one (stopped too late) finds it stale.
// Caller holds ch.mu.
func (s *Server) armReorder(ch *hubChannel) {
	if ch.timer != nil {
		return
	}
	ch.gen++
	gen := ch.gen
	ch.timer = s.afterFunc(s.lim.ReorderWait, func() { s.reorderTimeout(ch, gen) })
}

// stopReorder ends the running wait; a callback already on its way is stale. Caller holds
// ch.mu.
func (s *Server) stopReorder(ch *hubChannel) {
	if ch.timer != nil {
		ch.timer.Stop()
		ch.timer = nil
	}
	ch.gen++
}

// drainPending delivers waiting frames that are next in line and drops those at or below
// the last offset delivered. A wait that ends this way is stopped, and the frames still
// waiting (for a later gap) get a wait of their own. Caller holds ch.mu.
func (s *Server) drainPending(ch *hubChannel) {
	if !ch.seeded {
		return
	}
	n := 0
	for n < len(ch.pending) && ch.pending[n].offset <= ch.last+1 {
		if e := ch.pending[n]; e.offset > ch.last {
			s.deliverLocked(ch, e)
			ch.last = e.offset
		}
		n++
	}
	if n == 0 {
		return
	}
	clear(ch.pending[:n])
	ch.pending = ch.pending[n:]
	s.stopReorder(ch)
	if len(ch.pending) == 0 {
		ch.pending = nil
		return
	}
	s.armReorder(ch)
}

// reorderTimeout ends a wait that the frames it waited for did not end: they are read
// from the store (their node died between commit and publish, or the engine lost them).
func (s *Server) reorderTimeout(ch *hubChannel, gen uint64) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if gen != ch.gen {
		return // a wait that ended while this callback was on its way
	}
	ch.timer = nil
	if len(ch.pending) == 0 {
		return
	}
	if s.store == nil {
		s.giveUp(ch, "Some frames of this channel could not be delivered.")
		return
	}
	s.repairs.ask(ch)
}

// deliverLocked hands a frame to the members that may receive it. Caller holds ch.mu.
//
// The copies are counted once per fan-out (one atomic add), never per member.
func (s *Server) deliverLocked(ch *hubChannel, env envelope) {
	d := deflated{plain: env.wire} // compressed at most once, for the members that want it
	n := 0
	switch env.kind {
	case kindBroadcast:
		authOnly := env.flags&flagAuthOnly != 0
		for _, m := range ch.members {
			if authOnly && !m.c.authed {
				continue
			}
			if env.offset > 0 && m.seen != 0 {
				if env.offset <= m.seen {
					continue
				}
				m.seen = 0
			}
			m.send(env, &d, s.lim.OutQueue)
			n++
		}
		if s.watch.counting() {
			s.watch.out.Add(int64(n))
		}
	case kindPrivate:
		c := s.conns.get(env.subject)
		if c == nil {
			return
		}
		if m := c.memberOf(ch.name); m != nil && m.ch == ch {
			m.send(env, &d, s.lim.OutQueue)
			n++
		}
	case kindGap:
		for _, m := range ch.members {
			m.send(env, &d, s.lim.OutQueue)
		}
		n = len(ch.members)
	case kindPresenceJoin, kindPresenceLeave:
		for _, m := range ch.members {
			if !m.presence || m.c.id == string(env.subject) {
				continue
			}
			m.send(env, &d, s.lim.OutQueue)
			n++
		}
	}
	if n > 0 {
		s.met.Delivered(metrics.RT, metrics.ActionOf(frameAction(env.wire)), n)
	}
}

// send queues a frame for the member (d: env's frame, compressed or not as the member's
// connection takes it), or holds it while its join replies go out. Caller holds m.ch.mu.
func (m *member) send(env envelope, d *deflated, limit int) {
	w := d.forConn(m.c)
	if h := m.hold; h != nil {
		h.items = append(h.items, heldFrame{wire: w, kind: env.kind, offset: env.offset, subject: string(env.subject)})
		h.bytes += len(w)
		if h.bytes > limit {
			m.c.slow()
		}
		return
	}
	m.c.enqueue(w)
}

// addMember and removeMember change ch.members; removeMember reports whether m was one.
// Caller holds ch.mu.
func (ch *hubChannel) addMember(m *member) {
	m.idx = len(ch.members)
	ch.members = append(ch.members, m)
}

func (ch *hubChannel) removeMember(m *member) bool {
	i := m.idx
	if i >= len(ch.members) || ch.members[i] != m {
		return false
	}
	last := len(ch.members) - 1
	ch.members[i] = ch.members[last]
	ch.members[i].idx = i
	ch.members[last] = nil
	ch.members = ch.members[:last]
	if len(ch.members) == 0 {
		ch.members = nil
	}
	return true
}
