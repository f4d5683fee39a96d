package stack

import (
	"math"
	"strconv"
	"strings"

	"relaybase/value"
	"relaybase/xs"
)

// arith applies + - * / % to two numbers. Anything else (null, text, bool, arrays) is a
// runtime error naming pos; so is division by zero. int op int stays int where the result
// is whole (7/2 is 3.5, 6/2 is 3) and fits in 64 bits; one that does not fit becomes a
// decimal, as in PHP (Xano's runtime), rather than wrapping around to a wrong number.
func arith(op string, a, b any, pos xs.Pos) (any, error) {
	ai, aInt := a.(int64)
	bi, bInt := b.(int64)
	if aInt && bInt {
		switch op {
		case "+":
			if s := ai + bi; (s > ai) == (bi > 0) {
				return s, nil
			}
		case "-":
			if d := ai - bi; (d < ai) == (bi > 0) {
				return d, nil
			}
		case "*":
			if ai == 0 || bi == 0 {
				return int64(0), nil
			}
			if p := ai * bi; p/bi == ai && !(ai == -1 && bi == math.MinInt64) && !(bi == -1 && ai == math.MinInt64) {
				return p, nil
			}
		case "/":
			if bi == 0 {
				return nil, errorAt(pos, "Division by zero")
			}
			if ai%bi == 0 && !(ai == math.MinInt64 && bi == -1) {
				return ai / bi, nil
			}
			return float64(ai) / float64(bi), nil
		case "%":
			if bi == 0 {
				return nil, errorAt(pos, "Division by zero")
			}
			return ai % bi, nil
		}
	}
	af, aNum := value.AsFloat(a)
	bf, bNum := value.AsFloat(b)
	if !aNum || !bNum {
		return nil, errorAt(pos, "Cannot apply %q to %s and %s", op, value.TypeName(a), value.TypeName(b))
	}
	var r float64
	switch op {
	case "+":
		r = af + bf
	case "-":
		r = af - bf
	case "*":
		r = af * bf
	case "/":
		if bf == 0 {
			return nil, errorAt(pos, "Division by zero")
		}
		r = af / bf
	case "%":
		if bf == 0 {
			return nil, errorAt(pos, "Division by zero")
		}
		r = math.Mod(af, bf)
	}
	if math.IsNaN(r) || math.IsInf(r, 0) {
		return nil, errorAt(pos, "The result of %q is not a number", op)
	}
	return r, nil
}

// maxText is the longest text ~, text.append and text.prepend build: the largest JSON a
// value may encode to. A loop that doubles a text ($s ~ $s) reaches it in a few dozen steps,
// long before the stack's time limit, and without it would take all the server's memory.
const maxText = value.MaxEncoded

// joinText is a ~ b, refused past maxText.
func joinText(a, b string, pos xs.Pos) (string, error) {
	if len(a)+len(b) > maxText {
		return "", errorAt(pos, "The text would be longer than 64 MiB")
	}
	return a + b, nil
}

// textOf is value.ToText for ~ and text.append: an array or object becomes its JSON, and one
// too large to encode is an error here, where ToText would quietly give "".
func textOf(v any, pos xs.Pos) (string, error) {
	switch v.(type) {
	case []any, *value.Object:
		b, err := value.EncodeJSON(v)
		if err != nil {
			return "", errorAt(pos, "The text would be longer than 64 MiB")
		}
		return string(b), nil
	}
	return value.ToText(v), nil
}

// compare evaluates a comparison operator. == uses value.Equal (int and decimal by value,
// everything else type-strict); === also requires the same numeric type. Ordering
// operators are false for values that cannot be ordered against each other.
func compare(op string, a, b any) bool {
	switch op {
	case "==":
		return value.Equal(a, b)
	case "!=":
		return !value.Equal(a, b)
	case "===":
		return strictEqual(a, b)
	case "!==":
		return !strictEqual(a, b)
	}
	c, ok := value.Compare(a, b)
	if !ok {
		return false
	}
	switch op {
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	}
	return false
}

func strictEqual(a, b any) bool {
	switch a.(type) {
	case int64:
		if _, ok := b.(int64); !ok {
			return false
		}
	case float64:
		if _, ok := b.(float64); !ok {
			return false
		}
	}
	return value.Equal(a, b)
}

// contains is `a in b`: membership in an array, a key of an object, a substring of text.
func contains(b, a any) bool {
	switch t := b.(type) {
	case []any:
		for _, e := range t {
			if value.Equal(e, a) {
				return true
			}
		}
	case *value.Object:
		if k, ok := a.(string); ok {
			return t.Has(k)
		}
	case string:
		if k, ok := a.(string); ok {
			return strings.Contains(t, k)
		}
	}
	return false
}

// member reads x.name: an object's member, or an array element by its number. Anything
// missing reads as null.
func member(x any, name string) any {
	switch t := x.(type) {
	case *value.Object:
		v, _ := t.Get(name)
		return v
	case []any:
		i, err := strconv.Atoi(name)
		if err != nil || i < 0 || i >= len(t) {
			return nil
		}
		return t[i]
	}
	return nil
}

// index reads x[k].
func index(x, k any) any {
	switch t := x.(type) {
	case *value.Object:
		if s, ok := k.(string); ok {
			v, _ := t.Get(s)
			return v
		}
		return member(t, value.ToText(k))
	case []any:
		i, ok := asIndex(k)
		if !ok || i < 0 || i >= len(t) {
			return nil
		}
		return t[i]
	}
	return nil
}

func asIndex(k any) (int, bool) {
	switch t := k.(type) {
	case int64:
		return int(t), true
	case float64:
		// Past int64, int(t) is an arbitrary number: for (1e300) ran no times at all.
		if t == math.Trunc(t) && t >= -(1<<63) && t < 1<<63 {
			return int(t), true
		}
	case string:
		i, err := strconv.Atoi(t)
		return i, err == nil
	}
	return 0, false
}

// memberFold reads an object member ignoring case (HTTP header names).
func memberFold(x any, name string) any {
	o, ok := x.(*value.Object)
	if !ok {
		return nil
	}
	if v, ok := o.Get(name); ok {
		return v
	}
	for _, k := range o.Keys() {
		if strings.EqualFold(k, name) {
			v, _ := o.Get(k)
			return v
		}
	}
	return nil
}
