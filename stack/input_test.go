package stack

import (
	"fmt"
	"testing"

	"relaybase"
)

// inputCase declares inputs and sends raw values the way httpapi passes them: JSON bodies
// typed, query strings as text. want is $input as JSON; param is the input an error names.
type inputCase struct {
	name  string
	decl  string
	input string
	want  string
	param string
}

var inputCases = []inputCase{
	{name: "int from query text", decl: `int n`, input: `{"n": "5"}`, want: `{"n":5}`},
	{name: "int from json", decl: `int n`, input: `{"n": 5}`, want: `{"n":5}`},
	{name: "int from whole decimal", decl: `int n`, input: `{"n": 5.0}`, want: `{"n":5}`},
	{name: "int rejects fraction", decl: `int n`, input: `{"n": "5.5"}`, param: "n"},
	{name: "int rejects words", decl: `int n`, input: `{"n": "five"}`, param: "n"},
	{name: "int rejects bool", decl: `int n`, input: `{"n": true}`, param: "n"},
	{name: "decimal from text", decl: `decimal d`, input: `{"d": "2.5"}`, want: `{"d":2.5}`},
	{name: "decimal from int", decl: `decimal d`, input: `{"d": 3}`, want: `{"d":3}`},
	{name: "bool true text", decl: `bool b`, input: `{"b": "true"}`, want: `{"b":true}`},
	{name: "bool one", decl: `bool b`, input: `{"b": "1"}`, want: `{"b":true}`},
	{name: "bool false text", decl: `bool b`, input: `{"b": "false"}`, want: `{"b":false}`},
	{name: "bool zero", decl: `bool b`, input: `{"b": "0"}`, want: `{"b":false}`},
	{name: "bool rejects yes", decl: `bool b`, input: `{"b": "yes"}`, param: "b"},
	{name: "text from number", decl: `text s`, input: `{"s": 5}`, want: `{"s":"5"}`},
	{name: "text rejects object", decl: `text s`, input: `{"s": {"a": 1}}`, param: "s"},
	{name: "text keeps sql and html as data", decl: `text s`, input: `{"s": "'; DROP TABLE user; -- <script>"}`, want: `{"s":"'; DROP TABLE user; -- <script>"}`},

	{name: "required missing", decl: `text s`, input: `{}`, param: "s"},
	{name: "required empty text", decl: `text s`, input: `{"s": ""}`, param: "s"},
	{name: "required null", decl: `int n`, input: `{"n": null}`, param: "n"},
	{name: "optional missing is null", decl: `text s?`, input: `{}`, want: `{"s":null}`},
	{name: "optional empty text kept", decl: `text s?`, input: `{"s": ""}`, want: `{"s":""}`},
	{name: "nullable null", decl: `int? n`, input: `{"n": null}`, want: `{"n":null}`},
	{name: "default", decl: `int n?=7`, input: `{}`, want: `{"n":7}`},
	{name: "default not used when given", decl: `int n?=7`, input: `{"n": 1}`, want: `{"n":1}`},
	{name: "quoted default", decl: `text role?="user"`, input: `{}`, want: `{"role":"user"}`},
	{name: "unquoted default", decl: `text country?=US`, input: `{}`, want: `{"country":"US"}`},
	{name: "default now", decl: `timestamp at?=now`, input: `{}`, want: `{"at":1767323045000}`},
	{name: "empty query value for int means absent", decl: `int n?`, input: `{"n": ""}`, want: `{"n":null}`},
	{name: "extra inputs ignored", decl: `int n`, input: `{"n": 1, "zz": 2}`, want: `{"n":1}`},

	{name: "email", decl: `email e`, input: `{"e": "ann@example.com"}`, want: `{"e":"ann@example.com"}`},
	{name: "email with filters", decl: `email e filters=trim|lower`, input: `{"e": "  Ann@Example.COM "}`, want: `{"e":"ann@example.com"}`},
	{name: "email invalid", decl: `email e`, input: `{"e": "not an email"}`, param: "e"},
	{name: "email without domain dot", decl: `email e`, input: `{"e": "a@b"}`, param: "e"},
	{name: "password", decl: `password p`, input: `{"p": "s3cret!"}`, want: `{}`},

	{name: "timestamp ms", decl: `timestamp at`, input: `{"at": 1700000000000}`, want: `{"at":1700000000000}`},
	{name: "timestamp ms as text", decl: `timestamp at`, input: `{"at": "1700000000000"}`, want: `{"at":1700000000000}`},
	{name: "timestamp ISO 8601", decl: `timestamp at`, input: `{"at": "2026-01-02T03:04:05Z"}`, want: `{"at":1767323045000}`},
	{name: "timestamp ISO with offset", decl: `timestamp at`, input: `{"at": "2026-01-02T05:04:05+02:00"}`, want: `{"at":1767323045000}`},
	{name: "timestamp date only", decl: `timestamp at`, input: `{"at": "2026-01-02"}`, want: `{"at":1767312000000}`},
	{name: "timestamp invalid", decl: `timestamp at`, input: `{"at": "yesterday"}`, param: "at"},
	{name: "date", decl: `date d`, input: `{"d": "2026-01-02"}`, want: `{"d":"2026-01-02"}`},
	{name: "date from ISO", decl: `date d`, input: `{"d": "2026-01-02T23:00:00Z"}`, want: `{"d":"2026-01-02"}`},
	{name: "date invalid", decl: `date d`, input: `{"d": "2026-13-01"}`, param: "d"},
	// A query string's a[0]=x&a[1]=y (axios writes arrays of objects so) arrives as an object of indexes.
	{name: "array from an object of indexes", decl: `int[] ns`, input: `{"ns": {"1": "20", "0": "10", "10": "30"}}`, want: `{"ns":[10,20,30]}`},
	{name: "object array from an object of indexes", decl: "object[] items {\n      schema {\n        int k\n      }\n    }",
		input: `{"items": {"0": {"k": "1"}, "1": {"k": "2"}}}`, want: `{"items":[{"k":1},{"k":2}]}`},
	{name: "object with other keys is one item", decl: `json[] js`, input: `{"js": {"0": 1, "x": 2}}`, want: `{"js":[{"0":1,"x":2}]}`},
	{name: "leading zero is not an index", decl: `json[] js`, input: `{"js": {"01": 1}}`, want: `{"js":[{"01":1}]}`},
	{name: "timestamp rejects a decimal past int64", decl: `timestamp at`, input: `{"at": 1e300}`, param: "at"},
	{name: "timestamp rejects a negative decimal past int64", decl: `timestamp at`, input: `{"at": -1e19}`, param: "at"},
	{name: "timestamp from a decimal", decl: `timestamp at`, input: `{"at": 1700000000000.9}`, want: `{"at":1700000000000}`},
	{name: "date from ms", decl: `date d`, input: `{"d": 1767323045000}`, want: `{"d":"2026-01-02"}`},
	{name: "date from ms in year 9999", decl: `date d`, input: `{"d": 253402214400000}`, want: `{"d":"9999-12-31"}`},
	{name: "date rejects ms past year 9999", decl: `date d`, input: `{"d": 253402300800000}`, param: "d"},
	{name: "date rejects ms before year 0", decl: `date d`, input: `{"d": -62167219200001}`, param: "d"},
	{name: "date rejects a decimal past int64", decl: `date d`, input: `{"d": 1e300}`, param: "d"},
	{name: "uuid", decl: `uuid u`, input: `{"u": "6F9619FF-8B86-D011-B42D-00C04FC964FF"}`, want: `{"u":"6f9619ff-8b86-d011-b42d-00c04fc964ff"}`},
	{name: "uuid invalid", decl: `uuid u`, input: `{"u": "123"}`, param: "u"},
	{name: "json any", decl: `json j`, input: `{"j": [1, {"a": null}]}`, want: `{"j":[1,{"a":null}]}`},
	{name: "json from query text", decl: `json j`, input: `{"j": "{\"a\":1}"}`, want: `{"j":{"a":1}}`},
	{name: "enum", decl: `enum tier { values = ["free", "pro"] }`, input: `{"tier": "pro"}`, want: `{"tier":"pro"}`},
	{name: "enum invalid", decl: `enum tier { values = ["free", "pro"] }`, input: `{"tier": "gold"}`, param: "tier"},
	{name: "enum default", decl: `enum tier?="free" { values = ["free", "pro"] }`, input: `{}`, want: `{"tier":"free"}`},

	{name: "object schema", decl: `object addr {
      schema {
        text city filters=trim
        int zip?
        text country?=US
      }
    }`, input: `{"addr": {"city": " Oslo ", "zip": "150", "other": 1}}`, want: `{"addr":{"city":"Oslo","zip":150,"country":"US"}}`},
	{name: "object schema error names nested param", decl: `object addr {
      schema {
        text city
      }
    }`, input: `{"addr": {}}`, param: "addr.city"},
	{name: "object rejects text", decl: `object addr { schema { text city } }`, input: `{"addr": "x"}`, param: "addr"},
	{name: "array of text", decl: `text[] tags`, input: `{"tags": ["a", "b"]}`, want: `{"tags":["a","b"]}`},
	{name: "array from one query value", decl: `text[] tags`, input: `{"tags": "a"}`, want: `{"tags":["a"]}`},
	{name: "array of int from query text", decl: `int[] ids`, input: `{"ids": ["1", "2"]}`, want: `{"ids":[1,2]}`},
	{name: "array element error", decl: `int[] ids`, input: `{"ids": ["1", "x"]}`, param: "ids.1"},
	{name: "array of objects", decl: `object[] items { schema { int id } }`, input: `{"items": [{"id": "3"}]}`, want: `{"items":[{"id":3}]}`},
	{name: "ranged array too short", decl: `object[1:] items { schema { int id } }`, input: `{"items": []}`, param: "items"},
	{name: "element filters apply to each element", decl: `text[] tags filters=trim|lower`, input: `{"tags": [" A ", "b"]}`, want: `{"tags":["a","b"]}`},

	{name: "filters trim lower", decl: `text s filters=trim|lower`, input: `{"s": "  HeLLo "}`, want: `{"s":"hello"}`},
	{name: "min on text is length", decl: `text s filters=min:3`, input: `{"s": "ab"}`, param: "s"},
	{name: "min counts characters not bytes", decl: `text s filters=min:3|max:3`, input: `{"s": "héé"}`, want: `{"s":"héé"}`},
	{name: "max on text", decl: `text s filters=max:2`, input: `{"s": "abc"}`, param: "s"},
	{name: "min on int is value", decl: `int n filters=min:1`, input: `{"n": 0}`, param: "n"},
	{name: "max on int is value", decl: `int n filters=min:1|max:100`, input: `{"n": 100}`, want: `{"n":100}`},
	{name: "min on array is count", decl: `text[] tags filters=min:2`, input: `{"tags": ["a"]}`, param: "tags"},
	{name: "max on array is count", decl: `text[] tags filters=max:1`, input: `{"tags": ["long text", "b"]}`, param: "tags"},
	{name: "digitOk", decl: `text pin filters=digitOk`, input: `{"pin": "12a"}`, param: "pin"},
	{name: "alphaOk", decl: `text w filters=alphaOk`, input: `{"w": "abc"}`, want: `{"w":"abc"}`},
	{name: "startsWith", decl: `text sku filters=startsWith:"SKU-"`, input: `{"sku": "X-1"}`, param: "sku"},
	{name: "password complexity", decl: `password p filters=min:8|minDigit:1|minUpperAlpha:1`, input: `{"p": "password"}`, param: "p"},
	{name: "foreign key input", decl: `int user_id { table = "user" }`, input: `{"user_id": "4"}`, want: `{"user_id":4}`},
}

