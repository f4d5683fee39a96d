package realtime

import (
	"context"
	"math"
	"strconv"
	"sync"
	"time"

	"relaybase"
	"relaybase/metrics"
)

// Gap repair. The store is the source of truth for stored frames; the Engine is only the
// fast path, and it loses messages (Redis pub/sub is at most once: a publish that fails, a
// subscription that lapses while the connection is down). So each node reads what its
// members missed from the store:
//
//   - a stored frame goes to this node's own members directly (Server.broadcast), whether
//     or not the Engine takes it, and the Engine's copy is dropped by its offset;
//   - a gap in the offsets the Engine hands over that the reorder wait does not close
//     (hubChannel.pending) is read from the store;
//   - when the Engine reports that it subscribed again after losing its subscriptions
//     (relaybase.Resubscriber), every history channel of the node is read from its last
//     offset on;
//   - every Limits.GapCheck, every history channel of the node is compared with the store,
//     so a frame whose publish was lost with no later frame to reveal it still arrives;
//   - a stored frame whose publish failed is published again once the Engine is back
//     (Server.owed): other nodes then see the gap at once instead of at their next check.
//
// Repairs run on a few workers (repairs.take), one at a time per channel. What the store
// can't give back (the frames were trimmed from the history, the channel's sequence was
// reset, the store stayed unreachable while frames waited) and frames lost on channels
// that keep no history are announced to the members with a history_gap error: a member is
// never left believing it has everything when it does not.

const (
	repairWorkers = 2
	repairBatch   = 256 // frames one store read brings back
	// repairGiveUp is how many store reads in a row may fail (one reorder wait apart)
	// before frames waiting for a gap go out anyway, after a history_gap.
	repairGiveUp = 3
)

// Repair states of a hubChannel, guarded by repairs.mu.
const (
	repairIdle    = iota
	repairQueued  // in the queue
	repairRunning // a worker reads and delivers
	repairAgain   // running, and asked again meanwhile: queued again when done
)

// repairs is the queue of channels to read from the store.
type repairs struct {
	mu    sync.Mutex // a leaf: may be taken holding hubChannel.mu
	queue []*hubChannel
	wake  chan struct{}
}

func (r *repairs) init() { r.wake = make(chan struct{}, repairWorkers) }

// ask queues a repair of ch; one queued or running already is enough (a running one runs
// again after, since what it read may be older than what prompted this).
func (r *repairs) ask(ch *hubChannel) {
	r.mu.Lock()
	switch ch.repair {
	case repairIdle:
		ch.repair = repairQueued
		r.queue = append(r.queue, ch)
		r.signal()
	case repairRunning:
		ch.repair = repairAgain
	}
	r.mu.Unlock()
}

// signal wakes a worker. Caller holds r.mu.
func (r *repairs) signal() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// take waits for a channel to repair; nil once done is closed.
func (r *repairs) take(done <-chan struct{}) *hubChannel {
	for {
		r.mu.Lock()
		if len(r.queue) > 0 {
			ch := r.queue[0]
			r.queue[0] = nil
			r.queue = r.queue[1:]
			if len(r.queue) == 0 {
				r.queue = nil
			} else {
				r.signal() // another worker can take the next
			}
			ch.repair = repairRunning
			r.mu.Unlock()
			return ch
		}
		r.mu.Unlock()
		select {
		case <-r.wake:
		case <-done:
			return nil
		}
	}
}

// finish ends a repair taken from the queue.
func (r *repairs) finish(ch *hubChannel) {
	r.mu.Lock()
	if ch.repair == repairAgain {
		ch.repair = repairQueued
		r.queue = append(r.queue, ch)
		r.signal()
	} else {
		ch.repair = repairIdle
	}
	r.mu.Unlock()
}

// repairWorker reads channels' missed frames from the store until the server stops.
func (s *Server) repairWorker() {
	defer s.bg.Done()
	for {
		ch := s.repairs.take(s.ctx.Done())
		if ch == nil {
			return
		}
		s.repair(ch)
		s.repairs.finish(ch)
	}
}

