package stack

import (
	"fmt"
	"slices"
	"strings"

	"relaybase"
	"relaybase/value"
	"relaybase/xs"
)

// Middleware (Xano's middleware objects) runs before and after the stacks it is attached
// to, as Xano writes it:
//
//	middleware check_token {
//	  exception_policy = "critical"        silent | rethrow (default) | critical
//	  response_strategy = "replace"        merge (default) | replace
//	  input { json vars  enum type { values = ["pre", "post"] } }
//	  stack { ... }
//	  response = $input.vars
//	}
//
// attached by a query, its api_group (for every query of the group that does not name its
// own) or a function:
//
//	middleware = {pre: [{name: "check_token"}], post: [{name: "audit"}]}
//
// A pre middleware runs before the inputs are checked; its $input is {vars: the request's
// inputs (those the query declares), type: "pre"}. Its response becomes the inputs: merged
// into them (an object's members are added or replace theirs; null changes nothing), or
// replacing them (null: no inputs). A post middleware runs after the stack succeeded; its
// $input is {vars: {status: "ok", result: the response}, type: "post"}. Its response is
// merged into an object response (members added or replaced; null, or a response that is
// not an object, leaves it as it is) or replaces it.
//
// An error in a middleware: with exception_policy "silent" it is logged and ignored (what
// the middleware wrote and the events it staged are rolled back, the request goes on as if
// it had not run, headers it set included); with "rethrow" or "critical" the request fails with it. Middleware runs
// in the request's transaction.
type middleware struct {
	name    string
	u       *unit
	silent  bool
	replace bool
}

// attachment is the middleware a unit runs before and after itself.
type attachment struct {
	pre, post []*middleware
}

// compileMiddlewares compiles every middleware object. Functions exist (as units) by
// then, so a middleware may call them.
func (c *compiler) compileMiddlewares() {
	for _, o := range c.ws.Middlewares {
		if _, dup := c.p.middlewares[o.Name]; dup {
			c.errorf(o.Node.Pos, "middleware %q is defined twice", o.Name)
			continue
		}
		m := &middleware{name: o.Name, u: newUnit("middleware "+o.Name, o.File)}
		switch p, _ := c.constText(attrOf(o.Node, "exception_policy")); p {
		case "", "rethrow", "critical":
		case "silent":
			m.silent = true
		default:
			c.errorf(o.Node.Pos, "middleware %s: exception_policy must be silent, rethrow or critical, got %q", o.Name, p)
		}
		switch s, _ := c.constText(attrOf(o.Node, "response_strategy")); s {
		case "", "merge":
		case "replace":
			m.replace = true
		default:
			c.errorf(o.Node.Pos, "middleware %s: response_strategy must be merge or replace, got %q", o.Name, s)
		}
		c.p.middlewares[o.Name] = m
		c.p.inMiddleware[m.u] = true
		c.compileUnit(m.u, o.Node)
		m.u.inputs = nil // the inputs are fixed: {vars, type}
	}
}

// attachMiddlewares reads the middleware = {...} of every query (or else its group's) and
// of every function.
func (c *compiler) attachMiddlewares() {
	for i, ep := range c.ws.Endpoints {
		a := attrOf(ep.Node, "middleware")
		if a == nil && ep.Group != nil {
			a = attrOf(ep.Group.Node, "middleware")
		}
		c.attach(c.p.endpoints[i].u, a)
	}
	for _, o := range c.ws.Functions {
		if u, ok := c.p.funcs[o.Name]; ok {
			c.attach(u, attrOf(o.Node, "middleware"))
		}
	}
}

func (c *compiler) attach(u *unit, e xs.Expr) {
	if e == nil {
		return
	}
	v, ok := c.constValue(e)
	spec, isObj := v.(*value.Object)
	if !ok || (!isObj && v != nil) {
		c.errorf(e.Position(), "middleware must be {pre: [{name: \"...\"}], post: [{name: \"...\"}]}")
		return
	}
	att := &attachment{}
	for _, phase := range []string{"pre", "post"} {
		list, _ := spec.Get(phase)
		entries, isList := list.([]any)
		if list != nil && !isList {
			c.errorf(e.Position(), "middleware %s must be a list such as [{name: \"check\"}]", phase)
			continue
		}
		for _, entry := range entries {
			name := ""
			switch t := entry.(type) {
			case string:
				name = t
			case *value.Object:
				n, _ := t.Get("name")
				name, _ = n.(string)
			}
			if strings.TrimSpace(name) == "" {
				continue // Xano writes {name: ""} for an empty slot
			}
			m, ok := c.p.middlewares[name]
			if !ok {
				c.errorf(e.Position(), "middleware %q is not defined (no middleware object has that name)", name)
				continue
			}
			u.calls = append(u.calls, m.u)
			if phase == "pre" {
				att.pre = append(att.pre, m)
			} else {
				att.post = append(att.post, m)
			}
		}
	}
	if len(att.pre)+len(att.post) > 0 {
		c.p.attached[u] = att
	}
}

