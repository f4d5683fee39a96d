package xs

import (
	"strings"
	"testing"
)

// TestDialects covers every item of "What Xano's own exports contain" in docs/xanoscript.md (the kinds of construct real workspace files hold).
func TestDialects(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		check func(t *testing.T, f *File)
	}{
		{"file starting with comments", "// one\n// two\n\nquery q verb=GET {\n  stack {}\n}\n", func(t *testing.T, f *File) {
			q := one(t, f)
			if q.Keyword != "query" || q.Pos.Line != 4 {
				t.Errorf("got %s at %v", q.Keyword, q.Pos)
			}
		}},
		{"disabled statement", "function f {\n  stack {\n    !var $x {\n      value = 1\n    }\n  }\n}", func(t *testing.T, f *File) {
			v := one(t, f).Body.Node("stack").Body.Nodes[0]
			if !v.Disabled || v.Keyword != "var" || v.Body.Attr("value") == nil {
				t.Errorf("got %s", dump([]*Node{v}))
			}
			if one(t, f).Body.Node("stack").Body.Node("var") != nil {
				t.Error("Block.Node returned a disabled node")
			}
		}},
		{"metadata attributes", "query q verb=GET {\n  guid = \"tgGYuUFKbBz4\"\n  tags = [\"a\", \"b\"]\n  history = {inherit: true}\n  description = \"d\"\n  stack {\n    var $x {\n      guid = \"abc\"\n      value = 1\n    }\n  }\n}", func(t *testing.T, f *File) {
			q := one(t, f)
			for _, k := range []string{"guid", "tags", "history", "description"} {
				if q.Body.Attr(k) == nil {
					t.Errorf("no %s", k)
				}
			}
			if q.Body.Node("stack").Body.Node("var").Body.Attr("guid") == nil {
				t.Error("no guid on the statement")
			}
		}},
		{"api_group inside query", "query q verb=GET {\n  api_group = \"Chat\"\n}", func(t *testing.T, f *File) {
			if a := one(t, f).Body.Attr("api_group"); a == nil || sexpr(a.Value) != `"Chat"` {
				t.Errorf("api_group = %v", a)
			}
		}},
		{"no api_group line", "query q verb=GET {\n  stack {}\n}", func(t *testing.T, f *File) {
			if one(t, f).Body.Attr("api_group") != nil {
				t.Error("unexpected api_group")
			}
		}},
		{"input on one line", "query q verb=GET {\n  input {}\n}", func(t *testing.T, f *File) {
			in := one(t, f).Body.Node("input")
			if in == nil || in.Body == nil || len(in.Body.Nodes) != 0 {
				t.Errorf("input = %v", in)
			}
		}},
		{"empty multi-line input", "query q verb=GET {\n  input {\n\n  }\n}", func(t *testing.T, f *File) {
			in := one(t, f).Body.Node("input")
			if in == nil || in.Body == nil || len(in.Body.Nodes) != 0 || in.Body.End.Line != 4 {
				t.Errorf("input = %+v", in.Body)
			}
		}},
		{"unquoted names", "query location verb=POST {\n  stack {\n    db.add_or_edit driver_locations {\n      field_name = \"id\"\n    }\n  }\n}", func(t *testing.T, f *File) {
			q := one(t, f)
			if q.Name != "location" || q.Quoted || sexpr(q.InlineAttr("verb").Value) != "#POST" {
				t.Errorf("got %s", dump(f.Objects))
			}
			if n := q.Body.Node("stack").Body.Node("db.add_or_edit"); n == nil || n.Name != "driver_locations" {
				t.Errorf("got %s", dump(f.Objects))
			}
		}},
		{"unquoted api_group name", "api_group Authentication {\n  canonical = \"auth\"\n}", func(t *testing.T, f *File) {
			if g := one(t, f); g.Name != "Authentication" || g.Quoted {
				t.Errorf("got %+v", g)
			}
		}},
		{"unquoted path name", "query users/{id}/posts verb=GET {\n}", func(t *testing.T, f *File) {
			if q := one(t, f); q.Name != "users/{id}/posts" {
				t.Errorf("got %q", q.Name)
			}
		}},
		{"quoted names", "query \"messages/{id}\" verb=DELETE {\n}", func(t *testing.T, f *File) {
			if q := one(t, f); q.Name != "messages/{id}" || !q.Quoted {
				t.Errorf("got %+v", q)
			}
		}},
		{"numeric table ids", "query q verb=POST {\n  auth = \"37\"\n  stack {\n    db.get \"97\" {\n      field_name = \"id\"\n    } as $u\n    security.create_auth_token {\n      dbtable = \"97\"\n      id = $u.id\n    } as $t\n    api.realtime_event {\n      channel = \"c\"\n      auth_table = \"37\"\n    }\n  }\n}", func(t *testing.T, f *File) {
			st := one(t, f).Body.Node("stack").Body
			if n := st.Node("db.get"); n.Name != "97" || !n.Quoted {
				t.Errorf("db.get name %q", n.Name)
			}
			if a := st.Node("security.create_auth_token").Body.Attr("dbtable"); sexpr(a.Value) != `"97"` {
				t.Errorf("dbtable %s", sexpr(a.Value))
			}
		}},
		{"realtime_event with null and empty targeting", "function f {\n  stack {\n    api.realtime_event {\n      channel = \"room\"\n      data = {a: 1}\n      auth_table = null\n      auth_id = \"\"\n      event = \"new\"\n    }\n  }\n}", func(t *testing.T, f *File) {
			ev := one(t, f).Body.Node("stack").Body.Node("api.realtime_event").Body
			if sexpr(ev.Attr("auth_table").Value) != "<nil>" || sexpr(ev.Attr("auth_id").Value) != `""` || ev.Attr("event") == nil {
				t.Errorf("got %s", dump(f.Objects))
			}
		}},
		{"triple-quoted strings", "function f {\n  stack {\n    var $t {\n      value = \"\"\"\nSay \"hi\"\n  and 'bye'\n\"\"\"\n    }\n  }\n}", func(t *testing.T, f *File) {
			v := one(t, f).Body.Node("stack").Body.Node("var").Body.Attr("value").Value
			if sexpr(v) != `"\nSay \"hi\"\n  and 'bye'\n"` {
				t.Errorf("got %s", sexpr(v))
			}
		}},
		{"backtick expression blocks", "function f {\n  stack {\n    var $a { value = `$x + 1` }\n    var $b {\n      value = ```\n        $x|to_text\n      ```\n    }\n  }\n}", func(t *testing.T, f *File) {
			st := one(t, f).Body.Node("stack").Body.Nodes
			if sexpr(st[0].Body.Attr("value").Value) != "(+ var(x) 1)" || sexpr(st[1].Body.Attr("value").Value) != "(|to_text var(x))" {
				t.Errorf("got %s", dump(st))
			}
			if p := st[1].Body.Attr("value").Value.Position(); p.Line != 6 || p.Col != 9 {
				t.Errorf("position inside ``` block: %v", p)
			}
		}},
		{"member access by bracket, number and header name", "function f {\n  stack {\n    var $a { value = $h[\"X-Header\"] }\n    var $b { value = $list.0.id }\n    var $c { value = $env.$http_headers.X-Header-Name }\n  }\n}", func(t *testing.T, f *File) {
			st := one(t, f).Body.Node("stack").Body.Nodes
			got := []string{sexpr(st[0].Body.Attr("value").Value), sexpr(st[1].Body.Attr("value").Value), sexpr(st[2].Body.Attr("value").Value)}
			want := []string{`var(h)["X-Header"]`, "var(list).0.id", "var($env).$http_headers.X-Header-Name"}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("got %s, want %s", got[i], want[i])
				}
			}
		}},
		{"filters mixed with comparisons", "function f {\n  stack {\n    precondition ($x|get:\"k\":\"\" == \"paid\" && $y not in [1] && !$z && $a~$b == \"ab\") {\n      error = \"no\"\n    }\n  }\n}", func(t *testing.T, f *File) {
			c := one(t, f).Body.Node("stack").Body.Node("precondition").Cond
			want := `(&& (&& (&& (== (|get var(x) "k" "") "paid") (not in var(y) [1])) (! var(z))) (== (~ var(a) var(b)) "ab"))`
			if sexpr(c) != want {
				t.Errorf("got  %s\nwant %s", sexpr(c), want)
			}
		}},
		{"switch case break", "function f {\n  stack {\n    switch ($x) {\n      case (\"a\") {\n        var $y { value = 1 }\n      } break\n    }\n  }\n}", func(t *testing.T, f *File) {
			sw := one(t, f).Body.Node("stack").Body.Node("switch").Body.Nodes
			if len(sw) != 2 || sw[0].Keyword != "case" || sw[1].Keyword != "break" {
				t.Errorf("got %s", dump(sw))
			}
		}},
		{"one-line blocks", "function f {\n  stack {\n    var.update $x { value = true }\n  }\n}", func(t *testing.T, f *File) {
			n := one(t, f).Body.Node("stack").Body.Node("var.update")
			if n.Name != "$x" || sexpr(n.Body.Attr("value").Value) != "true" {
				t.Errorf("got %s", dump([]*Node{n}))
			}
		}},
		{"commas or newlines between object members", "workspace w {\n  env = {\n    A: 1,\n    B: 2\n    C: 3\n  }\n}", func(t *testing.T, f *File) {
			if got := sexpr(one(t, f).Body.Attr("env").Value); got != "{A:1 B:2 C:3}" {
				t.Errorf("got %s", got)
			}
		}},
		{"unquoted defaults", "table t {\n  schema {\n    int id\n    text country?=US\n  }\n}", func(t *testing.T, f *File) {
			fd := one(t, f).Body.Node("schema").Body.Nodes[1].Field
			if id, ok := fd.Default.(*Ident); !ok || id.Name != "US" {
				t.Errorf("default %#v", fd.Default)
			}
		}},
		{"ranged arrays", "function f {\n  input {\n    object[1:] items {\n      schema {\n        int id\n      }\n    }\n  }\n}", func(t *testing.T, f *File) {
			fd := one(t, f).Body.Node("input").Body.Nodes[0].Field
			if !fd.Array || fd.ArrayMin != 1 || fd.ArrayMax != -1 || fd.Type != "object" || fd.Name != "items" {
				t.Errorf("field %+v", fd)
			}
		}},
		{"unquoted timestamps in schedule", "task t {\n  stack {}\n  schedule = [{starts_on: 2025-01-01 09:00:00+0000, freq: 86400, ends_on: 2025-12-31 23:59:59+0000}]\n}", func(t *testing.T, f *File) {
			got := sexpr(one(t, f).Body.Attr("schedule").Value)
			if want := "[{starts_on:#2025-01-01 09:00:00+0000 freq:86400 ends_on:#2025-12-31 23:59:59+0000}]"; got != want {
				t.Errorf("got %s", got)
			}
		}},
		{"non-ASCII identifiers and emoji names", "query \"café/🍕\" verb=GET {\n  input {\n    text 名前\n  }\n  stack {\n    var $données { value = $input.名前 ~ \"✓\" }\n  }\n  response = $données\n}", func(t *testing.T, f *File) {
			q := one(t, f)
			if q.Name != "café/🍕" || q.Body.Node("input").Body.Nodes[0].Field.Name != "名前" {
				t.Errorf("got %s", dump(f.Objects))
			}
			if got := sexpr(q.Body.Attr("response").Value); got != "var(données)" {
				t.Errorf("response %s", got)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, diags := Parse("t.xs", []byte(tt.src))
			if len(diags) > 0 {
				t.Fatalf("parse:\n%s\n%v", tt.src, diags)
			}
			tt.check(t, f)
		})
	}
}

