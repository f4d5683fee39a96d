package filter

import (
	"testing"

	"relaybase/value"
)

// fn builds a Lambda from a Go function for tests.
func fn(f func(e any) any) Lambda {
	return func(e any) (any, error) { return f(e), nil }
}

func field(name string) Lambda {
	return fn(func(e any) any { v, _ := readPath(e, name); return v })
}

func TestArrayFilters(t *testing.T) {
	n := func(v int64) int64 { return v }
	people := []any{
		objOf("name", "bo", "age", n(30), "team", "a"),
		objOf("name", "Al", "age", n(25), "team", "b"),
		objOf("name", "cy", "age", n(35), "team", "a"),
	}
	runCases(t, []tcase{
		{name: "empty", filter: "first", in: []any{}, want: nil},
		{name: "null", filter: "first", in: nil, want: nil},
		{name: "text", filter: "first", in: "abc", err: "first: expected array, got text (array filters work on arrays only)"},
		{name: "object element", filter: "first", in: []any{objOf("a", n(1))}, want: objOf("a", n(1))},
		{name: "empty", filter: "last", in: []any{}, want: nil},
		{name: "number", filter: "last", in: n(3), err: "last: expected array, got int"},

		{name: "empty", filter: "count", in: []any{}, want: n(0)},
		{name: "null", filter: "count", in: nil, want: n(0)},
		{name: "object members", filter: "count", in: objOf("a", n(1), "b", n(2)), want: n(2)},
		{name: "text", filter: "count", in: "abc", err: "count: expected array, got text (use strlen for text)"},

		{name: "empty", filter: "reverse", in: []any{}, want: []any{}},
		{name: "text", filter: "reverse", in: "abc", err: `for text use split:""|reverse|join:""`},

		{name: "by value, 1 equals 1.0", filter: "unique", in: []any{n(1), 1.0, "1", nil, nil}, want: []any{n(1), "1", nil}},
		{name: "nested", filter: "unique", in: []any{[]any{n(1)}, []any{n(1)}, objOf("a", n(1), "b", n(2)), objOf("b", n(2), "a", n(1))}, want: []any{[]any{n(1)}, objOf("a", n(1), "b", n(2))}},
		{name: "by path", filter: "unique", in: people, args: []any{"team"}, want: []any{people[0], people[1]}},
		{name: "empty", filter: "unique", in: []any{}, want: []any{}},

		{name: "deep", filter: "flatten", in: []any{n(1), []any{n(2), []any{n(3), []any{}}}, objOf("a", []any{n(4)})}, want: []any{n(1), n(2), n(3), objOf("a", []any{n(4)})}},
		{name: "null", filter: "flatten", in: nil, want: []any{}},

		{name: "to the end", filter: "slice", in: []any{n(1), n(2), n(3)}, args: []any{n(1)}, want: []any{n(2), n(3)}},
		{name: "negative offset", filter: "slice", in: []any{n(1), n(2), n(3)}, args: []any{n(-2)}, want: []any{n(2), n(3)}},
		{name: "negative length", filter: "slice", in: []any{n(1), n(2), n(3), n(4)}, args: []any{n(0), n(-1)}, want: []any{n(1), n(2), n(3)}},
		{name: "offset past end", filter: "slice", in: []any{n(1)}, args: []any{n(5), n(2)}, want: []any{}},
		{name: "offset before start", filter: "slice", in: []any{n(1), n(2)}, args: []any{n(-5), n(1)}, want: []any{n(1)}},
		{name: "docs example", filter: "slice", in: []any{n(1), n(2), n(3), n(4), n(5)}, args: []any{n(2), n(2)}, want: []any{n(3), n(4)}},
		{name: "no args", filter: "slice", in: []any{n(1)}, want: []any{n(1)}},
		{name: "text", filter: "slice", in: "abc", args: []any{n(0), n(1)}, err: "slice: expected array, got text"},
		{name: "text offset", filter: "slice", in: []any{}, args: []any{"a"}, err: "slice: offset must be an int, got text"},

		{name: "onto null", filter: "push", in: nil, args: []any{n(1)}, want: []any{n(1)}},
		{name: "an array as one element", filter: "push", in: []any{n(1)}, args: []any{[]any{n(2)}}, want: []any{n(1), []any{n(2)}}},
		{name: "object", filter: "push", in: objOf(), args: []any{n(1)}, err: "push: expected array, got object"},
		{name: "empty", filter: "pop", in: []any{}, want: nil},
		{name: "empty", filter: "shift", in: []any{}, want: nil},
		{name: "onto empty", filter: "unshift", in: []any{}, args: []any{"a"}, want: []any{"a"}},

		{name: "null input", filter: "merge", in: nil, args: []any{[]any{n(1)}}, want: []any{n(1)}},
		{name: "null argument", filter: "merge", in: []any{n(1)}, args: []any{nil}, want: []any{n(1)}},
		{name: "both null", filter: "merge", in: nil, args: []any{nil}, want: []any{}},
		{name: "objects, later wins", filter: "merge", in: objOf("a", n(1), "b", n(2)), args: []any{objOf("b", n(3), "c", n(4))}, want: objOf("a", n(1), "b", n(3), "c", n(4))},
		{name: "object into array", filter: "merge", in: []any{}, args: []any{objOf()}, err: "merge: cannot merge object into an array"},
		{name: "text", filter: "merge", in: "a", args: []any{"b"}, err: "merge: expected array or object, got text"},

		{name: "keeps duplicates", filter: "diff", in: []any{n(1), n(1), n(2), n(3)}, args: []any{[]any{2.0}}, want: []any{n(1), n(1), n(3)}},
		{name: "objects", filter: "diff", in: []any{objOf("a", n(1)), objOf("a", n(2))}, args: []any{[]any{objOf("a", n(1))}}, want: []any{objOf("a", n(2))}},
		{name: "argument not array", filter: "diff", in: []any{}, args: []any{"a"}, err: "diff: the argument must be an array, got text"},
		{name: "disjoint", filter: "intersect", in: []any{n(1)}, args: []any{[]any{n(2)}}, want: []any{}},
		{name: "type strict", filter: "intersect", in: []any{n(1), "1"}, args: []any{[]any{"1"}}, want: []any{"1"}},

		{name: "no separator", filter: "join", in: []any{"a", "b"}, want: "ab"},
		{name: "nested as JSON", filter: "join", in: []any{[]any{n(1)}, objOf("a", true), 1.5, false}, args: []any{"|"}, want: `[1]|{"a":true}|1.5|false`},
		{name: "empty", filter: "join", in: []any{}, args: []any{","}, want: ""},

		{name: "docs example", filter: "range", args: []any{n(10), n(15)}, want: []any{n(10), n(11), n(12), n(13), n(14), n(15)}},
		{name: "down", filter: "range", args: []any{n(3), n(1)}, want: []any{n(3), n(2), n(1)}},
		{name: "step", filter: "range", args: []any{n(0), n(10), n(4)}, want: []any{n(0), n(4), n(8)}},
		{name: "step down", filter: "range", args: []any{n(10), n(0), n(-5)}, want: []any{n(10), n(5), n(0)}},
		{name: "one", filter: "range", args: []any{n(2), n(2)}, want: []any{n(2)}},
		{name: "zero step", filter: "range", args: []any{n(0), n(2), n(0)}, err: "range: step must not be 0"},
		{name: "too big", filter: "range", args: []any{n(0), n(1 << 40)}, err: "range: more than 1000000 values"},
		{name: "extremes", filter: "range", args: []any{n(-1 << 63), n(1<<63 - 1), n(1<<63 - 1)}, want: []any{n(-1 << 63), n(-1), n(1<<63 - 2)}},
		{name: "decimal", filter: "range", args: []any{0.5, n(2)}, err: "range: start must be an int, got 0.5"},

		{name: "null", filter: "safe_array", in: nil, want: []any{}},
		{name: "array", filter: "safe_array", in: []any{n(1)}, want: []any{n(1)}},

		{name: "by path", filter: "filter_empty", in: []any{objOf("a", n(1), "b", nil), objOf("a", n(0), "b", n(4))}, args: []any{"a"}, want: []any{objOf("a", n(1), "b", nil)}},
		{name: "empty containers", filter: "filter_empty", in: []any{[]any{}, objOf(), 0.0, " "}, want: []any{" "}},
		{name: "text", filter: "filter_null", in: "abc", err: "filter_null: expected array, got text"},

		{name: "fields", filter: "map", in: people, args: []any{field("name")}, want: []any{"bo", "Al", "cy"}},
		{name: "empty", filter: "map", in: []any{}, args: []any{field("name")}, want: []any{}},
		{name: "null", filter: "map", in: nil, args: []any{field("name")}, want: []any{}},
		{name: "truthy", filter: "filter", in: []any{n(0), n(1), "", "a", nil, []any{}}, args: []any{fn(func(e any) any { return e })}, want: []any{n(1), "a"}},
		{name: "none", filter: "find", in: people, args: []any{fn(func(any) any { return false })}, want: nil},
		{name: "first of several", filter: "find", in: people, args: []any{fn(func(e any) any { v, _ := readPath(e, "team"); return v == "a" })}, want: people[0]},
		{name: "none", filter: "findIndex", in: people, args: []any{fn(func(any) any { return false })}, want: n(-1)},
		{name: "empty", filter: "some", in: []any{}, args: []any{fn(func(any) any { return true })}, want: false},
		{name: "none", filter: "some", in: []any{n(1)}, args: []any{fn(func(any) any { return n(0) })}, want: false},
		{name: "empty", filter: "every", in: []any{}, args: []any{fn(func(any) any { return false })}, want: true},
		{name: "one fails", filter: "every", in: []any{n(2), n(3)}, args: []any{fn(func(e any) any { return e.(int64)%2 == 0 })}, want: false},

		{name: "numbers", filter: "sort", in: []any{n(10), n(9), 9.5, n(-1)}, want: []any{n(-1), n(9), 9.5, n(10)}},
		{name: "text ignores case by default", filter: "sort", in: []any{"b", "B", "a", "C"}, want: []any{"a", "B", "b", "C"}},
		{name: "mixed types", filter: "sort", in: []any{"a", n(1), nil, true, []any{}}, want: []any{nil, true, n(1), "a", []any{}}},
		{name: "by path descending", filter: "sort", in: people, args: []any{"age", "number", false}, want: []any{people[2], people[0], people[1]}},
		{name: "text is case-sensitive", filter: "sort", in: people, args: []any{"name", "text"}, want: []any{people[1], people[0], people[2]}},
		{name: "itext", filter: "sort", in: people, args: []any{"name", "itext", true}, want: []any{people[1], people[0], people[2]}},
		{name: "text sorts digits as text", filter: "sort", in: []any{"a10", "a9", "a1"}, args: []any{"", "text"}, want: []any{"a1", "a10", "a9"}},
		{name: "natural", filter: "sort", in: []any{"a10", "a9", "A1", "a01"}, args: []any{"", "natural"}, want: []any{"A1", "a01", "a9", "a10"}},
		{name: "inatural", filter: "fsort", in: []any{"b2", "A10", "a9"}, args: []any{"", "inatural"}, want: []any{"a9", "A10", "b2"}},
		{name: "number type reads text", filter: "sort", in: []any{"10 kg", "9 kg", nil}, args: []any{"", "number"}, want: []any{nil, "9 kg", "10 kg"}},
		{name: "stable", filter: "sort", in: people, args: []any{"team"}, want: []any{people[0], people[2], people[1]}},
		{name: "asc as text", filter: "sort", in: []any{n(1), n(2)}, args: []any{"", "number", "false"}, want: []any{n(2), n(1)}},
		{name: "unknown type", filter: "sort", in: []any{}, args: []any{"", "size"}, err: `sort: type must be number, text, itext, natural or inatural, got "size"`},
		{name: "text input", filter: "sort", in: "cba", err: "sort: expected array, got text"},

		{name: "by path", filter: "index_by", in: people, args: []any{"team"}, want: objOf("a", []any{people[0], people[2]}, "b", []any{people[1]})},
		{name: "numeric keys", filter: "index_by", in: []any{objOf("k", n(1)), objOf("k", 1.5)}, args: []any{"k"}, want: objOf("1", []any{objOf("k", n(1))}, "1.5", []any{objOf("k", 1.5)})},
		{name: "missing path groups under empty key", filter: "index_by", in: []any{objOf()}, args: []any{"k"}, want: objOf("", []any{objOf()})},
		{name: "object key", filter: "index_by", in: []any{objOf("k", objOf())}, args: []any{"k"}, err: "index_by: a group key must be text or a number, got object"},
		{name: "expression", filter: "group_by", in: people, args: []any{fn(func(e any) any { v, _ := readPath(e, "age"); return v.(int64) >= 30 })}, want: objOf("true", []any{people[0], people[2]}, "false", []any{people[1]})},
		{name: "empty", filter: "group_by", in: []any{}, args: []any{field("x")}, want: objOf()},
	})
}

