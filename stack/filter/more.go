package filter

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"math"
	"math/big"
	"strconv"
	"strings"

	"relaybase/value"
)

// More of Xano's filters: trigonometry and logarithms, bitwise operations, comparisons as
// filters, odd/even, product, base conversions, the other digests and HMACs, URL-safe
// base64, and a few array filters (append, prepend, shuffle, filter_empty_array,
// filter_empty_object, filter_zero).
func init() {
	for _, f := range []struct {
		name string
		fn   func(float64) float64
	}{
		{"sin", math.Sin}, {"cos", math.Cos}, {"tan", math.Tan}, {"asin", math.Asin}, {"acos", math.Acos},
		{"atan", math.Atan}, {"sinh", math.Sinh}, {"cosh", math.Cosh}, {"tanh", math.Tanh},
		{"asinh", math.Asinh}, {"acosh", math.Acosh}, {"atanh", math.Atanh}, {"exp", math.Exp},
		{"ln", math.Log}, {"log10", math.Log10},
		{"deg2rad", func(d float64) float64 { return d * math.Pi / 180 }},
		{"rad2deg", func(r float64) float64 { return r * 180 / math.Pi }},
	} {
		def(f.name, 0, 0, float1(f.name, f.fn))
	}
	def("log", 0, 1, logFilter)
	def("product", 0, 0, product)
	def("bitwise_and", 1, 1, bitwise("bitwise_and", func(a, b int64) int64 { return a & b }))
	def("bitwise_or", 1, 1, bitwise("bitwise_or", func(a, b int64) int64 { return a | b }))
	def("bitwise_xor", 1, 1, bitwise("bitwise_xor", func(a, b int64) int64 { return a ^ b }))
	def("bitwise_not", 0, 0, bitwiseNot)
	def("odd", 0, 0, parity("odd", 1))
	def("even", 0, 0, parity("even", 0))
	def("equals", 1, 1, func(x any, args []any) (any, error) { return value.Equal(x, args[0]), nil }, "eq")
	def("not_equals", 1, 1, func(x any, args []any) (any, error) { return !value.Equal(x, args[0]), nil }, "ne")
	def("greater_than", 1, 1, order("greater_than", func(c int) bool { return c > 0 }), "gt")
	def("greater_than_or_equal", 1, 1, order("greater_than_or_equal", func(c int) bool { return c >= 0 }), "gte")
	def("less_than", 1, 1, order("less_than", func(c int) bool { return c < 0 }), "lt")
	def("less_than_or_equal", 1, 1, order("less_than_or_equal", func(c int) bool { return c <= 0 }), "lte")
	def("dechex", 0, 0, toBase("dechex", 16))
	def("decbin", 0, 0, toBase("decbin", 2))
	def("decoct", 0, 0, toBase("decoct", 8))
	def("hexdec", 0, 0, fromBase("hexdec", 16))
	def("bindec", 0, 0, fromBase("bindec", 2))
	def("octdec", 0, 0, fromBase("octdec", 8))
	def("bin2hex", 0, 0, bin2hex)
	def("hex2bin", 0, 0, hex2bin)
	def("sha384", 0, 1, digest("sha384", sha512.New384))
	def("sha512", 0, 1, digest("sha512", sha512.New))
	def("hmac_md5", 1, 2, hmacFilter("hmac_md5", md5.New))
	def("hmac_sha1", 1, 2, hmacFilter("hmac_sha1", sha1.New))
	def("hmac_sha384", 1, 2, hmacFilter("hmac_sha384", sha512.New384))
	def("hmac_sha512", 1, 2, hmacFilter("hmac_sha512", sha512.New))
	def("base64_encode_urlsafe", 0, 0, base64URL(true))
	def("base64_decode_urlsafe", 0, 0, base64URL(false))
	def("append", 1, 1, push)
	def("prepend", 1, 1, unshift)
	def("shuffle", 0, 0, shuffle, "array_shuffle")
	def("filter_empty_array", 0, 0, drop("filter_empty_array", func(v any) bool { a, ok := v.([]any); return ok && len(a) == 0 }))
	def("filter_empty_object", 0, 0, drop("filter_empty_object", func(v any) bool { o, ok := v.(*value.Object); return ok && o.Len() == 0 }))
	def("filter_zero", 0, 0, drop("filter_zero", func(v any) bool { f, ok := value.AsFloat(v); return ok && f == 0 }))

	defLambda("reduce", 2, 2, reduce)
	registry["reduce"].Reduce = true
	defLambda("transform", 1, 1, transform)

	examples = append(examples, moreExamples...)
}

