package filter

import "testing"

func TestTypeFilters(t *testing.T) {
	n := func(v int64) int64 { return v }
	runCases(t, []tcase{
		{name: "text", filter: "to_int", in: "42", want: n(42)},
		{name: "leading number", filter: "to_int", in: "  -12abc", want: n(-12)},
		{name: "no number", filter: "to_int", in: "abc", want: n(0)},
		{name: "exponent", filter: "to_int", in: "1e3", want: n(1000)},
		{name: "decimal truncates", filter: "to_int", in: -2.9, want: n(-2)},
		{name: "bool", filter: "to_int", in: true, want: n(1)},
		{name: "null", filter: "to_int", in: nil, want: n(0)},
		{name: "out of range", filter: "to_int", in: 1e30, err: "to_int: needs an int, and 1000000000000000000000000000000 is out of range"},
		{name: "huge text", filter: "to_int", in: "99999999999999999999", err: "to_int: needs an int"},
		{name: "array", filter: "to_int", in: []any{}, err: "to_int: needs a number, got array"},

		{name: "int", filter: "to_decimal", in: n(2), want: 2.0},
		{name: "fraction only", filter: "to_decimal", in: ".5", want: 0.5},
		{name: "no number", filter: "to_decimal", in: "x1", want: 0.0},
		{name: "out of range", filter: "to_decimal", in: "1e999", err: `to_decimal: needs a number, and "1e999" is out of range`},
		{name: "object", filter: "to_decimal", in: objOf(), err: "to_decimal: needs a number, got object"},

		{name: "null", filter: "to_text", in: nil, want: ""},
		{name: "decimal shortest", filter: "to_text", in: 0.1, want: "0.1"},
		{name: "integral decimal", filter: "to_text", in: 2.0, want: "2"},
		{name: "bool", filter: "to_text", in: false, want: "false"},
		{name: "array as JSON", filter: "to_text", in: []any{n(1), "a"}, want: `[1,"a"]`},

		{name: "yes", filter: "to_bool", in: " Yes ", want: true},
		{name: "zero text", filter: "to_bool", in: "0", want: false},
		{name: "off", filter: "to_bool", in: "OFF", want: false},
		{name: "other text", filter: "to_bool", in: "maybe", want: true},
		{name: "zero", filter: "to_bool", in: 0.0, want: false},
		{name: "null", filter: "to_bool", in: nil, want: false},
		{name: "empty array", filter: "to_bool", in: []any{}, want: false},

		{name: "empty text is not null", filter: "is_null", in: "", want: false},
		{name: "zero", filter: "is_empty", in: n(0), want: true},
		{name: "zero decimal", filter: "is_empty", in: 0.0, want: true},
		{name: "space", filter: "is_empty", in: " ", want: false},
		{name: "empty object", filter: "empty", in: objOf(), want: true},
		{name: "false", filter: "is_empty", in: false, want: true},
		{name: "object is not array", filter: "is_array", in: objOf(), want: false},
		{name: "array is not object", filter: "is_object", in: []any{}, want: false},
		{name: "int", filter: "is_int", in: n(1), want: true},
		{name: "int is not decimal", filter: "is_decimal", in: n(1), want: false},
		{name: "number is not text", filter: "is_text", in: n(1), want: false},
		{name: "text is not bool", filter: "is_bool", in: "true", want: false},

		{name: "not null", filter: "first_notnull", in: false, args: []any{"x"}, want: false},
		{name: "not empty", filter: "first_notempty", in: "a", args: []any{"x"}, want: "a"},
		{name: "zero text is empty", filter: "first_notempty", in: "0", args: []any{"x"}, want: "x"},
	})
}

func TestComparisonFilters(t *testing.T) {
	n := func(v int64) int64 { return v }
	runCases(t, []tcase{
		{name: "array element", filter: "includes", in: []any{"a", "b"}, args: []any{"b"}, want: true},
		{name: "null", filter: "includes", in: nil, args: []any{"b"}, want: false},
		{name: "number", filter: "includes", in: n(1), args: []any{n(1)}, err: "includes: expected text or array, got int"},
		{name: "strict types", filter: "in", in: []any{"1"}, args: []any{n(1)}, want: false},
		{name: "text", filter: "in", in: "abc", args: []any{"a"}, err: "in: expected array, got text"},
		{name: "none shared", filter: "overlaps", in: []any{n(1)}, args: []any{[]any{n(2)}}, want: false},
		{name: "empty", filter: "overlaps", in: []any{}, args: []any{[]any{}}, want: false},
		{name: "numbers by value", filter: "overlaps", in: []any{n(1)}, args: []any{[]any{1.0}}, want: true},
		{name: "argument not array", filter: "overlaps", in: []any{}, args: []any{"a"}, err: "overlaps: the argument must be an array, got text"},
		{name: "inclusive low", filter: "between", in: n(10), args: []any{n(10), n(20)}, want: true},
		{name: "inclusive high", filter: "between", in: 20.0, args: []any{n(10), n(20)}, want: true},
		{name: "outside", filter: "between", in: n(21), args: []any{n(10), n(20)}, want: false},
		{name: "text", filter: "between", in: "b", args: []any{"a", "c"}, want: true},
		{name: "text against numbers", filter: "between", in: "15", args: []any{n(10), n(20)}, want: false},
		{name: "null", filter: "between", in: nil, args: []any{n(10), n(20)}, want: false},
		{name: "empty text", filter: "not", in: "", want: true},
	})
}
