package stack

import (
	"sort"
	"strings"

	"relaybase/value"
	"relaybase/xs"
)

// The statement forms of array, text, math and object operations that Xano documents
// beside the filters: array.map, partition, group_by, union, difference, intersection;
// text.contains and its siblings, text.trim/ltrim/rtrim; math.bitwise.and/or/xor;
// object.keys/values/entries.

func init() {
	registerStatements(map[string]func(c *compiler, n *xs.Node) execFn{
		"array.map":          (*compiler).stmtArrayMap,
		"array.group_by":     (*compiler).stmtArrayMap,
		"array.partition":    (*compiler).stmtArrayPartition,
		"array.union":        (*compiler).stmtArraySet,
		"array.difference":   (*compiler).stmtArraySet,
		"array.intersection": (*compiler).stmtArraySet,

		"text.contains":     (*compiler).stmtTextTest,
		"text.icontains":    (*compiler).stmtTextTest,
		"text.starts_with":  (*compiler).stmtTextTest,
		"text.istarts_with": (*compiler).stmtTextTest,
		"text.ends_with":    (*compiler).stmtTextTest,
		"text.iends_with":   (*compiler).stmtTextTest,
		"text.trim":         (*compiler).stmtTextTrim,
		"text.ltrim":        (*compiler).stmtTextTrim,
		"text.rtrim":        (*compiler).stmtTextTrim,

		"math.bitwise.and": (*compiler).stmtBitwise,
		"math.bitwise.or":  (*compiler).stmtBitwise,
		"math.bitwise.xor": (*compiler).stmtBitwise,

		"object.keys":    (*compiler).stmtObject,
		"object.values":  (*compiler).stmtObject,
		"object.entries": (*compiler).stmtObject,
	})
}

// arrayOperand is the array a statement works on: `array.x ($list)` or `array.x $list`.
func (c *compiler) arrayOperand(n *xs.Node) evalFn {
	switch {
	case n.Cond != nil:
		return c.expr(n.Cond)
	case strings.HasPrefix(n.Name, "$"):
		return c.expr(&xs.Var{Pos: n.NamePos, Name: strings.TrimPrefix(n.Name, "$")})
	}
	c.errorf(n.Pos, "%s needs what it works on: %s $var ... or %s (expression) ...", n.Keyword, n.Keyword, n.Keyword)
	return func(*frame) (any, error) { return nil, nil }
}

// items reads an array operand (null is empty).
func items(v any, kw string, pos xs.Pos) ([]any, error) {
	switch a := v.(type) {
	case nil:
		return nil, nil
	case []any:
		return a, nil
	}
	return nil, errorAt(pos, "%s needs an array, got %s", kw, value.TypeName(v))
}

// listFn evaluates to the elements of an array.
type listFn func(f *frame) ([]any, error)

// arrayList is fn read as an array operand of statement kw (null is empty).
func arrayList(fn evalFn, kw string, pos xs.Pos) listFn {
	return func(f *frame) ([]any, error) {
		v, err := fn(f)
		if err != nil {
			return nil, err
		}
		return items(v, kw, pos)
	}
}

