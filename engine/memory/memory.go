package memory

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"relaybase"
)

// ErrClosed is returned by an Engine used after Close (it wraps relaybase.ErrUnavailable).
var ErrClosed = fmt.Errorf("memory engine closed: %w", relaybase.ErrUnavailable)

// Network is the shared backend of in-process nodes: what Redis is to engine/redis. Every
// Engine made by one Network sees the others' publishes and presence.
type Network struct {
	mu       sync.RWMutex
	subs     map[string]*atomic.Pointer[[]*Engine] // channel → nodes subscribed (copy on write)
	presence map[string]*presenceSet
	cache    *Cache // redis.* statements' keys, shared by the network's nodes
}

type presenceSet struct {
	idx   map[string]int // socketID → position in items
	items []presenceItem
}

type presenceItem struct {
	socketID string
	member   []byte
	node     *Engine
}

// NewNetwork returns an empty network with no nodes.
func NewNetwork() *Network {
	return &Network{
		subs:     make(map[string]*atomic.Pointer[[]*Engine]),
		presence: make(map[string]*presenceSet),
		cache:    NewCache(nil),
	}
}

// New returns a single in-process node on its own network: the engine of a relaybase that
// runs as one process.
func New() *Engine { return NewNetwork().Node() }

// Node returns a new node on the network.
func (n *Network) Node() *Engine {
	return &Engine{net: n, subs: make(map[string]struct{})}
}

// Engine is one node's handle on a Network. It implements relaybase.Engine.
type Engine struct {
	net *Network

	// deliverMu is read-held while a handler runs, so Close can wait for deliveries in
	// flight: once Close returns, the handler is never called again.
	deliverMu sync.RWMutex
	handler   func(channel string, msg []byte)
	closed    bool

	mu      sync.Mutex // guards subs and started; taken before net.mu
	subs    map[string]struct{}
	started bool
	stopCtx func() bool

	cut     atomic.Bool // Disconnect was called, Reconnect not yet
	onResub atomic.Pointer[func()]
}

var (
	_ relaybase.Engine       = (*Engine)(nil)
	_ relaybase.Resubscriber = (*Engine)(nil)
)

// errCut is returned while the node is disconnected.
var errCut = fmt.Errorf("memory engine: node disconnected: %w", relaybase.ErrUnavailable)

// Disconnect cuts this node off the network, as a lost connection to Redis cuts a node
// off: until Reconnect, its Publish, Subscribe and presence calls fail (wrapping
// relaybase.ErrUnavailable) and nothing published by any node reaches it; its
// subscriptions and presence entries stay. It is for tests of what runs above an engine.
func (e *Engine) Disconnect() { e.cut.Store(true) }

// Reconnect ends a Disconnect: delivery to the node's subscriptions resumes, and the
// function given to OnResubscribe is called (in the caller's goroutine) before it returns.
// What was published meanwhile is not delivered.
func (e *Engine) Reconnect() {
	if !e.cut.Swap(false) {
		return
	}
	if f := e.onResub.Load(); f != nil {
		(*f)()
	}
}

// OnResubscribe registers f, called by Reconnect (see relaybase.Resubscriber).
func (e *Engine) OnResubscribe(f func()) {
	if f == nil {
		e.onResub.Store(nil)
		return
	}
	e.onResub.Store(&f)
}

// Publish delivers msg to the handler of every node subscribed to channel, this one
// included, synchronously and in the caller's goroutine: publishes made one after another
// reach every node in that order. msg is handed to handlers as is (never copied): the
// caller must not change it afterwards, and handlers may keep it.
func (e *Engine) Publish(ctx context.Context, channel string, msg []byte) error {
	if e.isClosed() {
		return ErrClosed
	}
	if e.cut.Load() {
		return errCut
	}
	e.net.mu.RLock()
	p := e.net.subs[channel]
	e.net.mu.RUnlock()
	if p == nil {
		return nil
	}
	nodes := p.Load()
	if nodes == nil {
		return nil
	}
	for _, node := range *nodes {
		node.deliver(channel, msg)
	}
	return nil
}

func (e *Engine) deliver(channel string, msg []byte) {
	e.deliverMu.RLock()
	if !e.closed && e.handler != nil && !e.cut.Load() {
		e.handler(channel, msg)
	}
	e.deliverMu.RUnlock()
}

func (e *Engine) isClosed() bool {
	e.deliverMu.RLock()
	defer e.deliverMu.RUnlock()
	return e.closed
}