// runAttached runs u with its middleware around it, inside the run's transaction: the pre
// middleware (which may change the raw inputs), the inputs checked, the stack, the post
// middleware (which may change the result).
func (r *run) runAttached(u *unit, att *attachment, raw *value.Object, auth relaybase.Identity, top bool) (any, error) {
	if len(att.pre) > 0 {
		var err error
		if raw, err = r.preMiddleware(u, att, raw, auth); err != nil {
			return nil, err
		}
		if top && r.req != nil {
			// util.get_all_input in the stack sees the inputs the middleware left.
			req := *r.req
			req.Input = raw
			r.req = &req
		}
	}
	in, err := r.applyInputs(u.inputs, raw, "")
	if err != nil {
		return nil, err
	}
	r.markInputSecrets(u, in)
	out, err := r.exec(u, in, auth)
	if err != nil {
		return nil, err
	}
	return r.postMiddleware(att, out, auth)
}

func (r *run) preMiddleware(u *unit, att *attachment, raw *value.Object, auth relaybase.Identity) (*value.Object, error) {
	for _, m := range att.pre {
		vars := value.NewObject(len(u.inputs))
		for _, d := range u.inputs {
			if v, ok := raw.Get(d.name); ok {
				vars.Set(d.name, v)
			}
		}
		r.markInputSecrets(u, vars)
		res, ran, err := r.runMiddleware(m, vars, "pre", auth)
		if err != nil {
			return nil, err
		}
		if !ran {
			continue
		}
		obj, isObj := res.(*value.Object)
		if res != nil && !isObj {
			return nil, relaybase.Errorf(relaybase.CodeFatal, "Middleware %s must respond with an object of inputs or null, got %s.", m.name, value.TypeName(res))
		}
		switch {
		case m.replace && obj == nil:
			raw = value.NewObject(0)
		case m.replace:
			raw = obj
		case obj != nil:
			merged := raw.Clone()
			for _, k := range obj.Keys() {
				v, _ := obj.Get(k)
				merged.Set(k, v)
			}
			raw = merged
		}
	}
	return raw, nil
}

func (r *run) postMiddleware(att *attachment, out any, auth relaybase.Identity) (any, error) {
	for _, m := range att.post {
		res, ran, err := r.runMiddleware(m, value.ObjectOf("status", "ok", "result", out), "post", auth)
		if err != nil {
			return nil, err
		}
		if !ran {
			continue
		}
		if m.replace {
			out = res
			continue
		}
		add, ok1 := res.(*value.Object)
		base, ok2 := out.(*value.Object)
		if !ok1 || !ok2 {
			continue
		}
		merged := base.Clone()
		if keys, secret := r.secretKeys[base]; secret {
			r.markSecret(merged, keys)
		}
		for _, k := range add.Keys() {
			v, _ := add.Get(k)
			merged.Set(k, v)
		}
		out = merged
	}
	return out, nil
}

// runMiddleware runs one middleware. ran is false when a silent middleware failed: its
// writes and staged events are then undone and the failure only logged.
func (r *run) runMiddleware(m *middleware, vars any, phase string, auth relaybase.Identity) (res any, ran bool, err error) {
	if m.u.unsupported != nil {
		return nil, false, m.u.unsupported
	}
	in := value.ObjectOf("vars", vars, "type", phase)
	if !m.silent {
		res, err = r.exec(m.u, in, auth)
		return res, err == nil, err
	}
	sp, err := r.tx.Savepoint(r.ctx)
	if err != nil {
		return nil, false, fmt.Errorf("middleware %s: %w", m.name, err)
	}
	staged, headers := len(r.staged), slices.Clone(r.headers)
	res, err = r.exec(m.u, in, auth)
	if err != nil && catchable(err) {
		if rerr := sp.Rollback(); rerr != nil {
			return nil, false, fmt.Errorf("middleware %s: %w", m.name, rerr)
		}
		r.staged, r.headers = r.staged[:staged], headers
		r.p.logger.Warn("middleware failed; its exception_policy is silent, so the request goes on",
			"middleware", m.name, "phase", phase, "error", r.redactError(err).Error())
		return nil, false, nil
	}
	if err != nil {
		_ = sp.Rollback()
		return nil, false, err
	}
	if err := sp.Release(); err != nil {
		return nil, false, fmt.Errorf("middleware %s: %w", m.name, err)
	}
	return res, true, nil
}
