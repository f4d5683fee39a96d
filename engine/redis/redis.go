package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"relaybase"
)

// ErrClosed is returned by an Engine used after Close (it wraps relaybase.ErrUnavailable).
var ErrClosed = fmt.Errorf("redis engine closed: %w", relaybase.ErrUnavailable)

// unavailable wraps a failure to reach Redis.
func unavailable(op string, err error) error {
	return fmt.Errorf("redis engine: %s: %w: %w", op, relaybase.ErrUnavailable, err)
}

// Engine is one relaybase node's handle on a Redis shared with the other nodes. It
// implements relaybase.Engine; see the package doc for keys, ordering and expiry.
type Engine struct {
	cfg    config
	client *goredis.Client
	keys   keys
	nodeID string

	ctx    context.Context // ends at Close: stops the goroutines below
	cancel context.CancelFunc
	wg     sync.WaitGroup // receiver, heartbeat, watchdog

	closeMu sync.Mutex // serialises Start and Close
	closed  atomic.Bool
	started bool
	stopCtx func() bool

	handler  atomic.Pointer[func(channel string, msg []byte)]
	onExpire atomic.Pointer[func(channel, socketID string, member []byte)]
	onResub  atomic.Pointer[func()]

	// mu guards the pub/sub connection and the subscriptions. It is never held across a
	// call to Redis.
	mu   sync.Mutex
	ps   *goredis.PubSub
	shut bool // Close has closed ps: make no other
	subs map[string]*subscription
	// inflight counts, per channel, the SUBSCRIBEs sent on ps whose confirmation has not
	// arrived. A confirmation may belong to an earlier SUBSCRIBE of the channel (subscribed,
	// given up on, subscribed again): a subscription is confirmed by the last one.
	inflight map[string]int
	// resync holds, after a reconnect, the channels whose SUBSCRIBE on the new connection
	// is not confirmed yet; once it empties the resubscription is reported (OnResubscribe).
	// nil: no reconnect is waiting.
	resync map[string]struct{}

	lastRecv atomic.Int64  // real-time nanoseconds (since epoch) of the last pub/sub reply
	kick     chan struct{} // asks the heartbeat loop for a heartbeat now

	// pmu guards this node's presence entries: local and removals.
	pmu      sync.Mutex
	local    map[string]map[string]*localMember // channel → socketID → entry
	removals map[string]map[string]struct{}     // removals that failed, retried at the next heartbeat
}

// subscription is this node's interest in one channel.
type subscription struct {
	confirmed bool          // Redis confirmed the SUBSCRIBE: messages published from now on arrive
	done      chan struct{} // closed once confirmed, or dropped before that
}

var (
	_ relaybase.Engine          = (*Engine)(nil)
	_ relaybase.Resubscriber    = (*Engine)(nil)
	_ relaybase.PresenceExpirer = (*Engine)(nil)
)

// New connects to the Redis at url (redis://[user:password@]host:port/db, or rediss:// for
// TLS; go-redis's query options apply) and returns a node whose goroutines run until Close.
// It fails, wrapping relaybase.ErrUnavailable, when Redis can't be reached within ctx, or
// is older than 6.2.
func New(ctx context.Context, url string, opts ...Option) (*Engine, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	if err := cfg.check(); err != nil {
		return nil, fmt.Errorf("redis engine: %w", err)
	}
	ro, err := goredis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("redis engine: bad URL: %w", err)
	}
	if ro.MaxRetries == 0 {
		// A PUBLISH retried after its connection broke may have run already: no retries,
		// so that a message is delivered at most once (failed calls return an error).
		ro.MaxRetries = -1
	}
	client := goredis.NewClient(ro)
	if err := checkServer(ctx, client, cfg.timeout); err != nil {
		_ = client.Close()
		return nil, fmt.Errorf("redis engine: %s: %w", ro.Addr, err)
	}
	var id [8]byte
	_, _ = rand.Read(id[:])
	e := &Engine{
		cfg:      cfg,
		client:   client,
		keys:     keys{prefix: cfg.prefix},
		nodeID:   hex.EncodeToString(id[:]),
		subs:     make(map[string]*subscription),
		inflight: make(map[string]int),
		kick:     make(chan struct{}, 1),
		local:    make(map[string]map[string]*localMember),
		removals: make(map[string]map[string]struct{}),
	}
	e.ctx, e.cancel = context.WithCancel(context.Background())
	e.ps = client.Subscribe(e.ctx)
	e.lastRecv.Store(time.Now().UnixNano())
	tick, stopTick := cfg.clock.NewTicker(cfg.heartbeat) // now, so that no tick is missed
	e.wg.Add(3)
	go e.receive()
	go e.heartbeat(tick, stopTick)
	go e.watchdog()
	return e, nil
}