func one(t *testing.T, f *File) *Node {
	t.Helper()
	if len(f.Objects) != 1 {
		t.Fatalf("%d objects, want 1:\n%s", len(f.Objects), dump(f.Objects))
	}
	return f.Objects[0]
}

// TestPositions checks line:col, with columns counted in characters.
func TestPositions(t *testing.T) {
	src := "// é😀\nquery \"é😀\" verb=GET {\n  stack {\n    var $名前 { value = \"😀😀\" ~ $x|trim }\n  }\n}\n"
	f, diags := Parse("p.xs", []byte(src))
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	q := f.Objects[0]
	v := q.Body.Node("stack").Body.Node("var")
	attr := v.Body.Attr("value")
	bin := attr.Value.(*Binary)
	filt := bin.Y.(*Filter)
	tests := []struct {
		what string
		got  Pos
		line int
		col  int
	}{
		{"query", q.Pos, 2, 1},
		{"query name", q.NamePos, 2, 7},
		{"verb", q.Inline[0].Pos, 2, 12},
		{"verb value", q.Inline[0].Value.Position(), 2, 17},
		{"body", q.Body.Pos, 2, 21},
		{"var", v.Pos, 4, 5},
		{"var name", v.NamePos, 4, 9},
		{"value attr", attr.Pos, 4, 15},
		{"binary starts at its left operand", bin.Pos, 4, 23},
		{"right operand after emoji", filt.Pos, 4, 30},
		{"filter name", filt.Call.Pos, 4, 33},
		{"block end", q.Body.End, 6, 1},
	}
	for _, tt := range tests {
		if tt.got.Line != tt.line || tt.got.Col != tt.col || tt.got.File != "p.xs" {
			t.Errorf("%s at %v, want p.xs:%d:%d", tt.what, tt.got, tt.line, tt.col)
		}
	}
	_, diags = Parse("p.xs", []byte("function \"😀\" {\n  stack {\n    var $é { value = \"😀\" + }\n  }\n}"))
	if len(diags) != 1 || diags[0].Pos.Line != 3 || diags[0].Pos.Col != 28 {
		t.Errorf("diagnostic after multibyte text: %v, want p.xs:3:28", diags)
	}
}

