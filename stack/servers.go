package stack

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"relaybase"
	"relaybase/value"
	"relaybase/workspace"
	"relaybase/xs"
)

// Xano's current realtime (docs/realtime.md, "The current realtime"): message handlers,
// channel_trigger and realtime_server_trigger stacks, and the statements realtime.publish
// and realtime.get_session. Program implements relaybase.RealtimeHandlers.

var _ relaybase.RealtimeHandlers = (*Program)(nil)

// messageKey names a message handler: server name, channel template, message name.
type messageKey struct{ server, channel, name string }

type messageHandler struct {
	def  *relaybase.RealtimeMessage
	file string
	u    *unit
}

type lifecycleTrigger struct {
	server  string
	channel string // template path; "" for a realtime_server_trigger
	actions map[string]bool
	name    string
	file    string
	u       *unit
}

func (c *compiler) compileRealtimeMessage(m *workspace.RealtimeMessage) {
	u := newUnit("message "+m.Def.Name, m.Def.File)
	c.compileUnit(u, m.Node)
	for _, d := range u.inputs {
		for _, p := range m.Channel.Params {
			if d.name == p.Name {
				c.errorf(m.Node.Pos, "message %s: input %s has the name of its channel's {%s} parameter, which $input already holds", m.Def.Name, d.name, p.Name)
			}
		}
	}
	if !m.Def.Active {
		return
	}
	if c.p.messages == nil {
		c.p.messages = map[messageKey]*messageHandler{}
	}
	c.p.messages[messageKey{m.Server.Name, m.Channel.Path, m.Def.Name}] = &messageHandler{def: m.Def, file: m.Def.File, u: u}
}

func (c *compiler) compileLifecycleTrigger(t *workspace.RealtimeTrigger) {
	u := newUnit(t.Node.Keyword+" "+t.Name, t.File)
	c.compileUnit(u, t.Node)
	u.inputs = nil // the input block is predefined by the trigger's kind
	lt := &lifecycleTrigger{server: t.Server.Name, actions: t.Actions, name: t.Name, file: t.File, u: u}
	if t.Channel != nil {
		lt.channel = t.Channel.Path
	}
	c.p.lifecycle = append(c.p.lifecycle, lt)
}

// RunRealtimeMessage implements relaybase.RealtimeHandlers.
func (p *Program) RunRealtimeMessage(ctx context.Context, call *relaybase.RealtimeMessageCall) (any, error) {
	h := p.messages[messageKey{call.Server, call.Channel, call.Message}]
	if h == nil {
		return nil, relaybase.Errorf(relaybase.CodeNotFound, "No message handler %q in this channel.", call.Message)
	}
	if h.u.unsupported != nil {
		return nil, h.u.unsupported
	}
	raw, ok := value.Normalize(call.Payload).(*value.Object)
	switch {
	case ok:
		raw = raw.Clone()
	case call.Payload == nil:
		raw = value.NewObject(0)
	default:
		return nil, &relaybase.Error{Code: relaybase.CodeInputError, Message: "The payload must be a JSON object of the message's inputs.",
			Payload: value.ObjectOf("param", "payload")}
	}
	ctx, cancel := p.limit(ctx)
	defer cancel()
	sess := call.Session
	r := p.newRun(ctx, nil, sess.Identity)
	r.session = &sess
	in, err := r.applyInputs(h.u.inputs, raw, "")
	if err != nil {
		return nil, err
	}
	if call.Params != nil {
		for _, k := range call.Params.Keys() {
			v, _ := call.Params.Get(k)
			in.Set(k, v)
		}
	}
	r.markInputSecrets(h.u, in)
	out, err := r.transact(h.u.writes || call.Stage != nil, func() (any, error) {
		out, err := r.exec(h.u, in, sess.Identity)
		if err != nil {
			return nil, err
		}
		out = r.strip(out, false)
		if out != nil && call.Stage != nil {
			st, err := call.Stage(out)
			if err != nil {
				return nil, err
			}
			r.staged = append(r.staged, st)
		}
		return out, nil
	})
	if err != nil {
		return nil, p.finalError(ctx, r.redactError(p.timedOut(ctx, err)), h.file, "")
	}
	return out, nil
}

// RunRealtimeLifecycle implements relaybase.RealtimeHandlers: every active trigger of the
// call's server (and channel) that takes its action runs, in workspace order; the first
// refusal ends it.
func (p *Program) RunRealtimeLifecycle(ctx context.Context, call *relaybase.RealtimeLifecycleCall) error {
	for _, t := range p.lifecycle {
		if !t.matches(call.Server, call.Channel, call.Action) {
			continue
		}
		if t.u.unsupported != nil {
			return t.u.unsupported
		}
		if err := p.runLifecycle(ctx, t, call); err != nil {
			return err
		}
	}
	return nil
}

