package stack

import (
	"errors"
	"strings"

	"relaybase"
	"relaybase/value"
	"relaybase/xs"
)

// statements_ maps every statement keyword relaybase runs to its compiler. Supported()
// lists its keys; anything else is reported as unsupported. Statements that live in their
// own file (request.go, middleware.go, ...) add themselves with registerStatements from
// an init function there, so this map is filled whatever order the inits run in.
var statements_ = map[string]func(c *compiler, n *xs.Node) execFn{}

// registerStatements adds statement compilers; a keyword registered twice is a bug.
func registerStatements(m map[string]func(c *compiler, n *xs.Node) execFn) {
	for k, fn := range m {
		if _, dup := statements_[k]; dup {
			panic("stack: statement registered twice: " + k)
		}
		statements_[k] = fn
	}
}

func init() {
	registerStatements(map[string]func(c *compiler, n *xs.Node) execFn{
		"var":              (*compiler).stmtVar,
		"var.update":       (*compiler).stmtVar,
		"conditional":      (*compiler).stmtConditional,
		"switch":           (*compiler).stmtSwitch,
		"foreach":          (*compiler).stmtForeach,
		"for":              (*compiler).stmtFor,
		"while":            (*compiler).stmtWhile,
		"break":            func(*compiler, *xs.Node) execFn { return ctlStmt(ctlBreak) },
		"continue":         func(*compiler, *xs.Node) execFn { return ctlStmt(ctlContinue) },
		"foreach_break":    func(*compiler, *xs.Node) execFn { return ctlStmt(ctlBreak) },
		"foreach_continue": func(*compiler, *xs.Node) execFn { return ctlStmt(ctlContinue) },
		"return":           (*compiler).stmtReturn,
		"group":            (*compiler).stmtGroup,
		"precondition":     (*compiler).stmtPrecondition,
		"throw":            (*compiler).stmtThrow,
		"try_catch":        (*compiler).stmtTryCatch,

		"db.get":         (*compiler).stmtDBGet,
		"db.has":         (*compiler).stmtDBGet,
		"db.add":         (*compiler).stmtDBAdd,
		"db.edit":        (*compiler).stmtDBEdit,
		"db.patch":       (*compiler).stmtDBEdit,
		"db.add_or_edit": (*compiler).stmtDBEdit,
		"db.del":         (*compiler).stmtDBDel,
		"db.query":       (*compiler).stmtDBQuery,
		"db.transaction": (*compiler).stmtDBTransaction,
		"db.truncate":    (*compiler).stmtDBTruncate,

		"security.create_auth_token": (*compiler).stmtCreateAuthToken,
		"security.check_password":    (*compiler).stmtCheckPassword,
		"security.create_uuid":       (*compiler).stmtCreateUUID,
		"security.random_number":     (*compiler).stmtRandomNumber,
		"security.create_secret_key": (*compiler).stmtCreateSecretKey,

		"api.realtime_event":   (*compiler).stmtRealtimeEvent,
		"realtime.publish":     (*compiler).stmtRealtimePublish,
		"realtime.get_session": (*compiler).stmtGetSession,
		"function.run":         (*compiler).stmtFunctionRun,
		"function.call":        (*compiler).stmtFunctionRun,
		"addon.call":           (*compiler).stmtAddonCall,
		"api.call":             (*compiler).stmtAPICall,
		"task.call":            (*compiler).stmtTaskCall,
		"trigger.call":         (*compiler).stmtTriggerCall,
		"middleware.call":      (*compiler).stmtMiddlewareCall,
		"debug.log":            (*compiler).stmtDebugLog,
		"util.sleep":           (*compiler).stmtSleep,
		"util.get_raw_input":   (*compiler).stmtGetInput,
		"util.get_all_input":   (*compiler).stmtGetInput,
		"util.get_input":       (*compiler).stmtGetInput,
		"util.get_env":         (*compiler).stmtGetEnv,

		"math.add": (*compiler).stmtMath,
		"math.sub": (*compiler).stmtMath,
		"math.mul": (*compiler).stmtMath,
		"math.div": (*compiler).stmtMath,

		"text.append":  (*compiler).stmtText,
		"text.prepend": (*compiler).stmtText,

		"array.push":         (*compiler).stmtArrayPush,
		"array.unshift":      (*compiler).stmtArrayPush,
		"array.merge":        (*compiler).stmtArrayPush,
		"array.pop":          (*compiler).stmtArrayPop,
		"array.shift":        (*compiler).stmtArrayPop,
		"array.find":         (*compiler).stmtArrayFind,
		"array.filter":       (*compiler).stmtArrayFind,
		"array.has":          (*compiler).stmtArrayFind,
		"array.every":        (*compiler).stmtArrayFind,
		"array.find_index":   (*compiler).stmtArrayFind,
		"array.filter_count": (*compiler).stmtArrayFind,
	})
}

