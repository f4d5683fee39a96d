package stack

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"relaybase"
	"relaybase/value"
	"relaybase/workspace"
	"relaybase/xs"
)

// Test is one of a workspace's own tests: a `test` block inside a function, a query or a
// table trigger (it calls its owner with the test's input and checks $response), or a
// workflow_test object (a stack of calls and expect.* assertions).
type Test struct {
	Name  string // the test's name as written
	Owner string // "function add", "query users GET", "workflow_test" ...
	File  string
	Pos   xs.Pos

	p      *Program
	target *unit   // the unit a `test` block calls; nil for a workflow_test
	input  evalFn  // a test block's input = {...}
	u      *unit   // the test's own stack: assertions (and, for a workflow_test, its statements)
	resp   int     // the slot of $response in u (test blocks)
	throws *xs.Pos // a test block's expect.to_throw without a stack: the call must fail
}

// TestFailure is why a test failed: an assertion that did not hold, or a statement that
// failed, with where it is.
type TestFailure struct {
	Pos     xs.Pos
	Message string
}

func (e *TestFailure) Error() string { return e.Pos.String() + ": " + e.Message }

// Tests lists the workspace's tests: test blocks in the order of their owners, then the
// workflow_test objects.
func (p *Program) Tests() []*Test { return p.tests }

// unitTests compiles the `test` blocks of an object whose unit u is already compiled.
func (c *compiler) unitTests(u *unit, n *xs.Node, owner string) {
	if n.Body == nil {
		return
	}
	for _, tn := range n.Body.Nodes {
		if tn.Keyword != "test" || tn.Disabled {
			continue
		}
		t := &Test{Name: tn.Name, Owner: owner, File: u.file, Pos: tn.Pos, p: c.p, target: u}
		tu := newUnit(owner+" test "+tn.Name, u.file)
		prev, prevTesting := c.u, c.testing
		c.u, c.testing, c.throws = tu, true, nil
		t.input = c.expr(attrOf(tn, "input"))
		t.resp = c.slot("response")
		tu.body = c.block(testBody(tn))
		t.throws = c.throws
		c.u, c.testing, c.throws = prev, prevTesting, nil
		tu.calls = append(tu.calls, u)
		t.u = tu
		c.p.tests = append(c.p.tests, t)
	}
}

// testBody is a test block's statements: everything but its attributes (input, ...).
func testBody(tn *xs.Node) *xs.Block {
	if tn.Body == nil {
		return nil
	}
	return &xs.Block{Pos: tn.Body.Pos, End: tn.Body.End, Nodes: tn.Body.Nodes}
}

func (c *compiler) compileWorkflowTest(o *workspace.Object) {
	t := &Test{Name: o.Name, Owner: "workflow_test", File: o.File, Pos: o.Node.Pos, p: c.p}
	u := newUnit("workflow_test "+o.Name, o.File)
	prev, prevTesting := c.u, c.testing
	c.u, c.testing = u, true
	st := o.Node.Body.Node("stack")
	if st == nil {
		c.errorf(o.Node.Pos, "workflow_test %s needs a stack", o.Name)
	}
	u.body = c.block(stackOf(st))
	c.u, c.testing = prev, prevTesting
	t.u = u
	c.p.tests = append(c.p.tests, t)
}

// Run runs the test against the program's store, inside one transaction that is always
// rolled back: every test starts from the same data (an empty database for relaybase
// test) and leaves nothing behind. Statements that name the test in their mock = {...}
// give the mocked value instead of running. It returns nil when the test passes, a
// *TestFailure when an assertion does not hold or a statement fails, and another error
// when the test could not run at all (no database, a construct relaybase does not run).
func (t *Test) Run(ctx context.Context) error {
	p := t.p
	if t.u.unsupported != nil {
		return t.u.unsupported
	}
	ctx, cancel := p.limit(ctx)
	defer cancel()
	r := p.newRun(ctx, nil, relaybase.Identity{})
	r.mock = t.Name
	return r.rolledBack(func() error {
		f := &frame{r: r, u: t.u, input: value.NewObject(0)}
		f.slots = make([]any, t.u.nslots)
		if t.target != nil {
			iv, err := t.input(f)
			if err != nil {
				return t.failed(err)
			}
			in, _ := iv.(*value.Object)
			if in == nil {
				in = value.NewObject(0)
			}
			resp, err := r.isolated(func() (any, error) { return r.call(t.target, in, relaybase.Identity{}) })
			switch {
			case err != nil && !catchable(err):
				return err
			case err != nil && t.throws == nil:
				return t.failed(err)
			case err == nil && t.throws != nil:
				return &TestFailure{Pos: *t.throws, Message: "expected an error, but the call succeeded with " + show(resp)}
			}
			r.testErr = err
			f.slots[t.resp] = r.strip(resp, false)
		}
		_, err := t.u.body(f)
		if err != nil {
			var tf *TestFailure
			if errors.As(err, &tf) || !catchable(err) {
				return err
			}
			return t.failed(err)
		}
		return nil
	})
}

