package stack

import (
	"fmt"
	"strings"
	"testing"

	"relaybase"
)

// exprCase is one expression evaluated as an endpoint's response, with inputs
// {s: text, i: int, d: decimal, j: json} given as JSON.
type exprCase struct {
	name  string
	expr  string
	input string
	want  string // JSON; ignored when err is set
	err   relaybase.Code
	msg   string // part of the error message
}

var exprCases = []exprCase{
	{name: "int literal", expr: `42`, want: `42`},
	{name: "decimal literal", expr: `1.5`, want: `1.5`},
	{name: "text literal", expr: `"héllo 👋"`, want: `"héllo 👋"`},
	{name: "bool and null", expr: `[true, false, null]`, want: `[true,false,null]`},
	{name: "now is int ms UTC", expr: `now`, want: `1767323045000`},
	{name: "object with commas", expr: `{a: 1, "b c": 2}`, want: `{"a":1,"b c":2}`},
	{name: "object with newlines", expr: "{\n  a: 1\n  b: [1, 2]\n}", want: `{"a":1,"b":[1,2]}`},

	{name: "int plus int", expr: `1 + 2`, want: `3`},
	{name: "int plus decimal", expr: `1 + 1.5`, want: `2.5`},
	{name: "int divide inexact", expr: `7 / 2`, want: `3.5`},
	{name: "int divide exact stays int", expr: `6 / 2`, want: `3`},
	{name: "modulus", expr: `7 % 3`, want: `1`},
	{name: "precedence", expr: `2 + 3 * 4`, want: `14`},
	{name: "negate input", expr: `-$input.i`, input: `{"i": 5}`, want: `-5`},
	{name: "division by zero", expr: `1 / 0`, err: relaybase.CodeFatal, msg: "Division by zero"},
	{name: "modulus by zero", expr: `1 % 0`, err: relaybase.CodeFatal, msg: "Division by zero"},
	{name: "null plus int", expr: `$input.i + 1`, err: relaybase.CodeFatal, msg: "null and int"},
	{name: "text plus int", expr: `"a" + 1`, err: relaybase.CodeFatal, msg: "text and int"},
	// An int result that does not fit in 64 bits becomes a decimal instead of wrapping.
	{name: "int overflow on add", expr: `9223372036854775807 + $input.i`, input: `{"i": 1}`, want: `9223372036854775808`},
	{name: "int overflow on subtract", expr: `$input.i - 2`, input: `{"i": -9223372036854775807}`, want: `-9223372036854775809`},
	{name: "int overflow on multiply", expr: `9223372036854775807 * 2`, want: `18446744073709551614`},
	{name: "int overflow multiplying the smallest int", expr: `$input.i * -1`, input: `{"i": -9223372036854775808}`, want: `9223372036854775808`},
	{name: "smallest int divided by minus one", expr: `$input.i / -1`, input: `{"i": -9223372036854775808}`, want: `9223372036854775808`},
	{name: "negate the smallest int", expr: `-$input.i`, input: `{"i": -9223372036854775808}`, want: `9223372036854775808`},
	{name: "int arithmetic near the limits stays int", expr: `[9223372036854775806 + 1, $input.i + 0, $input.i * 1, 3037000499 * 3037000499]`,
		input: `{"i": -9223372036854775808}`, want: `[9223372036854775807,-9223372036854775808,-9223372036854775808,9223372030926249001]`},

	{name: "int equals decimal", expr: `1 == 1.0`, want: `true`},
	{name: "text never equals int", expr: `"1" == 1`, want: `false`},
	{name: "strict equal numeric type", expr: `1 === 1.0`, want: `false`},
	{name: "not equal", expr: `1 != 2`, want: `true`},
	{name: "text ordering", expr: `"b" > "a"`, want: `true`},
	{name: "mixed ordering is false", expr: `1 < "2"`, want: `false`},
	{name: "null equals null", expr: `null == null`, want: `true`},
	{name: "null-safe outside where holds", expr: `5 ==? null`, want: `true`},
	{name: "objects compare by members", expr: `{a: 1, b: 2} == {b: 2, a: 1}`, want: `true`},

	{name: "concat null and numbers", expr: `"a" ~ null ~ 1 ~ 1.5 ~ true`, want: `"a11.5true"`},
	{name: "concat without spaces", expr: `"x"~"y"`, want: `"xy"`},
	{name: "concat decimal shortest", expr: `"" ~ 2.0 ~ "/" ~ 0.1`, want: `"2/0.1"`},

	{name: "and short-circuits", expr: `false && (1 / 0)`, want: `false`},
	{name: "or returns first truthy", expr: `0 || "x"`, want: `"x"`},
	{name: "coalesce", expr: `null ?? 5`, want: `5`},
	{name: "coalesce keeps zero", expr: `0 ?? 5`, want: `0`},
	{name: "not", expr: `!$input.s`, want: `true`},
	{name: "not of text", expr: `!$input.s`, input: `{"s": "x"}`, want: `false`},
	{name: "ternary", expr: `$input.i > 2 ? "big" : "small"`, input: `{"i": 3}`, want: `"big"`},

	{name: "member of json input", expr: `$input.j.a.b`, input: `{"j": {"a": {"b": 7}}}`, want: `7`},
	{name: "missing member is null", expr: `$input.j.nope.deeper`, input: `{"j": {}}`, want: `null`},
	{name: "member by number", expr: `$input.j.list.0.id`, input: `{"j": {"list": [{"id": 9}]}}`, want: `9`},
	{name: "index by number", expr: `$input.j.list[1]`, input: `{"j": {"list": [1, 2]}}`, want: `2`},
	{name: "index by text", expr: `$input.j["x-y"]`, input: `{"j": {"x-y": "z"}}`, want: `"z"`},
	{name: "index out of range", expr: `$input.j.list[5]`, input: `{"j": {"list": [1]}}`, want: `null`},
	{name: "in array", expr: `2 in [1, 2]`, want: `true`},
	{name: "not in array", expr: `3 not in [1, 2]`, want: `true`},

	{name: "filter chain", expr: `" Ab "|trim|to_lower`, want: `"ab"`},
	{name: "lambda filter", expr: `[1, 2, 3]|map:$$ * 2`, want: `[2,4,6]`},
	{name: "lambda filter with member", expr: `$input.j|filter:$$.ok|map:$$.n`, input: `{"j": [{"ok": true, "n": 1}, {"ok": false, "n": 2}]}`, want: `[1]`},
	{name: "filter binds tighter than comparison", expr: `$input.j|get:"k":"" == "paid"`, input: `{"j": {"k": "paid"}}`, want: `true`},
	{name: "concat filter", expr: `"a"|concat:$input.s:" "`, input: `{"s": "b"}`, want: `"a b"`},
	{name: "filter error names position", expr: `"a"|add:1`, err: relaybase.CodeFatal, msg: "x.xs"},

	{name: "env value", expr: `$env.GREETING`, want: `"hello"`},
	{name: "env number", expr: `$env.LIMIT`, want: `3`},
	{name: "process env is invisible", expr: `$env.HOME`, want: `null`},
	{name: "remote ip", expr: `$env.$remote_ip`, want: `"203.0.113.7"`},
	{name: "request method", expr: `$env.$request_method`, want: `"GET"`},
	{name: "request uri", expr: `$env.$request_uri|starts_with:"/api:t/x"`, want: `true`},
	{name: "header by member with hyphen", expr: `$env.$http_headers.X-Trace`, want: `"abc"`},
	{name: "header by bracket", expr: `$env.$http_headers["X-Trace"]`, want: `"abc"`},
	{name: "header by get filter lower case", expr: `$env.$http_headers|get:"user-agent"`, want: `"test"`},
	{name: "auth id anonymous", expr: `$auth.id`, want: `null`},
}