// repair reads from the store what ch's members have not had (everything after ch.last;
// or, when the sequence is not seeded yet, where the channel stands) and delivers it in
// offset order, along with the frames that were waiting for it.
func (s *Server) repair(ch *hubChannel) {
	for {
		ch.mu.Lock()
		era, gone, seeded, after := ch.era, ch.gone, ch.seeded, ch.last
		ch.mu.Unlock()
		if gone {
			return
		}
		var (
			page relaybase.HistoryPage
			err  error
		)
		if seeded {
			page, err = s.store.History(s.ctx, ch.name, after, repairBatch)
		} else {
			page, err = s.store.History(s.ctx, ch.name, math.MaxInt64, 1)
		}
		if s.ctx.Err() != nil {
			return
		}
		ch.mu.Lock()
		if ch.era != era || ch.gone {
			// Subscribed anew meanwhile: that subscribe's own read seeds the sequence.
			ch.mu.Unlock()
			return
		}
		if err != nil {
			s.repairFailed(ch, err)
			ch.mu.Unlock()
			return
		}
		if ch.failures > 0 {
			s.log.Info("realtime: reading a channel's missed frames works again", "channel", ch.name)
			ch.failures = 0
		}
		more := s.applyRepair(ch, seeded, after, page)
		ch.mu.Unlock()
		if !more {
			return
		}
	}
}

// applyRepair delivers what a store read of the frames after offset after brought back,
// and reports whether to read on. Caller holds ch.mu.
func (s *Server) applyRepair(ch *hubChannel, seeded bool, after int64, page relaybase.HistoryPage) bool {
	if !seeded {
		s.seed(ch, page.Newest)
		return ch.seeded && gapWaiting(ch)
	}
	if page.Newest < after {
		// The channel's stored sequence went back: it was reset (a new epoch). Offsets
		// start over, and this node's members can't tell what they missed.
		s.signalGap(ch, "This channel's stored frames were reset; frames may be missing. Join again with history to read what it keeps.")
		ch.last = page.Newest
		ch.pending = nil
		s.stopReorder(ch)
		ch.headOK = false
		return false
	}
	progress := false
	repaired := 0
	for _, e := range page.Entries {
		if e.Offset <= ch.last {
			continue
		}
		if e.Offset > ch.last+1 {
			s.signalGap(ch, "Frames after offset "+strconv.FormatInt(ch.last, 10)+" up to "+
				strconv.FormatInt(e.Offset-1, 10)+" could not be delivered and are no longer kept.")
		}
		s.deliverLocked(ch, storedEnvelope(ch.rule, e))
		ch.last = e.Offset
		progress = true
		repaired++
	}
	s.met.Repaired(repaired)
	s.drainPending(ch)
	if len(page.Entries) == repairBatch {
		return true
	}
	if gapWaiting(ch) {
		// The store did not have the missing offsets yet when read (they committed while
		// it ran): wait again, and read again. A gap that does not close gives up.
		if progress {
			ch.stuck = 0
		} else if ch.stuck++; ch.stuck >= repairGiveUp {
			s.giveUp(ch, "Some frames of this channel could not be delivered.")
			return false
		}
		s.armReorder(ch)
	}
	return false
}

// gapWaiting reports whether frames wait for offsets that have not come. Caller holds ch.mu.
func gapWaiting(ch *hubChannel) bool {
	return len(ch.pending) > 0 && (!ch.seeded || ch.pending[0].offset > ch.last+1)
}

// repairFailed handles a store read that failed: frames that wait for it are retried
// after another reorder wait, and after repairGiveUp failures delivered anyway, announced
// by a history_gap. Caller holds ch.mu.
func (s *Server) repairFailed(ch *hubChannel, err error) {
	ch.failures++
	if ch.failures == 1 {
		s.log.Warn("realtime: reading a channel's missed frames from the store failed; retrying", "channel", ch.name, "err", err)
	}
	if len(ch.pending) == 0 {
		return // nothing waits: the next gap, resubscribe or check reads again
	}
	if ch.failures >= repairGiveUp {
		s.giveUp(ch, "Some frames of this channel could not be delivered: the server could not read them.")
		return
	}
	s.armReorder(ch)
}

