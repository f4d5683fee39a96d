package stack

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"log/slog"
	"math"
	mrand "math/rand/v2"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"relaybase"
	"relaybase/stack/filter"
	"relaybase/value"
	"relaybase/xs"
)

func (c *compiler) stmtFunctionRun(n *xs.Node) execFn {
	fu, ok := c.p.funcs[n.Name]
	if !ok {
		c.errorf(n.Pos, "%s: function %q does not exist", n.Keyword, n.Name)
		return nop
	}
	c.u.calls = append(c.u.calls, fu)
	return c.callUnit(n, fu, n.Keyword)
}

// tableRef resolves a table named by an attribute: at compile time when it is a constant,
// else at run time.
func (c *compiler) tableRef(n *xs.Node, keys ...string) (func(f *frame) (*relaybase.Table, bool, error), bool) {
	var e xs.Expr
	for _, k := range keys {
		if e = attrOf(n, k); e != nil {
			break
		}
	}
	if e == nil {
		return nil, false
	}
	if ref, ok := c.constText(e); ok {
		if ref == "" {
			return func(*frame) (*relaybase.Table, bool, error) { return nil, false, nil }, true
		}
		t, ok := c.ws.Table(ref)
		if !ok {
			c.errorf(e.Position(), "%s: table %q does not exist", n.Keyword, ref)
			return nil, false
		}
		return func(*frame) (*relaybase.Table, bool, error) { return t, true, nil }, true
	}
	if v, ok := c.constValue(e); ok && v == nil {
		return func(*frame) (*relaybase.Table, bool, error) { return nil, false, nil }, true
	}
	ev, pos, ws := c.expr(e), e.Position(), c.ws
	return func(f *frame) (*relaybase.Table, bool, error) {
		v, err := ev(f)
		if err != nil || v == nil || noTable(value.ToText(v)) {
			return nil, false, err
		}
		t, ok := ws.Table(value.ToText(v))
		if !ok {
			return nil, false, errorAt(pos, "Table %q does not exist", value.ToText(v))
		}
		return t, true, nil
	}, true
}

// noTable reports whether a table reference names no table: empty, or the table id 0
// that Xano exports for "none" (`auth_table = "0"` in an api.realtime_event without a
// sender identity).
func noTable(ref string) bool { return ref == "" || ref == "0" }

func (c *compiler) stmtCreateAuthToken(n *xs.Node) execFn {
	table, ok := c.tableRef(n, "table", "dbtable")
	if !ok {
		c.errorf(n.Pos, "security.create_auth_token needs table = \"<auth table>\"")
		return nop
	}
	id, extras, exp := c.expr(attrOf(n, "id")), c.expr(attrOf(n, "extras")), c.expr(attrOf(n, "expiration"))
	pos := n.Pos
	return c.result(n, func(f *frame) (any, error) {
		r := f.r
		if r.p.opts.Tokens == nil {
			return nil, errorAt(pos, "Cannot create an auth token: tokens are not configured")
		}
		t, ok, err := table(f)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, errorAt(pos, "security.create_auth_token needs a table")
		}
		if !t.Auth {
			return nil, errorAt(pos, "Table %q is not an auth table (auth = true)", t.Name)
		}
		iv, err := id(f)
		if err != nil {
			return nil, err
		}
		rowID, isInt := toInt(iv)
		if !isInt || iv == nil {
			return nil, errorAt(pos, "security.create_auth_token id must be an integer, got %s", value.TypeName(iv))
		}
		ev, err := extras(f)
		if err != nil {
			return nil, err
		}
		var ex *value.Object
		switch t := r.strip(ev, false).(type) {
		case nil:
		case *value.Object:
			ex = t
		default:
			return nil, errorAt(pos, "security.create_auth_token extras must be an object")
		}
		xv, err := exp(f)
		if err != nil {
			return nil, err
		}
		var ttl time.Duration
		if xv != nil {
			secs, ok := value.AsFloat(xv)
			if !ok {
				if n, isInt := toInt(xv); isInt {
					secs, ok = float64(n), true
				}
			}
			if !ok {
				return nil, errorAt(pos, "security.create_auth_token expiration must be a number of seconds")
			}
			ttl = time.Duration(secs * float64(time.Second))
		}
		tok, err := r.p.opts.Tokens.Issue(relaybase.Identity{TableID: t.ID, RowID: rowID, Extras: ex}, ttl)
		if err != nil {
			return nil, wrapAt(pos, "security.create_auth_token", err)
		}
		return tok, nil
	})
}