// checkServer pings Redis and checks its version: presence needs ZRANGE ... BYSCORE (6.2).
func checkServer(ctx context.Context, client *goredis.Client, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		return unavailable("connect", err)
	}
	info, err := client.Info(ctx, "server").Result()
	if err != nil {
		return unavailable("INFO server", err)
	}
	for line := range strings.Lines(info) {
		v, ok := strings.CutPrefix(strings.TrimSpace(line), "redis_version:")
		if !ok {
			continue
		}
		major, minor, _ := strings.Cut(v, ".")
		minor, _, _ = strings.Cut(minor, ".")
		ma, err1 := strconv.Atoi(major)
		mi, err2 := strconv.Atoi(minor)
		if err1 == nil && err2 == nil && (ma < 6 || ma == 6 && mi < 2) {
			return fmt.Errorf("the Redis server is version %s, too old: the engine needs 6.2 or newer (7.0 is what relaybase is tested on)", v)
		}
	}
	return nil
}

// opContext bounds one engine call by the timeout option.
func (e *Engine) opContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, e.cfg.timeout)
}

// Publish sends msg to every node subscribed to channel, this one included, with one
// PUBLISH. It returns once Redis has taken it, so publishes made one after another reach
// every node in that order. It fails, wrapping relaybase.ErrUnavailable, when Redis can't
// be reached; a failed publish may or may not have been delivered, and is never retried.
func (e *Engine) Publish(ctx context.Context, channel string, msg []byte) error {
	if e.closed.Load() {
		return ErrClosed
	}
	ctx, cancel := e.opContext(ctx)
	defer cancel()
	if err := e.client.Publish(ctx, e.keys.channel(channel), msg).Err(); err != nil {
		e.cfg.met.PublishError()
		return unavailable("publish to "+strconv.Quote(channel), err)
	}
	return nil
}

// Subscribe makes this node receive channel's messages: it returns once Redis has
// confirmed the SUBSCRIBE, so anything published from then on arrives. Subscribing twice
// is the same as once (reference counting is the caller's).
func (e *Engine) Subscribe(ctx context.Context, channel string) error {
	if e.closed.Load() {
		return ErrClosed
	}
	ctx, cancel := e.opContext(ctx)
	defer cancel()
	e.mu.Lock()
	if s := e.subs[channel]; s != nil {
		e.mu.Unlock()
		return e.awaitSubscription(ctx, channel, s)
	}
	s := &subscription{done: make(chan struct{})}
	e.subs[channel] = s
	e.inflight[channel]++
	ps := e.ps
	e.mu.Unlock()
	if err := ps.Subscribe(ctx, e.keys.channel(channel)); err != nil {
		e.mu.Lock()
		replaced := e.ps != ps // the new connection subscribed to every channel, this one included
		if !replaced {
			e.sentLocked(channel, -1)
		}
		e.mu.Unlock()
		if !replaced {
			e.dropSubscription(channel, s)
			return unavailable("subscribe to "+strconv.Quote(channel), err)
		}
	}
	return e.awaitSubscription(ctx, channel, s)
}

