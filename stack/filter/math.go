package filter

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"relaybase/value"
)

// Math filters take ints and decimals only: null or text is an error, as it is for the
// arithmetic operators. Ints stay ints while the result is whole and fits (an overflow
// becomes a decimal, as in PHP); division and modulus by zero are errors.
func init() {
	def("add", 1, 1, arith("add", addInt, func(a, b float64) float64 { return a + b }))
	def("subtract", 1, 1, arith("subtract", subInt, func(a, b float64) float64 { return a - b }), "sub")
	def("multiply", 1, 1, arith("multiply", mulInt, func(a, b float64) float64 { return a * b }), "mul")
	def("divide", 1, 1, divide, "div")
	def("modulus", 1, 1, modulus, "mod")
	def("floor", 0, 0, rounder("floor", math.Floor))
	def("ceil", 0, 0, rounder("ceil", math.Ceil))
	def("round", 0, 1, round)
	def("abs", 0, 0, abs)
	def("sqrt", 0, 0, sqrt)
	def("pow", 1, 1, pow)
	def("min", 0, 1, extreme("min", -1), "num_min", "array_min")
	def("max", 0, 1, extreme("max", 1), "num_max", "array_max")
	def("sum", 0, 0, sum)
	def("avg", 0, 0, avg)
	def("number_format", 0, 3, numberFormat)
}

func numberIn(name string, x any) (any, error) {
	if !value.IsNumber(x) {
		return nil, typeError(name, "a number", x)
	}
	return x, nil
}

// decimal returns f, or an error when the arithmetic left the real numbers.
func decimal(name string, f float64) (any, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, fmt.Errorf("%s: the result is not a finite number", name)
	}
	return f, nil
}

func addInt(a, b int64) (int64, bool) {
	r := a + b
	overflow := (a >= 0) == (b >= 0) && (r >= 0) != (a >= 0)
	return r, !overflow
}

func subInt(a, b int64) (int64, bool) {
	r := a - b
	overflow := (a >= 0) != (b >= 0) && (r >= 0) != (a >= 0)
	return r, !overflow
}

func mulInt(a, b int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	r := a * b
	return r, r/b == a && !(a == -1 && b == math.MinInt64) && !(b == -1 && a == math.MinInt64)
}

// arith applies a binary operation: int with int stays int unless it overflows.
func arith(name string, onInt func(a, b int64) (int64, bool), onFloat func(a, b float64) float64) impl {
	return func(x any, args []any) (any, error) {
		if _, err := numberIn(name, x); err != nil {
			return nil, err
		}
		y, err := numberArg(name, "the value", args, 0)
		if err != nil {
			return nil, err
		}
		a, aInt := x.(int64)
		b, bInt := y.(int64)
		if aInt && bInt {
			if r, ok := onInt(a, b); ok {
				return r, nil
			}
		}
		fa, _ := value.AsFloat(x)
		fb, _ := value.AsFloat(y)
		return decimal(name, onFloat(fa, fb))
	}
}

// divide keeps an int when ints divide exactly (10|divide:2 is 5, 10|divide:4 is 2.5).
func divide(x any, args []any) (any, error) {
	if _, err := numberIn("divide", x); err != nil {
		return nil, err
	}
	y, err := numberArg("divide", "the divisor", args, 0)
	if err != nil {
		return nil, err
	}
	fb, _ := value.AsFloat(y)
	if fb == 0 {
		return nil, fmt.Errorf("divide: division by zero")
	}
	a, aInt := x.(int64)
	b, bInt := y.(int64)
	if aInt && bInt && a%b == 0 && !(a == math.MinInt64 && b == -1) {
		return a / b, nil
	}
	fa, _ := value.AsFloat(x)
	return decimal("divide", fa/fb)
}