// HasRealtimeLifecycle implements relaybase.RealtimeHandlers.
func (p *Program) HasRealtimeLifecycle(server, channel, action string) bool {
	for _, t := range p.lifecycle {
		if t.matches(server, channel, action) {
			return true
		}
	}
	return false
}

func (t *lifecycleTrigger) matches(server, channel, action string) bool {
	return t.server == server && t.channel == channel && t.actions[action]
}

// RunRealtimeDeliver implements relaybase.RealtimeHandlers: the channel's deliver triggers
// run in workspace order, each with the payload the one before gave, for one recipient
// (docs/realtime.md, "Per-recipient delivery"). A response whose allowed is not true (or a
// precondition) withholds the message from the recipient; a response with a payload
// member changes what it gets.
func (p *Program) RunRealtimeDeliver(ctx context.Context, call *relaybase.RealtimeDeliverCall) (any, bool, error) {
	payload := call.Payload
	lc := &relaybase.RealtimeLifecycleCall{Server: call.Server, Channel: call.Channel, Action: "deliver", Session: call.Session}
	for _, t := range p.lifecycle {
		if !t.matches(call.Server, call.Channel, "deliver") {
			continue
		}
		if t.u.unsupported != nil {
			return nil, false, t.u.unsupported
		}
		out, err := p.runTrigger(ctx, t, lc, payload)
		if err != nil {
			var re *relaybase.Error
			if errors.As(err, &re) && re.Code == relaybase.CodeAccessDenied {
				return nil, false, nil // the trigger's refusal, not a failure
			}
			return nil, false, err
		}
		o, _ := out.(*value.Object)
		if allowed, _ := o.Get("allowed"); allowed != true {
			return nil, false, nil
		}
		if v, ok := o.Get("payload"); ok {
			payload = v
		}
	}
	return payload, true, nil
}

func (p *Program) runLifecycle(ctx context.Context, t *lifecycleTrigger, call *relaybase.RealtimeLifecycleCall) error {
	out, err := p.runTrigger(ctx, t, call, nil)
	if err != nil {
		return err
	}
	if call.Action != "join" && call.Action != "connect" {
		return nil
	}
	// {allowed: true} admits; anything else refuses, with its reason.
	o, _ := out.(*value.Object)
	allowed, _ := o.Get("allowed")
	if allowed == true {
		return nil
	}
	reason, _ := o.Get("reason")
	msg := value.ToText(reason)
	if msg == "" {
		msg = fmt.Sprintf("%s %s refused this %s.", "trigger", t.name, call.Action)
	}
	return &relaybase.Error{Code: relaybase.CodeAccessDenied, Message: msg}
}

// runTrigger runs one channel or server trigger with its input ({action, channel, payload,
// client} or {action, realtime_server, client}) and returns its response, secrets
// stripped. A precondition (or an access, input, not-found or auth error) comes back as
// CodeAccessDenied with its message.
func (p *Program) runTrigger(ctx context.Context, t *lifecycleTrigger, call *relaybase.RealtimeLifecycleCall, payload any) (any, error) {
	tctx, cancel := p.limit(ctx)
	defer cancel()
	sess := call.Session
	r := p.newRun(tctx, nil, sess.Identity)
	r.session = &sess
	extras := sess.Identity.Extras
	if extras == nil {
		extras = value.NewObject(0)
	}
	rowID := ""
	if sess.Identity.Authenticated() {
		rowID = strconv.FormatInt(sess.Identity.RowID, 10)
	}
	client := value.ObjectOf("extras", extras, "permissions", value.ObjectOf("dbo_id", sess.Identity.TableID, "row_id", rowID))
	var in *value.Object
	if t.channel != "" {
		in = value.ObjectOf("action", call.Action, "channel", sess.Channel, "payload", payload, "client", client)
	} else {
		in = value.ObjectOf("action", call.Action, "realtime_server", call.Server, "client", client)
	}
	out, err := r.transact(t.u.writes, func() (any, error) {
		out, err := r.exec(t.u, in, sess.Identity)
		return r.strip(out, false), err
	})
	err = p.timedOut(tctx, err)
	if err != nil {
		err = r.redactError(err)
		var re *relaybase.Error
		if errors.As(err, &re) && (errors.Is(err, errPrecondition) || re.Code == relaybase.CodeAccessDenied ||
			re.Code == relaybase.CodeInputError || re.Code == relaybase.CodeNotFound || re.Code == relaybase.CodeUnauthorized) {
			return nil, &relaybase.Error{Code: relaybase.CodeAccessDenied, Message: re.Message, Err: err}
		}
		return nil, p.finalError(ctx, err, t.file, "")
	}
	return out, nil
}