func (e *Engine) awaitSubscription(ctx context.Context, channel string, s *subscription) error {
	select {
	case <-s.done:
	case <-ctx.Done():
	case <-e.ctx.Done():
	}
	e.mu.Lock()
	confirmed := s.confirmed
	e.mu.Unlock()
	switch {
	case confirmed:
		return nil
	case e.ctx.Err() != nil:
		return ErrClosed
	case ctx.Err() != nil:
		e.dropSubscription(channel, s)
		return unavailable("subscribe to "+strconv.Quote(channel), fmt.Errorf("no confirmation: %w", ctx.Err()))
	}
	return unavailable("subscribe to "+strconv.Quote(channel), errors.New("unsubscribed while subscribing"))
}

// dropSubscription forgets s, unless it was confirmed or replaced meanwhile, and
// unsubscribes from its channel.
func (e *Engine) dropSubscription(channel string, s *subscription) {
	e.mu.Lock()
	if e.subs[channel] != s || s.confirmed {
		e.mu.Unlock()
		return
	}
	delete(e.subs, channel)
	close(s.done)
	ps := e.ps
	resynced := e.resyncedLocked(channel)
	e.mu.Unlock()
	if resynced {
		e.reportResubscribe()
	}
	ctx, cancel := context.WithTimeout(context.Background(), e.cfg.timeout)
	defer cancel()
	_ = ps.Unsubscribe(ctx, e.keys.channel(channel))
}

// Unsubscribe stops this node receiving channel's messages. Delivery stops at once (the
// receiver drops messages of channels it no longer has), whether or not the UNSUBSCRIBE
// reached Redis.
func (e *Engine) Unsubscribe(ctx context.Context, channel string) error {
	e.mu.Lock()
	s := e.subs[channel]
	if s == nil {
		e.mu.Unlock()
		return nil
	}
	delete(e.subs, channel)
	if !s.confirmed {
		close(s.done)
	}
	ps := e.ps
	resynced := e.resyncedLocked(channel)
	e.mu.Unlock()
	if resynced {
		e.reportResubscribe()
	}
	if e.closed.Load() {
		return nil
	}
	ctx, cancel := e.opContext(ctx)
	defer cancel()
	if err := ps.Unsubscribe(ctx, e.keys.channel(channel)); err != nil {
		return unavailable("unsubscribe from "+strconv.Quote(channel), err)
	}
	return nil
}

// Start hands incoming messages to h, from the receiver goroutine, one at a time and in
// the order Redis sent them, until ctx ends or Close is called (either closes the engine).
// Messages that arrived before Start were dropped. h may keep msg (each is a fresh copy)
// and must not call Close.
func (e *Engine) Start(ctx context.Context, h func(channel string, msg []byte)) error {
	if h == nil {
		return errors.New("redis engine: nil handler")
	}
	e.closeMu.Lock()
	defer e.closeMu.Unlock()
	if e.closed.Load() {
		return ErrClosed
	}
	if e.started {
		return errors.New("redis engine: already started")
	}
	e.started = true
	e.handler.Store(&h)
	e.stopCtx = context.AfterFunc(ctx, func() { _ = e.Close() })
	return nil
}

// Ping reports whether Redis answers (and the engine is open).
func (e *Engine) Ping(ctx context.Context) error {
	if e.closed.Load() {
		return ErrClosed
	}
	ctx, cancel := e.opContext(ctx)
	defer cancel()
	if err := e.client.Ping(ctx).Err(); err != nil {
		return unavailable("ping", err)
	}
	return nil
}

// Close stops delivery (waiting for a delivery in flight: once Close returns the handler
// is not called again), stops the engine's goroutines, removes this node's presence
// entries from Redis (best effort, within the timeout: what fails expires), and closes
// the connections. Closing twice is fine.
func (e *Engine) Close() error {
	return e.close(true)
}

// close shuts the engine down; graceful removes this node's presence entries first. A
// node that crashes is close(false).
func (e *Engine) close(graceful bool) error {
	e.closeMu.Lock()
	defer e.closeMu.Unlock()
	if e.closed.Swap(true) {
		return nil
	}
	if e.stopCtx != nil {
		e.stopCtx()
	}
	e.handler.Store(nil)
	e.cancel()
	e.mu.Lock()
	e.shut = true
	ps := e.ps
	for _, s := range e.subs {
		if !s.confirmed {
			close(s.done)
		}
	}
	clear(e.subs)
	e.resync = nil
	e.mu.Unlock()
	_ = ps.Close()
	e.wg.Wait()
	var err error
	if graceful {
		ctx, cancel := context.WithTimeout(context.Background(), e.cfg.timeout)
		err = e.removeAll(ctx)
		cancel()
	}
	if cerr := e.client.Close(); err == nil && cerr != nil && !errors.Is(cerr, goredis.ErrClosed) {
		err = cerr
	}
	return err
}

