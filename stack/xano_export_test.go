package stack

import (
	"strings"
	"testing"

	"relaybase/workspace"
	"relaybase/xs"
)

// TestXanoExportRuns runs workspace/testdata/xano_export, valid Xano output that relaybase
// used to refuse: a group named with a keyword (as), auth = "none", an index over Xano's
// row column, a filter after a result variable, and an event with auth_table = "0".
func TestXanoExportRuns(t *testing.T) {
	e := envFromDir(t, "../workspace/testdata/xano_export", t.TempDir())
	for _, d := range e.diags {
		if d.Severity != xs.Warning {
			t.Fatalf("compile: %s", d)
		}
	}
	for _, ep := range e.p.Endpoints() {
		if ep.Group != "as" || ep.Auth != "" {
			t.Errorf("%s %s: group %q auth %q", ep.Verb, ep.Path, ep.Group, ep.Auth)
		}
	}
	for _, name := range []string{"a", "b", "c"} {
		e.mustCall("POST", "thing", `{"name": "`+name+`"}`)
	}
	out := e.mustCall("GET", "rank", `{"name": "b"}`)
	jsonEq(t, out, `{"rank": 2}`) // find_index gives 1; |add:1 applies to the result
	jsonEq(t, e.mustCall("GET", "rank", `{"name": "zz"}`), `{"rank": 0}`)
	frames := e.events.frames()
	if len(frames) != 2 || strings.Contains(frames[0], "dbo_id") || !strings.Contains(frames[0], `"rank":2`) {
		t.Errorf("frames %v: want two events without a sender", frames)
	}
}

// TestCheckReportsEveryProblem compiles workspace/testdata/check_all: a query whose group is
// missing and a trigger whose table is missing are still checked, so the problems inside
// their stacks are reported too; a name that is no Xano filter is an error (with the
// nearest filter), a Xano filter relaybase does not run is unsupported.
func TestCheckReportsEveryProblem(t *testing.T) {
	ws, diags, err := workspace.Load("../workspace/testdata/check_all")
	if err != nil {
		t.Fatal(err)
	}
	_, more := Compile(ws, Options{})
	var got []string
	for _, d := range append(diags, more...) {
		got = append(got, d.String())
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{
		`api/shop/orphan_get.xs:3:3: error: api_group "nowhere" is not defined`,
		`api/shop/orphan_get.xs:6:19: error: unknown filter lowercase: Xano has no filter of that name (did you mean lower?)`,
		`table/trigger/ghost.xs:2:1: error: table_trigger ghost: table "ghost" does not exist`,
		`table/trigger/ghost.xs:5:5: error: db.get: no table chosen`,
		`table/trigger/ghost.xs:7:27: unsupported: filter csv_parse is not supported by relaybase`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("diagnostics lack %q:\n%s", want, all)
		}
	}
	if len(got) != 5 {
		t.Errorf("%d diagnostics, want 5:\n%s", len(got), all)
	}
}

// TestAsFilters: filters after a statement's result variable apply to the result, for
// every statement that stores one; a failing filter fails the statement.
func TestAsFilters(t *testing.T) {
	e := newEnv(t, map[string]string{
		endpointFile("f", "POST"): endpointSrc("f", "POST", `  input { json xs }
  stack {
    array.filter ($input.xs) if ($this > 1) as $big|count
    security.create_uuid as $id|strlen
    var $list { value = $input.xs }
    array.pop $list as $last|to_text|concat:"!"
    db.add message { data = {body: "hi"} } as $m|get:"body"|to_upper
  }
  response = [$big, $id, $last, $m]`),
		endpointFile("bad", "POST"): endpointSrc("bad", "POST", `  stack {
    security.create_uuid as $id|add:1
  }
  response = $id`),
	})
	jsonEq(t, e.mustCall("POST", "f", `{"xs": [1, 2, 3]}`), `[2, 36, "3!", "HI"]`)
	_, err := e.call("POST", "bad", "")
	if err == nil || !strings.Contains(err.Error(), "add") {
		t.Errorf("add on a uuid: %v", err)
	}
}

// TestRealtimeEventWithoutSender: auth_table "0" or "" (or null), or an empty auth_id,
// sends the event with no sender identity, whether written as constants or computed.
func TestRealtimeEventWithoutSender(t *testing.T) {
	e := newEnv(t, map[string]string{
		endpointFile("e", "POST"): endpointSrc("e", "POST", `  input {
    text t?
    int id?
  }
  stack {
    api.realtime_event { channel = "c1" data = 1 auth_table = "0" auth_id = "" }
    api.realtime_event { channel = "c2" data = 2 auth_table = "0" auth_id = 7 }
    api.realtime_event { channel = "c3" data = 3 auth_table = $input.t auth_id = $input.id }
    api.realtime_event { channel = "c4" data = 4 auth_table = "user" auth_id = "" }
  }
  response = true`),
	})
	e.mustCall("POST", "e", `{"t": "0", "id": 5}`)
	for _, f := range e.events.frames() {
		if strings.Contains(f, "dbo_id") {
			t.Errorf("frame %s has a sender", f)
		}
	}
	if n := len(e.events.frames()); n != 4 {
		t.Errorf("%d frames", n)
	}
}
