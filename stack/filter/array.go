package filter

import (
	"fmt"
	"slices"
	"strings"

	"relaybase/value"
)

// Array filters read null as an empty array, so an optional list that was not sent iterates
// as empty (null|count is 0, null|map:... is []). Text is an error: the docs are explicit
// that string and array filters do not mix.
func init() {
	def("first", 0, 0, first)
	def("last", 0, 0, last)
	def("count", 0, 0, count)
	def("reverse", 0, 0, reverse)
	def("unique", 0, 1, unique)
	def("flatten", 0, 0, flatten)
	def("slice", 0, 2, slice, "array_slice")
	def("push", 1, 1, push, "array_push")
	def("pop", 0, 0, pop, "array_pop")
	def("shift", 0, 0, shift, "array_shift")
	def("unshift", 1, 1, unshift, "array_unshift")
	def("merge", 1, 1, merge, "array_merge")
	def("diff", 1, 1, setOp("diff", false), "array_diff")
	def("intersect", 1, 1, setOp("intersect", true), "array_intersect")
	def("join", 0, 1, join)
	def("range", 2, 3, rangeFilter)
	def("safe_array", 0, 0, safeArray)
	def("filter_empty", 0, 1, filterEmpty)
	def("filter_empty_text", 0, 0, drop("filter_empty_text", func(v any) bool { return v == "" }))
	def("filter_null", 0, 0, drop("filter_null", func(v any) bool { return v == nil }))
	def("filter_false", 0, 0, drop("filter_false", func(v any) bool { return v == false }))
	defLambda("map", 1, 1, mapFilter)
	defLambda("filter", 1, 1, filterFilter)
	defLambda("find", 1, 1, find)
	defLambda("findIndex", 1, 1, findIndex)
	defLambda("some", 1, 1, some)
	defLambda("every", 1, 1, every)
	def("sort", 0, 3, sortFilter, "fsort")
	def("index_by", 1, 1, indexBy)
	defLambda("group_by", 1, 1, groupBy)
}

// first returns the first element, or null for an empty array.
func first(x any, _ []any) (any, error) {
	a, err := arrayIn("first", x)
	if err != nil || len(a) == 0 {
		return nil, err
	}
	return value.Clone(a[0]), nil
}

// last returns the last element, or null for an empty array.
func last(x any, _ []any) (any, error) {
	a, err := arrayIn("last", x)
	if err != nil || len(a) == 0 {
		return nil, err
	}
	return value.Clone(a[len(a)-1]), nil
}

// count counts an array's elements or an object's members ("the number of items in an
// object/array"). Text is an error that points at strlen.
func count(x any, _ []any) (any, error) {
	switch t := x.(type) {
	case *value.Object:
		return int64(t.Len()), nil
	case string:
		return nil, fmt.Errorf("count: expected array, got text (use strlen for text)")
	}
	a, err := arrayIn("count", x)
	if err != nil {
		return nil, err
	}
	return int64(len(a)), nil
}

func reverse(x any, _ []any) (any, error) {
	if _, ok := x.(string); ok {
		return nil, fmt.Errorf(`reverse: expected array, got text (for text use split:""|reverse|join:"")`)
	}
	a, err := arrayIn("reverse", x)
	if err != nil {
		return nil, err
	}
	out := cloneAll(a)
	slices.Reverse(out)
	return out, nil
}

// unique keeps the first of each group of equal elements (1 and 1.0 are equal). With a path,
// elements are compared by the value at that path and the first element of each is kept.
func unique(x any, args []any) (any, error) {
	a, err := arrayIn("unique", x)
	if err != nil {
		return nil, err
	}
	path, err := textArg("unique", "path", args, 0, "")
	if err != nil {
		return nil, err
	}
	seen := make(map[string]bool, len(a))
	out := []any{}
	for _, e := range a {
		k := value.Key(pathValue(e, path))
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, value.Clone(e))
	}
	return out, nil
}

// pathValue is the value at path inside v, or v itself for an empty path; a missing path is null.
func pathValue(v any, path string) any {
	if path == "" {
		return v
	}
	r, _ := readPath(v, path)
	return r
}

// flatten flattens nested arrays at every depth; objects stay whole.
func flatten(x any, _ []any) (any, error) {
	a, err := arrayIn("flatten", x)
	if err != nil {
		return nil, err
	}
	out := []any{}
	var walk func([]any)
	walk = func(a []any) {
		for _, e := range a {
			if inner, ok := e.([]any); ok {
				walk(inner)
			} else {
				out = append(out, value.Clone(e))
			}
		}
	}
	walk(a)
	return out, nil
}

// slice takes length elements from offset, like PHP's array_slice: a negative offset counts
// from the end, a negative length stops that many elements before the end, no length runs to
// the end. [1,2,3,4]|slice:1:2 is [2,3].
func slice(x any, args []any) (any, error) {
	a, err := arrayIn("slice", x)
	if err != nil {
		return nil, err
	}
	offset, err := intArg("slice", "offset", args, 0, 0)
	if err != nil {
		return nil, err
	}
	length, err := intArg("slice", "length", args, 1, 0)
	if err != nil {
		return nil, err
	}
	lo, hi := window(int64(len(a)), offset, length, arg(args, 1) != nil)
	return cloneAll(a[lo:hi]), nil
}

