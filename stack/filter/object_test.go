package filter

import "testing"

func TestObjectFilters(t *testing.T) {
	n := func(v int64) int64 { return v }
	user := objOf("name", "Ann", "address", objOf("city", "Oslo", "zip", nil), "tags", []any{"a", "b"}, "a.b", "dotted")
	runCases(t, []tcase{
		{name: "nested path", filter: "get", in: user, args: []any{"address.city"}, want: "Oslo"},
		{name: "array index", filter: "get", in: user, args: []any{"tags.1"}, want: "b"},
		{name: "negative index", filter: "get", in: user, args: []any{"tags.-1"}, want: "b"},
		{name: "int path on array", filter: "get", in: []any{n(10), n(20)}, args: []any{n(1)}, want: n(20)},
		{name: "index out of range", filter: "get", in: []any{n(10)}, args: []any{n(5), "none"}, want: "none"},
		{name: "missing with default", filter: "get", in: user, args: []any{"email", ""}, want: ""},
		{name: "missing without default", filter: "get", in: user, args: []any{"email"}, want: nil},
		{name: "null member gives default", filter: "get", in: user, args: []any{"address.zip", "0000"}, want: "0000"},
		{name: "through a scalar", filter: "get", in: user, args: []any{"name.first", "x"}, want: "x"},
		{name: "dotted key", filter: "get", in: user, args: []any{"a.b"}, want: "dotted"},
		{name: "null input", filter: "get", in: nil, args: []any{"a", n(1)}, want: n(1)},
		{name: "text input", filter: "get", in: "abc", args: []any{"a"}, err: "get: expected object or array, got text"},
		{name: "array path", filter: "get", in: user, args: []any{[]any{"a"}}, err: "get: path must be text, got array"},

		{name: "nested creates objects", filter: "set", in: objOf(), args: []any{"a.b.c", n(1)}, want: objOf("a", objOf("b", objOf("c", n(1))))},
		{name: "replace keeps order", filter: "set", in: objOf("a", n(1), "b", n(2)), args: []any{"a", n(3)}, want: objOf("a", n(3), "b", n(2))},
		{name: "array element", filter: "set", in: objOf("l", []any{n(1), n(2)}), args: []any{"l.-1", n(9)}, want: objOf("l", []any{n(1), n(9)})},
		{name: "append at length", filter: "set", in: []any{n(1)}, args: []any{"1", n(2)}, want: []any{n(1), n(2)}},
		{name: "index out of range", filter: "set", in: []any{n(1)}, args: []any{"5", n(2)}, err: "set: 5 is not an index of an array of 1"},
		{name: "through a scalar", filter: "set", in: objOf("a", "text"), args: []any{"a.b", n(1)}, err: `set: cannot set "b" inside a, which is text`},
		{name: "null input", filter: "set", in: nil, args: []any{"a", n(1)}, want: objOf("a", n(1))},
		{name: "null member replaced by object", filter: "set", in: objOf("a", nil), args: []any{"a.b", n(1)}, want: objOf("a", objOf("b", n(1)))},
		{name: "number input", filter: "set", in: n(1), args: []any{"a", n(1)}, err: "set: expected object or array, got int"},
		{name: "condition true", filter: "set_conditional", in: objOf(), args: []any{"a", n(1), n(1)}, want: objOf("a", n(1))},
		{name: "not null", filter: "set_ifnotnull", in: objOf(), args: []any{"a", false}, want: objOf("a", false)},
		{name: "empty", filter: "set_ifnotempty", in: objOf(), args: []any{"a", "0"}, want: objOf()},

		{name: "nested", filter: "unset", in: user, args: []any{"address.city"}, want: objOf("name", "Ann", "address", objOf("zip", nil), "tags", []any{"a", "b"}, "a.b", "dotted")},
		{name: "array element closes up", filter: "unset", in: []any{n(1), n(2), n(3)}, args: []any{n(1)}, want: []any{n(1), n(3)}},
		{name: "missing", filter: "unset", in: objOf("a", n(1)), args: []any{"b.c"}, want: objOf("a", n(1))},
		{name: "null input", filter: "unset", in: nil, args: []any{"a"}, want: objOf()},

		{name: "null member exists", filter: "has", in: user, args: []any{"address.zip"}, want: true},
		{name: "missing", filter: "has", in: user, args: []any{"address.street"}, want: false},
		{name: "array index", filter: "has", in: []any{n(1)}, args: []any{n(0)}, want: true},
		{name: "null input", filter: "has", in: nil, args: []any{"a"}, want: false},

		{name: "array indexes", filter: "keys", in: []any{"a", "b"}, want: []any{n(0), n(1)}},
		{name: "empty", filter: "keys", in: objOf(), want: []any{}},
		{name: "null", filter: "keys", in: nil, want: []any{}},
		{name: "text", filter: "keys", in: "abc", err: "keys: expected object or array, got text"},
		{name: "array", filter: "values", in: []any{"a"}, want: []any{"a"}},
		{name: "array", filter: "entries", in: []any{"a"}, want: []any{objOf("key", n(0), "value", "a")}},

		{name: "comma-separated", filter: "pick", in: objOf("a", n(1), "b", n(2), "c", n(3)), args: []any{"c, a"}, want: objOf("a", n(1), "c", n(3))},
		{name: "missing keys ignored", filter: "pick", in: objOf("a", n(1)), args: []any{[]any{"z"}}, want: objOf()},
		{name: "number key", filter: "pick", in: objOf("1", "x"), args: []any{[]any{n(1)}}, want: objOf("1", "x")},
		{name: "array input", filter: "pick", in: []any{}, args: []any{[]any{"a"}}, err: "pick: expected object, got array"},
		{name: "bad keys", filter: "pick", in: objOf(), args: []any{n(1)}, err: "pick: the keys must be an array or comma-separated text, got int"},
		{name: "docs example", filter: "unpick", in: objOf("a", n(1), "b", n(2), "c", n(3)), args: []any{[]any{"a", "c"}}, want: objOf("b", n(2))},
	})
}