// block compiles the statements of a block; disabled ones ("!var ...") are skipped.
func (c *compiler) block(b *xs.Block) execFn {
	if b == nil {
		return nop
	}
	var steps []execFn
	for _, n := range b.Nodes {
		if n.Disabled {
			continue
		}
		steps = append(steps, c.stmt(n))
	}
	switch len(steps) {
	case 0:
		return nop
	case 1:
		return steps[0]
	}
	return func(f *frame) (ctl, error) {
		for _, s := range steps {
			if k, err := s(f); err != nil || k != ctlNext {
				return k, err
			}
		}
		return ctlNext, nil
	}
}

func (c *compiler) stmt(n *xs.Node) execFn {
	h, ok := statements_[n.Keyword]
	if !ok {
		if why := outsideService(n.Keyword); why != "" {
			err := c.unsupportedWhy(n.Pos, "statement "+n.Keyword, why)
			return func(*frame) (ctl, error) { return ctlNext, err }
		}
		return c.unsupportedStmt(n.Pos, "statement "+n.Keyword)
	}
	exec := h(c, n)
	if e := attrOf(n, "mock"); e != nil {
		exec = c.mocked(n, e, exec)
	}
	if len(n.AsFilters) > 0 {
		exec = c.asFilters(n, exec)
	}
	return exec
}

// asFilters applies the filters written after a statement's result variable (`as
// $i|add:1`) to the result the statement stored there.
func (c *compiler) asFilters(n *xs.Node, exec execFn) execFn {
	name := varName(n.As)
	if name == "" {
		return exec
	}
	slot := c.slot(name)
	chain := evalFn(func(f *frame) (any, error) { return f.slots[slot], nil })
	for _, fc := range n.AsFilters {
		chain = c.filterCall(fc, chain)
	}
	return func(f *frame) (ctl, error) {
		k, err := exec(f)
		if err != nil {
			return k, err
		}
		v, err := chain(f)
		if err != nil {
			return ctlNext, err
		}
		f.slots[slot] = v
		return k, nil
	}
}

// mocked wraps a statement that has mock = {"<test name>": value, ...}: while that test
// runs, the statement does not run and its variable gets the value instead.
func (c *compiler) mocked(n *xs.Node, e xs.Expr, run execFn) execFn {
	mocks := c.expr(e)
	set := c.as(n)
	if n.Keyword == "var" || n.Keyword == "var.update" {
		if t, ok := c.target(n); ok {
			pos := n.Pos
			set = func(f *frame, v any) { _ = t.set(f, v, pos) }
		}
	}
	return func(f *frame) (ctl, error) {
		if f.r.mock == "" {
			return run(f)
		}
		mv, err := mocks(f)
		if err != nil {
			return ctlNext, err
		}
		o, ok := mv.(*value.Object)
		if !ok || !o.Has(f.r.mock) {
			return run(f)
		}
		v, _ := o.Get(f.r.mock)
		if set != nil {
			set(f, v)
		}
		return ctlNext, nil
	}
}

func ctlStmt(k ctl) execFn { return func(*frame) (ctl, error) { return k, nil } }

func (c *compiler) stmtVar(n *xs.Node) execFn {
	return c.update(n, func(_, v any) (any, error) { return v, nil })
}

type branch struct {
	cond evalFn // nil: else
	body execFn
}

func (c *compiler) stmtConditional(n *xs.Node) execFn {
	var branches []branch
	if n.Body != nil {
		for _, b := range n.Body.Nodes {
			if b.Disabled {
				continue
			}
			switch b.Keyword {
			case "if", "elseif":
				branches = append(branches, branch{cond: c.expr(b.Cond), body: c.block(b.Body)})
			case "else":
				branches = append(branches, branch{body: c.block(b.Body)})
			default:
				c.errorf(b.Pos, "conditional holds if, elseif and else, not %s", b.Keyword)
			}
		}
	}
	return runBranches(branches)
}

func runBranches(branches []branch) execFn {
	return func(f *frame) (ctl, error) {
		for _, b := range branches {
			if b.cond != nil {
				v, err := b.cond(f)
				if err != nil {
					return ctlNext, err
				}
				if !value.Truthy(v) {
					continue
				}
			}
			return b.body(f)
		}
		return ctlNext, nil
	}
}