// each evaluates fn for every element with $this bound to it.
func each(f *frame, list []any, fn evalFn) ([]any, error) {
	saved := f.this
	defer func() { f.this = saved }()
	out := make([]any, len(list))
	for i, e := range list {
		f.this = e
		v, err := fn(f)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// byExpr is the expression of `by = ...` (also written value = ... or key = ...); nil
// means the element itself.
func (c *compiler) byExpr(n *xs.Node, keys ...string) evalFn {
	for _, k := range keys {
		if e := attrOf(n, k); e != nil {
			return c.expr(e)
		}
	}
	return func(f *frame) (any, error) { return f.this, nil }
}

// stmtArrayMap compiles array.map ($list) { by = expr } and array.group_by ($list) { by = expr }.
func (c *compiler) stmtArrayMap(n *xs.Node) execFn {
	list := arrayList(c.arrayOperand(n), n.Keyword, n.Pos)
	by := c.byExpr(n, "by", "value", "key")
	group := n.Keyword == "array.group_by"
	return c.result(n, func(f *frame) (any, error) {
		elems, err := list(f)
		if err != nil {
			return nil, err
		}
		keys, err := each(f, elems, by)
		if err != nil || !group {
			return keys, err
		}
		groups := value.NewObject(0)
		for i, k := range keys {
			name := value.ToText(k)
			g, _ := groups.Get(name)
			ga, _ := g.([]any)
			groups.Set(name, append(ga, elems[i]))
		}
		return groups, nil
	})
}

// stmtArrayPartition compiles array.partition ($list) if (cond) as $parts: {true: [...], false: [...]}.
func (c *compiler) stmtArrayPartition(n *xs.Node) execFn {
	list := arrayList(c.arrayOperand(n), n.Keyword, n.Pos)
	condExpr := attrOf(n, "if")
	if condExpr == nil {
		c.errorf(n.Pos, "array.partition needs a condition: if (...)")
	}
	cond := c.expr(condExpr)
	return c.result(n, func(f *frame) (any, error) {
		elems, err := list(f)
		if err != nil {
			return nil, err
		}
		tests, err := each(f, elems, cond)
		if err != nil {
			return nil, err
		}
		yes, no := []any{}, []any{}
		for i, t := range tests {
			if value.Truthy(t) {
				yes = append(yes, elems[i])
			} else {
				no = append(no, elems[i])
			}
		}
		return value.ObjectOf("true", yes, "false", no), nil
	})
}

// stmtArraySet compiles array.union, array.difference and array.intersection ($list) {
// value = other by = key }: elements compare by their key (by, default the element).
// A union has each key once; it is sorted when its keys are all numbers or all texts, as
// Xano's documented result is.
func (c *compiler) stmtArraySet(n *xs.Node) execFn {
	kw := n.Keyword
	list := arrayList(c.arrayOperand(n), kw, n.Pos)
	other := arrayList(c.expr(attrOf(n, "value")), kw, n.Pos)
	if attrOf(n, "value") == nil {
		c.errorf(n.Pos, "%s needs value = <the other array>", kw)
	}
	by := c.byExpr(n, "by")
	return c.result(n, func(f *frame) (any, error) {
		a, err := list(f)
		if err != nil {
			return nil, err
		}
		b, err := other(f)
		if err != nil {
			return nil, err
		}
		ka, err := each(f, a, by)
		if err != nil {
			return nil, err
		}
		kb, err := each(f, b, by)
		if err != nil {
			return nil, err
		}
		inB := func(k any) bool {
			for _, x := range kb {
				if value.Equal(x, k) {
					return true
				}
			}
			return false
		}
		out := []any{}
		switch kw {
		case "array.difference":
			for i, k := range ka {
				if !inB(k) {
					out = append(out, a[i])
				}
			}
		case "array.intersection":
			for i, k := range ka {
				if inB(k) {
					out = append(out, a[i])
				}
			}
		default: // union
			var keys []any
			add := func(e, k any) {
				for _, x := range keys {
					if value.Equal(x, k) {
						return
					}
				}
				keys = append(keys, k)
				out = append(out, e)
			}
			for i, k := range ka {
				add(a[i], k)
			}
			for i, k := range kb {
				add(b[i], k)
			}
			sortByKeys(out, keys)
		}
		return out, nil
	})
}

// sortByKeys sorts elems by their keys when the keys are all numbers or all texts.
func sortByKeys(elems, keys []any) {
	numbers, texts := true, true
	for _, k := range keys {
		_, isText := k.(string)
		_, isNum := value.AsFloat(k)
		if _, isBool := k.(bool); isBool {
			isNum = false
		}
		numbers = numbers && isNum
		texts = texts && isText
	}
	if !numbers && !texts {
		return
	}
	idx := make([]int, len(elems))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool { return compare("<", keys[idx[i]], keys[idx[j]]) })
	sorted := make([]any, len(elems))
	for i, k := range idx {
		sorted[i] = elems[k]
	}
	copy(elems, sorted)
}

// stmtTextTest compiles text.contains/icontains/starts_with/istarts_with/ends_with/
// iends_with $text { value = "..." } as $bool.
func (c *compiler) stmtTextTest(n *xs.Node) execFn {
	subject := c.arrayOperand(n) // the same two spellings: $var or (expr)
	val := c.expr(attrOf(n, "value"))
	op := strings.TrimPrefix(n.Keyword, "text.")
	fold := op == "icontains" || op == "istarts_with" || op == "iends_with"
	if fold {
		op = op[1:]
	}
	return c.result(n, func(f *frame) (any, error) {
		sv, vv, err := eval2(f, subject, val)
		if err != nil {
			return nil, err
		}
		s, p := value.ToText(sv), value.ToText(vv)
		if fold {
			s, p = strings.ToLower(s), strings.ToLower(p)
		}
		var ok bool
		switch op {
		case "contains":
			ok = strings.Contains(s, p)
		case "starts_with":
			ok = strings.HasPrefix(s, p)
		case "ends_with":
			ok = strings.HasSuffix(s, p)
		}
		return ok, nil
	})
}

// stmtTextTrim compiles text.trim/ltrim/rtrim $var { value = " " }: the characters of
// value (whitespace when absent) are removed from the variable's ends.
func (c *compiler) stmtTextTrim(n *xs.Node) execFn {
	t, ok := c.target(n)
	if !ok {
		return nop
	}
	var cut evalFn
	if e := attrOf(n, "value"); e != nil {
		cut = c.expr(e)
	}
	kw, pos := n.Keyword, n.Pos
	return func(f *frame) (ctl, error) {
		cur := t.get(f)
		s, isText := cur.(string)
		if !isText && cur != nil {
			return ctlNext, errorAt(pos, "%s needs a text in $%s, got %s", kw, t.name, value.TypeName(cur))
		}
		set := " \t\n\r\x00\x0B"
		if cut != nil {
			v, err := cut(f)
			if err != nil {
				return ctlNext, err
			}
			if cs := value.ToText(v); cs != "" {
				set = cs
			}
		}
		switch kw {
		case "text.ltrim":
			s = strings.TrimLeft(s, set)
		case "text.rtrim":
			s = strings.TrimRight(s, set)
		default:
			s = strings.Trim(s, set)
		}
		return ctlNext, t.set(f, s, pos)
	}
}

// stmtBitwise compiles math.bitwise.and/or/xor $var { value = n }.
func (c *compiler) stmtBitwise(n *xs.Node) execFn {
	kw, pos := n.Keyword, n.Pos
	return c.update(n, func(cur, v any) (any, error) {
		a, aok := toInt(cur)
		b, bok := toInt(v)
		if !aok || !bok || cur == nil || v == nil {
			return nil, errorAt(pos, "%s needs whole numbers, got %s and %s", kw, value.TypeName(cur), value.TypeName(v))
		}
		switch kw {
		case "math.bitwise.and":
			return a & b, nil
		case "math.bitwise.or":
			return a | b, nil
		}
		return a ^ b, nil
	})
}

// stmtObject compiles object.keys/values/entries { value = $obj } as $x.
func (c *compiler) stmtObject(n *xs.Node) execFn {
	val := c.expr(attrOf(n, "value"))
	kw, pos := n.Keyword, n.Pos
	return c.result(n, func(f *frame) (any, error) {
		v, err := val(f)
		if err != nil {
			return nil, err
		}
		out := []any{}
		switch o := v.(type) {
		case nil:
		case *value.Object:
			for _, k := range o.Keys() {
				m, _ := o.Get(k)
				switch kw {
				case "object.keys":
					out = append(out, k)
				case "object.values":
					out = append(out, m)
				default:
					out = append(out, value.ObjectOf("key", k, "value", m))
				}
			}
		default:
			return nil, errorAt(pos, "%s needs an object, got %s", kw, value.TypeName(v))
		}
		return out, nil
	})
}