func TestInputs(t *testing.T) {
	files := map[string]string{}
	for i, c := range inputCases {
		files[fmt.Sprintf("api/t/i%d_get.xs", i)] = endpointSrc(fmt.Sprintf("i%d", i), "GET", `
  input {
    `+c.decl+`
  }
  stack {
  }
  response = $input`)
	}
	e := newEnv(t, files)
	for i, c := range inputCases {
		t.Run(c.name, func(t *testing.T) {
			out, err := e.call("GET", fmt.Sprintf("i%d", i), c.input)
			if c.param != "" {
				re := wantError(t, err, relaybase.CodeInputError)
				jsonEq(t, mustJSON(t, re.Payload), fmt.Sprintf(`{"param":%q}`, c.param))
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			jsonEq(t, out, c.want)
		})
	}
}

func TestEndpointInputsDescribed(t *testing.T) {
	e := newEnv(t, map[string]string{
		endpointFile("d", "POST"): endpointSrc("d", "POST", `
  input {
    text name filters=trim
    int? age?
    enum tier?="free" { values = ["free", "pro"] }
    int user_id { table = "user" }
    object[] items { schema { int id } }
  }
  stack {}
  response = null`),
	})
	ins := e.endpoint("POST", "d").Inputs
	got := mustJSON(t, describeForTest(ins))
	jsonEq(t, got, `[
	  {"name":"name","type":"text","required":true,"nullable":false,"array":false},
	  {"name":"age","type":"int","required":false,"nullable":true,"array":false},
	  {"name":"tier","type":"enum","required":false,"nullable":false,"array":false,"default":"free","values":["free","pro"]},
	  {"name":"user_id","type":"int","required":true,"nullable":false,"array":false,"table":"user"},
	  {"name":"items","type":"object","required":true,"nullable":false,"array":true,
	   "fields":[{"name":"id","type":"int","required":true,"nullable":false,"array":false}]}]`)
}

func describeForTest(ins []Input) []any {
	var out []any
	for _, in := range ins {
		m := map[string]any{"name": in.Name, "type": in.Type, "required": in.Required, "nullable": in.Nullable, "array": in.Array}
		if in.Default != nil {
			m["default"] = in.Default
		}
		if len(in.Values) > 0 {
			m["values"] = in.Values
		}
		if in.Table != "" {
			m["table"] = in.Table
		}
		if len(in.Fields) > 0 {
			m["fields"] = describeForTest(in.Fields)
		}
		out = append(out, m)
	}
	return out
}
