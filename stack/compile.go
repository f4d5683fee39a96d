package stack

import (
	"fmt"
	"strconv"
	"strings"

	"relaybase"
	"relaybase/value"
	"relaybase/workspace"
	"relaybase/xs"
)

// compiler turns the workspace's nodes into units. It runs once, in Compile.
type compiler struct {
	p     *Program
	ws    *workspace.Workspace
	diags []xs.Diagnostic
	u     *unit // the unit being compiled
	// testing: compiling a test block or a workflow_test, where expect.* and the
	// workflow calls (api.call, task.call ...) may appear.
	testing bool
	// throws is where a test block's expect.to_throw without a stack is, nil if none.
	throws *xs.Pos
}

func (c *compiler) errorf(pos xs.Pos, format string, args ...any) {
	c.diags = append(c.diags, xs.Diagnostic{Pos: pos, Severity: xs.Error, Message: fmt.Sprintf(format, args...)})
}

func (c *compiler) warnf(pos xs.Pos, format string, args ...any) {
	c.diags = append(c.diags, xs.Diagnostic{Pos: pos, Severity: xs.Warning, Message: fmt.Sprintf(format, args...)})
}

// unsupported reports a construct outside the core and returns the 501 error that the unit
// answers with.
func (c *compiler) unsupported(pos xs.Pos, what string) *relaybase.Error {
	return c.unsupportedWhy(pos, what, "")
}

// unsupportedWhy is unsupported with the reason the construct does not run ("" for none).
func (c *compiler) unsupportedWhy(pos xs.Pos, what, why string) *relaybase.Error {
	if why != "" {
		why = ": " + why
	}
	c.diags = append(c.diags, xs.Diagnostic{Pos: pos, Severity: xs.Unsupported,
		Message: fmt.Sprintf("%s is not supported by relaybase%s", what, why)})
	err := &relaybase.Error{Code: relaybase.CodeNotImplemented,
		Message: fmt.Sprintf("%s (at %s) is not supported by relaybase%s.", what, pos, why)}
	if c.u != nil && c.u.unsupported == nil {
		c.u.unsupported = err
	}
	return err
}

func (c *compiler) unsupportedStmt(pos xs.Pos, what string) execFn {
	err := c.unsupported(pos, what)
	return func(*frame) (ctl, error) { return ctlNext, err }
}

func (c *compiler) unsupportedExpr(pos xs.Pos, what string) evalFn {
	err := c.unsupported(pos, what)
	return func(*frame) (any, error) { return nil, err }
}

func newUnit(name, file string) *unit {
	return &unit{name: name, file: file, slots: map[string]int{}, writesTo: map[*relaybase.Table]bool{}}
}

// slot returns the slot of a stack variable, allocating one on first sight. XanoScript
// variables live for the whole stack (a var inside a conditional is visible after it).
func (c *compiler) slot(name string) int {
	if i, ok := c.u.slots[name]; ok {
		return i
	}
	i := c.u.nslots
	c.u.slots[name] = i
	c.u.nslots++
	return i
}

func (c *compiler) compileAll() {
	ws := c.ws
	// Functions first, as empty units, so function.run can point at them whatever the order
	// (and recursion compiles).
	for _, o := range ws.Functions {
		if _, dup := c.p.funcs[o.Name]; dup {
			c.errorf(o.Node.Pos, "function %q is defined twice", o.Name)
			continue
		}
		c.p.funcs[o.Name] = newUnit("function "+o.Name, o.File)
	}
	for _, o := range ws.Functions {
		u := c.p.funcs[o.Name]
		if u.body != nil {
			continue
		}
		c.compileUnit(u, o.Node)
		c.unitTests(u, o.Node, "function "+o.Name)
	}
	for _, o := range ws.Addons {
		c.p.addons[o.Name] = newUnit("addon "+o.Name, o.File)
	}
	for _, o := range ws.Addons {
		c.compileAddon(c.p.addons[o.Name], o)
	}
	c.compileMiddlewares()
	for _, o := range ws.TableTriggers {
		c.compileTableTrigger(o)
	}
	for _, t := range ws.Tasks {
		c.compileTask(t)
	}
	for _, o := range ws.RealtimeTriggers {
		c.compileRealtimeTrigger(o)
	}
	for _, ep := range ws.Endpoints {
		c.p.endpoints = append(c.p.endpoints, c.compileEndpoint(ep))
	}
	// A query without its api_group is never served, but its stack is checked all the
	// same, so that one missing group does not hide the other problems of the stack.
	for _, ep := range ws.Unrouted {
		c.compileEndpoint(ep)
	}
	for _, m := range ws.RealtimeMessages {
		c.compileRealtimeMessage(m)
	}
	for _, t := range ws.LifecycleTriggers {
		c.compileLifecycleTrigger(t)
	}
	for _, o := range ws.WorkflowTests {
		c.compileWorkflowTest(o)
	}
	c.attachMiddlewares()
	c.propagate()
}

