package stack

import (
	"fmt"
	"math"
	"strings"

	"relaybase/stack/filter"
	"relaybase/value"
	"relaybase/xs"
)

// expr compiles an expression into a closure.
func (c *compiler) expr(e xs.Expr) evalFn {
	switch x := e.(type) {
	case nil:
		return func(*frame) (any, error) { return nil, nil }
	case *xs.Lit:
		v := x.Value
		if i, ok := v.(int); ok {
			v = int64(i)
		}
		return func(*frame) (any, error) { return v, nil }
	case *xs.Ident:
		return c.ident(x)
	case *xs.Paren:
		return c.expr(x.X)
	case *xs.Var:
		return c.variable(x)
	case *xs.Member:
		return c.member(x)
	case *xs.Index:
		return c.index(x)
	case *xs.Unary:
		return c.unary(x)
	case *xs.Binary:
		return c.binary(x)
	case *xs.Ternary:
		cond, then, els := c.expr(x.Cond), c.expr(x.Then), c.expr(x.Else)
		return func(f *frame) (any, error) {
			v, err := cond(f)
			if err != nil {
				return nil, err
			}
			if value.Truthy(v) {
				return then(f)
			}
			return els(f)
		}
	case *xs.Filter:
		return c.filter(x)
	case *xs.ObjectLit:
		// Values are never changed in place (see target.set), so a constant object can be
		// shared by every run.
		if v, ok := c.constValue(x); ok {
			return func(*frame) (any, error) { return v, nil }
		}
		keys := x.Keys
		vals := make([]evalFn, len(x.Values))
		for i, ve := range x.Values {
			vals[i] = c.expr(ve)
		}
		return func(f *frame) (any, error) {
			o := value.NewObject(len(keys))
			for i, k := range keys {
				v, err := vals[i](f)
				if err != nil {
					return nil, err
				}
				o.Set(k, v)
			}
			return o, nil
		}
	case *xs.ArrayLit:
		if v, ok := c.constValue(x); ok {
			return func(*frame) (any, error) { return v, nil }
		}
		elems := make([]evalFn, len(x.Elems))
		for i, el := range x.Elems {
			elems[i] = c.expr(el)
		}
		return func(f *frame) (any, error) {
			a := make([]any, len(elems))
			for i, el := range elems {
				v, err := el(f)
				if err != nil {
					return nil, err
				}
				a[i] = v
			}
			return a, nil
		}
	}
	return c.unsupportedExpr(e.Position(), "expression "+xs.ExprString(e))
}

func (c *compiler) ident(x *xs.Ident) evalFn {
	switch x.Name {
	case "now":
		now := c.p.now
		return func(*frame) (any, error) { return now().UnixMilli(), nil }
	case "null":
		return func(*frame) (any, error) { return nil, nil }
	case "true":
		return func(*frame) (any, error) { return true, nil }
	case "false":
		return func(*frame) (any, error) { return false, nil }
	}
	// A bare word used as a value (an unquoted default, a key in pick:[a,c]) is its text.
	s := x.Name
	return func(*frame) (any, error) { return s, nil }
}

// rootName is a Var's name without its "$": "input", "auth", "$" (for $$), "x".
func rootName(v *xs.Var) string { return strings.TrimPrefix(v.Name, "$") }

func (c *compiler) variable(x *xs.Var) evalFn {
	switch name := rootName(x); name {
	case "input":
		return func(f *frame) (any, error) { return f.input, nil }
	case "auth":
		return func(f *frame) (any, error) { return authValue(f), nil }
	case "env":
		return func(f *frame) (any, error) { return f.r.envValue(), nil }
	case "$", "this":
		return func(f *frame) (any, error) { return f.this, nil }
	case "var":
		slots := c.u.slots
		return func(f *frame) (any, error) {
			o := value.NewObject(len(slots))
			for k, i := range slots {
				o.Set(k, f.slots[i])
			}
			return o, nil
		}
	case "db":
		c.errorf(x.Pos, "$db can only be used in a db.query where clause")
		return func(*frame) (any, error) { return nil, nil }
	case "":
		c.errorf(x.Pos, "a variable needs a name")
		return func(*frame) (any, error) { return nil, nil }
	default:
		if len(name) == 1 && name[0] >= '0' && name[0] <= '9' {
			return c.unsupportedExpr(x.Pos, "anchoring variable $"+name)
		}
		i := c.slot(name)
		return func(f *frame) (any, error) { return f.slots[i], nil }
	}
}

