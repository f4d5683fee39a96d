package filter

import (
	"fmt"

	"relaybase/value"
)

func init() {
	def("includes", 1, 1, containsFilter("includes", false))
	def("in", 1, 1, in)
	def("overlaps", 1, 1, overlaps)
	def("between", 2, 2, between)
	def("not", 0, 0, func(x any, _ []any) (any, error) { return !value.Truthy(x), nil })
}

// in reports whether the array holds the value: [1,2,3]|in:3 is true.
func in(x any, args []any) (any, error) {
	a, err := arrayIn("in", x)
	if err != nil {
		return nil, err
	}
	return arrayHas(a, args[0], false), nil
}

// overlaps reports whether two arrays share at least one element; null reads as [].
func overlaps(x any, args []any) (any, error) {
	a, err := arrayIn("overlaps", x)
	if err != nil {
		return nil, err
	}
	b, err := arrayIn("overlaps", args[0])
	if err != nil {
		return nil, fmt.Errorf("overlaps: the argument must be an array, got %s", value.TypeName(args[0]))
	}
	in := make(map[string]bool, len(b))
	for _, e := range b {
		in[value.Key(e)] = true
	}
	for _, e := range a {
		if in[value.Key(e)] {
			return true, nil
		}
	}
	return false, nil
}

// between reports whether min <= x <= max. Values that cannot be ordered against the bounds
// (null, a text against numbers) are not between them, as a comparison with them is false.
func between(x any, args []any) (any, error) {
	lo, ok1 := value.Compare(x, args[0])
	hi, ok2 := value.Compare(x, args[1])
	return ok1 && ok2 && lo >= 0 && hi <= 0, nil
}
