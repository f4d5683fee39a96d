package value

import (
	"cmp"
	"math"
	"strconv"
	"strings"
)

// Equal reports whether two values are equal under XanoScript's rules: int and decimal
// compare by value (1 == 1.0); every other comparison is type-strict ("1" == 1 is false);
// arrays and objects compare member by member (object key order does not matter).
func Equal(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case int64:
		switch y := b.(type) {
		case int64:
			return x == y
		case float64:
			return float64(x) == y
		}
		return false
	case float64:
		switch y := b.(type) {
		case int64:
			return x == float64(y)
		case float64:
			return x == y
		}
		return false
	case string:
		y, ok := b.(string)
		return ok && x == y
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !Equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case *Object:
		y, ok := b.(*Object)
		if !ok || x.Len() != y.Len() {
			return false
		}
		for _, k := range x.Keys() {
			yv, ok := y.Get(k)
			if !ok {
				return false
			}
			xv, _ := x.Get(k)
			if !Equal(xv, yv) {
				return false
			}
		}
		return true
	}
	return false
}

// Compare orders two values of comparable types: numbers with numbers, text with text,
// bools with bools. ok is false when the types cannot be ordered (the comparison is then false).
func Compare(a, b any) (c int, ok bool) {
	if fa, isNum := AsFloat(a); isNum {
		fb, isNum := AsFloat(b)
		if !isNum {
			return 0, false
		}
		if ia, aInt := a.(int64); aInt {
			if ib, bInt := b.(int64); bInt {
				return cmp.Compare(ia, ib), true
			}
		}
		switch {
		case fa < fb:
			return -1, true
		case fa > fb:
			return 1, true
		}
		return 0, true
	}
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		if !ok {
			return 0, false
		}
		return strings.Compare(x, y), true
	case bool:
		y, ok := b.(bool)
		if !ok {
			return 0, false
		}
		switch {
		case x == y:
			return 0, true
		case !x:
			return -1, true
		}
		return 1, true
	}
	return 0, false
}

// AsFloat returns a number as float64; ok is false for non-numbers.
func AsFloat(v any) (float64, bool) {
	switch t := v.(type) {
	case int64:
		return float64(t), true
	case float64:
		return t, true
	}
	return 0, false
}

// IsNumber reports whether v is an int or a decimal.
func IsNumber(v any) bool {
	_, ok := AsFloat(v)
	return ok
}

// Truthy reports how a value reads as a condition: null, false, zero numbers, empty text,
// empty arrays and empty objects are false; everything else is true.
func Truthy(v any) bool {
	switch t := v.(type) {
	case nil:
		return false
	case bool:
		return t
	case int64:
		return t != 0
	case float64:
		return t != 0
	case string:
		return t != ""
	case []any:
		return len(t) > 0
	case *Object:
		return t.Len() > 0
	}
	return true
}

// IsEmpty reports whether a value is null, "", 0, false, [] or {}.
func IsEmpty(v any) bool { return !Truthy(v) }

// ToText turns a value into text the way `~` and `concat` do: null is "", numbers take
// their shortest form, bools are "true"/"false", arrays and objects their JSON.
func ToText(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case bool:
		if t {
			return "true"
		}
		return "false"
	case int64:
		return strconv.FormatInt(t, 10)
	case float64:
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return ""
		}
		return FormatFloat(t)
	}
	b, err := EncodeJSON(v)
	if err != nil {
		return ""
	}
	return string(b)
}
