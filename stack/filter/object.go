package filter

import (
	"fmt"
	"strconv"
	"strings"

	"relaybase/value"
)

// Object filters read null as an empty object (null|get:"a":1 is 1, null|set:"a":1 is
// {a: 1}) and also work on arrays where Xano's do: a path segment that is a number indexes
// an array, negative from the end.
//
// A path is member names separated by dots ("address.city", "items.0.id"). A key that itself
// contains dots is found when the object has exactly that key.
func init() {
	def("get", 1, 2, get)
	def("set", 2, 2, set)
	def("set_conditional", 3, 3, setIf(func(args []any) bool { return value.Truthy(args[2]) }, "set_conditional"))
	def("set_ifnotnull", 2, 2, setIf(func(args []any) bool { return args[1] != nil }, "set_ifnotnull"))
	def("set_ifnotempty", 2, 2, setIf(func(args []any) bool { return !emptyLike(args[1]) }, "set_ifnotempty"))
	def("unset", 1, 1, unset)
	def("has", 1, 1, has)
	def("keys", 0, 0, keys, "array_keys")
	def("values", 0, 0, values, "array_values")
	def("entries", 0, 0, entries, "array_entries")
	def("pick", 1, 1, pick("pick", true))
	def("unpick", 1, 1, pick("unpick", false))
}

// containerIn reads the input of a path filter: an object or an array; null reads as an
// empty object.
func containerIn(name string, x any) (any, error) {
	switch x.(type) {
	case nil:
		return value.NewObject(0), nil
	case *value.Object, []any:
		return x, nil
	}
	return nil, typeError(name, "object or array", x)
}

// readPath finds the value at path; ok is false when some member is missing.
func readPath(v any, path string) (any, bool) {
	if o, ok := v.(*value.Object); ok {
		if r, ok := o.Get(path); ok {
			return r, true
		}
	}
	for _, seg := range strings.Split(path, ".") {
		var ok bool
		if v, ok = member(v, seg); !ok {
			return nil, false
		}
	}
	return v, true
}

func member(v any, seg string) (any, bool) {
	switch t := v.(type) {
	case *value.Object:
		return t.Get(seg)
	case []any:
		if i, ok := arrayIndex(seg, len(t)); ok {
			return t[i], true
		}
	}
	return nil, false
}

// arrayIndex reads a path segment as an index into n elements; negative counts from the end.
func arrayIndex(seg string, n int) (int, bool) {
	i, err := strconv.Atoi(seg)
	if err != nil {
		return 0, false
	}
	if i < 0 {
		i += n
	}
	return i, i >= 0 && i < n
}

// splitPath splits a path, keeping it whole when the object has exactly that key.
func splitPath(root any, path string) []string {
	if o, ok := root.(*value.Object); ok && o.Has(path) {
		return []string{path}
	}
	return strings.Split(path, ".")
}

// get returns the value at the path, or the default (null when not given) when the path is
// missing or holds null — the way $x|get:"k":"" is used to normalise a missing value.
func get(x any, args []any) (any, error) {
	c, err := containerIn("get", x)
	if err != nil {
		return nil, err
	}
	path, err := textArg("get", "path", args, 0, "")
	if err != nil {
		return nil, err
	}
	if v, ok := readPath(c, path); ok && v != nil {
		return value.Clone(v), nil
	}
	return value.Clone(arg(args, 1)), nil
}

// has reports whether the path exists (a member holding null exists).
func has(x any, args []any) (any, error) {
	c, err := containerIn("has", x)
	if err != nil {
		return nil, err
	}
	path, err := textArg("has", "path", args, 0, "")
	if err != nil {
		return nil, err
	}
	_, ok := readPath(c, path)
	return ok, nil
}

// set returns a copy with the value at the path, creating objects for missing members on the
// way. An index may replace an element or, equal to the length, append one.
func set(x any, args []any) (any, error) {
	c, err := containerIn("set", x)
	if err != nil {
		return nil, err
	}
	path, err := textArg("set", "path", args, 0, "")
	if err != nil {
		return nil, err
	}
	c = value.Clone(c)
	return setIn(c, splitPath(c, path), value.Clone(args[1]), "set", "")
}

func setIf(cond func(args []any) bool, name string) impl {
	return func(x any, args []any) (any, error) {
		if !cond(args) {
			c, err := containerIn(name, x)
			return value.Clone(c), err
		}
		return set(x, args[:2])
	}
}