func (c *compiler) stmtCheckPassword(n *xs.Node) execFn {
	plain, hash := c.expr(attrOf(n, "text_password")), c.expr(attrOf(n, "hash_password"))
	pos := n.Pos
	return c.result(n, func(f *frame) (any, error) {
		if f.r.p.opts.Passwords == nil {
			return nil, errorAt(pos, "Cannot check a password: password hashing is not configured")
		}
		pv, hv, err := eval2(f, plain, hash)
		if err != nil {
			return nil, err
		}
		ok := false
		p, pIsText := pv.(string)
		h, hIsText := hv.(string)
		if pIsText && hIsText && h != "" {
			if ok, err = f.r.p.opts.Passwords.Check(p, h); err != nil {
				// A hash that cannot be read never matches; the cause goes to the log.
				f.r.p.logger.Warn("check_password: unreadable hash", "at", pos.String(), "error", err)
				ok = false
			}
		}
		return ok, nil
	})
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}

func (c *compiler) stmtCreateUUID(n *xs.Node) execFn {
	return c.result(n, func(f *frame) (any, error) {
		return newUUID(), nil
	})
}

func (c *compiler) stmtRandomNumber(n *xs.Node) execFn {
	lo, hi := c.expr(attrOf(n, "min")), c.expr(attrOf(n, "max"))
	pos := n.Pos
	return c.result(n, func(f *frame) (any, error) {
		a, b, err := eval2(f, lo, hi)
		if err != nil {
			return nil, err
		}
		if a == nil {
			a = int64(0)
		}
		if b == nil {
			b = int64(math.MaxInt32)
		}
		var out any
		ai, aInt := a.(int64)
		bi, bInt := b.(int64)
		switch {
		case aInt && bInt:
			if bi < ai {
				return nil, errorAt(pos, "security.random_number: max is below min")
			}
			// The span can exceed int64 (min -1, max MaxInt64): count it in uint64, where
			// the subtraction and the sum below wrap exactly as two's complement needs.
			if span := uint64(bi) - uint64(ai); span == math.MaxUint64 {
				out = int64(mrand.Uint64())
			} else {
				out = int64(uint64(ai) + mrand.Uint64N(span+1))
			}
		default:
			af, ok1 := value.AsFloat(a)
			bf, ok2 := value.AsFloat(b)
			if !ok1 || !ok2 || bf < af {
				return nil, errorAt(pos, "security.random_number needs numbers with min <= max")
			}
			out = af + mrand.Float64()*(bf-af)
		}
		return out, nil
	})
}

func (c *compiler) stmtCreateSecretKey(n *xs.Node) execFn {
	bits, format := c.expr(attrOf(n, "bits")), c.expr(attrOf(n, "format"))
	pos := n.Pos
	return c.result(n, func(f *frame) (any, error) {
		bv, err := bits(f)
		if err != nil {
			return nil, err
		}
		nb := int64(256)
		if bv != nil {
			var ok bool
			if nb, ok = toInt(bv); !ok || nb < 8 || nb > 65536 {
				return nil, errorAt(pos, "security.create_secret_key bits must be between 8 and 65536")
			}
		}
		fv, err := format(f)
		if err != nil {
			return nil, err
		}
		key := make([]byte, (nb+7)/8)
		_, _ = rand.Read(key)
		k := base64.RawURLEncoding.EncodeToString(key)
		var out any = k
		if value.ToText(fv) == "object" {
			out = value.ObjectOf("kty", "oct", "k", k)
		}
		return out, nil
	})
}