// Subscribe makes this node receive channel's publishes. Subscribing twice is the same as
// once (reference counting is the caller's).
func (e *Engine) Subscribe(ctx context.Context, channel string) error {
	if e.isClosed() {
		return ErrClosed
	}
	if e.cut.Load() {
		return errCut
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.subs[channel]; ok {
		return nil
	}
	e.subs[channel] = struct{}{}
	e.net.mu.Lock()
	defer e.net.mu.Unlock()
	p := e.net.subs[channel]
	if p == nil {
		p = new(atomic.Pointer[[]*Engine])
		e.net.subs[channel] = p
	}
	var next []*Engine
	if old := p.Load(); old != nil {
		next = append(next, *old...)
	}
	next = append(next, e)
	p.Store(&next)
	return nil
}

// Unsubscribe stops this node receiving channel's publishes.
func (e *Engine) Unsubscribe(ctx context.Context, channel string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.subs[channel]; !ok {
		return nil
	}
	delete(e.subs, channel)
	e.net.mu.Lock()
	defer e.net.mu.Unlock()
	e.net.unsubscribeLocked(channel, e)
	return nil
}

func (n *Network) unsubscribeLocked(channel string, e *Engine) {
	p := n.subs[channel]
	if p == nil {
		return
	}
	old := p.Load()
	var next []*Engine
	if old != nil {
		for _, x := range *old {
			if x != e {
				next = append(next, x)
			}
		}
	}
	if len(next) == 0 {
		delete(n.subs, channel)
		p.Store(nil)
		return
	}
	p.Store(&next)
}

// Start registers h and returns at once: from then on h receives the messages of the
// channels this node subscribes to, until ctx ends or Close is called. h must not call
// Close.
func (e *Engine) Start(ctx context.Context, h func(channel string, msg []byte)) error {
	if h == nil {
		return errors.New("memory engine: nil handler")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.started {
		return errors.New("memory engine: already started")
	}
	e.deliverMu.Lock()
	if e.closed {
		e.deliverMu.Unlock()
		return ErrClosed
	}
	e.handler = h
	e.deliverMu.Unlock()
	e.started = true
	e.stopCtx = context.AfterFunc(ctx, func() { _ = e.Close() })
	return nil
}

// AddPresence records member under socketID in channel, replacing an earlier entry of the
// same socketID. member is kept as is: the caller must not change it afterwards.
func (e *Engine) AddPresence(ctx context.Context, channel, socketID string, member []byte) error {
	if e.isClosed() {
		return ErrClosed
	}
	if e.cut.Load() {
		return errCut
	}
	e.net.mu.Lock()
	defer e.net.mu.Unlock()
	ps := e.net.presence[channel]
	if ps == nil {
		ps = &presenceSet{idx: make(map[string]int)}
		e.net.presence[channel] = ps
	}
	item := presenceItem{socketID: socketID, member: member, node: e}
	if i, ok := ps.idx[socketID]; ok {
		ps.items[i] = item
		return nil
	}
	ps.idx[socketID] = len(ps.items)
	ps.items = append(ps.items, item)
	return nil
}

// RemovePresence removes socketID from channel; removing an absent entry does nothing.
func (e *Engine) RemovePresence(ctx context.Context, channel, socketID string) error {
	e.net.mu.Lock()
	defer e.net.mu.Unlock()
	e.net.removePresenceLocked(channel, socketID)
	return nil
}

func (n *Network) removePresenceLocked(channel, socketID string) {
	ps := n.presence[channel]
	if ps == nil {
		return
	}
	i, ok := ps.idx[socketID]
	if !ok {
		return
	}
	last := len(ps.items) - 1
	if i != last {
		ps.items[i] = ps.items[last]
		ps.idx[ps.items[i].socketID] = i
	}
	ps.items[last] = presenceItem{}
	ps.items = ps.items[:last]
	delete(ps.idx, socketID)
	if len(ps.items) == 0 {
		delete(n.presence, channel)
	}
}

// Presence lists the members of channel on every node of the network, in no set order.
func (e *Engine) Presence(ctx context.Context, channel string) ([][]byte, error) {
	if e.isClosed() {
		return nil, ErrClosed
	}
	if e.cut.Load() {
		return nil, errCut
	}
	e.net.mu.RLock()
	defer e.net.mu.RUnlock()
	ps := e.net.presence[channel]
	if ps == nil {
		return nil, nil
	}
	out := make([][]byte, len(ps.items))
	for i, it := range ps.items {
		out[i] = it.member
	}
	return out, nil
}

// Ping reports whether the engine is open.
func (e *Engine) Ping(ctx context.Context) error {
	if e.isClosed() {
		return ErrClosed
	}
	if e.cut.Load() {
		return errCut
	}
	return nil
}

// Close stops delivery to this node (waiting for a delivery in flight), drops its
// subscriptions and removes the presence entries it added, as a dead node's expire.
// Closing twice is fine.
func (e *Engine) Close() error {
	e.deliverMu.Lock()
	if e.closed {
		e.deliverMu.Unlock()
		return nil
	}
	e.closed = true
	e.handler = nil
	e.deliverMu.Unlock()

	e.mu.Lock()
	defer e.mu.Unlock()
	if e.stopCtx != nil {
		e.stopCtx()
	}
	e.net.mu.Lock()
	defer e.net.mu.Unlock()
	for ch := range e.subs {
		e.net.unsubscribeLocked(ch, e)
	}
	clear(e.subs)
	for ch, ps := range e.net.presence {
		var gone []string
		for _, it := range ps.items {
			if it.node == e {
				gone = append(gone, it.socketID)
			}
		}
		for _, id := range gone {
			e.net.removePresenceLocked(ch, id)
		}
	}
	return nil
}
