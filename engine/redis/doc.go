// Package redis is the realtime Engine for relaybase running as several nodes behind a load
// balancer (product.md, "Parts"): Redis pub/sub carries every published frame to every node
// with members in its channel, and presence lives in Redis, one sorted set per channel
// scored by each member's last heartbeat. engine/enginetest is the suite it passes, as
// engine/memory does.
//
// It knows nothing of WebSocket, frames or channel rules: messages and members are opaque
// bytes. It needs Redis 6.2 or newer (ZRANGE ... BYSCORE); relaybase is tested on 7.0.
//
// # Keys
//
// Everything lives under a prefix (WithPrefix, default "relaybase:"); nodes share fan-out
// and presence when they share Redis and prefix. With P the prefix and C a channel name:
//
//	P ch:C            pub/sub channel of C (PUBLISH / SUBSCRIBE; not a key)
//	P presence:{C}    sorted set: socketId → the member's last heartbeat (ms since the epoch, on the node's clock)
//	P members:{C}     hash: socketId → the member JSON as given to AddPresence
//	P removed:{C}     hash: socketId → "1", an entry removed by a node other than its own (see below)
//	P node:ID         string: node ID's last heartbeat; its absence tells the node Redis lost its entries
//	P cache:K         string or list: key K of the redis.* statements (relaybase.Cache), with its TTL
//
// The presence keys of a channel share the hash tag {C} (one slot, should they ever live
// on a cluster; a prefix must not contain "{"). They change together, in Lua scripts, so a
// reader never sees a member in one and not the other, and writes give them a TTL of twice
// the expiry: the keys of a channel whose every node died go away by themselves.
//
// # Fan-out, ordering and delivery
//
// Each node has one pub/sub connection, owned by its receiver goroutine. Subscribe sends
// SUBSCRIBE on it and returns once Redis has confirmed it: from then on every message
// published to the channel reaches this node. Unsubscribe sends UNSUBSCRIBE; delivery of
// the channel stops at once, because the receiver drops messages of channels the node no
// longer has (or has not had confirmed yet: those belong to an earlier subscription).
//
// Publish is one PUBLISH on the node's command connections, returning once Redis has
// taken it. Redis sends messages on a connection in the order it executed the PUBLISHes,
// and the receiver hands them to the handler one at a time in that order, so messages
// published one after another (each Publish returned before the next began) arrive at
// every node in that order, on every channel. Publishes made concurrently are in no set
// order; realtime orders stored frames by their offsets.
//
// Delivery is at most once. Redis pub/sub keeps nothing: a node whose pub/sub connection
// is down (Redis restarting, network trouble) misses what is published meanwhile, and a
// Publish that fails may or may not have gone out (it is not retried, so a message is never
// delivered twice). Members don't lose stored frames that way: history and offsets live in
// the database, and a member that rejoins with "since" gets what it missed (protocol.md
// §5b). Frames not stored (unstored broadcasts, presence updates, private messages) sent
// while a node is cut off are lost.
//
// # Reconnection
//
// When the pub/sub connection breaks (a read error, or the watchdog finding that a ping
// went unanswered for a health-check interval: WithHealthCheck), the receiver makes a new
// connection and subscribes again to every channel the node has, retrying with backoff
// (50 ms doubling to 2 s) until Redis answers; subscriptions waiting for confirmation are
// confirmed by the new connection. Then it asks for a heartbeat at once, which writes this
// node's presence back if Redis lost it. Once Redis has confirmed every channel on the new
// connection, the engine reports it to the function given to OnResubscribe
// (relaybase.Resubscriber): what was published while the connection was down never
// arrives, and the realtime server reads what its members missed from the store. Command connections are go-redis's pool; calls
// made while Redis is unreachable fail with errors wrapping relaybase.ErrUnavailable (each
// call is bounded by WithTimeout), and work again once it is back.
//
// # Presence and expiry
//
// AddPresence writes a member into the channel's sorted set and member hash, scored with
// the clock's now, and keeps it in the node's memory. Every heartbeat interval
// (WithHeartbeat, default 10 s) the heartbeat goroutine refreshes the score of every
// member the node holds and sweeps the channels it has members in: members whose score is
// the expiry old (WithExpiry, default 30 s) are removed. Presence lists only members
// whose score is within the expiry, so a node that dies (or stops heartbeating) takes its
// members out of every list within the expiry, swept or not. Redis expires the keys of
// channels no live node has members in.
//
// Members that are still connected come back without rejoining when Redis loses their
// entries. A heartbeat writes every entry whole when the node's key is gone (Redis
// restarted without persistence, or was flushed); otherwise it refreshes scores, and an
// entry it finds gone (swept by another node while this one was late, deleted by hand) is
// written whole by another heartbeat at once. RemovePresence works from any node and a
// removed entry stays removed: removing another node's entry leaves a removal mark, and
// that node's next heartbeat drops the mark and forgets the entry instead of writing it
// back. A failed AddPresence is written by the next heartbeat; a failed RemovePresence is
// retried by it.
//
// Presence compares scores written by one node's clock with another node's clock: node
// clocks must agree to well within the expiry (NTP does). The clock is injected
// (WithClock) for the heartbeat ticker, scores and cutoffs; network timing runs on real
// time.
//
// OnExpire registers a function told of every entry the node's sweeper removed, once, by
// the node that removed it, so that the realtime server can announce those members' leaves
// (a dead node can't announce them itself). A member another node swept while its own node
// was stalled, and that its node then writes back, is reported as expired all the same.
//
// Close removes the node's entries at once, as a graceful shutdown should; a node that
// crashes leaves them to expire.
//
// # Goroutines and locks
//
// New starts three goroutines, owned by the Engine and ended by Close (or by the end of
// the context given to Start, which closes the engine): the receiver (reads the pub/sub
// connection, calls the handler, reconnects), the heartbeat loop (on the clock's ticker;
// calls the OnExpire function), and the watchdog (pings a silent pub/sub connection).
// Close waits for them, so once it returns neither the handler nor OnExpire is called
// again. Neither may call Close, and the handler must not call Subscribe (its
// confirmation comes through the receiver that is running the handler).
//
// Locks: closeMu (Start, Close) is taken before mu; mu (the pub/sub connection and the
// subscriptions) and pmu (this node's presence entries) are never held together, nor
// across a call to Redis. Only Close holds closeMu across calls to Redis.
package redis