func authValue(f *frame) any {
	if !f.auth.Authenticated() {
		return nil
	}
	o := value.NewObject(1 + f.auth.Extras.Len())
	o.Set("id", f.auth.RowID)
	for _, k := range f.auth.Extras.Keys() {
		if k == "id" {
			continue
		}
		v, _ := f.auth.Extras.Get(k)
		o.Set(k, v)
	}
	return o
}

func (c *compiler) member(x *xs.Member) evalFn {
	name := x.Name
	if root, ok := unparen(x.X).(*xs.Var); ok {
		switch rootName(root) {
		case "var":
			i := c.slot(name)
			return func(f *frame) (any, error) { return f.slots[i], nil }
		case "input":
			return func(f *frame) (any, error) {
				v, _ := f.input.Get(name)
				return v, nil
			}
		case "auth":
			if name == "id" {
				return func(f *frame) (any, error) {
					if !f.auth.Authenticated() {
						return nil, nil
					}
					return f.auth.RowID, nil
				}
			}
			return func(f *frame) (any, error) {
				if !f.auth.Authenticated() {
					return nil, nil
				}
				v, _ := f.auth.Extras.Get(name)
				return v, nil
			}
		case "env":
			if strings.HasPrefix(name, "$") {
				return func(f *frame) (any, error) { return f.r.envBuiltin(name), nil }
			}
			// Only the workspace's env (with its RELAYBASE_ENV_* overrides) is visible.
			v := c.p.env[name]
			return func(*frame) (any, error) { return v, nil }
		}
	}
	fold := isHeaders(x.X)
	inner := c.expr(x.X)
	return func(f *frame) (any, error) {
		v, err := inner(f)
		if err != nil {
			return nil, err
		}
		if fold {
			return memberFold(v, name), nil
		}
		return member(v, name), nil
	}
}

// isHeaders reports whether e is $env.$http_headers, whose members are read ignoring case.
func isHeaders(e xs.Expr) bool {
	m, ok := unparen(e).(*xs.Member)
	if !ok || m.Name != "$http_headers" {
		return false
	}
	v, ok := unparen(m.X).(*xs.Var)
	return ok && rootName(v) == "env"
}

func unparen(e xs.Expr) xs.Expr {
	for {
		p, ok := e.(*xs.Paren)
		if !ok {
			return e
		}
		e = p.X
	}
}

func (c *compiler) index(x *xs.Index) evalFn {
	fold := isHeaders(x.X)
	inner, key := c.expr(x.X), c.expr(x.Index)
	return func(f *frame) (any, error) {
		v, err := inner(f)
		if err != nil {
			return nil, err
		}
		k, err := key(f)
		if err != nil {
			return nil, err
		}
		if s, ok := k.(string); ok && fold {
			return memberFold(v, s), nil
		}
		return index(v, k), nil
	}
}

func (c *compiler) unary(x *xs.Unary) evalFn {
	inner := c.expr(x.X)
	pos := x.Pos
	switch x.Op {
	case "!":
		return func(f *frame) (any, error) {
			v, err := inner(f)
			if err != nil {
				return nil, err
			}
			return !value.Truthy(v), nil
		}
	case "-":
		return func(f *frame) (any, error) {
			v, err := inner(f)
			if err != nil {
				return nil, err
			}
			switch n := v.(type) {
			case int64:
				if n == math.MinInt64 {
					return -float64(n), nil // its negation does not fit in an int
				}
				return -n, nil
			case float64:
				return -n, nil
			}
			return nil, errorAt(pos, "Cannot negate %s", value.TypeName(v))
		}
	}
	return c.unsupportedExpr(x.Pos, "operator "+x.Op)
}