func (c *compiler) stmtRealtimeEvent(n *xs.Node) execFn {
	// An event to a channel that keeps history is stored in the transaction, which must then
	// be a write; one to a literal channel whose rule keeps none (or that nothing can send
	// to) stores nothing and locks nothing, so a read transaction serves it.
	if lit, ok := c.constText(attrOf(n, "channel")); !ok || c.p.opts.Events == nil || c.p.opts.Events.KeepsHistory(lit) {
		c.u.writes = true
	}
	if e := attrOf(n, "event"); e != nil {
		c.warnf(e.Position(), "api.realtime_event: event has no effect in the realtime protocol relaybase speaks; the frame's action is always \"event\"")
	}
	channel, data := c.expr(attrOf(n, "channel")), c.expr(attrOf(n, "data"))
	sender := c.authSender(n, "api.realtime_event")
	pos := n.Pos
	return func(f *frame) (ctl, error) {
		r := f.r
		if r.p.opts.Events == nil {
			return ctlNext, errorAt(pos, "Cannot send a realtime event: realtime is not configured")
		}
		cv, err := channel(f)
		if err != nil {
			return ctlNext, err
		}
		ch := value.ToText(cv)
		if ch == "" {
			return ctlNext, errorAt(pos, "api.realtime_event needs a channel")
		}
		dv, err := data(f)
		if err != nil {
			return ctlNext, err
		}
		ev := relaybase.Event{Channel: ch, Data: r.strip(dv, false)}
		if ev.Sender, err = sender(f); err != nil {
			return ctlNext, err
		}
		st, err := r.p.opts.Events.Stage(r.ctx, ev)
		if err != nil {
			return ctlNext, wrapAt(pos, "api.realtime_event", err)
		}
		r.staged = append(r.staged, st)
		return ctlNext, nil
	}
}

func (c *compiler) stmtDebugLog(n *xs.Node) execFn {
	return c.logValue(n, slog.LevelInfo, "debug.log")
}

// logValue compiles a statement that logs its value (as JSON, its secrets removed) at level
// with msg, where it stands and the request's ID: debug.log, and debug.stop, which is a
// breakpoint only inside Xano's debugger.
func (c *compiler) logValue(n *xs.Node, level slog.Level, msg string) execFn {
	val := c.expr(attrOf(n, "value"))
	at := n.Pos.String()
	return func(f *frame) (ctl, error) {
		v, err := val(f)
		if err != nil {
			return ctlNext, err
		}
		r := f.r
		text, err := value.EncodeJSON(r.strip(v, true))
		if err != nil {
			text = []byte(`"(unencodable)"`)
		}
		attrs := []slog.Attr{slog.String("value", string(text)), slog.String("at", at)}
		if r.req != nil && r.req.RequestID != "" {
			attrs = append(attrs, slog.String("request_id", r.req.RequestID))
		}
		r.p.logger.LogAttrs(r.ctx, level, msg, attrs...)
		return ctlNext, nil
	}
}

func (c *compiler) stmtSleep(n *xs.Node) execFn {
	val := c.expr(attrOf(n, "value"))
	pos := n.Pos
	return func(f *frame) (ctl, error) {
		v, err := val(f)
		if err != nil {
			return ctlNext, err
		}
		secs, ok := value.AsFloat(v)
		if !ok || secs < 0 {
			return ctlNext, errorAt(pos, "util.sleep needs a number of seconds")
		}
		t := time.NewTimer(time.Duration(secs * float64(time.Second)))
		defer t.Stop()
		select {
		case <-t.C:
			return ctlNext, nil
		case <-f.r.ctx.Done():
			return ctlNext, f.r.ctx.Err()
		}
	}
}

func (c *compiler) stmtGetInput(n *xs.Node) execFn {
	as := c.as(n)
	raw := n.Keyword == "util.get_raw_input"
	return func(f *frame) (ctl, error) {
		if as == nil {
			return ctlNext, nil
		}
		// The endpoint's own stack reads the request's inputs. A middleware reads its
		// {vars, type}, except util.get_raw_input, which is the request's in a middleware
		// as well (so a post middleware can see what was asked).
		inMiddleware := f.r.p.inMiddleware[f.u]
		if req := f.r.req; req != nil && req.Input != nil && (f.r.depth == 1 && !inMiddleware || inMiddleware && raw) {
			as(f, req.Input)
		} else {
			as(f, f.input)
		}
		return ctlNext, nil
	}
}

