package realtime

import (
	"encoding/json"
	"math"
	"strconv"

	"relaybase"
	"relaybase/metrics"
)

// joining is one join in progress: what each step decides, for the next.
type joining struct {
	f            *clientFrame
	name         string
	rule         *relaybase.ChannelRule
	ch           *hubChannel
	m            *member
	repeat       bool // already a member: answered again, with no new membership
	wantPresence bool // the client asked for presence and the channel has it
	keeps        bool // the channel stores frames
	readHead     bool // the store is read for the page's epoch and newest offset
	resubscribed bool // this join subscribed the node to the channel
	page         relaybase.HistoryPage
	histErr      error
	list         [][]byte // the presence list, when wantPresence
}

// join answers a join (protocol.md §2.3), in the order doc.go states: the client is
// admitted, becomes a member whose live frames are held, what is stored is read, the
// replies go out (join reply, presence_full, history or the resumed frames), and then the
// held live frames, minus those the replies already carried.
func (c *conn) join(f *clientFrame) {
	j := joining{f: f, name: f.Channel}
	if !c.admitJoin(&j) {
		return
	}
	if !c.enterChannel(&j) {
		return
	}
	c.readStored(&j)
	seen := c.sendJoinReplies(&j)
	c.releaseHeld(&j, seen)
}

// admitJoin applies the channel's rule, the channel limit and the join trigger, and takes
// a reference on the hub's entry for a new membership. It reports false when the join was
// refused (and answered).
func (c *conn) admitJoin(j *joining) bool {
	s := c.srv
	rule, ok := s.Match(j.name)
	if !ok {
		s.met.JoinRefused(metrics.RT, codeChannelNotFound)
		c.refuse(j.name, codeChannelNotFound, "No realtime channel matches "+strconv.Quote(j.name)+".")
		return false
	}
	if !c.authed && !rule.AnonymousClients {
		s.met.JoinRefused(metrics.RT, codeUnauthorized)
		c.refuse(j.name, codeUnauthorized, "This channel needs an authenticated client.")
		return false
	}
	j.rule = rule
	j.wantPresence = j.f.Join.Presence && rule.Presence
	j.keeps = s.keepsHistory(rule)
	if j.m = c.memberOf(j.name); j.m != nil {
		j.repeat = true
		j.ch = j.m.ch
		return true
	}
	c.mu.Lock()
	n := len(c.members)
	c.mu.Unlock()
	if n >= s.lim.MaxChannels {
		s.met.JoinRefused(metrics.RT, codeTooManyChannels)
		c.refuse(j.name, codeTooManyChannels, "A connection may join at most "+strconv.Itoa(s.lim.MaxChannels)+" channels.")
		return false
	}
	if code := c.triggerCode(actJoin, j.f); code != "" {
		s.met.JoinRefused(metrics.RT, code)
		return false
	}
	j.ch = s.hub.acquire(j.name, rule)
	return true
}