// failed turns a statement's error into the test's failure.
func (t *Test) failed(err error) error {
	re := relaybase.AsError(err)
	msg := re.Message
	if msg == "" {
		msg = err.Error()
	}
	return &TestFailure{Pos: t.Pos, Message: "failed: " + msg}
}

// rolledBack runs fn in a write transaction that it then rolls back, whatever happened.
func (r *run) rolledBack(fn func() error) error {
	if r.p.opts.Store == nil {
		return &relaybase.Error{Code: relaybase.CodeServiceUnavailable, Message: "No database is configured."}
	}
	tx, err := r.p.opts.Store.Begin(r.ctx, true)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	r.tx = tx
	defer func() {
		if err := tx.Rollback(); err != nil {
			r.p.logger.Error("rollback failed", "error", err)
		}
	}()
	_, err = r.guard(func() (any, error) { return nil, fn() })
	return err
}

// isolated runs fn inside a savepoint that is rolled back when fn fails, so that a failing
// call leaves the transaction usable (PostgreSQL refuses every statement after an error).
func (r *run) isolated(fn func() (any, error)) (any, error) {
	sp, err := r.tx.Savepoint(r.ctx)
	if err != nil {
		return nil, fmt.Errorf("savepoint: %w", err)
	}
	staged := len(r.staged)
	out, err := fn()
	if err != nil {
		if rerr := sp.Rollback(); rerr != nil {
			return nil, fmt.Errorf("rollback to savepoint: %w", rerr)
		}
		r.staged = r.staged[:staged]
		return nil, err
	}
	if rerr := sp.Release(); rerr != nil {
		return nil, fmt.Errorf("release savepoint: %w", rerr)
	}
	return out, nil
}

func init() {
	m := map[string]func(c *compiler, n *xs.Node) execFn{}
	for _, kw := range []string{"to_equal", "to_not_equal", "to_be_true", "to_be_false", "to_be_null",
		"to_not_be_null", "to_be_defined", "to_not_be_defined", "to_be_empty", "to_be_greater_than",
		"to_be_less_than", "to_be_within", "to_contain", "to_start_with", "to_end_with", "to_match",
		"to_be_in_the_past", "to_be_in_the_future", "to_throw"} {
		m["expect."+kw] = (*compiler).stmtExpect
	}
	registerStatements(m)
}

// expectNames are the assertions of Xano's tests; expectValue those that take value = ...
var expectValue = map[string]bool{
	"expect.to_equal": true, "expect.to_not_equal": true, "expect.to_be_greater_than": true,
	"expect.to_be_less_than": true, "expect.to_contain": true, "expect.to_start_with": true,
	"expect.to_end_with": true, "expect.to_match": true,
}

