package value

import (
	"math"
	"sort"
	"strconv"
	"strings"
)

// Key returns text that identifies a value under Equal, for use as a map key when
// grouping or de-duplicating values: Key(a) == Key(b) whenever Equal(a, b), and the keys of
// unequal values differ. An integral decimal keys like the int of the same value (1.0 and 1
// share a key) and object keys are taken in sorted order, as Equal ignores member order.
// Ints beyond 2^53 are keyed exactly, where Equal compares them with a decimal after rounding.
func Key(v any) string {
	var b strings.Builder
	writeKey(&b, v)
	return b.String()
}

func writeKey(b *strings.Builder, v any) {
	switch t := v.(type) {
	case nil:
		b.WriteByte('n')
	case bool:
		if t {
			b.WriteByte('t')
		} else {
			b.WriteByte('f')
		}
	case int64:
		b.WriteByte('i')
		b.WriteString(strconv.FormatInt(t, 10))
	case int:
		b.WriteByte('i')
		b.WriteString(strconv.Itoa(t))
	case float64:
		// -2^63 is exact as a float64 and 2^63 is the first value out of range.
		if t == math.Trunc(t) && t >= -(1<<63) && t < 1<<63 {
			b.WriteByte('i')
			b.WriteString(strconv.FormatInt(int64(t), 10))
			return
		}
		b.WriteByte('d')
		b.WriteString(strconv.FormatFloat(t, 'g', -1, 64))
	case string:
		// Length-prefixed, so text inside an array or object key cannot imitate structure.
		b.WriteByte('s')
		b.WriteString(strconv.Itoa(len(t)))
		b.WriteByte(':')
		b.WriteString(t)
	case []any:
		b.WriteByte('a')
		b.WriteString(strconv.Itoa(len(t)))
		b.WriteByte('[')
		for _, e := range t {
			writeKey(b, e)
		}
		b.WriteByte(']')
	case *Object:
		keys := append([]string(nil), t.Keys()...)
		sort.Strings(keys)
		b.WriteByte('o')
		b.WriteString(strconv.Itoa(len(keys)))
		b.WriteByte('{')
		for _, k := range keys {
			b.WriteString(strconv.Itoa(len(k)))
			b.WriteByte(':')
			b.WriteString(k)
			val, _ := t.Get(k)
			writeKey(b, val)
		}
		b.WriteByte('}')
	default:
		b.WriteByte('?')
		b.WriteString(ToText(v))
	}
}