func (c *compiler) binary(x *xs.Binary) evalFn {
	l, r := c.expr(x.X), c.expr(x.Y)
	pos, op := x.Pos, x.Op
	both := func(f *frame) (any, any, error) {
		a, err := l(f)
		if err != nil {
			return nil, nil, err
		}
		b, err := r(f)
		return a, b, err
	}
	switch op {
	case "&&":
		// As documented for XanoScript: `a || b` is a when a is truthy, else b; `a && b`
		// is a when a is falsy, else b.
		return func(f *frame) (any, error) {
			a, err := l(f)
			if err != nil || !value.Truthy(a) {
				return a, err
			}
			return r(f)
		}
	case "||":
		return func(f *frame) (any, error) {
			a, err := l(f)
			if err != nil || value.Truthy(a) {
				return a, err
			}
			return r(f)
		}
	case "??":
		return func(f *frame) (any, error) {
			a, err := l(f)
			if err != nil || a != nil {
				return a, err
			}
			return r(f)
		}
	case "==", "!=", "===", "!==", ">", ">=", "<", "<=":
		return func(f *frame) (any, error) {
			a, b, err := both(f)
			if err != nil {
				return nil, err
			}
			return compare(op, a, b), nil
		}
	case "==?", "!=?", ">?", ">=?", "<?", "<=?":
		// Outside a where clause a null-safe comparison with null holds (it is ignored).
		base := strings.TrimSuffix(op, "?")
		return func(f *frame) (any, error) {
			a, b, err := both(f)
			if err != nil {
				return nil, err
			}
			if b == nil {
				return true, nil
			}
			return compare(base, a, b), nil
		}
	case "~":
		return func(f *frame) (any, error) {
			a, b, err := both(f)
			if err != nil {
				return nil, err
			}
			ta, err := textOf(a, pos)
			if err != nil {
				return nil, err
			}
			tb, err := textOf(b, pos)
			if err != nil {
				return nil, err
			}
			return joinText(ta, tb, pos)
		}
	case "+", "-", "*", "/", "%":
		return func(f *frame) (any, error) {
			a, b, err := both(f)
			if err != nil {
				return nil, err
			}
			return arith(op, a, b, pos)
		}
	case "in", "not in":
		neg := op == "not in"
		return func(f *frame) (any, error) {
			a, b, err := both(f)
			if err != nil {
				return nil, err
			}
			return contains(b, a) != neg, nil
		}
	}
	return c.unsupportedExpr(x.Pos, "operator "+op)
}

// filter compiles X|name:args. A lambda filter (map, filter, find ...) gets its first
// argument as a filter.Lambda that evaluates the expression with $$ bound to an element.
func (c *compiler) filter(x *xs.Filter) evalFn {
	return c.filterCall(x.Call, c.expr(x.X))
}

// filterCall compiles one filter applied to what inner evaluates.
func (c *compiler) filterCall(call *xs.FilterCall, inner evalFn) evalFn {
	def, ok := filter.Lookup(call.Name)
	if !ok {
		return c.unknownFilter(call)
	}
	n := len(call.Args)
	if n < def.MinArgs || (def.MaxArgs >= 0 && n > def.MaxArgs) {
		c.errorf(call.Pos, "filter %s takes %s, got %d", call.Name, argCount(def.MinArgs, def.MaxArgs), n)
	}
	args := make([]evalFn, n)
	first := 0
	var body evalFn
	if def.Lambda && n > 0 {
		body = c.expr(call.Args[0])
		first = 1
	}
	// reduce's expression also reads the result so far, as $result.
	resultSlot := -1
	if def.Reduce {
		resultSlot = c.slot("result")
	}
	for i := first; i < n; i++ {
		args[i] = c.expr(call.Args[i])
	}
	fn, name, pos := def.Fn, call.Name, call.Pos
	return func(f *frame) (any, error) {
		v, err := inner(f)
		if err != nil {
			return nil, err
		}
		vals := make([]any, n)
		switch {
		case body != nil && resultSlot >= 0:
			vals[0] = filter.Reducer(func(elem, acc any) (any, error) {
				saved, savedAcc := f.this, f.slots[resultSlot]
				f.this, f.slots[resultSlot] = elem, acc
				out, err := body(f)
				f.this, f.slots[resultSlot] = saved, savedAcc
				return out, err
			})
		case body != nil:
			vals[0] = filter.Lambda(func(elem any) (any, error) {
				saved := f.this
				f.this = elem
				out, err := body(f)
				f.this = saved
				return out, err
			})
		}
		for i := first; i < n; i++ {
			if vals[i], err = args[i](f); err != nil {
				return nil, err
			}
		}
		out, err := fn(v, vals)
		if err != nil {
			return nil, filterError(pos, name, err)
		}
		return out, nil
	}
}

// unknownFilter reports a filter relaybase does not run: a Xano filter it lacks is
// unsupported (the endpoint answers 501); a name that is no Xano filter at all is a
// mistake in the workspace (an error, with the nearest filter relaybase runs).
func (c *compiler) unknownFilter(call *xs.FilterCall) evalFn {
	if filter.IsXano(call.Name) {
		return c.unsupportedExpr(call.Pos, "filter "+call.Name)
	}
	hint := ""
	if s := filter.Suggest(call.Name); s != "" {
		hint = fmt.Sprintf(" (did you mean %s?)", s)
	}
	c.errorf(call.Pos, "unknown filter %s: Xano has no filter of that name%s", call.Name, hint)
	return func(*frame) (any, error) { return nil, errorAt(call.Pos, "unknown filter %s", call.Name) }
}

func argCount(lo, hi int) string {
	switch {
	case hi < 0:
		return "at least " + itoa(lo) + " arguments"
	case lo == hi:
		return itoa(lo) + " arguments"
	}
	return itoa(lo) + " to " + itoa(hi) + " arguments"
}