// authSender compiles a statement's auth_table and auth_id (the attributed sender of
// api.realtime_event and realtime.publish): nil when either is absent, null or empty.
func (c *compiler) authSender(n *xs.Node, what string) func(f *frame) (*relaybase.Identity, error) {
	var table func(f *frame) (*relaybase.Table, bool, error)
	hasTable := false
	if ref, ok := c.constText(attrOf(n, "auth_table")); !ok || !noTable(ref) {
		table, hasTable = c.tableRef(n, "auth_table")
	}
	id := c.expr(attrOf(n, "auth_id"))
	pos := n.Pos
	return func(f *frame) (*relaybase.Identity, error) {
		if !hasTable {
			return nil, nil
		}
		t, ok, err := table(f)
		if err != nil {
			return nil, err
		}
		iv, err := id(f)
		if err != nil {
			return nil, err
		}
		if !ok || iv == nil || iv == "" {
			return nil, nil
		}
		rowID, isInt := toInt(iv)
		if !isInt {
			return nil, errorAt(pos, "%s auth_id must be an integer, got %s", what, describe(iv))
		}
		return &relaybase.Identity{TableID: t.ID, RowID: rowID}, nil
	}
}

// anonymousSession is what realtime.get_session gives outside the realtime path.
var anonymousSession relaybase.RealtimeSession

// sessionValue is a session as realtime.get_session returns it.
func sessionValue(s *relaybase.RealtimeSession) *value.Object {
	if s == nil {
		s = &anonymousSession
	}
	id := s.Identity
	clientID := ""
	if id.Authenticated() {
		clientID = strconv.FormatInt(id.RowID, 10)
	}
	params := s.Params
	if params == nil {
		params = value.NewObject(0)
	}
	extras := id.Extras
	if extras == nil {
		extras = value.NewObject(0)
	}
	var opened float64
	if !s.OpenedAt.IsZero() {
		opened = float64(s.OpenedAt.UnixMilli()) / 1000
	}
	return value.ObjectOf(
		"authenticated", id.Authenticated(),
		"client_id", clientID,
		"dbo_id", id.TableID,
		"socket_id", s.SocketID,
		"channel", s.Channel,
		"params", params.Clone(),
		"extras", extras.Clone(),
		"opened_at", opened,
	)
}

func (c *compiler) stmtGetSession(n *xs.Node) execFn {
	return c.result(n, func(f *frame) (any, error) {
		return sessionValue(f.r.session), nil
	})
}

func (c *compiler) stmtRealtimePublish(n *xs.Node) execFn {
	c.u.writes = true // a channel that keeps a stream stores the message in the transaction
	if n.As != "" {
		c.warnf(n.AsPos, "realtime.publish has no result (as in Xano): as $%s stays null", n.As)
	}
	server, channel, data := attrOf(n, "realtime_server"), attrOf(n, "channel"), attrOf(n, "data")
	for key, e := range map[string]xs.Expr{"realtime_server": server, "channel": channel, "data": data} {
		if e == nil {
			c.errorf(n.Pos, "realtime.publish needs %s = ...", key)
			return nop
		}
	}
	if name, ok := c.constText(server); ok {
		found := false
		for _, s := range c.ws.RealtimeServers {
			found = found || s.Name == name
		}
		if !found {
			c.errorf(server.Position(), "realtime.publish: realtime_server %q is not defined", name)
		}
	}
	srv, ch, dat := c.expr(server), c.expr(channel), c.expr(data)
	var typ evalFn
	if e := attrOf(n, "message"); e != nil {
		typ = c.expr(e)
	}
	from := c.authSender(n, "realtime.publish")
	pos := n.Pos
	return func(f *frame) (ctl, error) {
		r := f.r
		pub := r.p.opts.Publisher
		if pub == nil {
			err := errorAt(pos, "realtime.publish: Xano's current realtime is not configured")
			r.p.logger.Error("realtime.publish failed", "at", pos.String(), "err", err.Message)
			return ctlNext, err
		}
		var p relaybase.Publication
		sv, err := srv(f)
		if err != nil {
			return ctlNext, err
		}
		cv, err := ch(f)
		if err != nil {
			return ctlNext, err
		}
		dv, err := dat(f)
		if err != nil {
			return ctlNext, err
		}
		p.Server, p.Channel, p.Data = value.ToText(sv), value.ToText(cv), r.strip(dv, false)
		if typ != nil {
			tv, err := typ(f)
			if err != nil {
				return ctlNext, err
			}
			p.Type = value.ToText(tv)
		}
		if p.From, err = from(f); err != nil {
			return ctlNext, err
		}
		st, err := pub.StagePublication(r.ctx, p)
		if err != nil {
			// Never silent (docs/realtime.md): the stack can catch it, and the log says so.
			r.p.logger.Error("realtime.publish failed", "at", pos.String(), "server", p.Server, "channel", p.Channel, "err", err)
			return ctlNext, wrapAt(pos, "realtime.publish", err)
		}
		r.staged = append(r.staged, st)
		return ctlNext, nil
	}
}