// stmtExpect compiles an assertion. Outside a test it is an error.
func (c *compiler) stmtExpect(n *xs.Node) execFn {
	if !c.testing {
		c.errorf(n.Pos, "%s runs only inside a test block or a workflow_test", n.Keyword)
		return nop
	}
	if n.Keyword == "expect.to_throw" {
		return c.expectThrow(n)
	}
	if n.Cond == nil {
		c.errorf(n.Pos, "%s needs the value to check: %s ($response) ...", n.Keyword, n.Keyword)
		return nop
	}
	actual := c.expr(n.Cond)
	var defined func(f *frame) (bool, error)
	if n.Keyword == "expect.to_be_defined" || n.Keyword == "expect.to_not_be_defined" {
		defined = c.definedness(n.Cond)
	}
	var want, lo, hi evalFn
	if expectValue[n.Keyword] {
		e := attrOf(n, "value")
		if e == nil {
			c.errorf(n.Pos, "%s needs value = ...", n.Keyword)
			return nop
		}
		want = c.expr(e)
	}
	if n.Keyword == "expect.to_be_within" {
		lo, hi = c.expr(attrOf(n, "min")), c.expr(attrOf(n, "max"))
	}
	var re *regexp.Regexp
	if n.Keyword == "expect.to_match" {
		if s, ok := c.constText(attrOf(n, "value")); ok {
			var err error
			if re, err = compilePattern(s); err != nil {
				c.errorf(n.Pos, "expect.to_match: %v", err)
				return nop
			}
		}
	}
	kw, pos, src := n.Keyword, n.Pos, exprText(n.Cond)
	fail := func(format string, args ...any) error {
		return &TestFailure{Pos: pos, Message: kw + " (" + src + "): " + fmt.Sprintf(format, args...)}
	}
	return func(f *frame) (ctl, error) {
		a, err := actual(f)
		if err != nil {
			return ctlNext, err
		}
		var w any
		if want != nil {
			if w, err = want(f); err != nil {
				return ctlNext, err
			}
		}
		switch kw {
		case "expect.to_equal":
			if !value.Equal(a, w) {
				return ctlNext, fail("got %s, want %s", show(a), show(w))
			}
		case "expect.to_not_equal":
			if value.Equal(a, w) {
				return ctlNext, fail("got %s, want anything else", show(a))
			}
		case "expect.to_be_true":
			if a != true {
				return ctlNext, fail("got %s, want true", show(a))
			}
		case "expect.to_be_false":
			if a != false {
				return ctlNext, fail("got %s, want false", show(a))
			}
		case "expect.to_be_null":
			if a != nil {
				return ctlNext, fail("got %s, want null", show(a))
			}
		case "expect.to_not_be_null":
			if a == nil {
				return ctlNext, fail("got null")
			}
		case "expect.to_be_defined", "expect.to_not_be_defined":
			ok, err := defined(f)
			if err != nil {
				return ctlNext, err
			}
			if ok != (kw == "expect.to_be_defined") {
				if ok {
					return ctlNext, fail("it is defined (%s)", show(a))
				}
				return ctlNext, fail("it is not defined")
			}
		case "expect.to_be_empty":
			if !isEmpty(a) {
				return ctlNext, fail("got %s, want it empty", show(a))
			}
		case "expect.to_be_greater_than", "expect.to_be_less_than":
			op := ">"
			if kw == "expect.to_be_less_than" {
				op = "<"
			}
			if !compare(op, a, w) {
				return ctlNext, fail("got %s, want %s %s", show(a), op, show(w))
			}
		case "expect.to_be_within":
			l, err := lo(f)
			if err != nil {
				return ctlNext, err
			}
			h, err := hi(f)
			if err != nil {
				return ctlNext, err
			}
			if !compare(">=", a, l) || !compare("<=", a, h) {
				return ctlNext, fail("got %s, want between %s and %s", show(a), show(l), show(h))
			}
		case "expect.to_contain":
			if !contains(a, w) {
				return ctlNext, fail("%s does not contain %s", show(a), show(w))
			}
		case "expect.to_start_with", "expect.to_end_with":
			s, ok1 := a.(string)
			p, ok2 := w.(string)
			has := strings.HasPrefix
			if kw == "expect.to_end_with" {
				has = strings.HasSuffix
			}
			if !ok1 || !ok2 || !has(s, p) {
				return ctlNext, fail("got %s, want it to %s %s", show(a), strings.ReplaceAll(strings.TrimPrefix(kw, "expect.to_"), "_", " "), show(w))
			}
		case "expect.to_match":
			rx := re
			if rx == nil {
				if rx, err = compilePattern(value.ToText(w)); err != nil {
					return ctlNext, fail("%v", err)
				}
			}
			s, ok := a.(string)
			if !ok {
				s = value.ToText(a)
			}
			if !rx.MatchString(s) {
				return ctlNext, fail("%s does not match %s", show(a), rx)
			}
		case "expect.to_be_in_the_past", "expect.to_be_in_the_future":
			ts, err := coerceScalar("timestamp", a)
			if err != nil || a == nil {
				return ctlNext, fail("got %s, want a timestamp", show(a))
			}
			now := f.r.p.now().UnixMilli()
			past := ts.(int64) < now
			if past != (kw == "expect.to_be_in_the_past") {
				return ctlNext, fail("got %s, want it %s", show(a), strings.TrimPrefix(kw, "expect.to_be_"))
			}
		}
		return ctlNext, nil
	}
}

