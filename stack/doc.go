// Package stack runs XanoScript function stacks.
//
// Compile turns a loaded workspace (package workspace, whose objects package xs parsed)
// into a Program once, at load: every expression and statement becomes a Go closure and
// every stack variable a slot in a frame, so a request never walks the AST. Constructs
// outside relaybase's core (docs/xanoscript.md) are reported as xs.Unsupported diagnostics with
// their position; an endpoint that contains one, directly or through a function or table
// trigger it reaches, still compiles and answers 501 naming it.
//
// At run time an Endpoint takes a Request, checks and coerces its inputs, and runs its
// stack inside exactly one database transaction: a write one (Store.Begin(ctx, true)) when
// the stack, a function it calls or a table trigger it fires can write, else a read
// transaction. That is decided when compiling: api.realtime_event counts as a write unless
// its channel is a literal whose rule keeps no history (Events.KeepsHistory), as then it
// stores nothing. A failing stack rolls everything back. api.realtime_event stages its
// event (Events.Stage: checked and encoded); when the stack has finished, the events of
// channels that keep history are stored in the transaction (Events.Store), last, so that
// each channel's offset is locked only for the commit; the staged events are published only
// after Commit succeeded, never when the stack failed. realtime.publish and a message
// handler's response are staged the same way (RealtimePublisher.StagePublication,
// RealtimeMessageCall.Stage): their StoreIn stores them in their channel streams after the
// legacy events, stream by stream in StoreKey order. table_trigger stacks run inside the
// transaction that changed the row; realtime_trigger stacks run through
// Program.RunRealtimeTrigger, which implements relaybase.Triggers.
//
// Secrets: password fields are hashed on write (Passwords.Hash) and readable inside a
// stack, but are removed from everything that leaves it: the endpoint's response, realtime
// event data and debug.log output. The runtime remembers, per request, which objects are
// rows of tables with password fields (and which are $input objects with password inputs)
// and drops those keys when a value is serialised out; as a second net, any text that has
// the shape of a password hash (argon2 or bcrypt) is dropped too, so a hash copied into a
// new object by a filter never leaks either. See secret.go.
//
// Values are those of package value; their rules (docs/xanoscript.md, "Values and coercion")
// live in value and in this package's ops.go. Filters live in package stack/filter; this
// package only calls them.
//
// stack must not know about HTTP, WebSocket or SQL: it speaks relaybase.Store/Tx,
// relaybase.Events, relaybase.Tokens and relaybase.Passwords, and returns *relaybase.Error
// values whose codes httpapi maps to statuses.
package stack
