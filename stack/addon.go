package stack

import (
	"strings"

	"relaybase/value"
	"relaybase/workspace"
	"relaybase/xs"
)

// compileAddon compiles an addon: inputs and a stack whose last statement (a db.query,
// written without `as`) gives the addon's value.
func (c *compiler) compileAddon(u *unit, o *workspace.Object) {
	prev := c.u
	c.u = u
	defer func() { c.u = prev }()
	n := o.Node
	if in := n.Body.Node("input"); in != nil {
		u.inputs = c.inputs(in.Body, "")
	}
	st := stackOf(n.Body.Node("stack"))
	if st == nil || len(st.Nodes) == 0 {
		c.errorf(n.Pos, "addon %s needs a stack with a db.query", o.Name)
		u.body = nop
		return
	}
	// The result is the last statement's: give it a variable when it was written without
	// one, on a copy, so the workspace's nodes stay as they were read.
	nodes := append([]*xs.Node(nil), st.Nodes...)
	last := *nodes[len(nodes)-1]
	if last.As == "" {
		last.As = "$addon_result"
	}
	nodes[len(nodes)-1] = &last
	u.body = c.block(&xs.Block{Pos: st.Pos, End: st.End, Attrs: st.Attrs, Nodes: nodes})
	slot := c.slot(strings.TrimPrefix(last.As, "$"))
	u.response = func(f *frame) (any, error) { return f.slots[slot], nil }
}

// stmtAddonCall compiles `addon.call name { input = {...} } as $x`.
func (c *compiler) stmtAddonCall(n *xs.Node) execFn {
	au, ok := c.p.addons[n.Name]
	if !ok {
		c.errorf(n.Pos, "addon.call: addon %q does not exist", n.Name)
		return nop
	}
	c.u.calls = append(c.u.calls, au)
	return c.callUnit(n, au, "addon.call")
}

// callUnit compiles a call of a function or an addon with `input = {...}`.
func (c *compiler) callUnit(n *xs.Node, callee *unit, what string) execFn {
	input := c.inputArg(n, what)
	return c.result(n, func(f *frame) (any, error) {
		in, err := input(f)
		if err != nil {
			return nil, err
		}
		return f.r.call(callee, in, f.auth)
	})
}

// inputArg compiles the `input = {...}` of a call statement (what names it in errors): an
// object, or an empty one when there is none or it is null.
func (c *compiler) inputArg(n *xs.Node, what string) func(f *frame) (*value.Object, error) {
	input := c.expr(attrOf(n, "input"))
	pos := n.Pos
	return func(f *frame) (*value.Object, error) {
		iv, err := input(f)
		if err != nil {
			return nil, err
		}
		switch t := iv.(type) {
		case nil:
			return value.NewObject(0), nil
		case *value.Object:
			return t, nil
		}
		return nil, errorAt(pos, "%s input must be an object, got %s", what, value.TypeName(iv))
	}
}

// queryAddon is one entry of db.query's addon = [...]: an addon run for every row, its
// input evaluated with $output bound to the row, its value stored in the row under key.
type queryAddon struct {
	u      *unit
	input  evalFn
	key    string
	output int // the slot of $output
}

// queryAddons compiles db.query's addon attribute, in either of Xano's forms:
//
//	addon = [{name: "comment_count", input: {post_id: $output.id}, as: "items.comment_count"}]
//	addon = {comment_count: {name: "comment_count", input: {post_id: $output.id}}}
//
// "items." at the start of a key addresses the rows of a list or a page; the rest names
// the member each row gets.
func (c *compiler) queryAddons(e xs.Expr) []queryAddon {
	var entries []*xs.ObjectLit
	var keys []string
	switch x := e.(type) {
	case *xs.ArrayLit:
		for _, el := range x.Elems {
			o, ok := el.(*xs.ObjectLit)
			if !ok {
				c.errorf(el.Position(), "db.query addon entries must be objects {name, input, as}")
				continue
			}
			entries, keys = append(entries, o), append(keys, "")
		}
	case *xs.ObjectLit:
		for i, k := range x.Keys {
			o, ok := x.Values[i].(*xs.ObjectLit)
			if !ok {
				c.errorf(x.Values[i].Position(), "db.query addon entries must be objects {name, input}")
				continue
			}
			entries, keys = append(entries, o), append(keys, k)
		}
	default:
		c.errorf(e.Position(), "db.query addon must be a list of {name, input, as}")
		return nil
	}
	var out []queryAddon
	for i, o := range entries {
		get := func(k string) xs.Expr {
			for j, key := range o.Keys {
				if key == k {
					return o.Values[j]
				}
			}
			return nil
		}
		if get("addon") != nil {
			c.unsupported(o.Pos, "db.query addon inside an addon")
		}
		name, _ := c.constText(get("name"))
		au, ok := c.p.addons[name]
		if !ok {
			c.errorf(o.Pos, "db.query addon: addon %q does not exist", name)
			continue
		}
		key := keys[i]
		if as, ok := c.constText(get("as")); ok && as != "" {
			key = as
		}
		for strings.HasPrefix(key, "items.") {
			key = strings.TrimPrefix(key, "items.")
		}
		if key == "" {
			key = name
		}
		c.u.calls = append(c.u.calls, au)
		out = append(out, queryAddon{u: au, input: c.expr(get("input")), key: key, output: c.slot("output")})
	}
	return out
}

// applyAddons runs the addons for every row of a db.query result (a list, a page of rows,
// or one row) and stores each value in its row.
func applyAddons(f *frame, addons []queryAddon, result any) error {
	var rows []any
	switch t := result.(type) {
	case []any:
		rows = t
	case *value.Object:
		if items, ok := t.Get("items"); ok {
			rows, _ = items.([]any)
		} else {
			rows = []any{t}
		}
	}
	for _, rv := range rows {
		row, ok := rv.(*value.Object)
		if !ok {
			continue
		}
		for _, a := range addons {
			saved := f.slots[a.output]
			f.slots[a.output] = row
			iv, err := a.input(f)
			f.slots[a.output] = saved
			if err != nil {
				return err
			}
			in, _ := iv.(*value.Object)
			if in == nil {
				in = value.NewObject(0)
			}
			v, err := f.r.call(a.u, in, f.auth)
			if err != nil {
				return err
			}
			row.Set(a.key, v)
		}
	}
	return nil
}