// modulus gives the remainder with the sign of the dividend; with a decimal on either side
// it is the decimal remainder (5.5|modulus:2 is 1.5).
func modulus(x any, args []any) (any, error) {
	if _, err := numberIn("modulus", x); err != nil {
		return nil, err
	}
	y, err := numberArg("modulus", "the divisor", args, 0)
	if err != nil {
		return nil, err
	}
	fb, _ := value.AsFloat(y)
	if fb == 0 {
		return nil, fmt.Errorf("modulus: division by zero")
	}
	a, aInt := x.(int64)
	b, bInt := y.(int64)
	if aInt && bInt {
		return a % b, nil
	}
	fa, _ := value.AsFloat(x)
	return decimal("modulus", math.Mod(fa, fb))
}

// whole returns an integral float as an int when it fits, else the float.
func whole(f float64) any {
	if n, ok := floatToInt(f); ok {
		return n
	}
	return f
}

// rounder applies floor or ceil; the result is an int (2.5|floor is 2).
func rounder(name string, f func(float64) float64) impl {
	return func(x any, _ []any) (any, error) {
		if _, err := numberIn(name, x); err != nil {
			return nil, err
		}
		if n, ok := x.(int64); ok {
			return n, nil
		}
		return whole(f(x.(float64))), nil
	}
}

// round rounds half away from zero to the given number of decimal places (default 0, which
// gives an int; a negative precision rounds to tens, hundreds...). 2.567|round:2 is 2.57.
func round(x any, args []any) (any, error) {
	if _, err := numberIn("round", x); err != nil {
		return nil, err
	}
	prec, err := intArg("round", "precision", args, 0, 0)
	if err != nil {
		return nil, err
	}
	if n, ok := x.(int64); ok && prec >= 0 {
		return n, nil
	}
	f, _ := value.AsFloat(x)
	r := roundHalfUp(f, int(prec))
	if prec <= 0 {
		return whole(r), nil
	}
	return r, nil
}

// roundHalfUp rounds like PHP: the scaled value is first cut to 15 significant digits, so
// that 1.005 (stored as 1.00499999...) rounds to 1.01 as a person expects.
func roundHalfUp(f float64, prec int) float64 {
	if prec > 15 || prec < -15 || f == 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		return f
	}
	scale := math.Pow(10, float64(max(prec, -prec)))
	scaled := f * scale
	if prec < 0 {
		scaled = f / scale
	}
	pre, err := strconv.ParseFloat(strconv.FormatFloat(scaled, 'g', 15, 64), 64)
	if err == nil {
		scaled = pre
	}
	r := math.Round(scaled)
	if prec < 0 {
		return r * scale
	}
	return r / scale
}

func abs(x any, _ []any) (any, error) {
	if _, err := numberIn("abs", x); err != nil {
		return nil, err
	}
	if n, ok := x.(int64); ok {
		if n == math.MinInt64 {
			return -float64(n), nil
		}
		if n < 0 {
			return -n, nil
		}
		return n, nil
	}
	return math.Abs(x.(float64)), nil
}

// sqrt returns a decimal; the square root of a negative number is an error.
func sqrt(x any, _ []any) (any, error) {
	if _, err := numberIn("sqrt", x); err != nil {
		return nil, err
	}
	f, _ := value.AsFloat(x)
	if f < 0 {
		return nil, fmt.Errorf("sqrt: %s is negative", value.ToText(x))
	}
	return math.Sqrt(f), nil
}

// pow raises to a power; an int to a non-negative int power stays an int while it fits.
func pow(x any, args []any) (any, error) {
	if _, err := numberIn("pow", x); err != nil {
		return nil, err
	}
	y, err := numberArg("pow", "the exponent", args, 0)
	if err != nil {
		return nil, err
	}
	a, aInt := x.(int64)
	b, bInt := y.(int64)
	if aInt && bInt && b >= 0 {
		if r, ok := powInt(a, b); ok {
			return r, nil
		}
	}
	fa, _ := value.AsFloat(x)
	fb, _ := value.AsFloat(y)
	return decimal("pow", math.Pow(fa, fb))
}

func powInt(base, exp int64) (int64, bool) {
	r := int64(1)
	for exp > 0 {
		if exp&1 == 1 {
			var ok bool
			if r, ok = mulInt(r, base); !ok {
				return 0, false
			}
		}
		exp >>= 1
		if exp > 0 {
			var ok bool
			if base, ok = mulInt(base, base); !ok {
				return 0, false
			}
		}
	}
	return r, true
}