// compileUnit compiles an object's input block, stack and response into u.
func (c *compiler) compileUnit(u *unit, n *xs.Node) {
	prev := c.u
	c.u = u
	defer func() { c.u = prev }()
	if in := n.Body.Node("input"); in != nil {
		u.inputs = c.inputs(in.Body, "")
		for _, d := range u.inputs {
			if d.secret {
				u.secretInputs = append(u.secretInputs, d.name)
			}
		}
	}
	if st := n.Body.Node("stack"); st != nil {
		u.body = c.block(st.Body)
	} else {
		u.body = nop
	}
	if a := n.Body.Attr("response"); a != nil {
		u.response = c.expr(a.Value)
	}
}

func (c *compiler) compileEndpoint(ep *workspace.Endpoint) *Endpoint {
	e := &Endpoint{
		Path: ep.Path, Verb: ep.Verb, Auth: ep.Auth, File: ep.File, p: c.p,
	}
	if ep.Group != nil {
		e.Group, e.Canonical = ep.Group.Name, ep.Group.Canonical
	}
	e.u = newUnit(fmt.Sprintf("query %s %s", ep.Path, ep.Verb), ep.File)
	if ep.Auth != "" {
		// workspace.Load reports an auth table that is missing or not an auth table; such
		// a workspace is never served. Should one be compiled anyway, its endpoint refuses
		// every request rather than run unauthenticated.
		e.authRequired = true
		if t, ok := c.ws.Table(ep.Auth); ok && t.Auth {
			e.authTable, e.AuthTableID = t, t.ID
		}
	}
	c.compileUnit(e.u, ep.Node)
	c.unitTests(e.u, ep.Node, e.u.name)
	e.Inputs = describeInputs(e.u.inputs)
	return e
}

func (c *compiler) compileTableTrigger(o *workspace.Object) {
	n := o.Node
	u := newUnit("table_trigger "+o.Name, o.File)
	ref, _ := c.constText(attrOf(n, "table"))
	t, ok := c.ws.Table(ref)
	if !ok {
		c.errorf(n.Pos, "table_trigger %s: table %q does not exist", o.Name, ref)
		// Its stack is still checked, so that every other problem in it is reported too.
		c.compileUnit(u, n)
		return
	}
	if !c.active(n) {
		return
	}
	tt := &tableTrigger{name: o.Name, table: t, u: u, actions: c.actions(n, []string{"insert", "update", "delete"})}
	c.compileUnit(u, n)
	u.inputs = nil // the input block is predefined: {new, old, action, datasource}
	c.unitTests(u, n, "table_trigger "+o.Name)
	c.p.tableTriggers[t] = append(c.p.tableTriggers[t], tt)
}

func (c *compiler) compileRealtimeTrigger(o *workspace.Object) {
	n := o.Node
	u := newUnit("realtime_trigger "+o.Name, o.File)
	ch, ok := c.constText(attrOf(n, "channel"))
	if !ok || ch == "" {
		c.errorf(n.Pos, "realtime_trigger %s: channel must be a text", o.Name)
		c.compileUnit(u, n) // still checked: see compileTableTrigger
		return
	}
	if !c.active(n) {
		return
	}
	rt := &realtimeTrigger{channel: ch, file: o.File, u: u, actions: c.actions(n, []string{"join", "message"})}
	c.compileUnit(u, n)
	u.inputs = nil // predefined: {action, channel, client, options, payload}
	c.p.realtimeTriggers = append(c.p.realtimeTriggers, rt)
}

// active reads `active = false`; absent means active.
func (c *compiler) active(n *xs.Node) bool {
	v, ok := c.constValue(attrOf(n, "active"))
	if !ok {
		return true
	}
	b, isBool := v.(bool)
	return !isBool || b
}

// actions reads `actions = {insert: true, ...}`; absent means every default action.
func (c *compiler) actions(n *xs.Node, defaults []string) map[string]bool {
	m := map[string]bool{}
	v, ok := c.constValue(attrOf(n, "actions"))
	o, isObj := v.(*value.Object)
	if !ok || !isObj {
		for _, a := range defaults {
			m[a] = true
		}
		return m
	}
	for _, k := range o.Keys() {
		b, _ := o.Get(k)
		m[k] = value.Truthy(b)
	}
	return m
}