// push returns a new array with the value added at the end.
func push(x any, args []any) (any, error) {
	a, err := arrayIn("push", x)
	if err != nil {
		return nil, err
	}
	return append(cloneAll(a), value.Clone(args[0])), nil
}

// unshift returns a new array with the value added at the start.
func unshift(x any, args []any) (any, error) {
	a, err := arrayIn("unshift", x)
	if err != nil {
		return nil, err
	}
	return append([]any{value.Clone(args[0])}, cloneAll(a)...), nil
}

// pop returns the last element (null for an empty array). A filter cannot change its input,
// so the array itself is unchanged; the array.pop statement is the form that removes.
func pop(x any, _ []any) (any, error) {
	a, err := arrayIn("pop", x)
	if err != nil || len(a) == 0 {
		return nil, err
	}
	return value.Clone(a[len(a)-1]), nil
}

// shift returns the first element (null for an empty array); see pop.
func shift(x any, _ []any) (any, error) {
	a, err := arrayIn("shift", x)
	if err != nil || len(a) == 0 {
		return nil, err
	}
	return value.Clone(a[0]), nil
}

// merge appends an array's elements to an array, or sets an object's members on a copy of an
// object (later members win), as PHP's array_merge does for lists and maps. A null on either
// side merges as empty.
func merge(x any, args []any) (any, error) {
	other := args[0]
	if x == nil {
		x, other = other, nil
		if x == nil {
			return []any{}, nil
		}
	}
	switch t := x.(type) {
	case []any:
		b, ok := other.([]any)
		if !ok && other != nil {
			return nil, fmt.Errorf("merge: cannot merge %s into an array", value.TypeName(other))
		}
		out := make([]any, 0, len(t)+len(b))
		return append(append(out, cloneAll(t)...), cloneAll(b)...), nil
	case *value.Object:
		b, ok := other.(*value.Object)
		if !ok && other != nil {
			return nil, fmt.Errorf("merge: cannot merge %s into an object", value.TypeName(other))
		}
		out := value.Clone(t).(*value.Object)
		for _, k := range b.Keys() {
			v, _ := b.Get(k)
			out.Set(k, value.Clone(v))
		}
		return out, nil
	}
	return nil, typeError("merge", "array or object", x)
}

// setOp keeps the elements of the input that are (intersect) or are not (diff) in the
// argument array, in the input's order; duplicates in the input are kept, as in PHP.
func setOp(name string, keep bool) impl {
	return func(x any, args []any) (any, error) {
		a, err := arrayIn(name, x)
		if err != nil {
			return nil, err
		}
		b, err := arrayIn(name, args[0])
		if err != nil {
			return nil, fmt.Errorf("%s: the argument must be an array, got %s", name, value.TypeName(args[0]))
		}
		in := make(map[string]bool, len(b))
		for _, e := range b {
			in[value.Key(e)] = true
		}
		out := []any{}
		for _, e := range a {
			if in[value.Key(e)] == keep {
				out = append(out, value.Clone(e))
			}
		}
		return out, nil
	}
}

// join writes each element as text (null as "", arrays and objects as JSON) with the
// separator between them.
func join(x any, args []any) (any, error) {
	a, err := arrayIn("join", x)
	if err != nil {
		return nil, err
	}
	sep, err := textArg("join", "separator", args, 0, "")
	if err != nil {
		return nil, err
	}
	parts := make([]string, len(a))
	for i, e := range a {
		parts[i] = value.ToText(e)
	}
	return strings.Join(parts, sep), nil
}

// maxRange bounds range so one expression cannot exhaust the server's memory.
const maxRange = 1_000_000

// rangeFilter returns the ints from start to stop inclusive (|range:1:5 is [1,2,3,4,5]); the
// input is ignored. Start above stop counts down; the optional step is taken as a size.
func rangeFilter(_ any, args []any) (any, error) {
	start, err := intArg("range", "start", args, 0, 0)
	if err != nil {
		return nil, err
	}
	stop, err := intArg("range", "stop", args, 1, 0)
	if err != nil {
		return nil, err
	}
	step, err := intArg("range", "step", args, 2, 1)
	if err != nil {
		return nil, err
	}
	if step == 0 {
		return nil, fmt.Errorf("range: step must not be 0")
	}
	if step < 0 {
		step = -step
	}
	span := uint64(stop - start)
	if stop < start {
		span = uint64(start - stop)
	}
	if span/uint64(step) >= maxRange {
		return nil, fmt.Errorf("range: more than %d values", maxRange)
	}
	out := make([]any, 0, span/uint64(step)+1)
	if start <= stop {
		for i := start; i <= stop; i += step {
			out = append(out, i)
			if uint64(stop-i) < uint64(step) {
				break
			}
		}
	} else {
		for i := start; i >= stop; i -= step {
			out = append(out, i)
			if uint64(i-stop) < uint64(step) {
				break
			}
		}
	}
	return out, nil
}

