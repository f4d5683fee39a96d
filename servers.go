package relaybase

import (
	"context"
	"time"

	"relaybase/value"
)

// The definitions of Xano's current realtime (docs/realtime.md, "The current realtime"):
// a RealtimeServer owns RealtimeChannels, which own RealtimeMessages. They are what package
// workspace reads from realtime_server, channel and message objects, and what the /ws/
// protocol serves. Stacks (message handlers, triggers) stay with package stack; these
// types carry only what the protocol needs to decide who may do what.

// RealtimeServer is one realtime_server: the /ws/<Canonical> address and its channels.
type RealtimeServer struct {
	Name      string
	Canonical string
	Active    bool
	Channels  []*RealtimeChannel
	File      string
}

// Channel returns the server's channel of a template path ("rooms/{room_id}"), active or not.
func (s *RealtimeServer) Channel(path string) (*RealtimeChannel, bool) {
	for _, c := range s.Channels {
		if c.Path == path {
			return c, true
		}
	}
	return nil, false
}

// Publish rules: who may broadcast to a channel (publish.who).
const (
	PublishNobody        = "nobody"
	PublishAnyone        = "anyone"
	PublishAuthenticated = "authenticated"
)

// RealtimeChannel is one channel of a realtime server: a path template whose {param}
// segments are typed by Params, and the channel's settings.
type RealtimeChannel struct {
	Server   string // the owning server's name
	Path     string // "rooms/{room_id}": literal segments and whole-segment {param}s
	Segments []string
	Params   []PathParam // in the order they appear in Path
	Active   bool

	Anonymous bool   // access.anonymous: clients without a token may join
	Presence  bool   // access.presence
	Publish   string // publish.who: PublishNobody, PublishAnyone or PublishAuthenticated
	Direct    bool   // publish.direct: clients may message one user (options.to)

	Conversation      bool // conversation.enabled
	ConversationLimit int  // conversation.limit: messages a joiner is shown (0: none)
	ConversationTTL   int  // conversation.ttl, seconds: idle expiry of the transcript (0: none)

	AtLeastOnce  bool // delivery.guarantee = "at_least_once"
	PerRecipient bool // delivery.per_recipient: deliver triggers run once per recipient

	RateLimit int // rate_limit.messages_per_minute (0: unlimited)

	Messages []*RealtimeMessage
	File     string
}

// Message returns the channel's message of a name, active or not.
func (c *RealtimeChannel) Message(name string) (*RealtimeMessage, bool) {
	for _, m := range c.Messages {
		if m.Name == name {
			return m, true
		}
	}
	return nil, false
}

// KeepsStream reports whether the channel stores its messages: for its conversation, or
// to replay them to at-least-once clients.
func (c *RealtimeChannel) KeepsStream() bool {
	return c.AtLeastOnce || c.Conversation && c.ConversationLimit > 0
}