func (c *compiler) stmtGetEnv(n *xs.Node) execFn {
	return c.result(n, func(f *frame) (any, error) {
		return f.r.envValue(), nil
	})
}

// envBuiltins are the request values $env offers besides the workspace's env.
var envBuiltins = []string{"$remote_ip", "$http_headers", "$request_method", "$request_uri",
	"$request_querystring", "$datasource", "$branch"}

func (r *run) envBuiltin(name string) any {
	req := r.req
	switch name {
	case "$datasource":
		return "live"
	case "$branch":
		return "v1"
	}
	if req == nil {
		switch {
		case name == "$http_headers":
			return value.NewObject(0)
		case name == "$remote_ip" && r.clientIP != "":
			return r.clientIP // a legacy realtime trigger's connection
		case name == "$remote_ip" && r.session != nil && r.session.ClientIP != "":
			return r.session.ClientIP // a /ws/ handler's or trigger's socket
		}
		return nil
	}
	switch name {
	case "$remote_ip":
		return req.RemoteIP
	case "$request_method":
		return req.Method
	case "$request_uri":
		return req.URI
	case "$request_querystring":
		if u, err := url.ParseRequestURI(req.URI); err == nil {
			return u.RawQuery
		}
		return ""
	case "$http_headers":
		// Lower-case names, as Xano's examples read them (|get:"user-agent"); member
		// access ($env.$http_headers.X-Header) ignores case.
		h := value.NewObject(len(req.Headers))
		keys := make([]string, 0, len(req.Headers))
		for k := range req.Headers {
			keys = append(keys, k)
		}
		sortStrings(keys)
		for _, k := range keys {
			h.Set(strings.ToLower(k), req.Headers[k])
		}
		return h
	}
	return nil
}

func (r *run) envValue() *value.Object {
	o := value.NewObject(len(r.p.env) + len(envBuiltins))
	keys := make([]string, 0, len(r.p.env))
	for k := range r.p.env {
		keys = append(keys, k)
	}
	sortStrings(keys)
	for _, k := range keys {
		o.Set(k, r.p.env[k])
	}
	for _, k := range envBuiltins {
		o.Set(k, r.envBuiltin(k))
	}
	return o
}

func (c *compiler) stmtMath(n *xs.Node) execFn {
	op := map[string]string{"math.add": "+", "math.sub": "-", "math.mul": "*", "math.div": "/"}[n.Keyword]
	pos := n.Pos
	return c.update(n, func(cur, v any) (any, error) { return arith(op, cur, v, pos) })
}

func (c *compiler) stmtText(n *xs.Node) execFn {
	prepend := n.Keyword == "text.prepend"
	pos := n.Pos
	return c.update(n, func(cur, v any) (any, error) {
		a, err := textOf(cur, pos)
		if err != nil {
			return nil, err
		}
		b, err := textOf(v, pos)
		if err != nil {
			return nil, err
		}
		if prepend {
			a, b = b, a
		}
		return joinText(a, b, pos)
	})
}

// arrayOf reads a target that must hold an array (null counts as empty).
func arrayOf(t target, f *frame, what string, pos xs.Pos) ([]any, error) {
	switch a := t.get(f).(type) {
	case nil:
		return nil, nil
	case []any:
		return a, nil
	default:
		return nil, errorAt(pos, "%s needs an array in $%s, got %s", what, t.name, value.TypeName(a))
	}
}

func (c *compiler) stmtArrayPush(n *xs.Node) execFn {
	t, ok := c.target(n)
	if !ok {
		return nop
	}
	val := c.expr(attrOf(n, "value"))
	kw, pos := n.Keyword, n.Pos
	return func(f *frame) (ctl, error) {
		a, err := arrayOf(t, f, kw, pos)
		if err != nil {
			return ctlNext, err
		}
		v, err := val(f)
		if err != nil {
			return ctlNext, err
		}
		var out []any
		switch kw {
		case "array.push":
			out = append(a[:len(a):len(a)], v)
		case "array.unshift":
			out = append([]any{v}, a...)
		case "array.merge":
			if more, ok := v.([]any); ok {
				out = append(a[:len(a):len(a)], more...)
			} else {
				out = append(a[:len(a):len(a)], v)
			}
		}
		return ctlNext, t.set(f, out, pos)
	}
}