var moreExamples = []example{
	{category: "math", name: "sin", in: 0.0, want: 0.0},
	{category: "math", name: "cos", in: 0.0, want: 1.0},
	{category: "math", name: "tan", in: 0.0, want: 0.0},
	{category: "math", name: "asin", in: 1.0, want: math.Pi / 2},
	{category: "math", name: "acos", in: 1.0, want: 0.0},
	{category: "math", name: "atan", in: 0.0, want: 0.0},
	{category: "math", name: "sinh", in: 0.0, want: 0.0},
	{category: "math", name: "cosh", in: 0.0, want: 1.0},
	{category: "math", name: "tanh", in: 0.0, want: 0.0},
	{category: "math", name: "asinh", in: 0.0, want: 0.0},
	{category: "math", name: "acosh", in: 1.0, want: 0.0},
	{category: "math", name: "atanh", in: 0.0, want: 0.0},
	{category: "math", name: "exp", in: 0.0, want: 1.0},
	{category: "math", name: "ln", in: 1.0, want: 0.0},
	{category: "math", name: "log10", in: num(1000), want: 3.0},
	{category: "math", name: "log", in: num(8), args: vals{num(2)}, want: 3.0},
	{category: "math", name: "deg2rad", in: num(180), want: math.Pi},
	{category: "math", name: "rad2deg", in: math.Pi, want: 180.0},
	{category: "math", name: "product", in: vals{num(1), num(2), num(3), num(4)}, want: num(24)},
	{category: "math", name: "bitwise_and", in: num(5), args: vals{num(3)}, want: num(1)},
	{category: "math", name: "bitwise_or", in: num(5), args: vals{num(3)}, want: num(7)},
	{category: "math", name: "bitwise_xor", in: num(5), args: vals{num(3)}, want: num(6)},
	{category: "math", name: "bitwise_not", in: num(5), want: num(-6)},
	{category: "math", name: "dechex", in: num(255), want: "ff"},
	{category: "math", name: "hexdec", in: "ff", want: num(255)},
	{category: "math", name: "decbin", in: num(5), want: "101"},
	{category: "math", name: "bindec", in: "101", want: num(5)},
	{category: "math", name: "decoct", in: num(8), want: "10"},
	{category: "math", name: "octdec", in: "10", want: num(8)},
	{category: "comparison", name: "odd", in: num(3), want: true},
	{category: "comparison", name: "even", in: num(3), want: false},
	{category: "comparison", name: "equals", in: num(1), args: vals{1.0}, want: true},
	{category: "comparison", name: "not_equals", in: "a", args: vals{"b"}, want: true},
	{category: "comparison", name: "greater_than", in: num(5), args: vals{num(3)}, want: true},
	{category: "comparison", name: "greater_than_or_equal", in: num(3), args: vals{num(3)}, want: true},
	{category: "comparison", name: "less_than", in: "apple", args: vals{"banana"}, want: true},
	{category: "comparison", name: "less_than_or_equal", in: num(4), args: vals{num(3)}, want: false},
	{category: "text", name: "sha384", in: "hello", want: "59e1748777448c69de6b800d7a33bbfb9ff1b463e44354c3553bcdb9c666fa90125a3c79f90397bdf5f6a13de828684f"},
	{category: "text", name: "sha512", in: "hello", want: "9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca72323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043"},
	{category: "text", name: "hmac_md5", in: "hello", args: vals{"secret"}, want: "bade63863c61ed0b3165806ecd6acefc"},
	{category: "text", name: "hmac_sha1", in: "hello", args: vals{"secret"}, want: "5112055c05f944f85755efc5cd8970e194e9f45b"},
	{category: "text", name: "hmac_sha384", in: "hello", args: vals{"secret"}, want: "7e1e620ca0068fd1fce00c1ad3f5c6dbb12874dd2fb9c26502d09d0d804f2c0ba1d921b9458416cba480417571001e18"},
	{category: "text", name: "hmac_sha512", in: "hello", args: vals{"secret"}, want: "db1595ae88a62fd151ec1cba81b98c39df82daae7b4cb9820f446d5bf02f1dcfca6683d88cab3e273f5963ab8ec469a746b5b19086371239f67d1e5f99a79440"},
	{category: "text", name: "base64_encode_urlsafe", in: "hi?>", want: "aGk_Pg"},
	{category: "text", name: "base64_decode_urlsafe", in: "aGk_Pg", want: "hi?>"},
	{category: "text", name: "bin2hex", in: "abc", want: "616263"},
	{category: "text", name: "hex2bin", in: "616263", want: "abc"},
	{category: "array", name: "reduce", in: vals{num(1), num(2), num(3), num(4)}, expr: "$$ + $result", args: vals{num(0)},
		reducer: func(e, acc any) (any, error) { return acc.(int64) + e.(int64), nil }, want: num(10)},
	{category: "object", name: "transform", in: num(2), expr: "$$ + 3",
		fn: func(e any) (any, error) { return e.(int64) + 3, nil }, want: num(5)},
	{category: "array", name: "append", in: vals{num(1)}, args: vals{num(2)}, want: vals{num(1), num(2)}},
	{category: "array", name: "prepend", in: vals{num(1)}, args: vals{num(0)}, want: vals{num(0), num(1)}},
	{category: "array", name: "shuffle", in: vals{num(1), num(2), num(3)}, match: `^\[(1,2,3|1,3,2|2,1,3|2,3,1|3,1,2|3,2,1)\]$`, shown: "[2, 3, 1] (random order)"},
	{category: "array", name: "filter_empty_array", in: vals{vals{}, vals{num(1)}, nil}, want: vals{vals{num(1)}, nil}},
	{category: "array", name: "filter_empty_object", in: vals{obj(), obj("a", num(1))}, want: vals{obj("a", num(1))}},
	{category: "array", name: "filter_zero", in: vals{num(0), num(1), 0.0, "0"}, want: vals{num(1), "0"}},
}

