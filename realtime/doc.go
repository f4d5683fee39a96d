// Package realtime is relaybase's realtime side: WebSocket connections at /rt/{canonical}
// speaking the protocol of Xano's realtime (protocol.md), channel rules, presence, history
// and resume, the frame codec, and the limits that keep one client from hurting others.
// Channels (the rules, the event codec and the history of a workspace's channels) implements
// relaybase.Events for the function-stack runtime and exists before the Server, which is
// built with the program's realtime triggers: New refuses to build a server without them.
//
// The model is centrifuge's: the Server is the node; a sharded hub maps channel names to
// this node's members; each conn is one connection with one reader goroutine and a bounded
// outbound queue. Nothing writes for a connection while its queue is empty: a fan-out marks
// the connections it queued for as ready and wakes one of a few flushers, which coalesce
// each queue into one non-blocking write; a socket that can't take it all is handed to a
// pooled writer goroutine that waits on it (TLS connections always use the pool). Every frame
// that fans out goes through the relaybase.Engine (in-process or Redis), even on one node,
// and is delivered from the Engine handler, so several nodes behave as one; the one
// exception is a stored frame's own node, which hands it to its members directly and drops
// the Engine's copy by its offset (see Gap repair). The Engine
// message is the encoded frame itself behind a small envelope (kind, visibility, offset,
// subject): a frame is encoded once per publish and the same bytes are written to every
// member. A connection's bytes go through its transport (transport.go: read, write frames,
// deadlines, close; netTransport over a socket or TLS): the protocol logic (conn.go,
// join.go: the client's actions; writer.go: the queue, the flushers, the closing
// handshake) never touches a net.Conn, so it runs over memory in tests, and another
// protocol or transport can share it. Frames are whole WebSocket frames by the time they
// are queued; what changes their bytes per connection (compression) belongs before the
// queue, and how queued frames are grouped into writes (coalescing) to the writers.
// History and offsets live in the relaybase.Store; the Engine only fans out and
// holds presence. A join that asks for neither history nor a resume gets the channel's
// epoch and newest offset from the hub, without a store read, once this node has read them
// while subscribed (hubChannel.headOK): every stored frame reaches every subscribed node.
//
// # Gap repair
//
// The store is the source of truth for stored frames, the Engine only the fast path: what
// the Engine loses (a failed publish, a lapsed subscription, a node that died between
// commit and publish) is read from the store by a few repair workers and delivered in
// order; what can't be (channels without history, frames trimmed from it) is announced to
// the members with history_gap. repair.go says when each happens.
//
// # Connecting
//
// A connection arrives upgraded through net/http (ServeHTTP: the handler hijacks it) or,
// from relaybase serve's plain TCP listener, straight from the socket (UpgradeConn, asked
// by httpapi's listener, which read the request itself): no net/http connection, buffers
// or request maps for it. Both end in start: the token verified, the reader started.
//
// # Coalescing
//
// Under load the flushers pace each connection (coalesce.go): one written less than the
// current delay ago is written again when the delay is up, with everything that reached it
// meanwhile in the same write. The delay is zero while writing frames one by one would take
// under a quarter of a core, and grows to Limits.FlushDelay (15 ms) as that nears most of
// a core; a frame for a connection not written within the delay goes at once. So at low
// rates nothing waits, and at high ones the writes per frame drop below one.
//
// # Compression
//
// With Config.Deflate, a client that offers permessage-deflate (RFC 7692) gets it with no
// context takeover either way (deflate.go): a broadcast frame is compressed at most once
// per node, for the first member that wants it, and every such member is queued the same
// compressed bytes; large replies (history, presence_full) are compressed per connection;
// a frame that would not shrink goes as it is. Client messages that come compressed are
// decompressed from pooled inflaters, and the size limits apply to what they decompress
// to. No connection holds a compressor or a window of its own.
//
// # Metrics and the access log
//
// Config.Metrics (package metrics) counts frames in and out by action, fan-out copies,
// writes, refusals, closes, history reads and gap repairs, for both protocols: a Protocol
// counts its own frames and fan-outs through Conn.Received, Conn.JoinRefused and
// Server.Metrics. Nothing is looked up per delivery: a fan-out adds its count once, the
// flushers add their writes once per round. Config.AccessLog gets one line per connection
// closed (duration, frames in and out, close code, reason), from the counts each conn keeps
// in spare bytes of its struct (TestConnLayout).
//
// It must not know about HTTP routing beyond its own handler, SQL, XanoScript, or which
// Engine or Store it runs on.
//
// # Ordering
//
//   - Frames to one connection are written in the order they were queued.
//   - Frames published to a channel by one publisher (one connection, one Publish call)
//     reach every member in that order; frames that fan out to one channel are queued for
//     all its members on this node in the same order (hubChannel.mu).
//   - Stored frames (those with an offset) are delivered in offset order and once: a frame
//     that overtakes an earlier offset waits for it at most Limits.ReorderWait, then the
//     missing ones are read from the store (repair.go). A node delivers its own stored
//     frames to its members directly and drops the Engine's copy by its offset.
//   - On join (protocol.md §2.3): the join reply, presence_full, history or the resumed
//     frames, then live frames. Live frames that arrive meanwhile are held on the member and
//     flushed after, minus those the history already held (offset ≤ its newest) and
//     presence updates already reflected in presence_full.
//   - A slow connection is never waited for: a fan-out that would pass its queue limit
//     closes it with 1013. Only replies to a client's own requests wait for room, on that
//     client's reader goroutine.
//   - The 1013 close frame goes ahead of the queue: what is queued, and what a blocked
//     write had not begun, is dropped; the rest of a frame partly written goes first, so
//     the stream stays whole (writer.go, startClose). Other closes send the queue first.
//
// # Lock order
//
// hubChannel.opMu → hubShard.mu → hubChannel.mu → conn.mu → flushers.mu. registryShard.mu
// is a leaf, taken alone (or under hubChannel.mu for private delivery, then released before
// conn.mu); so are repairs.mu (taken under hubChannel.mu to queue a repair) and owedMu. A
// transport's SetWriteDeadline is called under conn.mu (so that a slow consumer's cut and
// the writer's new deadline come in order); a transport takes none of these locks.
// opMu is held across Engine calls of joins and leaves (subscribe, presence); no other lock
// is held across an Engine, Store or Triggers call, and the Engine handler is called with
// no lock held. An in-process Engine that delivers synchronously from Publish is fine: the
// handler takes only hubShard.mu, hubChannel.mu and conn.mu.
package realtime
