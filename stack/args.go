package stack

import (
	"relaybase/value"
	"relaybase/xs"
)

// Shared shapes of statements that read many optional attributes by name (security.*):
// the attributes are compiled once, by name, and each run reads only the ones its branch
// needs, in the order it needs them. A read that fails sticks: the reads after it give
// nil and evaluate nothing, so a branch reads its arguments in a row and checks args.err
// once, where the same branch used to return at the first failing one.

// attrFns are a statement's attributes compiled by name; an absent one has no entry.
type attrFns map[string]evalFn

// attrs compiles those of keys that n has.
func (c *compiler) attrs(n *xs.Node, keys ...string) attrFns {
	m := make(attrFns, len(keys))
	for _, k := range keys {
		if e := attrOf(n, k); e != nil {
			m[k] = c.expr(e)
		}
	}
	return m
}

// args reads a statement's attributes during one run of it.
type args struct {
	f     *frame
	attrs attrFns
	kw    string
	pos   xs.Pos
	err   error // the first failure; once set, reads give zero values
}

func (a *args) fail(format string, v ...any) error {
	return errorAt(a.pos, a.kw+": "+format, v...)
}

// get evaluates attribute k (nil when absent, or after a failure).
func (a *args) get(k string) any {
	fn, ok := a.attrs[k]
	if !ok || a.err != nil {
		return nil
	}
	v, err := fn(a.f)
	if err != nil {
		a.err = err
		return nil
	}
	return v
}

// text evaluates attribute k as text ("" when absent).
func (a *args) text(k string) string { return value.ToText(a.get(k)) }

// int evaluates attribute k as a whole number, def when absent or null.
func (a *args) int(k string, def int64) int64 {
	v := a.get(k)
	if v == nil {
		return def
	}
	n, ok := toInt(v)
	if !ok {
		a.err = a.fail("%s must be a whole number", k)
		return 0
	}
	return n
}

// flag evaluates attribute k as a boolean, def when absent or null.
func (a *args) flag(k string, def bool) bool {
	v := a.get(k)
	if v == nil {
		return def
	}
	return value.Truthy(v)
}

// textOr is text(k), or def when that is empty.
func (a *args) textOr(k, def string) string {
	if s := a.text(k); s != "" {
		return s
	}
	return def
}
