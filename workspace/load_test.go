package workspace

import (
	"strings"
	"testing"

	"relaybase"
	"relaybase/internal/testenv"
	"relaybase/xs"
)

func TestLoadGoodWorkspace(t *testing.T) {
	ws, diags, err := Load("testdata/good")
	if err != nil {
		t.Fatal(err)
	}
	if HasErrors(diags) {
		t.Fatalf("unexpected errors: %v", diags)
	}
	if ws.Name != "shop" || ws.Canonical != "shop-rt" {
		t.Errorf("name %q canonical %q", ws.Name, ws.Canonical)
	}
	if ws.Env["GREETING"] != "hi" || ws.Env["LIMIT"] != int64(10) {
		t.Errorf("env = %v", ws.Env)
	}
	cust, ok := ws.Table("customer")
	if !ok || !cust.Auth || cust.ID != 37 {
		t.Fatalf("customer table = %+v", cust)
	}
	if byID, ok := ws.Table("37"); !ok || byID != cust {
		t.Errorf("numeric reference \"37\" does not resolve to customer")
	}
	wantFields := []string{"name", "email", "password", "country", "tier", "tags", "created_at"}
	if len(cust.Fields) != len(wantFields) {
		t.Fatalf("fields = %+v", cust.Fields)
	}
	for i, name := range wantFields {
		if cust.Fields[i].Name != name {
			t.Errorf("field %d = %s, want %s", i, cust.Fields[i].Name, name)
		}
	}
	if f, _ := cust.Field("country"); f.Default != "US" || !f.Optional {
		t.Errorf("country = %+v", f)
	}
	if f, _ := cust.Field("tier"); f.Type != relaybase.TypeEnum || len(f.Values) != 2 {
		t.Errorf("tier = %+v", f)
	}
	if f, _ := cust.Field("tags"); !f.Array {
		t.Errorf("tags = %+v", f)
	}
	if len(cust.Index) != 1 || !cust.Index[0].Unique || cust.Index[0].Fields[0] != "email" {
		t.Errorf("index = %+v", cust.Index)
	}
	order, _ := ws.Table("order")
	if f, _ := order.Field("customer_id"); f.RefTable != "customer" {
		t.Errorf("customer_id = %+v", f)
	}
	if len(ws.Endpoints) != 2 {
		t.Fatalf("endpoints = %d", len(ws.Endpoints))
	}
	for _, ep := range ws.Endpoints {
		if ep.Group == nil || ep.Group.Canonical != "shop" {
			t.Errorf("%s has group %+v", ep.Path, ep.Group)
		}
		if ep.Auth != "customer" {
			t.Errorf("%s auth = %q, want the numeric id resolved to customer", ep.Path, ep.Auth)
		}
	}
	if len(ws.Channels) != 1 {
		t.Fatalf("channels = %+v", ws.Channels)
	}
	ch := ws.Channels[0]
	if ch.Pattern != "orders/*" || !ch.Active || ch.AnonymousClients || !ch.Presence || ch.History != 25 || !ch.AuthChannel || !ch.PublicMessaging || !ch.PublicMessagingAuth {
		t.Errorf("channel = %+v", ch)
	}
	warned := false
	for _, d := range diags {
		if d.Severity == xs.Warning && strings.Contains(d.Message, "treated as nested") {
			warned = true
		}
	}
	if !warned {
		t.Errorf("no warning for a '*' pattern with nested_channels off: %v", diags)
	}
	if len(ws.Functions) != 1 || ws.Functions[0].Name != "util/greet" {
		t.Errorf("functions = %+v", ws.Functions)
	}
}

// TestLoadBrokenWorkspaceReportsEverything: every problem at once, each with a position.
func TestLoadBrokenWorkspaceReportsEverything(t *testing.T) {
	_, diags, err := Load("testdata/broken")
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ file, text string }{
		{"workspace/b.xs", "canonical"},
		{"table/thing.xs", "declared twice"},
		{"table/thing.xs", "needs values"},
		{"api/shop/b_get.xs", "collides"},
		{"api/shop/b_get.xs", "not an auth table"},
		{"api/shop/c_post.xs", `api_group "nope" is not defined`},
		{"realtime/channel/bad.xs", "'*' may only end"},
		{"realtime/channel/hist.xs", "message_history"},
		{"function/util/syntax.xs", ""},
	}
	for _, w := range want {
		found := false
		for _, d := range diags {
			if d.Pos.File == w.file && d.Severity == xs.Error && strings.Contains(d.Message, w.text) && d.Pos.Line > 0 {
				found = true
			}
		}
		if !found {
			t.Errorf("no error in %s mentioning %q; got:\n%v", w.file, w.text, diags)
		}
	}
}

func TestCollide(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"user/{id}", "user/me", true},
		{"user/{id}", "user/{name}", true},
		{"user/me", "user/you", false},
		{"user/{id}", "user/{id}/posts", false},
		{"messages", "messages", true},
		{"a/{x}/c", "a/b/{y}", true},
	}
	for _, tc := range tests {
		if got := Collide(tc.a, tc.b); got != tc.want {
			t.Errorf("Collide(%q, %q) = %v", tc.a, tc.b, got)
		}
	}
}

// TestLoadXanoExport loads testdata/xano_export, valid Xano output: a group named "as",
// auth = "none" meaning a public endpoint, and Xano's index over its internal row column
// xdo, which is skipped with a warning (relaybase keeps no such column).
func TestLoadXanoExport(t *testing.T) {
	ws, diags, err := Load("testdata/xano_export")
	if err != nil {
		t.Fatal(err)
	}
	if len(diags) != 1 || diags[0].Severity != xs.Warning || !strings.Contains(diags[0].Message, "xdo skipped") ||
		diags[0].Pos.String() != "table/thing.xs:10:3" {
		t.Fatalf("diagnostics %v, want only the warning about xdo", diags)
	}
	thing, _ := ws.Table("thing")
	if len(thing.Index) != 1 || thing.Index[0].Fields[0] != "created_at" {
		t.Errorf("index %+v", thing.Index)
	}
	if len(ws.Groups) != 1 || ws.Groups[0].Name != "as" || len(ws.Endpoints) != 2 {
		t.Fatalf("groups %+v endpoints %d", ws.Groups, len(ws.Endpoints))
	}
	for _, ep := range ws.Endpoints {
		if ep.Auth != "" || ep.Group != ws.Groups[0] {
			t.Errorf("%s %s: auth %q", ep.Verb, ep.Path, ep.Auth)
		}
	}
}

// TestXdoIndexOverADeclaredField: a table that declares a field named xdo keeps its index.
func TestXdoIndexOverADeclaredField(t *testing.T) {
	dir := t.TempDir()
	testenv.WriteFiles(t, dir, map[string]string{"table/t.xs": `table t {
  schema {
    int id
    json xdo
  }
  index = [{type: "gin", field: [{name: "xdo", op: "jsonb_path_op"}]}]
}`})
	ws, diags, err := Load(dir)
	if err != nil || len(diags) != 0 {
		t.Fatalf("%v %v", err, diags)
	}
	if tb, _ := ws.Table("t"); len(tb.Index) != 1 {
		t.Errorf("index %+v", tb.Index)
	}
}
