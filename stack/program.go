package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"time"

	"relaybase"
	"relaybase/value"
	"relaybase/workspace"
	"relaybase/xs"
)

// Options are what a Program runs against. Only Store is required.
type Options struct {
	Store  relaybase.Store
	Events relaybase.Events // nil: api.realtime_event fails with a clear error
	// Publisher is the current realtime's side of realtime.publish (nil: it fails clearly).
	Publisher relaybase.RealtimePublisher
	Tokens    relaybase.Tokens    // nil: security.create_auth_token fails clearly
	Passwords relaybase.Passwords // nil: password fields and check_password fail clearly
	Outbound  relaybase.Outbound  // nil: api.request fails clearly
	Env       map[string]any      // workspace env, already merged with RELAYBASE_ENV_* overrides
	Logger    *slog.Logger        // nil: discard
	Now       func() time.Time    // nil: time.Now
	// Timeout bounds one run of a stack: an endpoint's request or a realtime trigger. A run
	// past it is stopped (loops and waits check the context), rolled back, and fails with
	// ERROR_FATAL. 0: no limit, so a while (true) runs for as long as its caller waits,
	// holding its transaction, which for SQLite blocks every other writer.
	Timeout time.Duration
	// TaskTimeout bounds one run of a task (0: no limit).
	TaskTimeout time.Duration
	// Cache is the key-value store of the redis.* statements; nil: they fail clearly.
	Cache relaybase.Cache
	// Files keeps the files of storage.create_attachment and its siblings; nil: they fail
	// clearly.
	Files relaybase.FileStore
	// MaxFile bounds one stored file (0: 64 MiB).
	MaxFile int64
}

// Program is a compiled workspace: its endpoints, functions and triggers as closures.
// It is safe for concurrent use; every run has its own frame.
type Program struct {
	ws     *workspace.Workspace
	opts   Options
	logger *slog.Logger
	now    func() time.Time
	env    map[string]any

	endpoints        []*Endpoint
	funcs            map[string]*unit
	tableTriggers    map[*relaybase.Table][]*tableTrigger
	realtimeTriggers []*realtimeTrigger
	messages         map[messageKey]*messageHandler
	lifecycle        []*lifecycleTrigger
	tasks            []*Task
	tests            []*Test
	addons           map[string]*unit
	// hasSecrets: some table has a password field, so outgoing values are scanned.
	hasSecrets bool

	// Middleware (middleware.go): by name, the units they run around, and their own units.
	middlewares  map[string]*middleware
	attached     map[*unit]*attachment
	inMiddleware map[*unit]bool
}

// Endpoint is one compiled query: where it answers and how to run it.
type Endpoint struct {
	Group       string // the API group's name
	Canonical   string // the group's canonical: the endpoint answers at /api:{Canonical}/{Path}
	Path        string // as written, without a leading "/": "messages/{id}"
	Verb        string // GET, POST, PUT, PATCH, DELETE
	Auth        string // the auth table's name, "" when public
	AuthTableID int64  // that table's id (as Store.Migrate assigned it before Compile)
	Inputs      []Input
	File        string

	p            *Program
	u            *unit
	authTable    *relaybase.Table
	authRequired bool // auth = "..." was given; without a valid authTable every request is refused
}

// Input describes one declared input, for OpenAPI and for clients.
type Input struct {
	Name     string
	Type     string // text, int, decimal, bool, email, password, timestamp, date, uuid, json, enum, object
	Required bool   // the name has no "?" and no default
	Nullable bool   // the type has a "?"
	Array    bool
	Default  any      // the default when it is a constant, else nil
	Values   []string // enum values
	Table    string   // foreign key: { table = "user" }
	Fields   []Input  // object schema
}

// Request is one call of an endpoint.
type Request struct {
	// Input holds the raw inputs: path params plus the query string or the body. Values
	// from a query string or a form arrive as text (or []any of text) and are coerced to
	// the declared types.
	Input     *value.Object
	Auth      relaybase.Identity
	RemoteIP  string
	Method    string
	URI       string
	Headers   map[string]string // canonical header names
	RequestID string
	// Uploads are the files sent with the request (multipart parts), by the placeholder
	// object that stands for each in Input: a file input takes one of them.
	Uploads map[*value.Object]Upload
}

// Upload is a file sent with a request: what its sender said of it, and its content.
type Upload struct {
	Name string
	MIME string
	Size int64
	Open func() (io.ReadCloser, error)
}