// receive reads the pub/sub connection: subscription confirmations, pongs and messages,
// handed to the handler in the order they arrive. When the connection breaks it makes a
// new one and subscribes to every channel again.
func (e *Engine) receive() {
	defer e.wg.Done()
	var backoff time.Duration
	for {
		e.mu.Lock()
		ps := e.ps
		e.mu.Unlock()
		msg, err := ps.Receive(e.ctx)
		if e.ctx.Err() != nil {
			return
		}
		if err != nil {
			if backoff > 0 {
				e.cfg.log.Warn("redis engine: pub/sub connection lost; reconnecting", "err", err, "backoff", backoff)
				t := time.NewTimer(backoff)
				select {
				case <-t.C:
				case <-e.ctx.Done():
					t.Stop()
					return
				}
			} else {
				e.cfg.log.Warn("redis engine: pub/sub connection lost; reconnecting", "err", err)
			}
			backoff = min(max(2*backoff, 50*time.Millisecond), 2*time.Second)
			e.cfg.met.Reconnect()
			e.reconnect(ps)
			continue
		}
		backoff = 0
		e.lastRecv.Store(time.Now().UnixNano())
		switch m := msg.(type) {
		case *goredis.Message:
			e.deliver(m)
		case *goredis.Subscription:
			if m.Kind == "subscribe" {
				e.confirm(m.Channel)
			}
		}
	}
}

func (e *Engine) deliver(m *goredis.Message) {
	channel, ok := e.keys.channelName(m.Channel)
	if !ok {
		return
	}
	e.mu.Lock()
	s := e.subs[channel]
	ok = s != nil && s.confirmed
	e.mu.Unlock()
	if !ok {
		// Unsubscribed, or a message of an earlier subscription that was dropped
		// before this one was confirmed.
		return
	}
	if h := e.handler.Load(); h != nil {
		(*h)(channel, []byte(m.Payload))
	}
}

func (e *Engine) confirm(key string) {
	channel, ok := e.keys.channelName(key)
	if !ok {
		return
	}
	e.mu.Lock()
	if e.sentLocked(channel, -1) > 0 {
		e.mu.Unlock()
		return
	}
	if s := e.subs[channel]; s != nil && !s.confirmed {
		s.confirmed = true
		close(s.done)
	}
	resynced := e.resyncedLocked(channel)
	e.mu.Unlock()
	if resynced {
		e.reportResubscribe()
	}
}

// resyncedLocked takes channel off the channels a reconnect waits for, and reports
// whether that was the last. Caller holds mu.
func (e *Engine) resyncedLocked(channel string) bool {
	if e.resync == nil {
		return false
	}
	if _, ok := e.resync[channel]; !ok {
		return false
	}
	delete(e.resync, channel)
	if len(e.resync) > 0 {
		return false
	}
	e.resync = nil
	return true
}

// reportResubscribe tells the OnResubscribe function that every channel is subscribed
// again. Called with no lock held.
func (e *Engine) reportResubscribe() {
	if f := e.onResub.Load(); f != nil && !e.closed.Load() {
		(*f)()
	}
}

// OnResubscribe registers f, told each time the engine has subscribed again to every
// channel after its pub/sub connection broke: from then on, messages arrive again; those
// published while the connection was down did not (see relaybase.Resubscriber). f is
// called from the receiver goroutine (or, when the last channel awaited is unsubscribed,
// from Unsubscribe's caller) and must not block or call the engine.
func (e *Engine) OnResubscribe(f func()) {
	if f == nil {
		e.onResub.Store(nil)
		return
	}
	e.onResub.Store(&f)
}