func setIn(cur any, segs []string, v any, name, done string) (any, error) {
	if len(segs) == 0 {
		return v, nil
	}
	seg, rest := segs[0], segs[1:]
	here := strings.TrimPrefix(done+"."+seg, ".")
	switch t := cur.(type) {
	case nil:
		o := value.NewObject(1)
		child, err := setIn(nil, rest, v, name, here)
		if err != nil {
			return nil, err
		}
		o.Set(seg, child)
		return o, nil
	case *value.Object:
		old, _ := t.Get(seg)
		child, err := setIn(old, rest, v, name, here)
		if err != nil {
			return nil, err
		}
		t.Set(seg, child)
		return t, nil
	case []any:
		if i, ok := arrayIndex(seg, len(t)); ok {
			child, err := setIn(t[i], rest, v, name, here)
			if err != nil {
				return nil, err
			}
			t[i] = child
			return t, nil
		}
		if seg == strconv.Itoa(len(t)) {
			child, err := setIn(nil, rest, v, name, here)
			if err != nil {
				return nil, err
			}
			return append(t, child), nil
		}
		return nil, fmt.Errorf("%s: %s is not an index of an array of %d", name, here, len(t))
	}
	where := done
	if where == "" {
		where = "the value"
	}
	return nil, fmt.Errorf("%s: cannot set %q inside %s, which is %s", name, seg, where, value.TypeName(cur))
}

// unset returns a copy without the value at the path (an array element is removed and the
// rest close up); a missing path changes nothing.
func unset(x any, args []any) (any, error) {
	c, err := containerIn("unset", x)
	if err != nil {
		return nil, err
	}
	path, err := textArg("unset", "path", args, 0, "")
	if err != nil {
		return nil, err
	}
	c = value.Clone(c)
	return unsetIn(c, splitPath(c, path)), nil
}

func unsetIn(cur any, segs []string) any {
	seg, rest := segs[0], segs[1:]
	switch t := cur.(type) {
	case *value.Object:
		if len(rest) == 0 {
			t.Delete(seg)
		} else if child, ok := t.Get(seg); ok {
			t.Set(seg, unsetIn(child, rest))
		}
	case []any:
		i, ok := arrayIndex(seg, len(t))
		if !ok {
			return t
		}
		if len(rest) == 0 {
			return append(t[:i:i], t[i+1:]...)
		}
		t[i] = unsetIn(t[i], rest)
	}
	return cur
}

// keys returns an object's keys, or an array's indexes.
func keys(x any, _ []any) (any, error) {
	c, err := containerIn("keys", x)
	if err != nil {
		return nil, err
	}
	if a, ok := c.([]any); ok {
		out := make([]any, len(a))
		for i := range a {
			out[i] = int64(i)
		}
		return out, nil
	}
	o := c.(*value.Object)
	out := make([]any, o.Len())
	for i, k := range o.Keys() {
		out[i] = k
	}
	return out, nil
}

// values returns an object's member values in order, or a copy of an array.
func values(x any, _ []any) (any, error) {
	c, err := containerIn("values", x)
	if err != nil {
		return nil, err
	}
	if a, ok := c.([]any); ok {
		return cloneAll(a), nil
	}
	o := c.(*value.Object)
	out := make([]any, o.Len())
	for i, k := range o.Keys() {
		v, _ := o.Get(k)
		out[i] = value.Clone(v)
	}
	return out, nil
}

// entries returns [{key, value}, ...]: an object's members, or an array's elements with their
// indexes as keys.
func entries(x any, _ []any) (any, error) {
	c, err := containerIn("entries", x)
	if err != nil {
		return nil, err
	}
	if a, ok := c.([]any); ok {
		out := make([]any, len(a))
		for i, e := range a {
			out[i] = value.ObjectOf("key", int64(i), "value", value.Clone(e))
		}
		return out, nil
	}
	o := c.(*value.Object)
	out := make([]any, o.Len())
	for i, k := range o.Keys() {
		v, _ := o.Get(k)
		out[i] = value.ObjectOf("key", k, "value", value.Clone(v))
	}
	return out, nil
}

// pick keeps (or, for unpick, drops) the listed keys, in the object's own order. The keys
// come as an array (pick:[a,c]) or as comma-separated text (pick:"a,c"); missing keys are
// ignored.
func pick(name string, keep bool) impl {
	return func(x any, args []any) (any, error) {
		var o *value.Object
		switch t := x.(type) {
		case nil:
			o = value.NewObject(0)
		case *value.Object:
			o = t
		default:
			return nil, typeError(name, "object", x)
		}
		listed := map[string]bool{}
		switch t := args[0].(type) {
		case []any:
			for i, k := range t {
				if !isScalar(k) || k == nil {
					return nil, fmt.Errorf("%s: key %d must be text, got %s", name, i, value.TypeName(k))
				}
				listed[value.ToText(k)] = true
			}
		case string:
			for _, k := range strings.Split(t, ",") {
				listed[strings.TrimSpace(k)] = true
			}
		case nil:
		default:
			return nil, fmt.Errorf("%s: the keys must be an array or comma-separated text, got %s", name, value.TypeName(t))
		}
		out := value.NewObject(o.Len())
		for _, k := range o.Keys() {
			if listed[k] == keep {
				v, _ := o.Get(k)
				out.Set(k, value.Clone(v))
			}
		}
		return out, nil
	}
}