// enterChannel makes the connection a member, under the channel's opMu (see hubChannel):
// the node subscribed, the member added with its live frames held, its presence added and
// announced, and the presence list read. It decides whether the join reply needs a store
// read for the channel's head. It reports false when the Engine refused the subscription
// (answered with internal).
func (c *conn) enterChannel(j *joining) bool {
	s := c.srv
	ctx := s.ctx
	ch := j.ch
	ch.opMu.Lock()
	if !ch.subscribed {
		if err := s.engine.Subscribe(ctx, j.name); err != nil {
			if !j.repeat {
				s.release(ch)
			}
			ch.opMu.Unlock()
			s.met.JoinRefused(metrics.RT, codeInternal)
			c.internal(j.name, "join the channel", err) // not under opMu: it may wait for room
			return false
		}
		ch.subscribed = true
		j.resubscribed = true
	}
	ch.mu.Lock()
	if j.resubscribed {
		// Frames may have gone by unseen while not subscribed: where the channel stands
		// is read again (readStored), and stored frames wait for that.
		ch.headOK = false
		s.stopReorder(ch)
		ch.pending = nil
		ch.last, ch.seeded = 0, false
		ch.era++ // a repair read before this subscribe is not applied
	}
	switch {
	case !j.keeps:
	case ch.headOK && !j.f.Join.History && !j.f.Join.HasSince:
		// The reply needs the head only: this node knows it (see hubChannel.headOK).
		j.page.Epoch, j.page.Newest = ch.epoch, ch.last
	default:
		j.readHead = true
	}
	if j.repeat {
		j.m.hold = &holdBuf{}
		j.m.presence = j.m.presence || j.wantPresence
	} else {
		j.m = &member{c: c, ch: ch, presence: j.wantPresence, hold: &holdBuf{}}
		ch.addMember(j.m)
		s.members.Add(1)
	}
	ch.mu.Unlock()
	if !j.repeat {
		c.mu.Lock()
		c.members = append(c.members, j.m)
		c.mu.Unlock()
		if err := s.engine.AddPresence(ctx, j.name, c.id, c.client); err != nil {
			s.log.Warn("realtime: engine add presence failed", "channel", j.name, "err", err)
		}
		if j.rule.Presence {
			s.publishPresence(ctx, j.name, true, c)
		}
	}
	if j.wantPresence {
		var err error
		if j.list, err = s.engine.Presence(ctx, j.name); err != nil {
			s.log.Warn("realtime: engine presence failed", "channel", j.name, "err", err)
		}
	}
	ch.opMu.Unlock()
	return true
}

// readStored reads what the channel has stored, when the join needs it: after subscribing,
// so that no stored frame falls between the read and live delivery.
func (c *conn) readStored(j *joining) {
	if !j.readHead {
		return
	}
	s := c.srv
	if j.f.Join.HasSince || j.f.Join.History {
		s.met.HistoryRead(metrics.RT)
	}
	switch {
	case j.f.Join.HasSince:
		j.page, j.histErr = s.store.History(s.ctx, j.name, j.f.Join.Since, 0)
	case j.f.Join.History:
		j.page, j.histErr = s.store.History(s.ctx, j.name, 0, 0)
	default:
		j.page, j.histErr = s.store.History(s.ctx, j.name, math.MaxInt64, 1)
	}
	if j.histErr == nil {
		ch := j.ch
		ch.mu.Lock()
		s.seed(ch, j.page.Newest)
		ch.noteHead(j.page)
		ch.mu.Unlock()
	}
}

// sendJoinReplies sends the join reply, presence_full, and the history or the resumed
// frames the client asked for. It returns the newest offset those carried: live frames up
// to it are not sent again.
func (c *conn) sendJoinReplies(j *joining) (seen int64) {
	s := c.srv
	name, page := j.name, j.page
	c.reply(wire(appendJoinReply(newFrame(128+len(c.client)+len(name)), c.client, name, j.keeps, page.Epoch, page.Newest)))
	if j.wantPresence {
		c.reply(wire(appendPresenceFull(newFrame(presenceSize(j.list)+len(name)+64), name, j.list)))
	}
	join := j.f.Join
	switch {
	case j.histErr != nil:
		c.internal(name, "read the channel's history", j.histErr)
	case join.HasSince && !j.keeps:
		if join.Since > 0 {
			c.sendError(name, codeHistoryGap, "This channel keeps no history to resume from.")
			c.reply(wire(appendHistory(newFrame(64), name, nil, j.rule, c.authed)))
		}
	case join.HasSince:
		if resumeGap(page, join) {
			c.sendError(name, codeHistoryGap, "Some frames since offset "+strconv.FormatInt(join.Since, 10)+" are no longer kept; here is the full history.")
			full, err := s.store.History(s.ctx, name, 0, 0)
			if err != nil {
				c.internal(name, "read the channel's history", err)
				return 0
			}
			c.reply(wire(appendHistory(newFrame(historySize(full)), name, full.Entries, j.rule, c.authed)))
			return full.Newest
		}
		for _, e := range page.Entries {
			if visible(e, j.rule, c.authed) {
				c.reply(wire(withOffset(append(newFrame(len(e.Frame)+24), e.Frame...), e.Offset)))
			}
		}
		return page.Newest
	case join.History:
		c.reply(wire(appendHistory(newFrame(historySize(page)), name, page.Entries, j.rule, c.authed)))
		return page.Newest
	case j.keeps:
		// The reply told the member where the channel stands: what is at or below that
		// offset is not news to it.
		return page.Newest
	}
	return 0
}