func (c *compiler) stmtArrayPop(n *xs.Node) execFn {
	t, ok := c.target(n)
	if !ok {
		return nop
	}
	as := c.as(n)
	kw, pos := n.Keyword, n.Pos
	return func(f *frame) (ctl, error) {
		a, err := arrayOf(t, f, kw, pos)
		if err != nil {
			return ctlNext, err
		}
		var v any
		if len(a) > 0 {
			if kw == "array.pop" {
				v, a = a[len(a)-1], a[:len(a)-1:len(a)-1]
			} else {
				v, a = a[0], a[1:]
			}
		}
		if as != nil {
			as(f, v)
		}
		if a == nil {
			a = []any{}
		}
		return ctlNext, t.set(f, a, pos)
	}
}

// stmtArrayFind compiles array.find/filter/has/every/find_index/filter_count:
// `array.find $list if ($this > 18) as $x`; the condition sees the element as $this ($$).
func (c *compiler) stmtArrayFind(n *xs.Node) execFn {
	// Two spellings: `array.find $list if (...)` and `array.find ($list) if (...)`.
	var listExpr, condExpr xs.Expr
	switch {
	case strings.HasPrefix(n.Name, "$"):
		listExpr, condExpr = &xs.Var{Pos: n.NamePos, Name: strings.TrimPrefix(n.Name, "$")}, n.Cond
	case n.Name == "" && n.Cond != nil:
		listExpr = n.Cond
	default:
		c.errorf(n.Pos, "%s needs an array: %s $list if (...) as $result", n.Keyword, n.Keyword)
		listExpr = &xs.Lit{Pos: n.Pos}
	}
	list := arrayList(c.expr(listExpr), n.Keyword, n.Pos)
	if condExpr == nil {
		condExpr = attrOf(n, "if")
	}
	if condExpr == nil {
		c.errorf(n.Pos, "%s needs a condition: if (...)", n.Keyword)
	}
	cond := c.expr(condExpr)
	kw := n.Keyword
	return c.result(n, func(f *frame) (any, error) {
		items, err := list(f)
		if err != nil {
			return nil, err
		}
		saved := f.this
		defer func() { f.this = saved }()
		test := func(e any) (bool, error) {
			f.this = e
			v, err := cond(f)
			return value.Truthy(v), err
		}
		var out any
		switch kw {
		case "array.find", "array.find_index", "array.has":
			idx := -1
			for i, e := range items {
				ok, err := test(e)
				if err != nil {
					return nil, err
				}
				if ok {
					idx = i
					break
				}
			}
			switch kw {
			case "array.find":
				if idx >= 0 {
					out = items[idx]
				}
			case "array.find_index":
				out = int64(idx)
			default:
				out = idx >= 0
			}
		case "array.every":
			all := true
			for _, e := range items {
				ok, err := test(e)
				if err != nil {
					return nil, err
				}
				if !ok {
					all = false
					break
				}
			}
			out = all
		default: // filter, filter_count
			kept := []any{}
			for _, e := range items {
				ok, err := test(e)
				if err != nil {
					return nil, err
				}
				if ok {
					kept = append(kept, e)
				}
			}
			if kw == "array.filter_count" {
				out = int64(len(kept))
			} else {
				out = kept
			}
		}
		return out, nil
	})
}

// supportedFilters lists the filters package stack/filter provides.
func supportedFilters() []string {
	return filter.Names()
}

func filterError(pos xs.Pos, _ string, err error) error {
	var re *relaybase.Error
	if asError(err, &re) {
		return err
	}
	return &relaybase.Error{Code: relaybase.CodeFatal, Message: err.Error() + " (at " + pos.String() + ")"}
}

func itoa(n int) string { return strconv.Itoa(n) }

func sortStrings(s []string) { sort.Strings(s) }

func asError(err error, target **relaybase.Error) bool { return errors.As(err, target) }
