package filter

import (
	"math"
	"testing"
)

func TestMathFilters(t *testing.T) {
	n := func(v int64) int64 { return v }
	runCases(t, []tcase{
		{name: "ints", filter: "add", in: n(2), args: []any{n(3)}, want: n(5)},
		{name: "int and decimal", filter: "add", in: n(2), args: []any{0.5}, want: 2.5},
		{name: "overflow becomes decimal", filter: "add", in: n(math.MaxInt64), args: []any{n(1)}, want: float64(math.MaxInt64) + 1},
		{name: "null", filter: "add", in: nil, args: []any{n(1)}, err: "add: expected a number, got null"},
		{name: "text", filter: "add", in: "1", args: []any{n(1)}, err: "add: expected a number, got text"},
		{name: "text argument", filter: "add", in: n(1), args: []any{"1"}, err: "add: the value must be a number, got text"},
		{name: "negative", filter: "subtract", in: n(2), args: []any{n(3)}, want: n(-1)},
		{name: "underflow becomes decimal", filter: "sub", in: n(math.MinInt64), args: []any{n(1)}, want: float64(math.MinInt64) - 1},
		{name: "ints", filter: "mul", in: n(-4), args: []any{n(3)}, want: n(-12)},
		{name: "overflow becomes decimal", filter: "multiply", in: n(1 << 62), args: []any{n(4)}, want: math.Pow(2, 64)},
		{name: "min int times -1", filter: "multiply", in: n(math.MinInt64), args: []any{n(-1)}, want: math.Pow(2, 63)},
		{name: "zero", filter: "multiply", in: n(0), args: []any{n(math.MinInt64)}, want: n(0)},

		{name: "exact ints stay int", filter: "divide", in: n(20), args: []any{n(4)}, want: n(5)},
		{name: "inexact gives decimal", filter: "div", in: n(1), args: []any{n(3)}, want: 1.0 / 3},
		{name: "by zero", filter: "divide", in: n(1), args: []any{n(0)}, err: "divide: division by zero"},
		{name: "by decimal zero", filter: "divide", in: 1.5, args: []any{0.0}, err: "divide: division by zero"},
		{name: "min int by -1", filter: "divide", in: n(math.MinInt64), args: []any{n(-1)}, want: math.Pow(2, 63)},

		{name: "docs example", filter: "mod", in: n(20), args: []any{n(3)}, want: n(2)},
		{name: "sign of dividend", filter: "modulus", in: n(-7), args: []any{n(3)}, want: n(-1)},
		{name: "decimal", filter: "modulus", in: 5.5, args: []any{n(2)}, want: 1.5},
		{name: "by zero", filter: "modulus", in: n(5), args: []any{n(0)}, err: "modulus: division by zero"},

		{name: "negative", filter: "floor", in: -2.5, want: n(-3)},
		{name: "int", filter: "floor", in: n(7), want: n(7)},
		{name: "huge stays decimal", filter: "floor", in: 1e300, want: 1e300},
		{name: "text", filter: "floor", in: "2.5", err: "floor: expected a number, got text"},
		{name: "negative", filter: "ceil", in: -2.5, want: n(-2)},

		{name: "half away from zero", filter: "round", in: 2.5, want: n(3)},
		{name: "negative half", filter: "round", in: -2.5, want: n(-3)},
		{name: "binary representation", filter: "round", in: 1.005, args: []any{n(2)}, want: 1.01},
		{name: "precision keeps decimal", filter: "round", in: 2.0, args: []any{n(1)}, want: 2.0},
		{name: "negative precision", filter: "round", in: n(1250), args: []any{n(-2)}, want: n(1300)},
		{name: "int unchanged", filter: "round", in: n(7), args: []any{n(2)}, want: n(7)},
		{name: "decimal precision argument", filter: "round", in: 2.567, args: []any{1.0}, want: 2.6},

		{name: "decimal", filter: "abs", in: -1.5, want: 1.5},
		{name: "min int", filter: "abs", in: n(math.MinInt64), want: math.Pow(2, 63)},
		{name: "irrational", filter: "sqrt", in: n(2), want: math.Sqrt2},
		{name: "negative", filter: "sqrt", in: n(-4), err: "sqrt: -4 is negative"},

		{name: "negative exponent", filter: "pow", in: n(2), args: []any{n(-1)}, want: 0.5},
		{name: "decimal exponent", filter: "pow", in: n(9), args: []any{0.5}, want: 3.0},
		{name: "int overflow", filter: "pow", in: n(2), args: []any{n(64)}, want: math.Pow(2, 64)},
		{name: "zero to zero", filter: "pow", in: n(0), args: []any{n(0)}, want: n(1)},
		{name: "not a real number", filter: "pow", in: n(-8), args: []any{1.0 / 3}, err: "pow: the result is not a finite number"},
		{name: "division by zero", filter: "pow", in: n(0), args: []any{n(-1)}, err: "pow: the result is not a finite number"},

		{name: "keeps the type of the smaller", filter: "min", in: n(5), args: []any{2.5}, want: 2.5},
		{name: "equal", filter: "min", in: n(1), args: []any{1.0}, want: n(1)},
		{name: "array", filter: "min", in: []any{n(3), 1.5, n(2)}, want: 1.5},
		{name: "empty array", filter: "min", in: []any{}, want: nil},
		{name: "array with text", filter: "array_min", in: []any{n(1), "0"}, err: "min: element 1 is text, not a number"},
		{name: "array and argument", filter: "min", in: []any{n(1)}, args: []any{n(0)}, err: "min: takes no argument when applied to an array"},
		{name: "number without argument", filter: "min", in: n(1), err: "min: needs a value to compare with"},
		{name: "null", filter: "max", in: nil, args: []any{n(1)}, err: "max: expected a number or an array of numbers, got null"},
		{name: "docs example", filter: "num_max", in: n(5), args: []any{n(20)}, want: n(20)},
		{name: "array", filter: "max", in: []any{n(-3), n(-1)}, want: n(-1)},

		{name: "mixed", filter: "sum", in: []any{n(1), 0.5}, want: 1.5},
		{name: "empty", filter: "sum", in: []any{}, want: n(0)},
		{name: "text element", filter: "sum", in: []any{"1"}, err: "sum: element 0 is text, not a number"},
		{name: "empty", filter: "avg", in: []any{}, want: nil},

		{name: "default", filter: "number_format", in: 1234567.891, want: "1,234,568"},
		{name: "european", filter: "number_format", in: 1234567.891, args: []any{n(2), ",", "."}, want: "1.234.567,89"},
		{name: "no thousands separator", filter: "number_format", in: n(1234), args: []any{n(1), ".", ""}, want: "1234.0"},
		{name: "negative", filter: "number_format", in: -1234.5, args: []any{n(1)}, want: "-1,234.5"},
		{name: "rounds half up", filter: "number_format", in: 0.125, args: []any{n(2)}, want: "0.13"},
		{name: "no negative zero", filter: "number_format", in: -0.001, args: []any{n(2)}, want: "0.00"},
		{name: "small", filter: "number_format", in: n(999), want: "999"},
		{name: "numeric text", filter: "number_format", in: "1000.5", args: []any{n(1)}, want: "1,000.5"},
		{name: "other text", filter: "number_format", in: "abc", err: `number_format: expected a number, got text "abc"`},
		{name: "negative decimals", filter: "number_format", in: n(1), args: []any{n(-1)}, err: "number_format: decimals must be between 0 and 20, got -1"},
	})
}