// float1 applies a function of one real number.
func float1(name string, fn func(float64) float64) impl {
	return func(x any, _ []any) (any, error) {
		f, ok := value.AsFloat(x)
		if !ok || x == nil {
			return nil, typeError(name, "a number", x)
		}
		r := fn(f)
		if math.IsNaN(r) || math.IsInf(r, 0) {
			return nil, fmt.Errorf("%s: no real result for %s", name, value.ToText(x))
		}
		return r, nil
	}
}

func logFilter(x any, args []any) (any, error) {
	f, ok := value.AsFloat(x)
	if !ok || x == nil || f <= 0 {
		return nil, fmt.Errorf("log: expected a number above 0, got %s", value.ToText(x))
	}
	if len(args) == 0 || args[0] == nil {
		return math.Log(f), nil
	}
	b, ok := value.AsFloat(args[0])
	if !ok || b <= 0 || b == 1 {
		return nil, fmt.Errorf("log: the base must be a number above 0 other than 1")
	}
	return math.Log(f) / math.Log(b), nil
}

// product multiplies an array's numbers; ints stay ints while they fit.
func product(x any, _ []any) (any, error) {
	a, err := arrayIn("product", x)
	if err != nil {
		return nil, err
	}
	var acc any = int64(1)
	for _, e := range a {
		if !value.IsNumber(e) {
			return nil, typeError("product", "an array of numbers", e)
		}
		if acc, err = arith("product", mulInt, func(a, b float64) float64 { return a * b })(acc, []any{e}); err != nil {
			return nil, err
		}
	}
	return acc, nil
}

func wholeIn(name string, x any) (int64, error) {
	switch t := x.(type) {
	case int64:
		return t, nil
	case float64:
		if t == math.Trunc(t) && math.Abs(t) < 1<<63 {
			return int64(t), nil
		}
	}
	return 0, typeError(name, "a whole number", x)
}

func bitwise(name string, op func(a, b int64) int64) impl {
	return func(x any, args []any) (any, error) {
		a, err := wholeIn(name, x)
		if err != nil {
			return nil, err
		}
		b, err := wholeIn(name, args[0])
		if err != nil {
			return nil, err
		}
		return op(a, b), nil
	}
}

func bitwiseNot(x any, _ []any) (any, error) {
	a, err := wholeIn("bitwise_not", x)
	if err != nil {
		return nil, err
	}
	return ^a, nil
}

func parity(name string, rest int64) impl {
	return func(x any, _ []any) (any, error) {
		a, err := wholeIn(name, x)
		if err != nil {
			return nil, err
		}
		r := a % 2
		if r < 0 {
			r = -r
		}
		return r == rest, nil
	}
}