func TestExpressions(t *testing.T) {
	files := map[string]string{}
	for i, c := range exprCases {
		path := fmt.Sprintf("x%d", i)
		files[fmt.Sprintf("api/t/x%d_get.xs", i)] = endpointSrc(path, "GET", `
  input {
    text s?
    int i?
    decimal d?
    json j?
  }
  stack {
  }
  response = `+c.expr)
	}
	e := newEnv(t, files)
	for i, c := range exprCases {
		t.Run(c.name, func(t *testing.T) {
			ep := e.endpoint("GET", fmt.Sprintf("x%d", i))
			out, err := e.callEndpoint(ep, c.input)
			if c.err != "" {
				re := wantError(t, err, c.err)
				msg := strings.ReplaceAll(c.msg, "x.xs", fmt.Sprintf("x%d_get.xs", i))
				if !strings.Contains(re.Message, msg) {
					t.Fatalf("message %q does not contain %q", re.Message, msg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			jsonEq(t, out, c.want)
		})
	}
}

// callEndpoint runs ep as GET with the request of tenv.callAs.
func (e *tenv) callEndpoint(ep *Endpoint, input string) (string, error) {
	e.t.Helper()
	return e.callAs(relaybase.Identity{}, ep.Verb, ep.Path, input)
}

func TestRuntimeErrorNamesPosition(t *testing.T) {
	e := newEnv(t, map[string]string{
		endpointFile("div", "GET"): endpointSrc("div", "GET", `
  stack {
    var $x { value = 0 }
    var $y { value = 10 / $x }
  }
  response = $y`),
	})
	_, err := e.call("GET", "div", "")
	re := wantError(t, err, relaybase.CodeFatal)
	if !strings.Contains(re.Message, "api/t/div_get.xs:5:22") {
		t.Fatalf("message %q does not name the position", re.Message)
	}
}
