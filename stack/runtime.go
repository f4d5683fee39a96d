package stack

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"

	"relaybase"
	"relaybase/value"
	"relaybase/xs"
)

// maxDepth bounds nested function.run calls and table triggers firing triggers.
const maxDepth = 64

// unit is one compiled stack: an endpoint, a function or a trigger. Its variables are
// slots, numbered at compile time.
type unit struct {
	name     string // for messages: "function auth/hash"
	file     string
	nslots   int
	slots    map[string]int
	inputs   []*inputDecl
	body     execFn
	response evalFn // nil: null

	// Found while compiling, completed by compiler.propagate across calls and triggers.
	writes      bool
	calls       []*unit
	writesTo    map[*relaybase.Table]bool
	unsupported *relaybase.Error // the first construct outside the core it reaches
	// secretInputs are the names of password (and sensitive) inputs.
	secretInputs []string
}

// ctl says how a statement ended.
type ctl uint8

const (
	ctlNext ctl = iota
	ctlBreak
	ctlContinue
	ctlReturn
)

type (
	evalFn func(f *frame) (any, error)
	execFn func(f *frame) (ctl, error)
)

// run is the state of one request (or one trigger call): its transaction, the events it
// staged, and which values hold secrets.
type run struct {
	ctx    context.Context
	p      *Program
	tx     relaybase.Tx
	req    *Request // nil for realtime triggers
	staged []relaybase.StagedEvent
	depth  int
	// session is the realtime socket a message handler or trigger runs for
	// (realtime.get_session); nil elsewhere.
	session *relaybase.RealtimeSession
	// clientIP is $env.$remote_ip of a legacy realtime trigger, which has no request.
	clientIP string
	// mock is the name of the test being run: statements with mock = {"<name>": v} give v.
	mock string
	// testErr is how the call of a test block failed (nil: it succeeded).
	testErr error
	// files are the file resources of the run (uploads taken by file inputs,
	// storage.create_file_resource's results), by the object that stands for each.
	files map[*value.Object]fileSource

	// headers are the response headers util.set_header set, in order (util.go).
	headers [][2]string

	// secretKeys maps objects that carry secrets (rows of tables with password fields,
	// $input objects with password inputs) to the keys that must not leave the stack.
	secretKeys map[*value.Object][]string
	// secretTexts are plain-text passwords seen in inputs, redacted from debug.log.
	secretTexts map[string]struct{}
}

// frame is one activation of a unit.
type frame struct {
	r     *run
	u     *unit
	slots []any
	input *value.Object
	auth  relaybase.Identity
	this  any // $$ / $this inside a filter lambda or an array.* condition
	ret   any // the value of a return statement
}

func (p *Program) newRun(ctx context.Context, req *Request, auth relaybase.Identity) *run {
	return &run{ctx: ctx, p: p, req: req}
}

// transact runs fn in one transaction: commit on success, then publish the staged events;
// roll back on failure, publishing nothing.
func (r *run) transact(write bool, fn func() (any, error)) (any, error) {
	if r.p.opts.Store == nil {
		return nil, &relaybase.Error{Code: relaybase.CodeServiceUnavailable, Message: "No database is configured."}
	}
	tx, err := r.p.opts.Store.Begin(r.ctx, write)
	if err != nil {
		return nil, &relaybase.Error{Code: relaybase.CodeServiceUnavailable,
			Message: "The database is unavailable; nothing was changed.", Err: fmt.Errorf("begin: %w", err)}
	}
	r.tx = tx
	out, err := r.guard(fn)
	if err == nil {
		err = r.storeStaged()
	}
	if err != nil {
		if rerr := tx.Rollback(); rerr != nil {
			r.p.logger.Error("rollback failed", "error", rerr)
		}
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		_ = tx.Rollback()
		return nil, &relaybase.Error{Code: relaybase.CodeServiceUnavailable,
			Message: "The database could not commit; nothing was changed.", Err: fmt.Errorf("commit: %w", err)}
	}
	if len(r.staged) > 0 {
		// The write is durable: the events must go out even if the client went away.
		r.publish(context.WithoutCancel(r.ctx))
	}
	return out, nil
}

// storeStaged stores the staged events whose channels keep history, last thing before the
// commit, so that each such channel's offset stays locked only for the commit (Events.Store).
func (r *run) storeStaged() error {
	if r.p.opts.Events != nil && slices.ContainsFunc(r.staged, func(st relaybase.StagedEvent) bool { return st.Keep > 0 }) {
		if err := r.p.opts.Events.Store(r.ctx, r.tx, r.staged); err != nil {
			return fmt.Errorf("api.realtime_event: store the events in their channels' history: %w", err)
		}
	}
	// The current realtime's messages (realtime.publish, handler responses) go to their
	// streams last, stream by stream in key order (StagedEvent.StoreIn).
	var order []int
	for i := range r.staged {
		if r.staged[i].StoreIn != nil {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return strings.Compare(r.staged[a].StoreKey, r.staged[b].StoreKey) })
	for _, i := range order {
		if err := r.staged[i].StoreIn(r.ctx, r.tx); err != nil {
			err = fmt.Errorf("realtime: store the message in its channel's stream: %w", err)
			r.p.logger.Error("realtime message not stored; the stack rolls back", "channel", r.staged[i].Channel, "err", err)
			return err
		}
	}
	return nil
}

