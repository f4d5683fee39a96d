package redis

// Crash stops the engine as a node that dies would: its goroutines and connections end,
// and its presence entries stay in Redis until they expire.
func (e *Engine) Crash() { _ = e.close(false) }

// NodeKey is the key that marks the node alive.
func (e *Engine) NodeKey() string { return e.keys.node(e.nodeID) }

// DropPubSub closes the pub/sub connection as a network failure would: the receiver
// reconnects and subscribes again.
func (e *Engine) DropPubSub() {
	e.mu.Lock()
	ps := e.ps
	e.mu.Unlock()
	_ = ps.Close()
}