// Response is what an endpoint answers: Value is already stripped of secrets.
type Response struct {
	Value  any
	Status int
	// Headers are the headers util.set_header set, as (name, value) pairs in order: a
	// name may repeat (Set-Cookie). A Content-Type among them replaces the JSON one, and
	// a text Value is then written as it is (an HTML page).
	Headers [][2]string
}

// Compile compiles a workspace. Diagnostics of severity xs.Error mean the program must not
// be served; xs.Unsupported ones name constructs that answer 501 when reached; warnings are
// for a person. The returned Program is usable whenever no xs.Error was reported.
// Compile reads table ids (Table.ID), so call it after Store.Migrate.
func Compile(ws *workspace.Workspace, opts Options) (*Program, []xs.Diagnostic) {
	p := &Program{
		ws:            ws,
		opts:          opts,
		logger:        opts.Logger,
		now:           opts.Now,
		funcs:         map[string]*unit{},
		middlewares:   map[string]*middleware{},
		attached:      map[*unit]*attachment{},
		inMiddleware:  map[*unit]bool{},
		tableTriggers: map[*relaybase.Table][]*tableTrigger{},
		addons:        map[string]*unit{},
	}
	if p.logger == nil {
		p.logger = slog.New(slog.DiscardHandler)
	}
	if p.now == nil {
		p.now = time.Now
	}
	p.env = make(map[string]any, len(opts.Env))
	for k, v := range opts.Env {
		p.env[k] = value.Normalize(v)
	}
	for _, t := range ws.Tables {
		for i := range t.Fields {
			if t.Fields[i].Sensitive() {
				p.hasSecrets = true
			}
		}
	}
	c := &compiler{p: p, ws: ws}
	c.compileAll()
	return p, c.diags
}

// Endpoints lists the compiled endpoints in workspace order.
func (p *Program) Endpoints() []*Endpoint { return p.endpoints }

// Supported lists the statements and filters relaybase runs: the registry the
// documentation is checked against.
func Supported() (statements []string, filters []string) {
	for k := range statements_ {
		statements = append(statements, k)
	}
	sort.Strings(statements)
	return statements, supportedFilters()
}

// Run runs the endpoint for one request. Its error is a *relaybase.Error (400, 401, 403,
// 404, 500, 501 or 503, per docs/http.md) or, for a failure it could not classify, another
// error that the caller answers with 500 without internals.
func (e *Endpoint) Run(ctx context.Context, req *Request) (*Response, error) {
	p := e.p
	if e.u.unsupported != nil {
		return nil, e.u.unsupported
	}
	if e.authRequired {
		if e.authTable == nil || !req.Auth.Authenticated() || req.Auth.TableID != e.authTable.ID {
			return nil, relaybase.Errorf(relaybase.CodeUnauthorized, "Authentication required.")
		}
	}
	ctx, cancel := p.limit(ctx)
	defer cancel()
	r := p.newRun(ctx, req, req.Auth)
	raw := req.Input
	if raw == nil {
		raw = value.NewObject(0)
	}
	var out any
	var err error
	if att := p.attached[e.u]; att != nil {
		// With middleware the inputs are checked inside the transaction, after the pre
		// middleware has had its say on them (middleware.go).
		out, err = r.transact(e.u.writes, func() (any, error) {
			return r.runAttached(e.u, att, raw, req.Auth, true)
		})
	} else {
		var in *value.Object
		if in, err = r.applyInputs(e.u.inputs, raw, ""); err != nil {
			return nil, err
		}
		r.markInputSecrets(e.u, in)
		out, err = r.transact(e.u.writes, func() (any, error) {
			return r.exec(e.u, in, req.Auth)
		})
	}
	if err != nil {
		return nil, p.finalError(ctx, r.redactError(p.timedOut(ctx, err)), e.File, req.RequestID)
	}
	return &Response{Value: r.strip(out, false), Status: 200, Headers: r.headers}, nil
}