// extreme is min or max. On a number it takes the argument: 5|min:3 is 3. On an array it
// takes no argument and returns the smallest (largest) element, null for an empty array —
// Xano picks between the two forms by the input's type, so do we.
func extreme(name string, sign int) impl {
	return func(x any, args []any) (any, error) {
		if a, ok := x.([]any); ok {
			if len(args) > 0 {
				return nil, fmt.Errorf("%s: takes no argument when applied to an array", name)
			}
			var best any
			for i, e := range a {
				if !value.IsNumber(e) {
					return nil, fmt.Errorf("%s: element %d is %s, not a number", name, i, value.TypeName(e))
				}
				if c, _ := value.Compare(e, best); best == nil || c*sign > 0 {
					best = e
				}
			}
			return best, nil
		}
		if _, err := numberIn(name, x); err != nil {
			return nil, typeError(name, "a number or an array of numbers", x)
		}
		if len(args) == 0 {
			return nil, fmt.Errorf("%s: needs a value to compare with", name)
		}
		y, err := numberArg(name, "the value", args, 0)
		if err != nil {
			return nil, err
		}
		if c, _ := value.Compare(y, x); c*sign > 0 {
			return y, nil
		}
		return x, nil
	}
}

// numbersIn reads an array of numbers.
func numbersIn(name string, x any) ([]any, error) {
	a, err := arrayIn(name, x)
	if err != nil {
		return nil, err
	}
	for i, e := range a {
		if !value.IsNumber(e) {
			return nil, fmt.Errorf("%s: element %d is %s, not a number", name, i, value.TypeName(e))
		}
	}
	return a, nil
}

// sum adds an array of numbers (0 for an empty array).
func sum(x any, _ []any) (any, error) {
	a, err := numbersIn("sum", x)
	if err != nil {
		return nil, err
	}
	var total any = int64(0)
	add := arith("sum", addInt, func(a, b float64) float64 { return a + b })
	for _, e := range a {
		if total, err = add(total, []any{e}); err != nil {
			return nil, err
		}
	}
	return total, nil
}

// avg averages an array of numbers as a decimal (null for an empty array).
func avg(x any, _ []any) (any, error) {
	a, err := numbersIn("avg", x)
	if err != nil || len(a) == 0 {
		return nil, err
	}
	var total float64
	for _, e := range a {
		f, _ := value.AsFloat(e)
		total += f
	}
	return decimal("avg", total/float64(len(a)))
}

// numberFormat writes a number with a fixed number of decimals (default 0) and separators
// (default "." and ","): 31253212.141592|number_format:2 is "31,253,212.14". Numeric text
// is accepted, as in Xano ("any → text").
func numberFormat(x any, args []any) (any, error) {
	var f float64
	switch t := x.(type) {
	case int64, float64:
		f, _ = value.AsFloat(t)
	case string:
		n, ok := numberPrefix(t)
		if !ok {
			return nil, fmt.Errorf("number_format: expected a number, got text %q", t)
		}
		f, _ = value.AsFloat(n)
	default:
		return nil, typeError("number_format", "a number", x)
	}
	decimals, err := intArg("number_format", "decimals", args, 0, 0)
	if err != nil {
		return nil, err
	}
	if decimals < 0 || decimals > 20 {
		return nil, fmt.Errorf("number_format: decimals must be between 0 and 20, got %d", decimals)
	}
	point, err := textArg("number_format", "decimal separator", args, 1, ".")
	if err != nil {
		return nil, err
	}
	thousands, err := textArg("number_format", "thousands separator", args, 2, ",")
	if err != nil {
		return nil, err
	}
	s := strconv.FormatFloat(math.Abs(roundHalfUp(f, int(decimals))), 'f', int(decimals), 64)
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	if f < 0 && strings.Trim(s, "0.") != "" {
		b.WriteByte('-')
	}
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteString(thousands)
		}
		b.WriteRune(c)
	}
	if frac != "" {
		b.WriteString(point)
		b.WriteString(frac)
	}
	return b.String(), nil
}