// releaseHeld ends the hold: the live frames that arrived while the replies went out are
// queued, minus stored frames up to seen and presence updates the presence list already
// reflected, and live delivery goes straight to the queue from now on.
func (c *conn) releaseHeld(j *joining, seen int64) {
	var present map[string]bool
	if j.wantPresence {
		present = make(map[string]bool, len(j.list))
		for _, p := range j.list {
			present[memberSocketID(p)] = true
		}
	}
	ch, m := j.ch, j.m
	ch.mu.Lock()
	defer ch.mu.Unlock()
	m.seen = seen
	held := m.hold
	m.hold = nil
	for _, h := range held.items {
		switch h.kind {
		case kindPresenceJoin:
			// Already in the list sent, or announced twice from another node.
			if present != nil {
				if present[h.subject] {
					continue
				}
				present[h.subject] = true
			}
		case kindPresenceLeave:
			if present != nil {
				if !present[h.subject] {
					continue
				}
				delete(present, h.subject)
			}
		case kindBroadcast:
			if h.offset > 0 && h.offset <= m.seen {
				continue // sent as history already
			}
		}
		c.enqueue(h.wire)
	}
}

// resumeGap reports whether a resume from j.Since can't be served from page (read with
// after = j.Since): another epoch, an offset the channel never reached, or frames after it
// no longer kept. An empty epoch from the client matches any (it joined before the
// channel's first stored frame, when there was no epoch yet).
func resumeGap(page relaybase.HistoryPage, j joinPayload) bool {
	switch {
	case j.Epoch != "" && j.Epoch != page.Epoch:
		return true
	case j.Since > page.Newest:
		return true
	case j.Since < page.Newest && (page.Oldest == 0 || page.Oldest > j.Since+1):
		return true
	}
	return false
}

// visible applies the receive rule (protocol.md §3) to a stored frame.
func visible(e relaybase.HistoryEntry, rule *relaybase.ChannelRule, authed bool) bool {
	return authed || !(e.AuthenticatedOnly || (rule.AuthChannel && e.SenderAuthenticated))
}

// appendHistory appends a history frame: the newest rule.History entries the member may
// read, oldest first.
func appendHistory(b []byte, channel string, entries []relaybase.HistoryEntry, rule *relaybase.ChannelRule, authed bool) []byte {
	if rule.History > 0 && len(entries) > rule.History {
		entries = entries[len(entries)-rule.History:]
	}
	b = append(b, `{"action":"history"`...)
	b = appendOptions(b, channel)
	b = append(b, `,"payload":{"history":[`...)
	first := true
	for _, e := range entries {
		if !visible(e, rule, authed) {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendHistoryEntry(b, e.Frame, e.Offset, e.CreatedAt)
	}
	return append(b, `]}}`...)
}

func historySize(p relaybase.HistoryPage) int {
	n := 96
	for _, e := range p.Entries {
		n += len(e.Frame) + 48
	}
	return n
}

func presenceSize(list [][]byte) int {
	n := 0
	for _, m := range list {
		n += len(m) + 1
	}
	return n
}

// memberSocketID reads the socketId of a client object C.
func memberSocketID(member []byte) string {
	var v struct {
		SocketID string `json:"socketId"`
	}
	_ = json.Unmarshal(member, &v)
	return v.SocketID
}