// stmtSwitch runs the first case whose value equals the subject (value.Equal), else
// default. Cases never fall through; the `break` written after a case is accepted.
func (c *compiler) stmtSwitch(n *xs.Node) execFn {
	subject := c.expr(n.Cond)
	type kase struct {
		val  evalFn
		body execFn
	}
	var cases []kase
	var def execFn
	if n.Body != nil {
		for _, b := range n.Body.Nodes {
			if b.Disabled {
				continue
			}
			switch b.Keyword {
			case "case":
				cases = append(cases, kase{val: c.expr(b.Cond), body: c.block(b.Body)})
			case "default":
				def = c.block(b.Body)
			case "break":
			default:
				c.errorf(b.Pos, "switch holds case and default, not %s", b.Keyword)
			}
		}
	}
	return func(f *frame) (ctl, error) {
		s, err := subject(f)
		if err != nil {
			return ctlNext, err
		}
		for _, k := range cases {
			v, err := k.val(f)
			if err != nil {
				return ctlNext, err
			}
			if value.Equal(s, v) {
				return k.body(f)
			}
		}
		if def != nil {
			return def(f)
		}
		return ctlNext, nil
	}
}

// loopParts finds a loop's element variable(s) and body: `each as $x { }` inside the
// loop's body, or the older `foreach $list as $x { }` / `each ($list as $x) { }` forms.
func (c *compiler) loopParts(n *xs.Node) (elem, idx int, body execFn) {
	elem, idx = -1, -1
	as, b := n.As, n.Body
	if n.Body != nil {
		if each := n.Body.Node("each"); each != nil {
			as, b = each.As, each.Body
		}
	}
	if as != "" {
		names := strings.Split(as, ",")
		if v := varName(names[0]); v != "" {
			elem = c.slot(v)
		}
		if len(names) > 1 {
			if v := varName(names[1]); v != "" {
				idx = c.slot(v)
			}
		}
	}
	return elem, idx, c.block(b)
}

func varName(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "$")
	return strings.TrimPrefix(s, "var.")
}

// loopStep handles a loop body's ending: done reports that the loop must stop.
func loopStep(k ctl, err error) (done bool, out ctl, e error) {
	switch {
	case err != nil:
		return true, ctlNext, err
	case k == ctlReturn:
		return true, ctlReturn, nil
	case k == ctlBreak:
		return true, ctlNext, nil
	}
	return false, ctlNext, nil
}

func (c *compiler) listExpr(n *xs.Node) evalFn {
	if n.Cond != nil {
		return c.expr(n.Cond)
	}
	if strings.HasPrefix(n.Name, "$") {
		return c.expr(&xs.Var{Pos: n.NamePos, Name: strings.TrimPrefix(n.Name, "$")})
	}
	c.errorf(n.Pos, "%s needs a list: %s ($list) { each as $item { ... } }", n.Keyword, n.Keyword)
	return func(*frame) (any, error) { return nil, nil }
}

func (c *compiler) stmtForeach(n *xs.Node) execFn {
	list := c.listExpr(n)
	elem, idx, body := c.loopParts(n)
	pos := n.Pos
	return func(f *frame) (ctl, error) {
		v, err := list(f)
		if err != nil {
			return ctlNext, err
		}
		var items []any
		switch t := v.(type) {
		case nil:
			return ctlNext, nil
		case []any:
			items = t
		case *value.Object:
			for _, k := range t.Keys() {
				e, _ := t.Get(k)
				items = append(items, e)
			}
		default:
			return ctlNext, errorAt(pos, "foreach needs an array, got %s", value.TypeName(v))
		}
		for i, item := range items {
			if err := f.r.ctx.Err(); err != nil {
				return ctlNext, err
			}
			if elem >= 0 {
				f.slots[elem] = item
			}
			if idx >= 0 {
				f.slots[idx] = int64(i)
			}
			if done, k, err := loopStep(body(f)); done {
				return k, err
			}
		}
		return ctlNext, nil
	}
}

func (c *compiler) stmtFor(n *xs.Node) execFn {
	count := c.listExpr(n)
	elem, idx, body := c.loopParts(n)
	if elem < 0 {
		elem = idx
	}
	pos := n.Pos
	return func(f *frame) (ctl, error) {
		v, err := count(f)
		if err != nil {
			return ctlNext, err
		}
		nv, ok := asIndex(v)
		if !ok {
			return ctlNext, errorAt(pos, "for needs a number of times, got %s", value.TypeName(v))
		}
		for i := 0; i < nv; i++ {
			if err := f.r.ctx.Err(); err != nil {
				return ctlNext, err
			}
			if elem >= 0 {
				f.slots[elem] = int64(i)
			}
			if done, k, err := loopStep(body(f)); done {
				return k, err
			}
		}
		return ctlNext, nil
	}
}