// order compares numbers by value and texts by code point; other pairs do not compare.
func order(name string, ok func(int) bool) impl {
	return func(x any, args []any) (any, error) {
		y := args[0]
		if af, aNum := value.AsFloat(x); aNum && x != nil {
			if bf, bNum := value.AsFloat(y); bNum && y != nil {
				switch {
				case af < bf:
					return ok(-1), nil
				case af > bf:
					return ok(1), nil
				}
				return ok(0), nil
			}
		}
		as, aText := x.(string)
		bs, bText := y.(string)
		if aText && bText {
			return ok(strings.Compare(as, bs)), nil
		}
		return false, nil
	}
}

func toBase(name string, base int) impl {
	return func(x any, _ []any) (any, error) {
		a, err := wholeIn(name, x)
		if err != nil {
			return nil, err
		}
		if a < 0 {
			return strconv.FormatUint(uint64(a), base), nil // PHP's two's complement
		}
		return strconv.FormatInt(a, base), nil
	}
}

func fromBase(name string, base int) impl {
	return func(x any, _ []any) (any, error) {
		s, ok := x.(string)
		if !ok {
			s = value.ToText(x)
		}
		// Like PHP, characters that are not digits of the base are ignored.
		var b strings.Builder
		for _, c := range strings.ToLower(s) {
			if d := strings.IndexRune("0123456789abcdef", c); d >= 0 && d < base {
				b.WriteRune(c)
			}
		}
		if b.Len() == 0 {
			return int64(0), nil
		}
		n, err := strconv.ParseUint(b.String(), base, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: %s is too large", name, s)
		}
		if n > math.MaxInt64 {
			return float64(n), nil
		}
		return int64(n), nil
	}
}

func bin2hex(x any, _ []any) (any, error) {
	s, err := scalarTextIn("bin2hex", x)
	if err != nil {
		return nil, err
	}
	return hex.EncodeToString([]byte(s)), nil
}

func hex2bin(x any, _ []any) (any, error) {
	s, err := scalarTextIn("hex2bin", x)
	if err != nil {
		return nil, err
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("hex2bin: %q is not hexadecimal", s)
	}
	return string(b), nil
}

func hmacFilter(name string, newHash func() hash.Hash) impl {
	return func(x any, args []any) (any, error) {
		if x == nil {
			return nil, fmt.Errorf("%s: expected text, got null", name)
		}
		s, err := scalarTextIn(name, x)
		if err != nil {
			return nil, err
		}
		if arg(args, 0) == nil {
			return nil, fmt.Errorf("%s: key must be text, got null", name)
		}
		key, err := textArg(name, "key", args, 0, "")
		if err != nil {
			return nil, err
		}
		raw, err := boolArg(name, "raw", args, 1, false)
		if err != nil {
			return nil, err
		}
		m := hmac.New(newHash, []byte(key))
		m.Write([]byte(s))
		return hashOut(m.Sum(nil), raw), nil
	}
}

func base64URL(encode bool) impl {
	name := "base64_decode_urlsafe"
	if encode {
		name = "base64_encode_urlsafe"
	}
	return func(x any, _ []any) (any, error) {
		s, err := scalarTextIn(name, x)
		if err != nil {
			return nil, err
		}
		if encode {
			return base64.RawURLEncoding.EncodeToString([]byte(s)), nil
		}
		b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
		if err != nil {
			return nil, fmt.Errorf("%s: not URL-safe base64", name)
		}
		return string(b), nil
	}
}

func shuffle(x any, _ []any) (any, error) {
	a, err := arrayIn("shuffle", x)
	if err != nil {
		return nil, err
	}
	out := cloneAll(a)
	for i := len(out) - 1; i > 0; i-- {
		j, _ := rand.Int(rand.Reader, big.NewInt(int64(i+1)))
		out[i], out[j.Int64()] = out[j.Int64()], out[i]
	}
	return out, nil
}

// reduce folds an array: the expression gets each element as $$ and the result so far as
// $result, starting from the second argument.
func reduce(x any, args []any) (any, error) {
	a, err := arrayIn("reduce", x)
	if err != nil {
		return nil, err
	}
	fn, ok := args[0].(Reducer)
	if !ok {
		return nil, fmt.Errorf("reduce: the first argument must be an expression over $$ and $result")
	}
	acc := value.Clone(args[1])
	for _, e := range a {
		if acc, err = fn(e, acc); err != nil {
			return nil, err
		}
	}
	return acc, nil
}

// transform applies an expression over $$ to one value.
func transform(x any, args []any) (any, error) {
	fn, ok := args[0].(Lambda)
	if !ok {
		return nil, fmt.Errorf("transform: the argument must be an expression over $$")
	}
	return fn(x)
}
