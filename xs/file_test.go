package xs

import (
	"os"
	"path/filepath"
	"testing"
)

// TestFiles parses the realistic workspace files under testdata/ and checks what each
// object's consumers will look for.
func TestFiles(t *testing.T) {
	tests := []struct {
		file  string
		check func(t *testing.T, n *Node)
	}{
		{"table_user.xs", func(t *testing.T, n *Node) {
			expectHead(t, n, "table", "user")
			expectExpr(t, n.Body.Attr("auth").Value, "true")
			fields := n.Body.Node("schema").Body.Nodes
			if len(fields) != 12 {
				t.Fatalf("%d fields:\n%s", len(fields), dump(fields))
			}
			for _, f := range fields {
				if f.Field == nil {
					t.Errorf("%s at %v is not a field", f.Keyword, f.Pos)
				}
			}
			if fd := fields[1].Field; fd.Name != "created_at" || !fd.Optional || sexpr(fd.Default) != "#now" {
				t.Errorf("created_at: %+v", fd)
			}
			if fd := fields[8].Field; fd.Name != "manager_id" || !fd.Nullable || !fd.Optional || fields[8].Body.Attr("table") == nil {
				t.Errorf("manager_id: %+v", fd)
			}
			expectExpr(t, n.Body.Attr("index").Value, `[{type:"primary" field:[{name:"id"}]} {type:"btree|unique" field:[{name:"email" op:"asc"}]} {type:"btree" field:[{name:"created_at" op:"desc"}]}]`)
		}},
		{"query_messages.xs", func(t *testing.T, n *Node) {
			expectHead(t, n, "query", "rooms/{room_id}/messages")
			expectExpr(t, n.InlineAttr("verb").Value, "#GET")
			expectExpr(t, n.Body.Attr("auth").Value, `"user"`)
			if in := n.Body.Node("input").Body.Nodes; len(in) != 4 || in[3].Field.Name != "search" {
				t.Errorf("input:\n%s", dump(in))
			}
			st := n.Body.Node("stack").Body
			if q := st.Node("db.query"); q == nil || q.As != "messages" || q.Body.Attr("where") == nil {
				t.Errorf("db.query:\n%s", dump(st.Nodes))
			}
			expectExpr(t, st.Node("var").Body.Attr("value").Value, "(|unique (|map var(messages).items var($$).author))")
			expectExpr(t, n.Body.Attr("response").Value, "{room:var(room).name items:var(messages).items names:var(names)}")
		}},
		{"query_login.xs", func(t *testing.T, n *Node) {
			expectHead(t, n, "query", "auth/login")
			st := n.Body.Node("stack").Body
			tok := st.Node("security.create_auth_token")
			if tok == nil || tok.As != "token" {
				t.Fatalf("no create_auth_token:\n%s", dump(st.Nodes))
			}
			expectExpr(t, tok.Body.Attr("dbtable").Value, `"37"`)
			if last := st.Nodes[len(st.Nodes)-1]; !last.Disabled || last.Keyword != "debug.log" {
				t.Errorf("last statement %s disabled=%v", last.Keyword, last.Disabled)
			}
		}},
		{"realtime_channel.xs", func(t *testing.T, n *Node) {
			expectHead(t, n, "realtime_channel", "room:*")
			expectExpr(t, n.Body.Attr("settings").Value, "{anonymous_clients:false nested_channels:true message_history:100 auth_channel:true presence:true}")
			expectExpr(t, n.Body.Attr("public_messaging").Value, "{active:true auth:true}")
		}},
		{"realtime_trigger.xs", func(t *testing.T, n *Node) {
			expectHead(t, n, "realtime_trigger", "room_messages")
			expectExpr(t, n.Body.Attr("channel").Value, `"room:*"`)
			in := n.Body.Node("input").Body.Nodes
			if len(in) != 4 || in[2].Field.Type != "object" || in[2].Body.Node("schema") == nil {
				t.Errorf("input:\n%s", dump(in))
			}
			cond := n.Body.Node("stack").Body.Node("conditional").Body.Nodes
			if len(cond) != 3 || cond[1].Keyword != "elseif" || cond[1].Body.Node("api.realtime_event") == nil {
				t.Errorf("conditional:\n%s", dump(cond))
			}
			expectExpr(t, n.Body.Attr("response").Value, `{status:"ok" welcome:var(welcome)}`)
		}},
		{"table_trigger.xs", func(t *testing.T, n *Node) {
			expectHead(t, n, "table_trigger", "audit_user_changes")
			expectExpr(t, n.Body.Attr("table").Value, `"user"`)
			tc := n.Body.Node("stack").Body.Node("try_catch").Body
			if tc.Node("try") == nil || tc.Node("catch") == nil || tc.Node("finally") == nil {
				t.Errorf("try_catch:\n%s", dump(tc.Nodes))
			}
			expectExpr(t, tc.Node("catch").Body.Node("debug.log").Body.Attr("value").Value, `(~ "audit failed: " var(error).message)`)
		}},
		{"function_totals.xs", func(t *testing.T, n *Node) {
			expectHead(t, n, "function", "cart/totals")
			st := n.Body.Node("stack").Body
			var kws []string
			for _, s := range st.Nodes {
				kws = append(kws, s.Keyword)
			}
			want := "var foreach for var while switch group db.transaction function.run conditional"
			if got := join(kws); got != want {
				t.Errorf("statements %q, want %q", got, want)
			}
			expectExpr(t, n.Body.Attr("response").Value, "var(final)")
		}},
		{"api_group.xs", func(t *testing.T, n *Node) {
			expectHead(t, n, "api_group", "Authentication")
			expectExpr(t, n.Body.Attr("canonical").Value, `"auth-abc"`)
		}},
		{"api_group_as.xs", func(t *testing.T, n *Node) {
			expectHead(t, n, "api_group", "as")
			expectExpr(t, n.Body.Attr("canonical").Value, `"aB3xYz9q"`)
		}},
		{"function_keywords.xs", func(t *testing.T, n *Node) {
			expectHead(t, n, "function", "as/in")
			in := n.Body.Node("input").Body.Nodes
			if len(in) != 3 || in[0].Field.Name != "as" || in[1].Field.Name != "if" || in[2].Field.Name != "not" {
				t.Errorf("inputs %s", dump(in))
			}
			st := n.Body.Node("stack").Body.Nodes
			if got := dump(st[1:]); got != "array.find_index if=(== var(this).as var($input).if) (var(rows)) as x2|add:1\n"+
				"db.get as as row|get:\"not\":<nil>\n  field_name = \"id\"\n  field_value = var(x2)\n"+
				"function.run as as nested|first_notnull:0\n" {
				t.Errorf("got\n%s", got)
			}
		}},
		{"workspace.xs", func(t *testing.T, n *Node) {
			expectHead(t, n, "workspace", "chat_app")
			expectExpr(t, n.Body.Attr("env").Value, `{APP_NAME:"Chat" MAX_ROOMS:10 DEBUG:false}`)
			expectExpr(t, n.Body.Attr("realtime").Value, `{canonical:"chat-app"}`)
		}},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		seen[tt.file] = true
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", tt.file)
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			f, diags := Parse(path, src)
			if len(diags) > 0 {
				t.Fatalf("diagnostics: %v", diags)
			}
			if f.Path != path || len(f.Objects) != 1 {
				t.Fatalf("path %q, %d objects", f.Path, len(f.Objects))
			}
			tt.check(t, f.Objects[0])
		})
	}
	// Every sample is checked here (and seeds FuzzParse).
	all, _ := filepath.Glob("testdata/*.xs")
	for _, p := range all {
		if !seen[filepath.Base(p)] {
			t.Errorf("%s has no test", p)
		}
	}
}

func expectHead(t *testing.T, n *Node, kw, name string) {
	t.Helper()
	if n.Keyword != kw || n.Name != name || n.Body == nil {
		t.Fatalf("got %s %q, want %s %q", n.Keyword, n.Name, kw, name)
	}
}

func expectExpr(t *testing.T, e Expr, want string) {
	t.Helper()
	if got := sexpr(e); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func join(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out
}

func BenchmarkParse(b *testing.B) {
	paths, _ := filepath.Glob("testdata/*.xs")
	var srcs [][]byte
	size := 0
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		srcs = append(srcs, src)
		size += len(src)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		for i, src := range srcs {
			if _, diags := Parse(paths[i], src); len(diags) > 0 {
				b.Fatal(diags)
			}
		}
	}
}
