package xs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExpr(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"precedence mul over add", "1 + 2 * 3", "(+ 1 (* 2 3))"},
		{"left associative", "1 - 2 - 3", "(- (- 1 2) 3)"},
		{"modulo then compare", "$a % 2 == 0", "(== (% var(a) 2) 0)"},
		{"and over or", "$a || $b && $c", "(|| var(a) (&& var(b) var(c)))"},
		{"coalesce loosest of binaries", "$a || $b ?? $c", "(?? (|| var(a) var(b)) var(c))"},
		{"coalesce chain", `$a ?? $b ?? "d"`, `(?? (?? var(a) var(b)) "d")`},
		{"ternary", "$c ? 1 : 2", "(? var(c) 1 2)"},
		{"ternary nests right", "$a ? 1 : $b ? 2 : 3", "(? var(a) 1 (? var(b) 2 3))"},
		{"ternary with filter in branch", `$c ? $x|get:"a" : $y`, `(? var(c) (|get var(x) "a") var(y))`},
		{"ternary over comparison", `$a > 1 ? "big" : "small"`, `(? (> var(a) 1) "big" "small")`},
		{"filter tighter than compare", `$x|get:"k":"" == "paid"`, `(== (|get var(x) "k" "") "paid")`},
		{"filter tighter than compare, count", "$arr|count > 0", "(> (|count var(arr)) 0)"},
		{"filter tighter than not", "!$x|is_empty", "(! (|is_empty var(x)))"},
		{"filter tighter than minus", "-1|abs", "(- (|abs 1))"},
		{"filter tighter than divide", "$p / 1.1 | round:2", "(/ var(p) (|round 1.1f 2))"},
		{"parenthesised filter", "($arr|count) > 0", "(> (paren (|count var(arr))) 0)"},
		{"filter chain", "$data|json_encode|base64_encode", "(|base64_encode (|json_encode var(data)))"},
		{"filter args", `"a"|concat:$b:" "`, `(|concat "a" var(b) " ")`},
		{"negative filter args", "$s|substr:-3:2", "(|substr var(s) -3 2)"},
		{"filter arg object", `$o|set:"k":{a: 1}`, `(|set var(o) "k" {a:1})`},
		{"filter arg parenthesised", `$o|set:"k":($a + 1)`, `(|set var(o) "k" (paren (+ var(a) 1)))`},
		{"filter arg member", `$o|get:$input.key`, `(|get var(o) var($input).key)`},
		{"filter arg bare path", "$x|set:listing.discount:0.16", "(|set var(x) #listing.discount 0.16f)"},
		{"filter arg bare words", "{a:1}|pick:[a,c]", "(|pick {a:1} [#a #c])"},
		{"filter on literal", `"now"|to_timestamp`, `(|to_timestamp "now")`},
		{"filter on now", "now|to_ms", "(|to_ms #now)"},
		{"filter over line end", "$x\n  |trim", "(|trim var(x))"},
		{"lambda map", "$list|map:$$.name", "(|map var(list) var($$).name)"},
		{"lambda ends at next filter", "$list|filter:$$.active|count", "(|count (|filter var(list) var($$).active))"},
		{"lambda takes comparison", "$arr|find:$$.id == 5", "(|find var(arr) (== var($$).id 5))"},
		{"lambda takes logic", "$arr|filter:$$.a > 1 && $$.b", "(|filter var(arr) (&& (> var($$).a 1) var($$).b))"},
		{"lambda ends at next argument", "$arr|reduce:$$+$result:0", "(|reduce var(arr) (+ var($$) var(result)) 0)"},
		{"lambda with parenthesised filter", "$s|map:($$|to_upper)", "(|map var(s) (paren (|to_upper var($$))))"},
		{"concat without spaces", `$a~"-"~$b`, `(~ (~ var(a) "-") var(b))`},
		{"concat mixed spacing", `$a ~$b~"c"`, `(~ (~ var(a) var(b)) "c")`},
		{"concat same level as add", `"n" ~ 1 + 2`, `(+ (~ "n" 1) 2)`},
		{"strict equality", "$a ===$b", "(=== var(a) var(b))"},
		{"strict inequality", "$a !== null", "(!== var(a) <nil>)"},
		{"null-safe equal", "$db.user.email ==? $input.email", "(==? var($db).user.email var($input).email)"},
		{"null-safe not equal", "$a !=? 1", "(!=? var(a) 1)"},
		{"null-safe ordering", "$a >=? 3 && $b <? 4 && $c >? 5 && $d <=? 6", "(&& (&& (&& (>=? var(a) 3) (<? var(b) 4)) (>? var(c) 5)) (<=? var(d) 6))"},
		{"in", "$x in $list", "(in var(x) var(list))"},
		{"not in", "$x not in [1, 2]", "(not in var(x) [1 2])"},
		{"includes", `$db.post.title includes "x"`, `(includes var($db).post.title "x")`},
		{"not contains", `$db.post.tags not contains "spam"`, `(not contains var($db).post.tags "spam")`},
		{"not", "!($a && $b)", "(! (paren (&& var(a) var(b))))"},
		{"double not", "!!$a", "(! (! var(a)))"},
		{"negative literal", "-1", "-1"},
		{"negative decimal", "-1.5", "-1.5f"},
		{"minus negative", "$a - -1", "(- var(a) -1)"},
		{"negate variable", "-$a", "(- var(a))"},
		{"binary over line end", "$a\n  && $b", "(&& var(a) var(b))"},
		{"operator ending a line", "$a &&\n  $b ~\n\n \"c\"", `(&& var(a) (~ var(b) "c"))`},
		{"ternary over lines", "$a\n  ? 1\n  : 2", "(? var(a) 1 2)"},
		{"ternary with operators ending lines", "$a ?\n 1 :\n 2", "(? var(a) 1 2)"},
		{"int", "42", "42"},
		{"decimal", "0.25", "0.25f"},
		{"exponent", "1.5e3", "1500f"},
		{"huge int becomes decimal", "99999999999999999999", "1e+20f"},
		{"string escapes", `"esc\"aped\n\u00e9\d"`, `"esc\"aped\né\\d"`},
		{"single quotes", "'single'", `"single"`},
		{"triple quotes hold quotes and lines", "\"\"\"he said \"hi\"\n ok\"\"\"", `"he said \"hi\"\n ok"`},
		{"backtick expression", "`$a + 1`", "(+ var(a) 1)"},
		{"triple backtick expression", "```\n  $a|trim\n```", "(|trim var(a))"},
		{"true false null", "[true, false, null]", "[true false <nil>]"},
		{"now", "now", "#now"},
		{"unquoted timestamp", "2025-01-01 00:00:00+0000", "#2025-01-01 00:00:00+0000"},
		{"unquoted date", "2025-06-15", "#2025-06-15"},
		{"object commas", `{a: 1, "b": 2}`, "{a:1 b:2}"},
		{"object newlines", "{\n  a: 1\n  b: 2\n}", "{a:1 b:2}"},
		{"object commas and newlines", "{\n  a: 1,\n  b: $x\n    && $y,\n}", "{a:1 b:(&& var(x) var(y))}"},
		{"object dotted and spaced keys", "{jokes.id: \"rand\", email     : 1}", `{jokes.id:"rand" email:1}`},
		{"empty object", "{}", "{}"},
		{"array newlines", "[\n  {a: 1}\n  {a: 2}\n]", "[{a:1} {a:2}]"},
		{"array newline keeps negative element", "[1\n -2]", "[1 -2]"},
		{"array trailing comma", "[1, 2,]", "[1 2]"},
		{"input member", "$input.x", "var($input).x"},
		{"var member", "$var.total", "var($var).total"},
		{"stack variable", "$total", "var(total)"},
		{"auth", "$auth.id", "var($auth).id"},
		{"env", "$env.NAME", "var($env).NAME"},
		{"env builtin", "$env.$remote_ip", "var($env).$remote_ip"},
		{"header with hyphens", "$env.$http_headers.X-Header-Name", "var($env).$http_headers.X-Header-Name"},
		{"db field", "$db.user.email", "var($db).user.email"},
		{"current element", "$$", "var($$)"},
		{"anchor", "$0.name", "var($0).name"},
		{"bracket access", `$h["X-Header"]`, `var(h)["X-Header"]`},
		{"numeric member", "$list.0.id", "var(list).0.id"},
		{"numeric members", "$list.0.1", "var(list).0.1"},
		{"index then member", "$x.y[0].z", "var(x).y[0].z"},
		{"array filter", `$stores[$$.category == "retail"]`, `var(stores)[(== var($$).category "retail")]`},
		{"call", "math.add(5, 3)", "call math.add(5 3)"},
		{"call one arg", "count($input.tools)", "call count(var($input).tools)"},
		{"non-ASCII variable", `$名前 ~ "😀"`, `(~ var(名前) "😀")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x, diags := parseExpr(tt.src)
			if len(diags) > 0 {
				t.Fatalf("parse %q: %v", tt.src, diags)
			}
			if got := sexpr(x); got != tt.want {
				t.Errorf("parse %q\n got %s\nwant %s", tt.src, got, tt.want)
			}
		})
	}
}

func TestExprErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"missing operand", "1 +", "t.xs:1:4: error: expected an expression, found end of file"},
		{"unclosed paren", "($a", `t.xs:1:4: error: expected ")", found end of file`},
		{"unclosed array", "[1, 2", `t.xs:1:6: error: expected "," or "]", found end of file`},
		{"missing colon", "{a 1}", `t.xs:1:4: error: expected ":", found number 1`},
		{"bad member", "$a.+", `t.xs:1:4: error: expected a member name after ., found "+"`},
		{"bad filter", "$a|1", `t.xs:1:4: error: expected a filter name after |, found number 1`},
		{"ternary without else", "$a ? 1", `t.xs:1:7: error: expected ":", found end of file`},
		{"unterminated string", `"abc`, `t.xs:1:1: error: unterminated string: expected closing ", found end of file`},
		{"unterminated triple string", `"""abc`, `t.xs:1:1: error: unterminated string: expected closing """, found end of file`},
		{"unterminated backtick", "`$a", "t.xs:1:1: error: unterminated expression: expected closing `, found end of file"},
		{"bad backtick content", "`$a +`", "t.xs:1:6: error: expected an expression, found end of file"},
		{"lone dollar", "$", "t.xs:1:1: error: expected a variable name after $, found end of file"},
		{"illegal character", "^", "t.xs:1:1: error: unexpected character '^'"},
		{"hash mid-line", "1 # 2", "t.xs:1:3: error: unexpected character '#'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := parseExpr(tt.src)
			if len(diags) == 0 {
				t.Fatalf("parse %q: no error, want %s", tt.src, tt.want)
			}
			if got := diags[0].String(); got != tt.want {
				t.Errorf("parse %q\n got %s\nwant %s", tt.src, got, tt.want)
			}
		})
	}
}

func TestExprString(t *testing.T) {
	tests := []struct{ src, want string }{
		{"1 + 2 * 3", "1 + 2 * 3"},
		{"($a+1)*2", "($a + 1) * 2"},
		{`$x|get:"k":"" == "paid"`, `$x|get:"k":"" == "paid"`},
		{"$list|map:$$.name", "$list|map:$$.name"},
		{"$input.x ?? -1.5", "$input.x ?? -1.5"},
		{`{a: 1, "b c": [true, null]}`, `{a: 1, "b c": [true, null]}`},
		{`$h["X"].y`, `$h["X"].y`},
		{"!$a ? 1.0 : now", "!$a ? 1.0 : now"},
		{"$x not in [1]", "$x not in [1]"},
		{"math.add(1, 2)", "math.add(1, 2)"},
		{"$env.$http_headers.X-Id", "$env.$http_headers.X-Id"},
		{"`$a~$b`", "$a ~ $b"},
	}
	for _, tt := range tests {
		x, diags := parseExpr(tt.src)
		if len(diags) > 0 {
			t.Fatalf("parse %q: %v", tt.src, diags)
		}
		got := ExprString(x)
		if got != tt.want {
			t.Errorf("ExprString(%q) = %q, want %q", tt.src, got, tt.want)
		}
		// What ExprString writes parses back to the same tree.
		y, diags := parseExpr(got)
		if len(diags) > 0 || sexpr(y) != sexpr(x) && !strings.Contains(tt.src, "`") {
			t.Errorf("reparse %q: %s != %s %v", got, sexpr(y), sexpr(x), diags)
		}
	}
}

// TestExprStringSamples round-trips every expression of the sample files through
// ExprString.
func TestExprStringSamples(t *testing.T) {
	paths, _ := filepath.Glob("testdata/*.xs")
	n := 0
	for _, path := range paths {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		f, _ := Parse(path, src)
		var exprs []Expr
		var collect func(nodes []*Node)
		collect = func(nodes []*Node) {
			for _, nd := range nodes {
				for _, a := range nd.Inline {
					exprs = append(exprs, a.Value)
				}
				if nd.Cond != nil {
					exprs = append(exprs, nd.Cond)
				}
				if nd.Body != nil {
					for _, a := range nd.Body.Attrs {
						exprs = append(exprs, a.Value)
					}
					collect(nd.Body.Nodes)
				}
			}
		}
		collect(f.Objects)
		for _, e := range exprs {
			s := ExprString(e)
			back, diags := parseExpr(s)
			if len(diags) > 0 || sexpr(back) != sexpr(e) {
				t.Errorf("%s: %s printed as %s, read back as %s %v", path, sexpr(e), s, sexpr(back), diags)
			}
			n++
		}
	}
	if n < 100 {
		t.Errorf("only %d expressions in the samples", n)
	}
}
