package stack

import (
	"strings"

	"relaybase"
	"relaybase/value"
	"relaybase/xs"
)

// The calls of a workflow_test (Xano's "call functions"): each runs a construct of the
// workspace inside the test's transaction and gives its result. They are compiled only in
// tests; a stack elsewhere that holds one gets an error.

func (c *compiler) testOnly(n *xs.Node) bool {
	if !c.testing {
		c.errorf(n.Pos, "%s runs only inside a workflow_test", n.Keyword)
		return false
	}
	return true
}

// stmtTaskCall compiles `task.call "name" as $r`: the task's stack, run now.
func (c *compiler) stmtTaskCall(n *xs.Node) execFn {
	if !c.testOnly(n) {
		return nop
	}
	var tu *unit
	for _, t := range c.ws.Tasks {
		if t.Name == n.Name {
			for _, ct := range c.p.tasks {
				if ct.Name == n.Name {
					tu = ct.u
				}
			}
		}
	}
	if tu == nil {
		c.errorf(n.Pos, "task.call: task %q does not exist", n.Name)
		return nop
	}
	c.u.calls = append(c.u.calls, tu)
	return c.result(n, func(f *frame) (any, error) {
		return f.r.exec(tu, value.NewObject(0), relaybase.Identity{})
	})
}

// stmtTriggerCall compiles `trigger.call "name" { input = {new, old, action, datasource} }`:
// a table trigger's stack with the given input.
func (c *compiler) stmtTriggerCall(n *xs.Node) execFn {
	if !c.testOnly(n) {
		return nop
	}
	var tu *unit
	for _, ts := range c.p.tableTriggers {
		for _, tt := range ts {
			if tt.name == n.Name {
				tu = tt.u
			}
		}
	}
	if tu == nil {
		c.errorf(n.Pos, "trigger.call: table_trigger %q does not exist", n.Name)
		return nop
	}
	c.u.calls = append(c.u.calls, tu)
	input := c.inputArg(n, "trigger.call")
	return c.result(n, func(f *frame) (any, error) {
		in, err := input(f)
		if err != nil {
			return nil, err
		}
		return f.r.exec(tu, in, f.auth)
	})
}

// stmtAPICall compiles `api.call "path" verb=GET { api_group = "g" input = {...}
// headers = [...] } as $r`: the endpoint's stack with those inputs. An Authorization:
// Bearer header is verified like a request's and gives $auth.
func (c *compiler) stmtAPICall(n *xs.Node) execFn {
	if !c.testOnly(n) {
		return nop
	}
	verb := "GET"
	if a := n.InlineAttr("verb"); a != nil {
		if v, ok := c.constText(a.Value); ok {
			verb = strings.ToUpper(v)
		}
	}
	group, _ := c.constText(attrOf(n, "api_group"))
	path := strings.Trim(n.Name, "/")
	var ep *Endpoint
	for _, e := range c.p.endpoints {
		if e.Path == path && e.Verb == verb && (group == "" || e.Group == group || e.Canonical == group) {
			ep = e
			break
		}
	}
	if ep == nil {
		c.errorf(n.Pos, "api.call: no endpoint %s %s in api_group %q", verb, path, group)
		return nop
	}
	c.u.calls = append(c.u.calls, ep.u)
	input, headers := c.inputArg(n, "api.call"), c.expr(attrOf(n, "headers"))
	return c.result(n, func(f *frame) (any, error) {
		in, err := input(f)
		if err != nil {
			return nil, err
		}
		hv, err := headers(f)
		if err != nil {
			return nil, err
		}
		auth, err := f.r.bearer(hv)
		if err != nil {
			return nil, err
		}
		if ep.authRequired && (ep.authTable == nil || !auth.Authenticated() || auth.TableID != ep.authTable.ID) {
			return nil, relaybase.Errorf(relaybase.CodeUnauthorized, "Authentication required.")
		}
		res, err := f.r.call(ep.u, in, auth)
		if err != nil {
			return nil, err
		}
		return f.r.strip(res, false), nil
	})
}

// bearer finds "Authorization: Bearer <token>" among headers written as Xano writes them
// (a list of "Name: value" texts, or that list as JSON text) and verifies the token.
func (r *run) bearer(hv any) (relaybase.Identity, error) {
	if s, ok := hv.(string); ok && strings.HasPrefix(strings.TrimSpace(s), "[") {
		if v, err := value.DecodeJSON([]byte(s)); err == nil {
			hv = v
		}
	}
	list, _ := hv.([]any)
	for _, h := range list {
		name, val, ok := strings.Cut(value.ToText(h), ":")
		if !ok || !strings.EqualFold(strings.TrimSpace(name), "authorization") {
			continue
		}
		tok, ok := strings.CutPrefix(strings.TrimSpace(val), "Bearer ")
		if !ok || r.p.opts.Tokens == nil {
			continue
		}
		id, err := r.p.opts.Tokens.Verify(strings.TrimSpace(tok))
		if err != nil {
			return relaybase.Identity{}, relaybase.Errorf(relaybase.CodeUnauthorized, "Invalid token.")
		}
		return id, nil
	}
	return relaybase.Identity{}, nil
}

// stmtMiddlewareCall compiles `middleware.call "name" { input = {vars: {...}, type: "pre"} }
// as $r`: the middleware's stack with those inputs, under its exception_policy.
func (c *compiler) stmtMiddlewareCall(n *xs.Node) execFn {
	if !c.testOnly(n) {
		return nop
	}
	m, ok := c.p.middlewares[n.Name]
	if !ok {
		c.errorf(n.Pos, "middleware.call: middleware %q does not exist", n.Name)
		return nop
	}
	c.u.calls = append(c.u.calls, m.u)
	input := c.inputArg(n, "middleware.call")
	return c.result(n, func(f *frame) (any, error) {
		in, err := input(f)
		if err != nil {
			return nil, err
		}
		vars, phase := member(in, "vars"), value.ToText(member(in, "type"))
		if vars == nil {
			vars = value.NewObject(0)
		}
		if phase == "" {
			phase = "pre"
		}
		res, _, err := f.r.runMiddleware(m, vars, phase, f.auth)
		return res, err
	})
}