// publish sends what the committed transaction staged, in order: events of the current
// realtime deliver themselves, the legacy ones go through Events.Publish in runs.
func (r *run) publish(ctx context.Context) {
	start := 0
	flush := func(end int) {
		if end > start && r.p.opts.Events != nil {
			r.p.opts.Events.Publish(ctx, r.staged[start:end])
		}
	}
	for i, st := range r.staged {
		if st.Deliver == nil {
			continue
		}
		flush(i)
		st.Deliver(ctx)
		start = i + 1
	}
	flush(len(r.staged))
}

// guard runs fn and turns a panic (a bug, never a user's mistake) into a 500 so that the
// transaction is still rolled back and the process keeps serving.
func (r *run) guard(fn func() (any, error)) (out any, err error) {
	defer func() {
		if p := recover(); p != nil {
			r.p.logger.Error("stack panicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			out, err = nil, &relaybase.Error{Code: relaybase.CodeFatal, Message: "Internal server error.", Err: fmt.Errorf("panic: %v", p)}
		}
	}()
	return fn()
}

// exec runs a unit with already-checked inputs and returns its response.
func (r *run) exec(u *unit, in *value.Object, auth relaybase.Identity) (any, error) {
	if r.depth >= maxDepth {
		return nil, relaybase.Errorf(relaybase.CodeFatal, "Too many nested calls (more than %d) in %s.", maxDepth, u.name)
	}
	r.depth++
	defer func() { r.depth-- }()
	f := &frame{r: r, u: u, input: in, auth: auth}
	if u.nslots > 0 {
		f.slots = make([]any, u.nslots)
	}
	c, err := u.body(f)
	if err != nil {
		return nil, err
	}
	if c == ctlReturn {
		return f.ret, nil
	}
	if u.response == nil {
		return nil, nil
	}
	return u.response(f)
}

// call runs a function with the given raw input object.
func (r *run) call(u *unit, raw *value.Object, auth relaybase.Identity) (any, error) {
	if u.unsupported != nil {
		return nil, u.unsupported
	}
	if att := r.p.attached[u]; att != nil {
		return r.runAttached(u, att, raw, auth, false)
	}
	in, err := r.applyInputs(u.inputs, raw, "")
	if err != nil {
		return nil, err
	}
	r.markInputSecrets(u, in)
	return r.exec(u, in, auth)
}

// markSecret records that obj carries secrets under keys.
func (r *run) markSecret(obj *value.Object, keys []string) {
	if obj == nil || len(keys) == 0 {
		return
	}
	if r.secretKeys == nil {
		r.secretKeys = map[*value.Object][]string{}
	}
	r.secretKeys[obj] = keys
}

func (r *run) markInputSecrets(u *unit, in *value.Object) {
	if len(u.secretInputs) == 0 {
		return
	}
	r.markSecret(in, u.secretInputs)
	for _, k := range u.secretInputs {
		if s, ok := in.Get(k); ok {
			if t, ok := s.(string); ok && t != "" {
				if r.secretTexts == nil {
					r.secretTexts = map[string]struct{}{}
				}
				r.secretTexts[t] = struct{}{}
			}
		}
	}
}

// errorAt is a runtime failure of the stack (500) naming where it happened.
func errorAt(pos xs.Pos, format string, args ...any) *relaybase.Error {
	return &relaybase.Error{Code: relaybase.CodeFatal, Message: fmt.Sprintf(format, args...) + " (at " + pos.String() + ")"}
}

// wrapAt turns an error from a store, a filter or a contract into a stack error at pos,
// keeping client-facing errors as they are. An error that relaybase.ErrorCode classifies
// (the database is down, a unique index refused the write) or a cancelled request keeps its
// cause, wrapped with the position, so that it is classified where it is answered; anything
// else is a 500 that names the operation.
func wrapAt(pos xs.Pos, what string, err error) error {
	var re *relaybase.Error
	if errors.As(err, &re) {
		return err
	}
	if relaybase.ErrorCode(err) != relaybase.CodeFatal || errors.Is(err, context.Canceled) {
		return fmt.Errorf("%s at %s: %w", what, pos, err)
	}
	return &relaybase.Error{Code: relaybase.CodeFatal, Message: fmt.Sprintf("%s failed (at %s).", what, pos), Err: err}
}

// catchable reports whether try_catch may handle err: not a construct that does not run,
// not an unreachable database, not a request that was cancelled or ran out of time.
func catchable(err error) bool {
	switch relaybase.ErrorCode(err) {
	case relaybase.CodeNotImplemented, relaybase.CodeServiceUnavailable:
		return false
	}
	return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// errorValue is $error inside catch: {name, code, message, result}.
func errorValue(err error) *value.Object {
	re := relaybase.AsError(err)
	name := ""
	var result any
	if o, ok := re.Payload.(*value.Object); ok {
		if n, ok := o.Get("name"); ok {
			name = value.ToText(n)
		}
		result, _ = o.Get("value")
	} else if re.Payload != nil {
		result = value.Normalize(re.Payload)
	}
	if name == "" {
		name = string(re.Code)
	}
	// re.Message is written for a client: the cause (SQL, paths) stays in the log.
	return value.ObjectOf("name", name, "code", string(re.Code), "message", re.Message, "result", result)
}
