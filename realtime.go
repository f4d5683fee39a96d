package relaybase

import (
	"context"
	"encoding/json"
)

// ChannelRule is one realtime_channel definition (protocol.md §3).
type ChannelRule struct {
	Pattern string // "marvel_chat_room", or a prefix pattern ending in "*" ("room/*")
	Active  bool

	AnonymousClients bool
	Presence         bool
	History          int  // message_history: 0, 25, 50, 100, 250 or 1000
	AuthChannel      bool // frames from authenticated senders reach authenticated members only

	PublicMessaging      bool
	PublicMessagingAuth  bool
	PrivateMessaging     bool
	PrivateMessagingAuth bool

	// NestedChannels is settings.nested_channels. A pattern ending in "*" is matched as
	// nested either way; with NestedChannels off, realtime.CheckRules warns about it.
	NestedChannels bool

	File string // where it was defined, for messages
}

// Event is what api.realtime_event raises: Data (a value) sent to Channel as an `event`
// frame, with Sender as its identity when auth_table/auth_id were given (protocol.md §4).
type Event struct {
	Channel string
	Data    any
	Sender  *Identity
}

// Events is the realtime side the function-stack runtime talks to. The runtime calls Stage
// for every api.realtime_event, Store with everything staged just before its transaction
// commits, and Publish with everything staged once it has committed (never when it rolled
// back).
type Events interface {
	// Stage checks that an active rule matches ev.Channel (else an *Error for the stack:
	// CodeInputError, as the channel is the caller's choice) and encodes the frame. It
	// stores nothing: an event to a channel that keeps history comes back with Keep set,
	// to be stored by Store.
	Stage(ctx context.Context, ev Event) (StagedEvent, error)
	// Store stores in tx the staged events whose channel keeps history (Keep > 0), each
	// under its channel's next offset (setting Offset, adding it to Frame, clearing Keep).
	// The runtime calls it last, just before committing, so that the channel's offset,
	// which stays locked until the commit, is held as briefly as possible; it takes the
	// channels in the order of their names (one channel's events in their own order), so
	// that transactions appending to the same channels never wait for each other in a
	// circle.
	Store(ctx context.Context, tx Tx, staged []StagedEvent) error
	// KeepsHistory reports whether events to channel are stored (Stage sets Keep): only
	// then does api.realtime_event need a write transaction. false for a channel no
	// active rule matches.
	KeepsHistory(channel string) bool
	// Publish delivers staged events to every member, on every node, in order.
	Publish(ctx context.Context, staged []StagedEvent)
}

// StagedEvent is an event encoded and, once Store has stored it where the channel keeps
// history, given its offset.
type StagedEvent struct {
	Channel             string
	Frame               json.RawMessage // the frame as delivered, offset included when stored
	SenderAuthenticated bool
	Offset              int64 // the offset it was stored under; 0 when the channel keeps no history
	// Keep is the channel's message_history while the event waits for Store; 0 once
	// stored, or when the channel keeps no history.
	Keep int
	// Deliver, when set, sends the event instead of Events.Publish: events of Xano's
	// current realtime (realtime.publish, message handlers) carry their own delivery.
	Deliver func(ctx context.Context)
	// StoreIn, when set, stores the event in tx (the current realtime's channel streams).
	// Like Events.Store, the runtime calls it once the stack has finished, just before
	// committing, so that the stream's row lock is held only for the commit; it calls the
	// events' StoreIn in the order of their StoreKey (one key's events in the order
	// staged), so that two transactions never wait for each other's streams in a circle.
	StoreIn  func(ctx context.Context, tx Tx) error
	StoreKey string
}

// Engine carries published frames between relaybase nodes and keeps presence across them
// (product.md, "Parts"). engine/memory serves one process; engine/redis several nodes.
// engine/enginetest is the suite both pass.
//
// Ordering: frames published to one channel by one node arrive at every node in the order
// they were published. Presence entries of a node that stops heartbeating expire.
type Engine interface {
	// Publish sends msg to every node subscribed to channel, this one included.
	Publish(ctx context.Context, channel string, msg []byte) error
	// Subscribe makes this node receive the channel's messages through the handler given to
	// Start; Unsubscribe stops that. Both are reference-counted by the caller, not the engine.
	Subscribe(ctx context.Context, channel string) error
	Unsubscribe(ctx context.Context, channel string) error
	// Start delivers incoming messages to h until ctx ends or Close is called. It returns
	// once delivery is set up (messages of channels subscribed afterwards reach h); delivery
	// itself goes on in the background. h may keep msg: engines never reuse its bytes.
	Start(ctx context.Context, h func(channel string, msg []byte)) error

	// AddPresence records member (an opaque JSON client object keyed by socketId) in
	// channel; RemovePresence removes it; Presence lists the channel's members on all nodes.
	AddPresence(ctx context.Context, channel, socketID string, member []byte) error
	RemovePresence(ctx context.Context, channel, socketID string) error
	Presence(ctx context.Context, channel string) ([][]byte, error)

	Ping(ctx context.Context) error
	Close() error
}

// TriggerCall is what a realtime_trigger stack receives: its input
// {action, channel, client, options, payload}, with $auth bound to Auth.
type TriggerCall struct {
	Action  string // "join" or "message"
	Channel string
	Client  any // the client object C of protocol.md §2, as a value
	Options any
	Payload any
	Auth    Identity
	// ClientIP is the connection's client address (behind trusted proxies, the client they
	// name): $env.$remote_ip in the trigger's stack.
	ClientIP string
}

// Triggers runs the realtime_trigger stacks whose channel matches a call. It returns nil to
// allow the action; an *Error with Code CodeAccessDenied to refuse it (the stack responded
// false or a precondition failed: its Message goes to the client with code "forbidden");
// any other error refuses with "internal" and is logged.
type Triggers interface {
	RunRealtimeTrigger(ctx context.Context, call *TriggerCall) error
}

// TriggerMatcher is implemented by Triggers that can tell cheaply whether a call would run
// any stack: the realtime server then skips the call, and building its input, when none
// would (RunRealtimeTrigger must return nil for such a call).
type TriggerMatcher interface {
	HasRealtimeTrigger(channel, action string) bool
}

// PresenceExpirer is implemented by engines whose presence entries expire when the node
// holding them stops heartbeating (engine/redis). The function is told of each expired
// member once, on one node, so the realtime server can announce that member's leave to the
// members of every node.
type PresenceExpirer interface {
	OnExpire(f func(channel, socketID string, member []byte))
}

// Resubscriber is implemented by engines whose subscriptions can lapse and come back:
// engine/redis when its pub/sub connection breaks and it reconnects; engine/memory when a
// test cuts a node off (Disconnect, Reconnect). Messages published while the subscriptions
// lapsed were not delivered to this node, so the realtime server reads what its members
// missed from the store once told.
type Resubscriber interface {
	// OnResubscribe registers f, called each time the engine has subscribed again to every
	// channel after losing its subscriptions: messages published from the call on are
	// delivered. f is called from an engine goroutine: it must return quickly and must not
	// call the engine. The first subscriptions of a started engine are not reported.
	OnResubscribe(f func())
}