// RunRealtimeTrigger runs the realtime_trigger stacks whose channel matches call (an exact
// channel, or a prefix pattern ending in "*") and whose actions include call.Action. It
// returns nil to allow the action; an *relaybase.Error with CodeAccessDenied when a stack
// responded false or a precondition failed; another error when a stack failed otherwise.
func (p *Program) RunRealtimeTrigger(ctx context.Context, call *relaybase.TriggerCall) error {
	for _, t := range p.realtimeTriggers {
		if !t.matches(call.Channel, call.Action) {
			continue
		}
		if t.u.unsupported != nil {
			return t.u.unsupported
		}
		tctx, cancel := p.limit(ctx)
		r := p.newRun(tctx, nil, call.Auth)
		r.clientIP = call.ClientIP
		in := value.ObjectOf(
			"action", call.Action,
			"channel", call.Channel,
			"client", value.Normalize(call.Client),
			"options", value.Normalize(call.Options),
			"payload", value.Normalize(call.Payload),
		)
		out, err := r.transact(t.u.writes, func() (any, error) {
			return r.exec(t.u, in, call.Auth)
		})
		err = p.timedOut(tctx, err)
		cancel()
		if err != nil {
			err = r.redactError(err)
			if refuses(err) {
				return &relaybase.Error{Code: relaybase.CodeAccessDenied, Message: relaybase.AsError(err).Message, Err: err}
			}
			return p.finalError(ctx, err, t.file, "")
		}
		if b, ok := out.(bool); ok && !b {
			return &relaybase.Error{Code: relaybase.CodeAccessDenied, Message: "Not allowed."}
		}
	}
	return nil
}

// HasRealtimeTrigger reports whether RunRealtimeTrigger would run a stack for channel and
// action (relaybase.TriggerMatcher).
func (p *Program) HasRealtimeTrigger(channel, action string) bool {
	for _, t := range p.realtimeTriggers {
		if t.matches(channel, action) {
			return true
		}
	}
	return false
}

// errTimeout is the cause of a run's context when Options.Timeout ends it.
var errTimeout = errors.New("the stack ran past its time limit")

// limit bounds a run by Options.Timeout.
func (p *Program) limit(ctx context.Context) (context.Context, context.CancelFunc) {
	if p.opts.Timeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeoutCause(ctx, p.opts.Timeout, errTimeout)
}

// timedOut replaces the error of a run that Options.Timeout stopped, whatever it failed on
// (a loop checking the context, a query interrupted, a commit refused), by one that says so.
func (p *Program) timedOut(ctx context.Context, err error) error {
	if err == nil || !errors.Is(context.Cause(ctx), errTimeout) {
		return err
	}
	return &relaybase.Error{Code: relaybase.CodeFatal,
		Message: fmt.Sprintf("The request ran longer than its limit of %s and was stopped; nothing was changed.", p.opts.Timeout),
		Err:     fmt.Errorf("%w: %w", errTimeout, err)}
}

// refuses reports whether a realtime trigger that failed with err refuses the action (the
// client is told why) rather than failing (the client hears of an internal error): a failed
// precondition of any error_type, and whatever the client is to blame for.
func refuses(err error) bool {
	if errors.Is(err, errPrecondition) {
		return true
	}
	switch relaybase.ErrorCode(err) {
	case relaybase.CodeAccessDenied, relaybase.CodeInputError, relaybase.CodeNotFound, relaybase.CodeUnauthorized:
		return true
	}
	return false
}

// finalError logs what a client will not see and returns the error as a *relaybase.Error.
func (p *Program) finalError(ctx context.Context, err error, file, requestID string) error {
	re := relaybase.AsError(err)
	if re.Code == relaybase.CodeFatal || re.Code == relaybase.CodeServiceUnavailable {
		p.logger.LogAttrs(ctx, slog.LevelError, "stack failed",
			slog.String("file", file), slog.String("request_id", requestID), slog.String("error", err.Error()))
	}
	return re
}

// tableTrigger is a compiled table_trigger.
type tableTrigger struct {
	name    string
	table   *relaybase.Table
	actions map[string]bool
	u       *unit
}

// realtimeTrigger is a compiled realtime_trigger.
type realtimeTrigger struct {
	channel string
	actions map[string]bool
	file    string
	u       *unit
}

func (t *realtimeTrigger) matches(channel, action string) bool {
	if !t.actions[action] {
		return false
	}
	if prefix, ok := strings.CutSuffix(t.channel, "*"); ok {
		return len(channel) > len(prefix) && strings.HasPrefix(channel, prefix)
	}
	return channel == t.channel
}

func (t *realtimeTrigger) String() string { return fmt.Sprintf("realtime_trigger %s", t.channel) }
