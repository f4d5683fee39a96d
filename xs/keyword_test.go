package xs

import (
	"strings"
	"testing"
)

// TestKeywordsAsNames: the words the grammar gives a meaning to (as, if, in, not, true,
// null, ...) are ordinary names wherever a name is expected. Xano's own exports name
// things this way (`api_group as { ... }`).
func TestKeywordsAsNames(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"api_group as", "api_group as {\n  canonical = \"x\"\n}", "api_group as\n  canonical = \"x\"\n"},
		{"query as with a verb", "query as verb=GET {\n}", "query as verb=#GET\n"},
		{"other keywords as object names", "api_group if {\n}\napi_group in {\n}\napi_group not {\n}\napi_group null {\n}\ntable true {\n}",
			"api_group if\napi_group in\napi_group not\napi_group null\ntable true\n"},
		{"as named and then as clause", "function f {\n  stack {\n    function.run as as $r\n    db.get as {\n      field_name = \"id\"\n    } as $row\n  }\n}",
			"function f\n  stack\n    function.run as as r\n    db.get as as row\n      field_name = \"id\"\n"},
		{"keyword field names", "table t {\n  schema {\n    text as\n    int if\n    bool in?\n  }\n}",
			"table t\n  schema\n    text field(text as)\n    int field(int if)\n    bool field(bool in?)\n"},
		{"keyword keys, members and attributes", "function f {\n  stack {\n    var $x { value = {as: 1, if: 2, in: $y.as.not} }\n  }\n}",
			"function f\n  stack\n    var $x\n      value = {as:1 if:2 in:var(y).as.not}\n"},
		{"filters after the result variable", "function f {\n  stack {\n    array.find_index ($x) if ($this > 1) as $x2|add:1\n  }\n}",
			"function f\n  stack\n    array.find_index if=(> var(this) 1) (var(x)) as x2|add:1\n"},
		{"filters after a result that follows a body", "function f {\n  stack {\n    db.get t {\n      field_name = \"id\"\n    } as $r|get:\"name\"|to_upper\n  }\n}",
			"function f\n  stack\n    db.get t as r|get:\"name\"|to_upper\n      field_name = \"id\"\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, diags := Parse("t.xs", []byte(tt.src))
			if len(diags) > 0 {
				t.Fatalf("diagnostics: %v", diags)
			}
			if got := dump(f.Objects); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// TestAsClauseErrors: where "as" can only be the clause, a missing "$" is still named.
func TestAsClauseErrors(t *testing.T) {
	for _, src := range []string{
		"function f {\n  stack {\n    foreach ($l) {\n      each as item {\n      }\n    }\n  }\n}",
		"function f {\n  stack {\n    var $a { value = 1 } as b\n  }\n}",
		"function f {\n  stack {\n    var $a { value = 1 } as $b|\n  }\n}",
	} {
		_, diags := Parse("t.xs", []byte(src))
		if len(diags) == 0 || !strings.Contains(diags[0].Message, "expected a variable after as") &&
			!strings.Contains(diags[0].Message, "expected a filter name after |") {
			t.Errorf("%q: diagnostics %v", src, diags)
		}
	}
}
