package filter

import (
	"sort"
	"strings"

	"relaybase/value"
)

// Doc describes one filter for the language reference (docs/xanoscript.md).
type Doc struct {
	Name     string   // the filter's name
	Category string   // text, array, math, object, type, time or comparison
	Example  string   // one line, input|name:args → result, in XanoScript literal syntax
	Aliases  []string // other names for the same filter, sorted
}

// Docs returns one Doc per filter (aliases are listed on their filter, not repeated), in
// the order of the examples table: by category, then as a reader would meet them. Every
// example is run by the package's tests, so the reference cannot drift from the code.
func Docs() []Doc {
	aliases := map[string][]string{}
	for alias, name := range aliasOf {
		aliases[name] = append(aliases[name], alias)
	}
	docs := make([]Doc, len(examples))
	for i, ex := range examples {
		a := aliases[ex.name]
		sort.Strings(a)
		docs[i] = Doc{Name: ex.name, Category: ex.category, Example: ex.line(), Aliases: a}
	}
	return docs
}

// example is one row of the examples table: the structured form the test runs, from which
// the one-line example is written.
type example struct {
	category, name string
	in             any
	noInput        bool    // written without an input: |uuid, |range:1:5
	args           []any   // the arguments, after the expression for a lambda filter
	expr           string  // a lambda filter's expression, as written
	fn             Lambda  // what expr computes, for the test
	reducer        Reducer // what expr computes, for reduce's test
	want           any
	match          string // for results that change from run to run: a pattern the result's text must match
	shown          string // and how the result is shown
}

// line writes the example as input|name:args → result.
func (ex example) line() string {
	var b strings.Builder
	if !ex.noInput {
		b.WriteString(literal(ex.in))
	}
	b.WriteString("|")
	b.WriteString(ex.name)
	if ex.expr != "" {
		b.WriteString(":")
		b.WriteString(ex.expr)
	}
	for _, a := range ex.args {
		b.WriteString(":")
		b.WriteString(literal(a))
	}
	b.WriteString(" → ")
	if ex.shown != "" {
		b.WriteString(ex.shown)
	} else {
		b.WriteString(literal(ex.want))
	}
	return b.String()
}