// TestErrors checks that every syntax error is reported at once, with its position and
// what was expected, and that parsing goes on after each.
func TestErrors(t *testing.T) {
	src := `query broken verb=GET {
  input {
    text
    int ok
  }
  stack {
    var $x { value = 1 + }
    var $y { value = [1, 2 }
    db.get user { field_name = } as $u
    var $fine { value = 2 }
    conditional {
      if ($a == ) {
        var $z { value = 1 }
      }
      else {
        var $w { value = 1 2 }
      }
    }
    = 5
  }
  response = $fine
}
`
	f, diags := Parse("bad.xs", []byte(src))
	want := []string{
		`bad.xs:3:9: error: expected a field name, found end of line`,
		`bad.xs:7:26: error: expected an expression, found "}"`,
		`bad.xs:8:28: error: expected "," or "]", found "}"`,
		`bad.xs:9:32: error: expected an expression, found "}"`,
		`bad.xs:12:17: error: expected an expression, found ")"`,
		`bad.xs:16:28: error: expected end of line, found number 2`,
		`bad.xs:19:5: error: expected a statement or attribute, found "="`,
	}
	var got []string
	for _, d := range diags {
		got = append(got, d.String())
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("diagnostics:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Recovery keeps what follows each error.
	q := f.Objects[0]
	st := q.Body.Node("stack")
	if st == nil || st.Body.Node("conditional") == nil || q.Body.Attr("response") == nil {
		t.Fatalf("lost statements after errors:\n%s", dump(f.Objects))
	}
	var names []string
	for _, n := range st.Body.Nodes {
		names = append(names, n.Keyword+" "+n.Name)
	}
	if got, want := strings.Join(names, ","), "var $x,var $y,db.get user,var $fine,conditional "; got != want {
		t.Errorf("statements %q, want %q", got, want)
	}
}

func TestErrorCases(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"missing closing brace", "query q verb=GET {\n  stack {\n  }\n", `t.xs:4:1: error: expected "}", found end of file`},
		{"attribute at top level", "x = 1\n", `t.xs:1:1: error: expected an object such as query, function or table, found "x"`},
		{"stray closing brace", "}\n", `t.xs:1:1: error: expected an object such as query, function or table, found "}"`},
		{"missing condition paren", "function f {\n  stack {\n    if ($a {\n    }\n  }\n}", `t.xs:3:12: error: expected ")", found "{"`},
		{"as without variable", "function f {\n  stack {\n    db.get u {} as u\n  }\n}", `t.xs:3:20: error: expected a variable after as, found "u"`},
		{"bad array range", "function f {\n  input {\n    text[1:x] a\n  }\n}", `t.xs:3:12: error: expected "]", found "x"`},
		{"empty filters", "function f {\n  input {\n    text a filters= \n  }\n}", `t.xs:3:21: error: expected a filter name after filters=, found end of line`},
		{"empty filter name", "function f {\n  input {\n    text a filters=trim||x\n  }\n}", `t.xs:3:25: error: expected a filter name in filters=, found "|"`},
		{"unterminated string in filters", "function f {\n  input {\n    text a filters=prevent:\"x y\n    text b\n  }\n}", `t.xs:3:28: error: unterminated string: expected closing ", found end of filters`},
		{"unterminated comment", "function f {\n  stack {\n    /* no end\n  }\n}", "t.xs:3:5: error: unterminated comment: expected */, found end of file"},
		{"unterminated string", "function f {\n  stack {\n    var $a { value = \"abc }\n  }\n}", "t.xs:3:22: error: unterminated string"},
		{"junk after statement", "function f {\n  stack {\n    var $a { value = 1 } as\n  }\n}", `t.xs:3:28: error: expected a variable after as, found end of line`},
		{"too deep", "function f {\n  stack {\n    var $a { value = " + strings.Repeat("(", 2000) + " }\n  }\n}", "nesting too deep"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := Parse("t.xs", []byte(tt.src))
			if len(diags) == 0 {
				t.Fatalf("no diagnostics, want %s", tt.want)
			}
			if got := diags[0].String(); !strings.Contains(got, tt.want) {
				t.Errorf("got  %s\nwant %s (all: %v)", got, tt.want, diags)
			}
		})
	}
}