func (c *compiler) stmtWhile(n *xs.Node) execFn {
	cond := c.expr(n.Cond)
	_, _, body := c.loopParts(n)
	return func(f *frame) (ctl, error) {
		for {
			if err := f.r.ctx.Err(); err != nil {
				return ctlNext, err
			}
			v, err := cond(f)
			if err != nil {
				return ctlNext, err
			}
			if !value.Truthy(v) {
				return ctlNext, nil
			}
			if done, k, err := loopStep(body(f)); done {
				return k, err
			}
		}
	}
}

func (c *compiler) stmtReturn(n *xs.Node) execFn {
	val := c.expr(attrOf(n, "value"))
	return func(f *frame) (ctl, error) {
		v, err := val(f)
		if err != nil {
			return ctlNext, err
		}
		f.ret = v
		return ctlReturn, nil
	}
}

func (c *compiler) stmtGroup(n *xs.Node) execFn { return c.block(stackOf(n)) }

// errPrecondition marks the errors of failed preconditions (whatever their error_type), so a
// realtime trigger can tell a refusal from a failure.
var errPrecondition = errors.New("precondition failed")

var errorTypes = map[string]relaybase.Code{
	"inputerror":   relaybase.CodeInputError,
	"accessdenied": relaybase.CodeAccessDenied,
	"notfound":     relaybase.CodeNotFound,
	"unauthorized": relaybase.CodeUnauthorized,
	"standard":     relaybase.CodeFatal,
	"":             relaybase.CodeFatal,
}

func (c *compiler) stmtPrecondition(n *xs.Node) execFn {
	cond := c.expr(n.Cond)
	et, _ := c.constText(attrOf(n, "error_type"))
	code, ok := errorTypes[strings.ToLower(et)]
	if !ok {
		c.errorf(n.Pos, "precondition error_type %q is not one of inputerror, accessdenied, notfound, unauthorized, standard", et)
		code = relaybase.CodeFatal
	}
	var msg, payload evalFn
	if e := attrOf(n, "error"); e != nil {
		msg = c.expr(e)
	}
	if e := attrOf(n, "payload"); e != nil {
		payload = c.expr(e)
	}
	return func(f *frame) (ctl, error) {
		v, err := cond(f)
		if err != nil {
			return ctlNext, err
		}
		if value.Truthy(v) {
			return ctlNext, nil
		}
		e := &relaybase.Error{Code: code, Message: "Precondition failed.", Err: errPrecondition}
		if msg != nil {
			m, err := msg(f)
			if err != nil {
				return ctlNext, err
			}
			if s := value.ToText(m); s != "" {
				e.Message = s
			}
		}
		if payload != nil {
			p, err := payload(f)
			if err != nil {
				return ctlNext, err
			}
			e.Payload = f.r.strip(p, false)
		}
		return ctlNext, e
	}
}

func (c *compiler) stmtThrow(n *xs.Node) execFn {
	name, val := c.expr(attrOf(n, "name")), c.expr(attrOf(n, "value"))
	return func(f *frame) (ctl, error) {
		nm, err := name(f)
		if err != nil {
			return ctlNext, err
		}
		v, err := val(f)
		if err != nil {
			return ctlNext, err
		}
		v = f.r.strip(v, false)
		return ctlNext, &relaybase.Error{Code: relaybase.CodeFatal, Message: value.ToText(v),
			Payload: value.ObjectOf("name", value.ToText(nm), "value", v)}
	}
}

func (c *compiler) stmtTryCatch(n *xs.Node) execFn {
	var try, catch, finally execFn
	if n.Body != nil {
		for _, b := range n.Body.Nodes {
			if b.Disabled {
				continue
			}
			switch b.Keyword {
			case "try":
				try = c.block(stackOf(b))
			case "catch":
				catch = c.block(stackOf(b))
			case "finally":
				finally = c.block(stackOf(b))
			default:
				c.errorf(b.Pos, "try_catch holds try, catch and finally, not %s", b.Keyword)
			}
		}
	}
	if try == nil {
		c.errorf(n.Pos, "try_catch needs a try block")
		try = nop
	}
	errSlot := c.slot("error")
	return func(f *frame) (ctl, error) {
		k, err := try(f)
		if err != nil && catch != nil && catchable(err) {
			f.slots[errSlot] = errorValue(err)
			k, err = catch(f)
		}
		if finally != nil {
			fk, ferr := finally(f)
			if ferr != nil {
				return fk, ferr
			}
			if fk != ctlNext && err == nil {
				k = fk
			}
		}
		return k, err
	}
}