// safeArray returns an array as it is, null as [], and any other value as a one-element array.
func safeArray(x any, _ []any) (any, error) {
	switch t := x.(type) {
	case nil:
		return []any{}, nil
	case []any:
		return cloneAll(t), nil
	}
	return []any{value.Clone(x)}, nil
}

// filterEmpty drops empty elements in Xano's sense (null, false, 0, "", "0", [], {}), or,
// with a path, the elements whose value at that path is empty.
func filterEmpty(x any, args []any) (any, error) {
	path, err := textArg("filter_empty", "path", args, 0, "")
	if err != nil {
		return nil, err
	}
	return drop("filter_empty", func(v any) bool { return emptyLike(pathValue(v, path)) })(x, nil)
}

// drop returns a filter that removes the elements matching test.
func drop(name string, test func(any) bool) impl {
	return func(x any, _ []any) (any, error) {
		a, err := arrayIn(name, x)
		if err != nil {
			return nil, err
		}
		out := []any{}
		for _, e := range a {
			if !test(e) {
				out = append(out, value.Clone(e))
			}
		}
		return out, nil
	}
}

// each runs the expression on every element until stop says enough.
func each(name string, x any, args []any, visit func(i int, e, r any) (stop bool)) error {
	a, err := arrayIn(name, x)
	if err != nil {
		return err
	}
	f, err := lambdaArg(name, args)
	if err != nil {
		return err
	}
	for i, e := range a {
		r, err := f(e)
		if err != nil {
			return err
		}
		if visit(i, e, r) {
			return nil
		}
	}
	return nil
}

func mapFilter(x any, args []any) (any, error) {
	out := []any{}
	err := each("map", x, args, func(_ int, _, r any) bool {
		out = append(out, value.Clone(r))
		return false
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// filterFilter keeps the elements for which the expression is truthy.
func filterFilter(x any, args []any) (any, error) {
	out := []any{}
	err := each("filter", x, args, func(_ int, e, r any) bool {
		if value.Truthy(r) {
			out = append(out, value.Clone(e))
		}
		return false
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// find returns the first element for which the expression is truthy, or null.
func find(x any, args []any) (any, error) {
	var found any
	err := each("find", x, args, func(_ int, e, r any) bool {
		if value.Truthy(r) {
			found = value.Clone(e)
			return true
		}
		return false
	})
	return found, err
}

// findIndex returns the index of the first element for which the expression is truthy, or -1.
func findIndex(x any, args []any) (any, error) {
	idx := int64(-1)
	err := each("findIndex", x, args, func(i int, _, r any) bool {
		if value.Truthy(r) {
			idx = int64(i)
			return true
		}
		return false
	})
	if err != nil {
		return nil, err
	}
	return idx, nil
}

// some reports whether the expression is truthy for any element (false for an empty array).
func some(x any, args []any) (any, error) {
	found := false
	err := each("some", x, args, func(_ int, _, r any) bool {
		found = value.Truthy(r)
		return found
	})
	if err != nil {
		return nil, err
	}
	return found, nil
}

// every reports whether the expression is truthy for all elements (true for an empty array).
func every(x any, args []any) (any, error) {
	all := true
	err := each("every", x, args, func(_ int, _, r any) bool {
		all = value.Truthy(r)
		return !all
	})
	if err != nil {
		return nil, err
	}
	return all, nil
}

// indexBy groups elements by the value at path, as Xano's docs show:
// [{g:"x"},{g:"y"},{g:"x"}]|index_by:g is {x: [{g:"x"},{g:"x"}], y: [{g:"y"}]}.
// Groups appear in the order their first element does; a missing value groups under "".
func indexBy(x any, args []any) (any, error) {
	a, err := arrayIn("index_by", x)
	if err != nil {
		return nil, err
	}
	path, err := textArg("index_by", "path", args, 0, "")
	if err != nil {
		return nil, err
	}
	out := value.NewObject(0)
	for _, e := range a {
		if err := addToGroup("index_by", out, pathValue(e, path), e); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// groupBy groups elements by the value of the expression, like the array.group_by
// statement: $users|group_by:$$.gender.
func groupBy(x any, args []any) (any, error) {
	out := value.NewObject(0)
	var groupErr error
	err := each("group_by", x, args, func(_ int, e, r any) bool {
		groupErr = addToGroup("group_by", out, r, e)
		return groupErr != nil
	})
	if err == nil {
		err = groupErr
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

func addToGroup(name string, groups *value.Object, key, elem any) error {
	if !isScalar(key) {
		return fmt.Errorf("%s: a group key must be text or a number, got %s", name, value.TypeName(key))
	}
	k := value.ToText(key)
	g, _ := groups.Get(k)
	list, _ := g.([]any)
	groups.Set(k, append(list, value.Clone(elem)))
	return nil
}