func TestLineEndings(t *testing.T) {
	src := "\ufeff// exported on Windows\r\nquery q verb=GET {\r\n\tstack {\r\n\t\tvar $x { value = \"a\" ~\r\n\t\t\t\"b\" }\r\n\t}\r\n}\r\n"
	f, diags := Parse("w.xs", []byte(src))
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	v := one(t, f).Body.Node("stack").Body.Node("var")
	if v.Pos.Line != 4 || v.Pos.Col != 3 {
		t.Errorf("var at %v, want 4:3 (a tab is one character)", v.Pos)
	}
	if got := sexpr(v.Body.Attr("value").Value); got != `(~ "a" "b")` {
		t.Errorf("value %s", got)
	}
}

// TestNoPanic runs hostile inputs that once could trip a parser; FuzzParse covers more.
func TestNoPanic(t *testing.T) {
	for _, src := range []string{
		"", "\x00", "\xff\xfe", "{", "}", "}}}}", "((((", "[[[[", "query", "query {", "query q {",
		"query q { input {", "query q { input { text", "query q { input { text a?=", "query q { input { text a filters=",
		"query q { input { text a filters=|", "query q { input { text a filters=a:", "query q { input { text[",
		"query q { input { text[1:", "query q { stack { var $x { value = ", "f { a = $x|", "f { a = $x|g:",
		"f { a = $$|", "f { a = `", "f { a = ```", "f { a = \"\"\"", "f { a = '", "f { a = {b:", "f { a = [1,",
		"f { a = $x.", "f { a = $x[", "f { a = $env.$http_headers.X-", "f { a = 1 ? ", "f { a = 1 ? 2 :",
		"f { a = x(", "f { a = x(1,", "f { a = not", "f { a = $x not", "f (", "f (a as", "f (a as $x",
		"f as", "f {} as", "!", "!!", "! !", "a.b.c.", "a..b", "f { a = 2025-01-01 ", "f { a = 2025-01-01 12:",
		"f { a = 1e", "f { a = 1.", "f { a = .5 }", "f { a = -", "f { a = !", "/*", "//", "f { /* }",
		"f { a = 1 } b", "x = 1", "f { case (1) {} break break }", "f { each ($a as ) {} }",
	} {
		checkParse(t, []byte(src))
	}
}