// propagate completes writes and unsupported across function calls and the table
// triggers that a unit's writes fire, until nothing changes.
func (c *compiler) propagate() {
	var all []*unit
	for _, u := range c.p.funcs {
		all = append(all, u)
	}
	for _, ts := range c.p.tableTriggers {
		for _, t := range ts {
			all = append(all, t.u)
		}
	}
	for _, t := range c.p.realtimeTriggers {
		all = append(all, t.u)
	}
	for _, u := range c.p.addons {
		all = append(all, u)
	}
	for _, t := range c.p.tasks {
		all = append(all, t.u)
	}
	for _, e := range c.p.endpoints {
		all = append(all, e.u)
	}
	for _, t := range c.p.tests {
		all = append(all, t.u)
	}
	for changed := true; changed; {
		changed = false
		for _, u := range all {
			reach := u.calls
			for t := range u.writesTo {
				for _, tt := range c.p.tableTriggers[t] {
					reach = append(reach, tt.u)
				}
			}
			for _, v := range reach {
				if v.writes && !u.writes {
					u.writes, changed = true, true
				}
				if v.unsupported != nil && u.unsupported == nil {
					u.unsupported, changed = v.unsupported, true
				}
				for t := range v.writesTo {
					if !u.writesTo[t] {
						u.writesTo[t], changed = true, true
					}
				}
			}
		}
	}
}

// attrOf returns the value of a node's attribute (in its body, or inline on its header
// line), or nil.
func attrOf(n *xs.Node, key string) xs.Expr {
	if n == nil {
		return nil
	}
	if n.Body != nil {
		if a := n.Body.Attr(key); a != nil {
			return a.Value
		}
	}
	for _, a := range n.Inline {
		if a.Key == key && !a.Disabled {
			return a.Value
		}
	}
	return nil
}

// stackOf returns the statements of a block that may hold them directly or in a nested
// `stack { }` (group, db.transaction, try, catch ...).
func stackOf(n *xs.Node) *xs.Block {
	if n == nil || n.Body == nil {
		return nil
	}
	if st := n.Body.Node("stack"); st != nil {
		return st.Body
	}
	return n.Body
}

// constValue evaluates an expression that needs no frame: literals, and objects and arrays
// of them. ok is false for anything else (and for nil).
func (c *compiler) constValue(e xs.Expr) (any, bool) {
	switch x := e.(type) {
	case *xs.Lit:
		return x.Value, true
	case *xs.Ident:
		switch x.Name {
		case "now":
			return nil, false
		case "null":
			return nil, true
		case "true":
			return true, true
		case "false":
			return false, true
		}
		return x.Name, true
	case *xs.Paren:
		return c.constValue(x.X)
	case *xs.Unary:
		v, ok := c.constValue(x.X)
		if !ok || x.Op != "-" {
			return nil, false
		}
		switch n := v.(type) {
		case int64:
			return -n, true
		case float64:
			return -n, true
		}
	case *xs.ObjectLit:
		o := value.NewObject(len(x.Keys))
		for i, k := range x.Keys {
			v, ok := c.constValue(x.Values[i])
			if !ok {
				return nil, false
			}
			o.Set(k, v)
		}
		return o, true
	case *xs.ArrayLit:
		a := make([]any, 0, len(x.Elems))
		for _, el := range x.Elems {
			v, ok := c.constValue(el)
			if !ok {
				return nil, false
			}
			a = append(a, v)
		}
		return a, true
	}
	return nil, false
}

// constText is constValue as text: strings, and numbers written without quotes ("37").
func (c *compiler) constText(e xs.Expr) (string, bool) {
	v, ok := c.constValue(e)
	if !ok {
		return "", false
	}
	switch t := v.(type) {
	case string:
		return t, true
	case int64:
		return strconv.FormatInt(t, 10), true
	}
	return "", false
}

// target is the variable a statement such as var.update or math.add changes: a slot and
// an optional path inside its value ("$x.items.0" → x, [items 0]).
type target struct {
	name string
	slot int
	path []string
}

func (c *compiler) target(n *xs.Node) (target, bool) {
	name := n.Name
	if !strings.HasPrefix(name, "$") {
		c.errorf(n.Pos, "%s needs a variable ($name), got %q", n.Keyword, name)
		return target{}, false
	}
	segs := splitPath(strings.TrimPrefix(name, "$"))
	if len(segs) > 1 && segs[0] == "var" {
		segs = segs[1:]
	}
	if len(segs) == 0 || segs[0] == "" {
		c.errorf(n.Pos, "%s needs a variable name", n.Keyword)
		return target{}, false
	}
	switch segs[0] {
	case "input", "auth", "env", "db", "var":
		c.errorf(n.Pos, "%s cannot change $%s", n.Keyword, segs[0])
		return target{}, false
	}
	return target{name: segs[0], slot: c.slot(segs[0]), path: segs[1:]}, true
}