// giveUp delivers the waiting frames in order without the ones they wait for, after
// telling the members that frames are missing. Caller holds ch.mu.
func (s *Server) giveUp(ch *hubChannel, msg string) {
	s.stopReorder(ch)
	ch.stuck = 0
	if len(ch.pending) == 0 {
		return
	}
	if !ch.seeded {
		ch.seeded, ch.last = true, ch.pending[0].offset-1
	}
	if ch.pending[0].offset > ch.last+1 {
		s.signalGap(ch, msg)
	}
	for _, e := range ch.pending {
		if e.offset > ch.last {
			s.deliverLocked(ch, e)
			ch.last = e.offset
		}
	}
	ch.pending = nil
}

// storedEnvelope is a stored frame as the Engine would have carried it.
func storedEnvelope(rule *relaybase.ChannelRule, e relaybase.HistoryEntry) envelope {
	var flags byte
	if e.AuthenticatedOnly || rule.AuthChannel && e.SenderAuthenticated {
		flags = flagAuthOnly
	}
	b := withOffset(append(newFrame(len(e.Frame)+24), e.Frame...), e.Offset)
	return envelope{kind: kindBroadcast, flags: flags, offset: e.Offset, wire: wire(b)}
}

// signalGap tells every member of ch on this node that frames of the channel are missing:
// a history_gap error, queued like any frame (after what they were sent before). Caller
// holds ch.mu.
func (s *Server) signalGap(ch *hubChannel, msg string) {
	if len(ch.members) == 0 {
		return
	}
	w := wire(appendError(newFrame(64+len(ch.name)+len(msg)), ch.name, codeHistoryGap, msg))
	env := envelope{kind: kindGap, wire: w}
	d := deflated{plain: w}
	for _, m := range ch.members {
		m.send(env, &d, s.lim.OutQueue)
	}
	s.met.Gap()
	s.met.Delivered(metrics.RT, "error", len(ch.members))
}

// lostOnChannelsWithoutHistory is the history_gap sent when frames of a channel that
// keeps no history may have been lost.
const lostWithoutHistory = "Frames of this channel may have been lost while the server was cut off from its other nodes; the channel keeps no history to recover them from."

// resubscribed is told by the Engine that it subscribed again after losing its
// subscriptions: what was published meanwhile did not arrive. History channels are read
// from the store; members of the others are told that frames may be missing.
func (s *Server) resubscribed() {
	for i := range s.hub.shards {
		for _, ch := range s.hub.shards[i].list() {
			if s.keepsHistory(ch.rule) {
				s.repairs.ask(ch)
				continue
			}
			ch.mu.Lock()
			s.signalGap(ch, lostWithoutHistory)
			ch.mu.Unlock()
		}
	}
}

// checker compares every history channel of this node with the store once per
// Limits.GapCheck, one hub shard at a time, so that a frame whose publish was lost (its
// node died between commit and publish) reaches the members even when no later frame
// reveals the gap.
func (s *Server) checker() {
	defer s.bg.Done()
	tick := max(s.lim.GapCheck/hubShards, time.Millisecond)
	t := time.NewTicker(tick)
	defer t.Stop()
	for i := 0; ; i = (i + 1) % hubShards {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		for _, ch := range s.hub.shards[i].list() {
			if s.keepsHistory(ch.rule) {
				s.repairs.ask(ch)
			}
		}
	}
}

// broadcast sends a broadcast (built by seal) to every member on every node. A stored
// frame (offset > 0) goes to this node's members at once, whether or not the Engine takes
// it, and the Engine's copy is dropped by its offset; when the Engine fails it is owed
// to the other nodes and published again once it is back. An unstored frame the Engine
// failed to take is lost: this node's members are told at once, the others once the
// Engine is back.
func (s *Server) broadcast(ctx context.Context, channel string, msg []byte, offset int64) error {
	if offset > 0 {
		s.deliverLocal(channel, msg)
		if s.oweAgain(channel, msg, offset) {
			return nil
		}
	}
	err := s.engine.Publish(ctx, channel, msg)
	if err == nil {
		return nil
	}
	if offset > 0 {
		s.owe(channel, msg, offset, err)
		return err
	}
	if ch := s.hub.get(channel); ch != nil {
		ch.mu.Lock()
		s.signalGap(ch, lostWithoutHistory)
		ch.mu.Unlock()
	}
	w := appendError(newFrame(64+len(channel)+len(lostWithoutHistory)), channel, codeHistoryGap, lostWithoutHistory)
	s.owe(channel, seal(w, kindGap, 0, 0, s.nodeID), 0, err)
	return err
}