// ValidPathSegment reports whether s is a literal segment of a channel path, or a value
// a {param} segment can take: one or more of A-Z a-z 0-9 _ -.
func ValidPathSegment(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// IsPathParam reports whether a path segment is a whole {param}.
func IsPathParam(seg string) bool { return len(seg) > 2 && seg[0] == '{' && seg[len(seg)-1] == '}' }

// PathParam is one {name} segment of a channel path and the scalar type it is bound to.
type PathParam struct {
	Name   string
	Type   FieldType
	Values []string // enum values
}

// Where a message handler's response goes (deliver_to).
const (
	DeliverChannel  = "channel"
	DeliverSender   = "sender"
	DeliverOthers   = "others"
	DeliverExplicit = "explicit"
)

// RealtimeMessage is one message handler of a channel: the `type` clients broadcast.
type RealtimeMessage struct {
	Name      string
	Active    bool
	Auth      string // the auth table a sender's token must belong to; "" for none
	DeliverTo string // DeliverChannel, DeliverSender, DeliverOthers or DeliverExplicit
	File      string
}

// RealtimeSession is the socket a message handler or a realtime trigger runs for: what
// realtime.get_session returns (docs/realtime.md). The zero session is the anonymous one
// that get_session gives outside the realtime path.
type RealtimeSession struct {
	Identity Identity
	SocketID int64
	Channel  string        // the filled-in path; "" in a server trigger
	Params   *value.Object // the path parameters as text; nil means {}
	OpenedAt time.Time
	// ClientIP is the socket's client address (behind trusted proxies, the client they
	// name): $env.$remote_ip in the handler's or trigger's stack.
	ClientIP string
}

// RealtimeMessageCall is one broadcast frame to run through a message handler.
type RealtimeMessageCall struct {
	Server  string // the server's name
	Channel string // the channel's template path
	Message string // the message's name (the frame's type)
	Session RealtimeSession
	Params  *value.Object // the path parameters, coerced to their declared types, for $input
	Payload any
	// Stage, when set, is called once the handler's stack has finished, with its response
	// when that is not null; the event it returns is stored in the handler's transaction
	// (its StoreIn) and delivered once that commits.
	Stage func(response any) (StagedEvent, error)
}

// RealtimeLifecycleCall is one join or leave (channel_trigger), or connect or disconnect
// (realtime_server_trigger).
type RealtimeLifecycleCall struct {
	Server  string // the server's name
	Channel string // the channel's template path; "" for a server trigger
	Action  string // "join", "leave", "connect" or "disconnect"
	Session RealtimeSession
}

// RealtimeHandlers runs the stacks of Xano's current realtime: message handlers and the
// channel and server triggers. package stack implements it.
type RealtimeHandlers interface {
	// RunRealtimeMessage validates call.Payload against the message's input, runs its stack
	// in one transaction and returns its response (nil: the handler dropped the message).
	// A payload that fails validation is an *Error with CodeInputError; a precondition an
	// *Error of its type; any other failure an error to log.
	RunRealtimeMessage(ctx context.Context, call *RealtimeMessageCall) (any, error)
	// RunRealtimeLifecycle runs the triggers of call's server (and channel) that take its
	// action. nil admits; an *Error with CodeAccessDenied refuses with its Message (the
	// trigger's reason); any other error refuses and is logged.
	RunRealtimeLifecycle(ctx context.Context, call *RealtimeLifecycleCall) error
	// HasRealtimeLifecycle reports whether RunRealtimeLifecycle would run any stack
	// (RunRealtimeDeliver for the action "deliver").
	HasRealtimeLifecycle(server, channel, action string) bool
	// RunRealtimeDeliver runs the deliver triggers of call's channel for one recipient of
	// one message (delivery.per_recipient), in workspace order, each seeing the payload the
	// one before gave. It returns what the recipient gets, and deliver false when it gets
	// nothing. An error means the recipient gets nothing; it is to be logged.
	RunRealtimeDeliver(ctx context.Context, call *RealtimeDeliverCall) (payload any, deliver bool, err error)
}

// RealtimeDeliverCall is one recipient of one message on a channel with
// delivery.per_recipient: Session is the recipient's.
type RealtimeDeliverCall struct {
	Server  string // the server's name
	Channel string // the channel's template path
	Type    string // the message's type
	Payload any
	Session RealtimeSession
}

// Publication is what realtime.publish sends: Data as a message of Type to a filled-in
// channel path of the named server, From its optional attribution.
type Publication struct {
	Server  string
	Channel string
	Type    string
	Data    any
	From    *Identity
}

// RealtimePublisher is the current realtime's side of realtime.publish: StagePublication
// checks the target (an *Error the stack can catch when nothing matches) and encodes the
// frame. It stores nothing: where the channel keeps a stream, the StagedEvent's StoreIn
// stores it in the stack's transaction once the stack has finished, and its Deliver sends
// it once that transaction has committed.
type RealtimePublisher interface {
	StagePublication(ctx context.Context, p Publication) (StagedEvent, error)
}
