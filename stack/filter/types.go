package filter

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"relaybase/value"
)

func init() {
	def("to_int", 0, 0, toInt)
	def("to_decimal", 0, 0, toDecimal)
	def("to_text", 0, 0, toText)
	def("to_bool", 0, 0, toBool)
	def("is_null", 0, 0, isType(func(v any) bool { return v == nil }), "null")
	def("is_empty", 0, 0, isType(emptyLike), "empty")
	def("is_array", 0, 0, isType(func(v any) bool { _, ok := v.([]any); return ok }))
	def("is_object", 0, 0, isType(func(v any) bool { _, ok := v.(*value.Object); return ok }))
	def("is_int", 0, 0, isType(func(v any) bool { _, ok := v.(int64); return ok }))
	def("is_decimal", 0, 0, isType(func(v any) bool { _, ok := v.(float64); return ok }))
	def("is_text", 0, 0, isType(func(v any) bool { _, ok := v.(string); return ok }))
	def("is_bool", 0, 0, isType(func(v any) bool { _, ok := v.(bool); return ok }))
	def("first_notnull", 1, 1, firstNotNull)
	def("first_notempty", 1, 1, firstNotEmpty)
}

// emptyLike is Xano's (PHP's) idea of empty, used by is_empty, filter_empty and
// first_notempty: null, false, 0, 0.0, "", "0", [] and {}. It differs from value.Truthy
// only in "0", which Xano's docs list as empty.
func emptyLike(v any) bool {
	if s, ok := v.(string); ok && s == "0" {
		return true
	}
	return !value.Truthy(v)
}

func isType(test func(any) bool) impl {
	return func(x any, _ []any) (any, error) { return test(x), nil }
}

func firstNotNull(x any, args []any) (any, error) {
	if x != nil {
		return value.Clone(x), nil
	}
	return value.Clone(arg(args, 0)), nil
}

func firstNotEmpty(x any, args []any) (any, error) {
	if !emptyLike(x) {
		return value.Clone(x), nil
	}
	return value.Clone(arg(args, 0)), nil
}

// numberPrefix reads the number at the start of text the way PHP converts text to a number:
// leading whitespace, a sign, digits, a fraction and an exponent; anything after is ignored
// ("133.45 kg" is 133.45). ok is false when no digits start the text.
func numberPrefix(s string) (n any, ok bool) {
	s = strings.TrimLeft(s, " \t\n\r\v\f")
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	intStart := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	intDigits := i - intStart
	isFloat := false
	if i < len(s) && s[i] == '.' {
		j := i + 1
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		if intDigits > 0 || j > i+1 {
			isFloat = true
			i = j
		}
	}
	if intDigits == 0 && !isFloat {
		return nil, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		k := j
		for k < len(s) && isDigit(s[k]) {
			k++
		}
		if k > j {
			isFloat = true
			i = k
		}
	}
	if !isFloat {
		if n, err := strconv.ParseInt(s[:i], 10, 64); err == nil {
			return n, true
		}
	}
	f, err := strconv.ParseFloat(s[:i], 64)
	if err != nil && !math.IsInf(f, 0) {
		return nil, false
	}
	return f, true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// looseFloat converts a scalar to a decimal the PHP way: text by its leading number (0 when
// there is none), bools as 0 and 1, null as 0. Arrays and objects are errors.
func looseFloat(v any) (float64, error) {
	switch t := v.(type) {
	case nil:
		return 0, nil
	case bool:
		if t {
			return 1, nil
		}
		return 0, nil
	case int64:
		return float64(t), nil
	case float64:
		return t, nil
	case string:
		n, ok := numberPrefix(t)
		if !ok {
			return 0, nil
		}
		f, _ := value.AsFloat(n)
		if math.IsInf(f, 0) {
			return 0, fmt.Errorf("needs a number, and %q is out of range", t)
		}
		return f, nil
	}
	return 0, fmt.Errorf("needs a number, got %s", value.TypeName(v))
}

// looseInt converts a scalar to an int the PHP way, dropping any fraction. A value beyond
// the int range is an error rather than a silently clamped number.
func looseInt(v any) (int64, error) {
	switch t := v.(type) {
	case int64:
		return t, nil
	case string:
		if n, ok := numberPrefix(t); ok {
			if i, isInt := n.(int64); isInt {
				return i, nil
			}
			v = n
		} else {
			return 0, nil
		}
	}
	f, err := looseFloat(v)
	if err != nil {
		return 0, err
	}
	f = math.Trunc(f)
	n, ok := floatToInt(f)
	if !ok {
		return 0, fmt.Errorf("needs an int, and %s is out of range", value.FormatFloat(f))
	}
	return n, nil
}

// toInt converts text, decimals and bools to an int: text by its leading number, so
// "133.45 kg" is 133 and "abc" is 0 (as in Xano); decimals lose their fraction; null is 0.
func toInt(x any, _ []any) (any, error) {
	n, err := looseInt(x)
	if err != nil {
		return nil, fmt.Errorf("to_int: %w", err)
	}
	return n, nil
}

// toDecimal converts like toInt but keeps the fraction: "133.45 kg" is 133.45.
func toDecimal(x any, _ []any) (any, error) {
	f, err := looseFloat(x)
	if err != nil {
		return nil, fmt.Errorf("to_decimal: %w", err)
	}
	return f, nil
}

// toText writes a value as text the way ~ does: null is "", numbers take their shortest
// form, arrays and objects their JSON.
func toText(x any, _ []any) (any, error) {
	return value.ToText(x), nil
}

// toBool reads the usual words: "true", "1", "yes", "on" are true and "false", "0", "no",
// "off", "null" and "" are false (ignoring case and surrounding space); other text is true.
// Numbers are true unless zero, null is false, arrays and objects are true unless empty.
func toBool(x any, _ []any) (any, error) {
	if s, ok := x.(string); ok {
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "", "0", "false", "no", "off", "null":
			return false, nil
		}
		return true, nil
	}
	return value.Truthy(x), nil
}