// expectThrow compiles expect.to_throw. With a stack (workflow tests) it runs the stack
// and requires it to fail; without (test blocks) it requires the tested call to have
// failed. value = "..." or exception = "..." must then appear in the error's name or
// message.
func (c *compiler) expectThrow(n *xs.Node) execFn {
	var want evalFn
	if e := attrOf(n, "exception"); e != nil {
		want = c.expr(e)
	} else if e := attrOf(n, "value"); e != nil {
		want = c.expr(e)
	}
	pos := n.Pos
	fail := func(format string, args ...any) error {
		return &TestFailure{Pos: pos, Message: "expect.to_throw: " + fmt.Sprintf(format, args...)}
	}
	matches := func(f *frame, err error) error {
		if want == nil {
			return nil
		}
		w, werr := want(f)
		if werr != nil {
			return werr
		}
		ws := value.ToText(w)
		ev := errorValue(err)
		name, _ := ev.Get("name")
		msg, _ := ev.Get("message")
		if ws == "" || ws == "error" || strings.Contains(value.ToText(name), ws) || strings.Contains(value.ToText(msg), ws) {
			return nil
		}
		return fail("the error %q (%s) is not %q", value.ToText(msg), value.ToText(name), ws)
	}
	st := n.Body.Node("stack")
	if st == nil {
		if c.throws == nil {
			p := pos
			c.throws = &p
		}
		return func(f *frame) (ctl, error) {
			if f.r.testErr == nil {
				return ctlNext, fail("the call did not fail")
			}
			return ctlNext, matches(f, f.r.testErr)
		}
	}
	body := c.block(stackOf(st))
	return func(f *frame) (ctl, error) {
		_, err := f.r.isolated(func() (any, error) {
			_, err := body(f)
			return nil, err
		})
		if err == nil {
			return ctlNext, fail("the stack did not fail")
		}
		if !catchable(err) {
			return ctlNext, err
		}
		return ctlNext, matches(f, err)
	}
}

// definedness compiles whether an expression names something that exists: a member
// present in its object (even when null), an element inside its array, a variable that
// holds a value.
func (c *compiler) definedness(e xs.Expr) func(f *frame) (bool, error) {
	switch x := unparen(e).(type) {
	case *xs.Member:
		parent := c.expr(x.X)
		name := x.Name
		return func(f *frame) (bool, error) {
			pv, err := parent(f)
			if err != nil {
				return false, err
			}
			switch t := pv.(type) {
			case *value.Object:
				return t.Has(name), nil
			case []any:
				return member(t, name) != nil, nil
			}
			return false, nil
		}
	}
	ev := c.expr(e)
	return func(f *frame) (bool, error) {
		v, err := ev(f)
		return v != nil, err
	}
}

func isEmpty(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case string:
		return t == ""
	case []any:
		return len(t) == 0
	case *value.Object:
		return t.Len() == 0
	}
	return false
}

// compilePattern compiles expect.to_match's pattern: a bare regular expression, or one in
// PHP's /.../flags form.
func compilePattern(s string) (*regexp.Regexp, error) {
	if len(s) >= 2 && s[0] == '/' {
		if i := strings.LastIndexByte(s, '/'); i > 0 {
			flags := s[i+1:]
			body := s[1:i]
			if strings.Trim(flags, "imsuxU") == "" {
				if strings.ContainsAny(flags, "ims") {
					body = "(?" + strings.Map(func(r rune) rune {
						if strings.ContainsRune("ims", r) {
							return r
						}
						return -1
					}, flags) + ")" + body
				}
				s = body
			}
		}
	}
	re, err := regexp.Compile(s)
	if err != nil {
		return nil, fmt.Errorf("%q is not a regular expression: %w", s, err)
	}
	return re, nil
}

// exprText is a short rendering of an expression for a failure message.
func exprText(e xs.Expr) string {
	switch x := e.(type) {
	case *xs.Var:
		if strings.HasPrefix(x.Name, "$") {
			return x.Name
		}
		return "$" + x.Name
	case *xs.Member:
		return exprText(x.X) + "." + x.Name
	case *xs.Index:
		return exprText(x.X) + "[" + exprText(x.Index) + "]"
	case *xs.Paren:
		return exprText(x.X)
	case *xs.Lit:
		return show(x.Value)
	}
	return "expression at " + e.Position().String()
}

// show renders a value as JSON for a failure message, cut short past 200 bytes.
func show(v any) string {
	b, err := value.EncodeJSON(v)
	if err != nil {
		return value.TypeName(v)
	}
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}
