package redis

import (
	"context"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// localMember is a presence entry this node added, kept so that heartbeats can refresh it
// and write it again when Redis lost it.
type localMember struct {
	member []byte
	stored bool // Redis holds it as last written; false: the next heartbeat writes it whole
}

// Scripts. KEYS[1] is a channel's presence sorted set (socketId → last heartbeat, ms on the
// nodes' clock), KEYS[2] its member hash (socketId → member JSON), KEYS[3] its removal
// marks (socketId → "1": removed by a node other than the one that added it). The sorted
// set and the member hash get a TTL of twice the expiry on every write, so the keys of a
// channel whose every node died go away too; the marks get it when one is written.

// addScript: ARGV now, ttl, socketId, member.
var addScript = goredis.NewScript(`
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[3], ARGV[4])
redis.call('HDEL', KEYS[3], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 1
`)

// removeScript: ARGV socketId, mark, ttl. With mark "1" (the entry is another node's) an
// entry that was there leaves a removal mark, so that its node forgets it rather than
// write it back.
var removeScript = goredis.NewScript(`
local n = redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
if n == 1 and ARGV[2] == '1' then
  redis.call('HSET', KEYS[3], ARGV[1], '1')
  redis.call('PEXPIRE', KEYS[3], ARGV[3])
end
return n
`)

// presenceScript lists the members whose last heartbeat is after ARGV[1] (the cutoff).
var presenceScript = goredis.NewScript(`
local ids = redis.call('ZRANGE', KEYS[1], '(' .. ARGV[1], '+inf', 'BYSCORE')
local out = {}
for i = 1, #ids, 500 do
  local vals = redis.call('HMGET', KEYS[2], unpack(ids, i, math.min(i + 499, #ids)))
  for k = 1, #vals do
    if vals[k] then out[#out + 1] = vals[k] end
  end
end
return out
`)

// beatScript refreshes this node's entries of one channel and sweeps expired ones.
// ARGV: now, cutoff, ttl, then pairs socketId, op: op "x" refreshes the entry's score; "r"
// followed by the member JSON writes the entry whole. An entry with a removal mark is not
// refreshed or written: the mark is dropped and the entry reported removed. It returns
// {swept, removed, lost}: swept lists the entries whose score was at or below the cutoff,
// now removed, as socketId, member pairs; removed the socketIds that had a removal mark;
// lost the socketIds of "x" entries that were gone without a mark (swept while their node
// was late, or lost by Redis), for the node to write whole.
var beatScript = goredis.NewScript(`
local now = ARGV[1]
local removed, lost = {}, {}
for i = 4, #ARGV, 2 do
  local id, op = ARGV[i], ARGV[i + 1]
  if redis.call('HDEL', KEYS[3], id) == 1 then
    removed[#removed + 1] = id
  elseif op ~= 'x' then
    redis.call('ZADD', KEYS[1], now, id)
    redis.call('HSET', KEYS[2], id, string.sub(op, 2))
  elseif redis.call('ZSCORE', KEYS[1], id) then
    redis.call('ZADD', KEYS[1], now, id)
  else
    lost[#lost + 1] = id
  end
end
local gone = redis.call('ZRANGE', KEYS[1], '-inf', ARGV[2], 'BYSCORE')
local swept = {}
for i = 1, #gone, 500 do
  local ids = {unpack(gone, i, math.min(i + 499, #gone))}
  local vals = redis.call('HMGET', KEYS[2], unpack(ids))
  for k = 1, #ids do
    swept[#swept + 1] = ids[k]
    swept[#swept + 1] = vals[k] or ''
  end
  redis.call('ZREM', KEYS[1], unpack(ids))
  redis.call('HDEL', KEYS[2], unpack(ids))
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
end
return {swept, removed, lost}
`)

// presenceKeys are the keys of channel's presence, in the scripts' order.
func (e *Engine) presenceKeys(channel string) []string {
	return []string{e.keys.presence(channel), e.keys.members(channel), e.keys.removed(channel)}
}

func ms(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

func (e *Engine) keyTTL() string { return strconv.FormatInt((2 * e.cfg.expiry).Milliseconds(), 10) }

func (e *Engine) cutoff(now time.Time) string { return ms(now.Add(-e.cfg.expiry)) }

// AddPresence records member under socketID in channel, scored with the clock's now, and
// keeps it on this node so that every heartbeat refreshes it. An entry of the same socketID
// is replaced. When the write fails the entry is still kept, and the next heartbeat writes
// it.
func (e *Engine) AddPresence(ctx context.Context, channel, socketID string, member []byte) error {
	if e.closed.Load() {
		return ErrClosed
	}
	lm := &localMember{member: member}
	e.pmu.Lock()
	m := e.local[channel]
	if m == nil {
		m = make(map[string]*localMember)
		e.local[channel] = m
	}
	m[socketID] = lm
	if r := e.removals[channel]; r != nil {
		delete(r, socketID)
		if len(r) == 0 {
			delete(e.removals, channel)
		}
	}
	e.pmu.Unlock()

	ctx, cancel := e.opContext(ctx)
	defer cancel()
	err := addScript.Run(ctx, e.client, e.presenceKeys(channel), ms(e.cfg.clock.Now()), e.keyTTL(), socketID, member).Err()
	if err != nil {
		return unavailable("add presence in "+strconv.Quote(channel), err)
	}
	e.pmu.Lock()
	if e.local[channel][socketID] == lm {
		lm.stored = true
	}
	e.pmu.Unlock()
	return nil
}

// RemovePresence removes socketID from channel, whichever node added it; removing an
// absent entry does nothing. When the removal fails it is retried at the next heartbeat
// (unless the entry was added again meanwhile); until then the entry, no longer refreshed,
// may be listed for up to the expiry.
func (e *Engine) RemovePresence(ctx context.Context, channel, socketID string) error {
	if e.closed.Load() {
		return ErrClosed
	}
	e.pmu.Lock()
	m := e.local[channel]
	_, own := m[socketID]
	if own {
		delete(m, socketID)
		if len(m) == 0 {
			delete(e.local, channel)
		}
	}
	e.pmu.Unlock()
	ctx, cancel := e.opContext(ctx)
	defer cancel()
	if err := e.remove(ctx, channel, socketID, !own); err != nil {
		e.pmu.Lock()
		e.queueRemoval(channel, socketID)
		e.pmu.Unlock()
		return unavailable("remove presence in "+strconv.Quote(channel), err)
	}
	return nil
}

// remove removes an entry; mark leaves a removal mark for the node that added it.
func (e *Engine) remove(ctx context.Context, channel, socketID string, mark bool) error {
	m := "0"
	if mark {
		m = "1"
	}
	return removeScript.Run(ctx, e.client, e.presenceKeys(channel), socketID, m, e.keyTTL()).Err()
}

// queueRemoval notes a removal to retry. Caller holds pmu.
func (e *Engine) queueRemoval(channel, socketID string) {
	r := e.removals[channel]
	if r == nil {
		r = make(map[string]struct{})
		e.removals[channel] = r
	}
	r[socketID] = struct{}{}
}

// Presence lists the members of channel on every node whose last heartbeat is within the
// expiry, in no set order. Each is a fresh copy.
func (e *Engine) Presence(ctx context.Context, channel string) ([][]byte, error) {
	if e.closed.Load() {
		return nil, ErrClosed
	}
	ctx, cancel := e.opContext(ctx)
	defer cancel()
	vals, err := presenceScript.Run(ctx, e.client, e.presenceKeys(channel), e.cutoff(e.cfg.clock.Now())).StringSlice()
	if err != nil {
		return nil, unavailable("presence of "+strconv.Quote(channel), err)
	}
	if len(vals) == 0 {
		return nil, nil
	}
	out := make([][]byte, len(vals))
	for i, v := range vals {
		out[i] = []byte(v)
	}
	return out, nil
}

// heartbeat refreshes this node's presence entries every heartbeat interval (on the
// clock), and when the receiver asks after a reconnection.
func (e *Engine) heartbeat(tick <-chan time.Time, stop func()) {
	defer e.wg.Done()
	defer stop()
	for {
		select {
		case <-e.ctx.Done():
			return
		case <-tick:
		case <-e.kick:
		}
		e.beat(e.ctx)
	}
}

// beatBatch is how many script calls go in one pipeline, and beatChunk how many entries
// one script call refreshes.
const (
	beatBatch = 128
	beatChunk = 1000
)

type beatCall struct {
	channel string
	args    []any
	entries map[string]beatEntry // by socketID
}

type beatEntry struct {
	lm      *localMember
	restore bool // written whole ("r"), else refreshed ("x")
}

// beatResult is what one beat script call did.
type beatResult struct {
	call    *beatCall
	swept   []expiredEntry
	removed []string // entries another node removed: forget them
	lost    []string // entries gone without a removal: write them whole
	err     error
}

// beat is one heartbeat: refresh this node's entries (writing them whole when Redis may
// have lost them), sweep expired entries of the channels this node has members in, retry
// failed removals, and mark this node alive. It reports whether everything went through.
func (e *Engine) beat(ctx context.Context) bool {
	now := e.cfg.clock.Now()
	ctx, cancel := context.WithTimeout(ctx, max(e.cfg.timeout, e.cfg.heartbeat))
	defer cancel()

	// Write every entry whole when Redis lost this node's data (restarted, flushed: the
	// node key is gone); otherwise refresh scores, and write whole only the entries found
	// lost (and those whose last write failed).
	nodeKey := e.keys.node(e.nodeID)
	n, err := e.client.Exists(ctx, nodeKey).Result()
	if err != nil {
		e.cfg.log.Warn("redis engine: heartbeat failed", "err", err)
		return false
	}
	restoreAll := n == 0

	nowArg, cutoff, ttl := ms(now), e.cutoff(now), e.keyTTL()
	var calls []beatCall
	var retries []beatCall
	e.pmu.Lock()
	for channel, m := range e.local {
		newCall := func() beatCall {
			return beatCall{channel: channel, args: []any{nowArg, cutoff, ttl}, entries: make(map[string]beatEntry)}
		}
		call := newCall()
		for id, lm := range m {
			restore := restoreAll || !lm.stored
			if restore {
				call.args = append(call.args, id, append([]byte{'r'}, lm.member...))
			} else {
				call.args = append(call.args, id, "x")
			}
			call.entries[id] = beatEntry{lm: lm, restore: restore}
			if len(call.entries) >= beatChunk {
				calls = append(calls, call)
				call = newCall()
			}
		}
		if len(call.entries) > 0 {
			calls = append(calls, call)
		}
	}
	for channel, r := range e.removals {
		for id := range r {
			retries = append(retries, beatCall{channel: channel, args: []any{id}})
		}
	}
	clear(e.removals)
	e.pmu.Unlock()

	ok := true
	var expired []expiredEntry
	for len(calls) > 0 {
		batch := calls[:min(beatBatch, len(calls))]
		calls = calls[len(batch):]
		results := e.runBeat(ctx, batch)
		for _, r := range results {
			expired = append(expired, r.swept...)
			if r.err != nil && ok {
				e.cfg.log.Warn("redis engine: heartbeat failed", "channel", r.call.channel, "err", r.err)
				ok = false
			}
		}
		e.settle(results)
		if !ok {
			break
		}
	}
	for _, r := range retries {
		id := r.args[0].(string)
		e.pmu.Lock()
		_, back := e.local[r.channel][id]
		e.pmu.Unlock()
		if back {
			continue
		}
		if !ok || e.remove(ctx, r.channel, id, false) != nil {
			ok = false
			e.pmu.Lock()
			if _, back := e.local[r.channel][id]; !back {
				e.queueRemoval(r.channel, id)
			}
			e.pmu.Unlock()
		}
	}
	if ok {
		if err := e.client.Set(ctx, nodeKey, nowArg, 2*e.cfg.expiry).Err(); err != nil {
			e.cfg.log.Warn("redis engine: heartbeat failed", "err", err)
			ok = false
		}
	}
	if f := e.onExpire.Load(); f != nil {
		for _, x := range expired {
			(*f)(x.channel, x.socketID, x.member)
		}
	}
	return ok
}

type expiredEntry struct {
	channel, socketID string
	member            []byte
}

// runBeat runs one pipeline of beat scripts.
func (e *Engine) runBeat(ctx context.Context, batch []beatCall) []beatResult {
	pipe := e.client.Pipeline()
	cmds := make([]*goredis.Cmd, len(batch))
	for i := range batch {
		cmds[i] = beatScript.EvalSha(ctx, pipe, e.presenceKeys(batch[i].channel), batch[i].args...)
	}
	_, _ = pipe.Exec(ctx)
	results := make([]beatResult, len(batch))
	for i, cmd := range cmds {
		c := &batch[i]
		r := &results[i]
		r.call = c
		if err := cmd.Err(); err != nil && goredis.HasErrorPrefix(err, "NOSCRIPT") {
			// Redis restarted since the script was loaded: Run sends it again.
			cmd = beatScript.Run(ctx, e.client, e.presenceKeys(c.channel), c.args...)
		}
		v, err := cmd.Slice()
		if err != nil {
			r.err = err
			continue
		}
		var swept, removed, lost []any
		if len(v) == 3 {
			swept, _ = v[0].([]any)
			removed, _ = v[1].([]any)
			lost, _ = v[2].([]any)
		}
		for j := 0; j+1 < len(swept); j += 2 {
			id, _ := swept[j].(string)
			member, _ := swept[j+1].(string)
			x := expiredEntry{channel: c.channel, socketID: id}
			if member != "" {
				x.member = []byte(member)
			}
			r.swept = append(r.swept, x)
		}
		for _, x := range removed {
			if id, ok := x.(string); ok {
				r.removed = append(r.removed, id)
			}
		}
		for _, x := range lost {
			if id, ok := x.(string); ok {
				r.lost = append(r.lost, id)
			}
		}
	}
	return results
}

// settle updates this node's entries after their heartbeat: entries another node removed
// are forgotten (so they stay removed); lost entries are written whole by a heartbeat
// asked for at once; entries written whole are stored. An entry removed here while its
// heartbeat was in flight may have been written back after its removal: remove it again.
func (e *Engine) settle(results []beatResult) {
	e.pmu.Lock()
	defer e.pmu.Unlock()
	again := false
	for _, r := range results {
		if r.err != nil {
			continue
		}
		c := r.call
		skip := make(map[string]bool, len(r.removed))
		for _, id := range r.removed {
			skip[id] = true
			if m := e.local[c.channel]; m != nil && m[id] == c.entries[id].lm {
				delete(m, id)
				if len(m) == 0 {
					delete(e.local, c.channel)
				}
			}
		}
		for _, id := range r.lost {
			if lm := e.local[c.channel][id]; lm != nil {
				lm.stored = false
				again = true
			}
		}
		for id, be := range c.entries {
			if !be.restore || skip[id] {
				continue
			}
			switch cur := e.local[c.channel][id]; {
			case cur == be.lm:
				cur.stored = true
			case cur == nil:
				e.queueRemoval(c.channel, id)
				again = true
			default:
				cur.stored = false // replaced meanwhile: write the new one whole next time
			}
		}
	}
	if again {
		select {
		case e.kick <- struct{}{}:
		default:
		}
	}
}

// removeAll removes every presence entry this node added, and its liveness key: a node
// that closes takes its members with it at once rather than after the expiry.
func (e *Engine) removeAll(ctx context.Context) error {
	e.pmu.Lock()
	type entry struct{ channel, socketID string }
	var all []entry
	for channel, m := range e.local {
		for id := range m {
			all = append(all, entry{channel, id})
		}
	}
	for channel, r := range e.removals {
		for id := range r {
			all = append(all, entry{channel, id})
		}
	}
	clear(e.local)
	clear(e.removals)
	e.pmu.Unlock()

	pipe := e.client.Pipeline()
	for _, x := range all {
		removeScript.Eval(ctx, pipe, e.presenceKeys(x.channel), x.socketID, "0", e.keyTTL())
	}
	pipe.Del(ctx, e.keys.node(e.nodeID))
	if _, err := pipe.Exec(ctx); err != nil {
		return unavailable("remove this node's presence", err)
	}
	return nil
}
