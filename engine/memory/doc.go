// Package memory is the in-process realtime Engine: fan-out and presence for relaybase
// running as one process (product.md, "Parts"). A Network holds what Redis holds for
// engine/redis; each Engine is one node on it, so tests can run several relaybase nodes in
// one process.
//
// Ordering: Publish calls every subscribed node's handler synchronously in the caller's
// goroutine, so publishes made one after another (by one goroutine) reach every node in
// that order. Nothing orders publishes made concurrently by different goroutines.
//
// Ownership: a published msg and a presence member are handed on as they are, never
// copied; the caller must not change them afterwards, and handlers may keep them.
//
// Faults: Disconnect cuts a node off as a lost connection to Redis would (its calls fail,
// nothing reaches it), and Reconnect ends that and reports it as a resubscription
// (relaybase.Resubscriber), so tests of the realtime server can lose messages on purpose.
//
// Lock order: Engine.mu → Network.mu; Engine.deliverMu is read-held only while a handler
// runs and is never held with the others. A handler must not call Close on its own node.
//
// Cache: the network also holds the in-process relaybase.Cache of the redis.* statements
// (Cache, NewCache), which its nodes share; it owns no goroutine and drops expired keys as
// it goes.
//
// It knows nothing of WebSocket, frames or channel rules: messages are opaque bytes.
package memory