// TestResultsDoNotAlias checks that changing a filter's result cannot change its input.
func TestResultsDoNotAlias(t *testing.T) {
	inner := func() *value.Object { return objOf("k", "v") }
	cases := []struct {
		name string
		in   any
		args []any
	}{
		{"first", []any{inner()}, nil},
		{"reverse", []any{inner()}, nil},
		{"slice", []any{inner()}, []any{int64(0)}},
		{"push", []any{inner()}, []any{int64(1)}},
		{"unique", []any{inner()}, nil},
		{"sort", []any{inner()}, nil},
		{"filter_null", []any{inner()}, nil},
		{"map", []any{inner()}, []any{Lambda(func(e any) (any, error) { return e, nil })}},
		{"filter", []any{inner()}, []any{Lambda(func(any) (any, error) { return true, nil })}},
		{"find", []any{inner()}, []any{Lambda(func(any) (any, error) { return true, nil })}},
		{"group_by", []any{inner()}, []any{Lambda(func(any) (any, error) { return "g", nil })}},
		{"index_by", []any{inner()}, []any{"k"}},
		{"get", objOf("a", inner()), []any{"a"}},
		{"set", objOf("a", inner()), []any{"b", int64(1)}},
		{"values", objOf("a", inner()), nil},
		{"merge", objOf("a", inner()), []any{objOf()}},
		{"first_notnull", inner(), []any{nil}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := value.Clone(tc.in)
			got, err := mustLookup(t, tc.name).Fn(tc.in, tc.args)
			if err != nil {
				t.Fatal(err)
			}
			scribble(got)
			if !value.Equal(tc.in, before) {
				t.Errorf("changing the result changed the input: %s", literal(tc.in))
			}
		})
	}
}

// scribble changes every object inside v.
func scribble(v any) {
	switch t := v.(type) {
	case *value.Object:
		for _, k := range t.Keys() {
			m, _ := t.Get(k)
			scribble(m)
		}
		t.Set("k", "changed")
		t.Set("new", true)
	case []any:
		for _, e := range t {
			scribble(e)
		}
	}
}