// literal writes a value in XanoScript literal syntax: decimals keep a fraction (2.0) so they
// read back as decimals, and object keys are bare where they are plain names.
func literal(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case string:
		b, _ := value.EncodeJSON(t)
		return string(b)
	case float64:
		s := value.FormatFloat(t)
		if !strings.ContainsAny(s, ".eE") {
			s += ".0"
		}
		return s
	case []any:
		parts := make([]string, len(t))
		for i, e := range t {
			parts[i] = literal(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case *value.Object:
		parts := make([]string, t.Len())
		for i, k := range t.Keys() {
			key := k
			if !plainName(k) {
				key = literal(k)
			}
			v, _ := t.Get(k)
			parts[i] = key + ": " + literal(v)
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return value.ToText(v)
}

func plainName(s string) bool {
	if s == "" || isDigit(s[0]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '_' {
			return false
		}
	}
	return true
}

// Shorthands for the table.
type vals = []any

func obj(kv ...any) *value.Object { return value.ObjectOf(kv...) }

func num(n int64) int64 { return n }

// member returns the expression $$.key for lambda examples.
func memberOf(key string) Lambda {
	return func(e any) (any, error) {
		r, _ := readPath(e, key)
		return r, nil
	}
}

var examples = []example{
	// text
	{category: "text", name: "trim", in: "  hi  ", want: "hi"},
	{category: "text", name: "ltrim", in: "  hi  ", want: "hi  "},
	{category: "text", name: "rtrim", in: "xxhixx", args: vals{"x"}, want: "xxhi"},
	{category: "text", name: "to_lower", in: "Épic Battle", want: "épic battle"},
	{category: "text", name: "to_upper", in: "Épic Battle", want: "ÉPIC BATTLE"},
	{category: "text", name: "capitalize", in: "hi there", want: "Hi There"},
	{category: "text", name: "strlen", in: "héllo", want: num(5)},
	{category: "text", name: "substr", in: "hello", args: vals{num(1), num(3)}, want: "ell"},
	{category: "text", name: "split", in: "a,b,c", args: vals{","}, want: vals{"a", "b", "c"}},
	{category: "text", name: "replace", in: "hello", args: vals{"l", "x"}, want: "hexxo"},
	{category: "text", name: "contains", in: "hello", args: vals{"ell"}, want: true},
	{category: "text", name: "icontains", in: "Hello", args: vals{"ELL"}, want: true},
	{category: "text", name: "starts_with", in: "hello", args: vals{"he"}, want: true},
	{category: "text", name: "istarts_with", in: "Hello", args: vals{"HE"}, want: true},
	{category: "text", name: "ends_with", in: "hello", args: vals{"lo"}, want: true},
	{category: "text", name: "iends_with", in: "Hello", args: vals{"LO"}, want: true},
	{category: "text", name: "concat", in: "a", args: vals{"b", "-"}, want: "a-b"},
	{category: "text", name: "sprintf", in: "%s has %d new (%.1f%%)", args: vals{"Bob", num(5), 12.5}, want: "Bob has 5 new (12.5%)"},
	{category: "text", name: "json_encode", in: obj("a", num(1), "b", vals{true, nil}), want: `{"a":1,"b":[true,null]}`},
	{category: "text", name: "json_decode", in: `{"a":1,"b":[2.5]}`, want: obj("a", num(1), "b", vals{2.5})},
	{category: "text", name: "base64_encode", in: "hello", want: "aGVsbG8="},
	{category: "text", name: "base64_decode", in: "aGVsbG8=", want: "hello"},
	{category: "text", name: "url_encode", in: "Hello, World!", want: "Hello%2C%20World%21"},
	{category: "text", name: "url_decode", in: "Hello%2C%20World%21", want: "Hello, World!"},
	{category: "text", name: "md5", in: "some_message", want: "af8a2aae147de3350f6c0f1a075ede5d"},
	{category: "text", name: "sha1", in: "hello", want: "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"},
	{category: "text", name: "sha256", in: "hello", want: "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"},
	{category: "text", name: "hmac_sha256", in: "hello", args: vals{"secret"}, want: "88aab3ede8d3adf94d26ab90d3bafd4a2083070c3bcce9c014ee04a443847c0b"},
	{category: "text", name: "uuid", noInput: true, match: `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, shown: `"550e8400-e29b-41d4-a716-446655440000" (random, version 4)`},
	{category: "text", name: "escape", in: "he said\n\"hi\"", want: `he said\n\"hi\"`},
	{category: "text", name: "regex_matches", in: "/^a.*c$/i", args: vals{"ABBC"}, want: true},
	{category: "text", name: "regex_replace", in: `/\s+/`, args: vals{"-", "Hello   World"}, want: "Hello-World"},
	{category: "text", name: "regex_get_first_match", in: `/(\w+)@(\w+)\.com/`, args: vals{"mail test@example.com"}, want: vals{"test@example.com", "test", "example"}},
	{category: "text", name: "regex_get_all_matches", in: `/\d+/`, args: vals{"a1 b22 c333"}, want: vals{vals{"1", "22", "333"}}},
	{category: "text", name: "regex_quote", in: "1.5*2?", want: `1\.5\*2\?`},

	// array
	{category: "array", name: "first", in: vals{num(1), num(2), num(3)}, want: num(1)},
	{category: "array", name: "last", in: vals{num(1), num(2), num(3)}, want: num(3)},
	{category: "array", name: "count", in: vals{num(1), num(2), num(3)}, want: num(3)},
	{category: "array", name: "reverse", in: vals{num(1), num(2), num(3)}, want: vals{num(3), num(2), num(1)}},
	{category: "array", name: "unique", in: vals{num(1), num(1), 2.0, num(2), "2"}, want: vals{num(1), 2.0, "2"}},
	{category: "array", name: "flatten", in: vals{num(1), vals{num(2), num(3)}, vals{vals{num(4)}}}, want: vals{num(1), num(2), num(3), num(4)}},
	{category: "array", name: "slice", in: vals{num(1), num(2), num(3), num(4)}, args: vals{num(1), num(2)}, want: vals{num(2), num(3)}},
	{category: "array", name: "push", in: vals{num(1), num(2)}, args: vals{num(3)}, want: vals{num(1), num(2), num(3)}},
	{category: "array", name: "pop", in: vals{num(1), num(2), num(3)}, want: num(3)},
	{category: "array", name: "shift", in: vals{num(1), num(2), num(3)}, want: num(1)},
	{category: "array", name: "unshift", in: vals{num(1), num(2)}, args: vals{num(0)}, want: vals{num(0), num(1), num(2)}},
	{category: "array", name: "merge", in: vals{num(1), num(2)}, args: vals{vals{num(3), num(4)}}, want: vals{num(1), num(2), num(3), num(4)}},
	{category: "array", name: "diff", in: vals{num(1), num(2), num(3)}, args: vals{vals{num(2)}}, want: vals{num(1), num(3)}},
	{category: "array", name: "intersect", in: vals{num(1), num(2), num(3)}, args: vals{vals{num(2), num(3), num(4)}}, want: vals{num(2), num(3)}},
	{category: "array", name: "join", in: vals{"a", num(1), nil, "b"}, args: vals{","}, want: "a,1,,b"},
	{category: "array", name: "range", noInput: true, args: vals{num(1), num(5)}, want: vals{num(1), num(2), num(3), num(4), num(5)}},
	{category: "array", name: "safe_array", in: num(12), want: vals{num(12)}},
	{category: "array", name: "filter_empty", in: vals{num(1), nil, "", num(0), "0", "text", false, vals{}}, want: vals{num(1), "text"}},
	{category: "array", name: "filter_empty_text", in: vals{"a", "", "b", nil}, want: vals{"a", "b", nil}},
	{category: "array", name: "filter_null", in: vals{num(1), nil, "", num(0)}, want: vals{num(1), "", num(0)}},
	{category: "array", name: "filter_false", in: vals{true, false, num(0), nil}, want: vals{true, num(0), nil}},
	{category: "array", name: "map", in: vals{obj("v", num(1)), obj("v", num(2))}, expr: "$$.v * 2",
		fn: func(e any) (any, error) { v, _ := readPath(e, "v"); return v.(int64) * 2, nil }, want: vals{num(2), num(4)}},
	{category: "array", name: "filter", in: vals{num(1), num(2), num(3), num(4)}, expr: "$$ % 2 == 0",
		fn: func(e any) (any, error) { return e.(int64)%2 == 0, nil }, want: vals{num(2), num(4)}},
	{category: "array", name: "find", in: vals{obj("id", num(1)), obj("id", num(2))}, expr: "$$.id == 2",
		fn: func(e any) (any, error) { v, _ := readPath(e, "id"); return v == num(2), nil }, want: obj("id", num(2))},
	{category: "array", name: "findIndex", in: vals{obj("id", num(1)), obj("id", num(2))}, expr: "$$.id == 2",
		fn: func(e any) (any, error) { v, _ := readPath(e, "id"); return v == num(2), nil }, want: num(1)},
	{category: "array", name: "some", in: vals{num(1), num(2), num(3)}, expr: "$$ > 2",
		fn: func(e any) (any, error) { return e.(int64) > 2, nil }, want: true},
	{category: "array", name: "every", in: vals{num(2), num(4), num(6)}, expr: "$$ % 2 == 0",
		fn: func(e any) (any, error) { return e.(int64)%2 == 0, nil }, want: true},
	{category: "array", name: "sort", in: vals{obj("n", "b"), obj("n", "a"), obj("n", "C")}, args: vals{"n", "itext", false},
		want: vals{obj("n", "C"), obj("n", "b"), obj("n", "a")}},
	{category: "array", name: "index_by", in: vals{obj("g", "x", "v", num(1)), obj("g", "y", "v", num(2)), obj("g", "x", "v", num(3))}, args: vals{"g"},
		want: obj("x", vals{obj("g", "x", "v", num(1)), obj("g", "x", "v", num(3))}, "y", vals{obj("g", "y", "v", num(2))})},
	{category: "array", name: "group_by", in: vals{obj("g", "x"), obj("g", "y"), obj("g", "x")}, expr: "$$.g", fn: memberOf("g"),
		want: obj("x", vals{obj("g", "x"), obj("g", "x")}, "y", vals{obj("g", "y")})},

	// math
	{category: "math", name: "add", in: num(10), args: vals{num(5)}, want: num(15)},
	{category: "math", name: "subtract", in: num(10), args: vals{2.5}, want: 7.5},
	{category: "math", name: "multiply", in: num(10), args: vals{num(2)}, want: num(20)},
	{category: "math", name: "divide", in: num(10), args: vals{num(4)}, want: 2.5},
	{category: "math", name: "modulus", in: num(10), args: vals{num(3)}, want: num(1)},
	{category: "math", name: "floor", in: 2.7, want: num(2)},
	{category: "math", name: "ceil", in: 2.3, want: num(3)},
	{category: "math", name: "round", in: 2.567, args: vals{num(2)}, want: 2.57},
	{category: "math", name: "abs", in: num(-5), want: num(5)},
	{category: "math", name: "sqrt", in: num(9), want: 3.0},
	{category: "math", name: "pow", in: num(2), args: vals{num(10)}, want: num(1024)},
	{category: "math", name: "min", in: num(5), args: vals{num(3)}, want: num(3)},
	{category: "math", name: "max", in: vals{num(5), 2.5, num(8)}, want: num(8)},
	{category: "math", name: "sum", in: vals{num(1), num(2), num(3), num(4)}, want: num(10)},
	{category: "math", name: "avg", in: vals{num(1), num(2), num(3), num(4)}, want: 2.5},
	{category: "math", name: "number_format", in: 31253212.141592, args: vals{num(2), ".", ","}, want: "31,253,212.14"},

	// object
	{category: "object", name: "get", in: obj("a", obj("b", num(1))), args: vals{"a.b"}, want: num(1)},
	{category: "object", name: "set", in: obj("a", num(1)), args: vals{"b", num(2)}, want: obj("a", num(1), "b", num(2))},
	{category: "object", name: "set_conditional", in: obj("a", num(1)), args: vals{"b", num(2), false}, want: obj("a", num(1))},
	{category: "object", name: "set_ifnotnull", in: obj("a", num(1)), args: vals{"b", nil}, want: obj("a", num(1))},
	{category: "object", name: "set_ifnotempty", in: obj("a", num(1)), args: vals{"b", "x"}, want: obj("a", num(1), "b", "x")},
	{category: "object", name: "unset", in: obj("a", num(1), "b", num(2)), args: vals{"b"}, want: obj("a", num(1))},
	{category: "object", name: "has", in: obj("a", nil), args: vals{"a"}, want: true},
	{category: "object", name: "keys", in: obj("a", num(1), "b", num(2)), want: vals{"a", "b"}},
	{category: "object", name: "values", in: obj("a", num(1), "b", num(2)), want: vals{num(1), num(2)}},
	{category: "object", name: "entries", in: obj("a", num(1)), want: vals{obj("key", "a", "value", num(1))}},
	{category: "object", name: "pick", in: obj("a", num(1), "b", num(2), "c", num(3)), args: vals{vals{"a", "c"}}, want: obj("a", num(1), "c", num(3))},
	{category: "object", name: "unpick", in: obj("a", num(1), "b", num(2), "c", num(3)), args: vals{vals{"b"}}, want: obj("a", num(1), "c", num(3))},

	// type
	{category: "type", name: "to_int", in: "133.45 kg", want: num(133)},
	{category: "type", name: "to_decimal", in: "133.45 kg", want: 133.45},
	{category: "type", name: "to_text", in: 1.5, want: "1.5"},
	{category: "type", name: "to_bool", in: "false", want: false},
	{category: "type", name: "is_null", in: nil, want: true},
	{category: "type", name: "is_empty", in: "0", want: true},
	{category: "type", name: "is_array", in: vals{num(1)}, want: true},
	{category: "type", name: "is_object", in: obj(), want: true},
	{category: "type", name: "is_int", in: 1.0, want: false},
	{category: "type", name: "is_decimal", in: 1.5, want: true},
	{category: "type", name: "is_text", in: "213", want: true},
	{category: "type", name: "is_bool", in: false, want: true},
	{category: "type", name: "first_notnull", in: nil, args: vals{num(0)}, want: num(0)},
	{category: "type", name: "first_notempty", in: "", args: vals{"default"}, want: "default"},

	// time
	{category: "time", name: "to_timestamp", in: "2023-08-15T20:45:30Z", want: num(1692132330000)},
	{category: "time", name: "to_ms", in: "2023-08-15", args: vals{"America/New_York"}, want: num(1692072000000)},
	{category: "time", name: "to_seconds", in: num(1692132330500), want: num(1692132330)},
	{category: "time", name: "format_timestamp", in: num(1692132330000), args: vals{"Y-m-d H:i:s", "America/New_York"}, want: "2023-08-15 16:45:30"},
	{category: "time", name: "parse_timestamp", in: "2023-08-15 13:45:30", args: vals{"Y-m-d H:i:s", "America/Los_Angeles"}, want: num(1692132330000)},
	{category: "time", name: "transform_timestamp", in: "2023-08-15T20:45:30.000Z", args: vals{"-7 days", "America/Los_Angeles"}, want: num(1691527530000)},
	{category: "time", name: "add_secs_to_timestamp", in: num(1691527530000), args: vals{num(60)}, want: num(1691527590000)},
	{category: "time", name: "add_ms_to_timestamp", in: num(1691527530000), args: vals{num(-500)}, want: num(1691527529500)},

	// comparison
	{category: "comparison", name: "includes", in: "a tutorial", args: vals{"tutorial"}, want: true},
	{category: "comparison", name: "in", in: vals{num(1), num(2), num(3)}, args: vals{num(3)}, want: true},
	{category: "comparison", name: "overlaps", in: vals{"a", "b"}, args: vals{vals{"b", "c"}}, want: true},
	{category: "comparison", name: "between", in: num(50), args: vals{num(10), num(100)}, want: true},
	{category: "comparison", name: "not", in: true, want: false},
}
