package xs

import "testing"

// TestArrayStatementIfClause: the array statements take their condition after the list,
// in either of Xano's two spellings.
func TestArrayStatementIfClause(t *testing.T) {
	for _, src := range []string{
		"function f {\n stack {\n  array.find $users if ($this.id == 7) as $user\n }\n}\n",
		"function f {\n stack {\n  array.find ($users) if ($this.id == 7) as $user\n }\n}\n",
	} {
		f, diags := Parse("x.xs", []byte(src))
		if len(diags) > 0 {
			t.Fatalf("%q: %v", src, diags)
		}
		n := f.Objects[0].Body.Node("stack").Body.Nodes[0]
		cond := n.InlineAttr("if")
		if n.Keyword != "array.find" || n.As != "user" || cond == nil || ExprString(cond.Value) != "$this.id == 7" {
			t.Fatalf("%q parsed as %+v (if %+v)", src, n, cond)
		}
		if n.Name != "$users" && ExprString(n.Cond) != "$users" {
			t.Fatalf("%q: the list is lost: %+v", src, n)
		}
	}
}
