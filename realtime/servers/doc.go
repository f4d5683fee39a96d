// Package servers speaks Xano's current realtime (docs/realtime.md, "The current
// realtime"): a workspace's realtime servers at /ws/<canonical> (and /ws/<tenant>:<canonical>),
// their channels of path templates ("rooms/{room_id}"), the message handlers clients invoke
// with broadcast frames, presence with one member per identity, the conversation transcript,
// at-least-once delivery with acks, cursors and replay, per-recipient delivery through
// deliver triggers, and realtime.publish.
//
// It owns the protocol only. The connections are package realtime's (realtime.Protocol):
// the same bounded queues, flushers, keep-alive, limits and shutdown as the legacy protocol,
// in the same process and on the same Engine, whose messages for this package's channels
// realtime.Server routes here (realtime.Route; every channel key starts with KeyPrefix, a
// byte no legacy channel name may hold). Stacks — message handlers, channel and server
// triggers — run in package stack through relaybase.RealtimeHandlers. The stream of each
// channel (its messages with their ids) lives in the relaybase.Store, written in the
// transaction of the stack that produced the message; cursors too.
//
// It must not know SQL, XanoScript, HTTP routing beyond its own handler, or which Engine or
// Store it runs on.
//
// # Ordering and locks
//
//   - A join answers, in order: the join ack, presence_full, the conversation, the replay;
//     live frames that arrive meanwhile are held on the member and sent after, minus those
//     the replay carried.
//   - Frames published by one publisher reach each member in that order. Frames of
//     concurrent publishers may reach members out of id order; replay is in id order.
//   - On a per-recipient channel (delivery.per_recipient with a deliver trigger) messages
//     wait in the channel's queue for its drainer, one goroutine per channel while the
//     queue is not empty (started by the Engine handler, waited for by Close), which runs
//     the triggers for each recipient with no lock held and keeps publish order.
//   - Lock order: channel.opMu → channel.mu → (realtime's conn locks, through Conn.Send).
//     opMu is held across the Engine calls of a join or a leave; no lock is held across a
//     Store call or a stack run.
package servers