// sentLocked adds d to the channel's SUBSCRIBEs in flight and returns how many remain.
// Caller holds mu.
func (e *Engine) sentLocked(channel string, d int) int {
	n := max(e.inflight[channel]+d, 0)
	if n == 0 {
		delete(e.inflight, channel)
	} else {
		e.inflight[channel] = n
	}
	return n
}

// reconnect replaces the broken pub/sub connection old with a new one subscribed to every
// channel, and asks for a heartbeat (Redis may have restarted and lost presence).
func (e *Engine) reconnect(old *goredis.PubSub) {
	_ = old.Close()
	ps := e.client.Subscribe(e.ctx) // connects on first use
	e.mu.Lock()
	if e.shut {
		e.mu.Unlock()
		_ = ps.Close()
		return
	}
	keys := make([]string, 0, len(e.subs))
	clear(e.inflight) // those went with the old connection
	e.resync = make(map[string]struct{}, len(e.subs))
	for ch := range e.subs {
		e.inflight[ch] = 1 // the SUBSCRIBE below
		e.resync[ch] = struct{}{}
		keys = append(keys, e.keys.channel(ch))
	}
	if len(keys) == 0 {
		e.resync = nil
	}
	e.ps = ps
	e.mu.Unlock()
	if len(keys) > 0 {
		ctx, cancel := context.WithTimeout(e.ctx, e.cfg.timeout)
		err := ps.Subscribe(ctx, keys...)
		cancel()
		if err != nil {
			// go-redis may have reconnected inside without these channels: start over.
			_ = ps.Close()
			return
		}
	}
	select {
	case e.kick <- struct{}{}:
	default:
	}
	if len(keys) == 0 {
		e.reportResubscribe() // nothing to wait for
	}
}

// watchdog pings a silent pub/sub connection and drops it when the ping goes unanswered,
// so that a connection that died without being closed is noticed.
func (e *Engine) watchdog() {
	defer e.wg.Done()
	t := time.NewTicker(e.cfg.health)
	defer t.Stop()
	var pingAt int64 // when the unanswered ping was sent; 0: none
	for {
		select {
		case <-e.ctx.Done():
			return
		case <-t.C:
		}
		now, last := time.Now().UnixNano(), e.lastRecv.Load()
		e.mu.Lock()
		ps := e.ps
		e.mu.Unlock()
		if pingAt != 0 && last < pingAt {
			e.cfg.log.Warn("redis engine: pub/sub connection did not answer a ping; reconnecting")
			_ = ps.Close() // the receiver reconnects
			pingAt = 0
			continue
		}
		pingAt = 0
		if time.Duration(now-last) >= e.cfg.health {
			ctx, cancel := context.WithTimeout(e.ctx, e.cfg.timeout)
			_ = ps.Ping(ctx)
			cancel()
			pingAt = now
		}
	}
}

// OnExpire registers f to be told of every presence entry this node's sweeper removed
// because its node stopped heartbeating: the realtime server can announce those leaves.
// Each removed entry is reported once, by the node that removed it, from its heartbeat
// goroutine; f must not block for long. member is the entry as added (nil if it was lost).
func (e *Engine) OnExpire(f func(channel, socketID string, member []byte)) {
	if f == nil {
		e.onExpire.Store(nil)
		return
	}
	e.onExpire.Store(&f)
}

// keys names what the engine keeps in Redis (see the package doc).
type keys struct{ prefix string }

func (k keys) channel(ch string) string { return k.prefix + "ch:" + ch }

func (k keys) channelName(key string) (string, bool) {
	return strings.CutPrefix(key, k.prefix+"ch:")
}

// The two keys of a channel's presence share the hash tag {channel}, so a script that
// touches both stays on one slot should they ever live on a cluster.
func (k keys) presence(ch string) string { return k.prefix + "presence:{" + ch + "}" }
func (k keys) members(ch string) string  { return k.prefix + "members:{" + ch + "}" }
func (k keys) removed(ch string) string  { return k.prefix + "removed:{" + ch + "}" }
func (k keys) node(id string) string     { return k.prefix + "node:" + id }