// splitPath splits `a.b[0]["c"]` into [a b 0 c].
func splitPath(s string) []string {
	var out []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; ch {
		case '.':
			flush()
		case '[':
			flush()
			j := strings.IndexByte(s[i:], ']')
			if j < 0 {
				cur.WriteString(s[i+1:])
				i = len(s)
				continue
			}
			out = append(out, strings.Trim(s[i+1:i+j], `"'`))
			i += j
		default:
			cur.WriteByte(ch)
		}
	}
	flush()
	return out
}

// get reads the target's current value.
func (t target) get(f *frame) any {
	v := f.slots[t.slot]
	for _, k := range t.path {
		v = member(v, k)
	}
	return v
}

// set stores v at the target. A path update copies the objects and arrays along its path
// (and only those) before changing them, so another variable that shares the value never
// sees the change (values behave as values). Copying the whole value instead made each
// update cost the value's size, and a value that shares itself ([$s, $s], n times) cost
// 2^n: a few dozen steps took all memory.
func (t target) set(f *frame, v any, pos xs.Pos) error {
	if len(t.path) == 0 {
		f.slots[t.slot] = v
		return nil
	}
	root := copyNode(f.slots[t.slot])
	cur := root
	for i, k := range t.path {
		last := i == len(t.path)-1
		switch c := cur.(type) {
		case *value.Object:
			if last {
				c.Set(k, v)
				break
			}
			next, _ := c.Get(k)
			next = copyNode(next)
			c.Set(k, next)
			cur = next
		case []any:
			idx, err := strconv.Atoi(k)
			if err != nil || idx < 0 || idx >= len(c) {
				return errorAt(pos, "Cannot set $%s.%s: no element %s", t.name, strings.Join(t.path, "."), k)
			}
			if last {
				c[idx] = v
				break
			}
			c[idx] = copyNode(c[idx])
			cur = c[idx]
		default:
			return errorAt(pos, "Cannot set $%s.%s: $%s.%s is %s", t.name, strings.Join(t.path, "."),
				t.name, strings.Join(t.path[:i], "."), value.TypeName(cur))
		}
	}
	f.slots[t.slot] = root
	return nil
}

// copyNode returns a shallow copy of an object or array that a path update will change
// (members are shared, not copied), a new object for null, and anything else as it is.
func copyNode(v any) any {
	switch t := v.(type) {
	case nil:
		return value.NewObject(1)
	case *value.Object:
		return t.Clone()
	case []any:
		c := make([]any, len(t))
		copy(c, t)
		return c
	}
	return v
}

// as returns a function that stores a statement's result in its `as $name` variable, or
// nil when the statement has none.
func (c *compiler) as(n *xs.Node) func(f *frame, v any) {
	name := strings.TrimPrefix(n.As, "$")
	name = strings.TrimPrefix(name, "var.")
	if name == "" {
		return nil
	}
	i := c.slot(name)
	return func(f *frame, v any) { f.slots[i] = v }
}

// result compiles a statement whose work is to compute one value: compute runs every time
// the statement does (its effects count even without a variable), and its value goes to
// the statement's `as` variable when it has one. A failing compute stores nothing.
func (c *compiler) result(n *xs.Node, compute evalFn) execFn {
	as := c.as(n)
	return func(f *frame) (ctl, error) {
		v, err := compute(f)
		if err != nil {
			return ctlNext, err
		}
		if as != nil {
			as(f, v)
		}
		return ctlNext, nil
	}
}

// update compiles a statement that changes the variable it names (`math.add $x { value =
// 1 }`): op gets the variable's value and the value attribute's, and gives the variable's
// new value. A statement without a variable compiles to nothing (c.target reported it).
func (c *compiler) update(n *xs.Node, op func(cur, v any) (any, error)) execFn {
	t, ok := c.target(n)
	if !ok {
		return nop
	}
	val := c.expr(attrOf(n, "value"))
	pos := n.Pos
	return func(f *frame) (ctl, error) {
		v, err := val(f)
		if err != nil {
			return ctlNext, err
		}
		res, err := op(t.get(f), v)
		if err != nil {
			return ctlNext, err
		}
		return ctlNext, t.set(f, res, pos)
	}
}

// eval2 evaluates two expressions in order, stopping at the first that fails.
func eval2(f *frame, a, b evalFn) (any, any, error) {
	av, err := a(f)
	if err != nil {
		return nil, nil, err
	}
	bv, err := b(f)
	if err != nil {
		return nil, nil, err
	}
	return av, bv, nil
}

func nop(*frame) (ctl, error) { return ctlNext, nil }