// deliverLocal hands a stored frame published by this node to its own members.
func (s *Server) deliverLocal(channel string, msg []byte) {
	ch := s.hub.get(channel)
	if ch == nil {
		return
	}
	env, _ := openEnvelope(msg)
	ch.mu.Lock()
	s.sequence(ch, env)
	ch.mu.Unlock()
}

// owedPublish is what this node owes the other nodes of one channel: the newest stored
// frame whose publish failed (the others read the ones before it from the store when it
// reveals the gap), and a history_gap for unstored frames that were lost.
type owedPublish struct {
	frame  []byte
	offset int64
	notice []byte
}

// owe records a publish that failed, for the republisher.
func (s *Server) owe(channel string, msg []byte, offset int64, err error) {
	s.owedMu.Lock()
	o := s.owed[channel]
	if o == nil {
		o = &owedPublish{}
		s.owed[channel] = o
		s.log.Warn("realtime: publishing to the other nodes failed; publishing again once the engine is back",
			"channel", channel, "offset", offset, "err", err)
	}
	if offset > 0 && offset > o.offset {
		o.frame, o.offset = msg, offset
	} else if offset == 0 {
		o.notice = msg
	}
	s.owedMu.Unlock()
	select {
	case s.owedWake <- struct{}{}:
	default:
	}
}

// oweAgain adds a stored frame to what is owed on channel when a publish there failed
// already and has not gone out since: the Engine is down, and each publish would wait for
// it to fail (holding the request that published it). The republisher publishes the newest
// owed frame once the Engine is back; the other nodes read the ones before it from the
// store. It reports whether the frame was owed.
func (s *Server) oweAgain(channel string, msg []byte, offset int64) bool {
	s.owedMu.Lock()
	defer s.owedMu.Unlock()
	o := s.owed[channel]
	if o == nil || o.frame == nil {
		return false
	}
	if offset > o.offset {
		o.frame, o.offset = msg, offset
	}
	return true
}

// republisher publishes what failed again, with a backoff (100 ms doubling to 2 s), until
// the Engine takes it.
func (s *Server) republisher() {
	defer s.bg.Done()
	var backoff time.Duration
	t := time.NewTimer(time.Hour)
	t.Stop()
	defer t.Stop()
	for {
		if backoff == 0 {
			select {
			case <-s.ctx.Done():
				return
			case <-s.owedWake:
			}
		} else {
			t.Reset(backoff)
			select {
			case <-s.ctx.Done():
				return
			case <-t.C:
			}
		}
		if s.publishOwed() {
			backoff = 0
			s.log.Info("realtime: publishing to the other nodes works again")
		} else {
			backoff = min(max(2*backoff, 100*time.Millisecond), 2*time.Second)
		}
	}
}

// publishOwed publishes what is owed and reports whether nothing is left.
func (s *Server) publishOwed() bool {
	s.owedMu.Lock()
	owed := make(map[string]owedPublish, len(s.owed))
	for ch, o := range s.owed {
		owed[ch] = *o
	}
	s.owedMu.Unlock()
	ctx, cancel := context.WithTimeout(s.ctx, 5*time.Second)
	defer cancel()
	for channel, o := range owed {
		if o.notice != nil && s.engine.Publish(ctx, channel, o.notice) != nil {
			return false // the engine is still down: try again later
		}
		if o.frame != nil && s.engine.Publish(ctx, channel, o.frame) != nil {
			return false
		}
		s.owedMu.Lock()
		if cur := s.owed[channel]; cur != nil {
			// Forget what went out; keep what failed meanwhile.
			if sameBytes(cur.notice, o.notice) {
				cur.notice = nil
			}
			if cur.offset == o.offset {
				cur.frame, cur.offset = nil, 0
			}
			if cur.frame == nil && cur.notice == nil {
				delete(s.owed, channel)
			}
		}
		s.owedMu.Unlock()
	}
	s.owedMu.Lock()
	defer s.owedMu.Unlock()
	return len(s.owed) == 0
}

// sameBytes reports whether a and b are the same slice (not just equal bytes).
func sameBytes(a, b []byte) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}
