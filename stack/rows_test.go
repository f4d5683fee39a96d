package stack

import (
	"strings"
	"testing"

	"relaybase"
	"relaybase/auth"
	"relaybase/value"
)

// The rows API (AddRow, EditRow, DeleteRow) takes db.add/db.edit/db.del's path: the
// table's triggers fire in the transaction (and a refusing one rolls the change back), bad
// values are 400s that change nothing, passwords are hashed and never returned.
func TestRowsAPI(t *testing.T) {
	e := newEnv(t, map[string]string{
		"table/trigger/stamp.xs": `table_trigger stamp {
  table = "message"
  actions = {insert: true, update: true, delete: true, truncate: false}
  input {
    json new
    json old
    enum action { values = ["insert", "update", "delete", "truncate"] }
    text datasource
  }
  stack {
    precondition ($input.new.body != "forbidden") {
      error = "trigger refused"
    }
    conditional {
      if ($input.action == "insert") {
        db.edit message {
          field_name = "id"
          field_value = $input.new.id
          data = {likes: 100}
        }
      }
    }
    db.add audit { data = {action: $input.action, row_id: ($input.new ?? $input.old).id} }
  }
}`,
	})
	ctx := t.Context()
	obj := func(j string) *value.Object {
		v, err := value.DecodeJSON([]byte(j))
		if err != nil {
			t.Fatal(err)
		}
		return v.(*value.Object)
	}
	row, err := e.p.AddRow(ctx, "message", obj(`{"body":"hello","pinned":"true"}`))
	if err != nil {
		t.Fatal(err)
	}
	// The answer is the row after the insert trigger edited it; "true" was coerced.
	if likes, _ := row.Get("likes"); likes != int64(100) {
		t.Fatalf("AddRow = %s, want likes 100 set by the trigger", mustJSON(t, row))
	}
	if p, _ := row.Get("pinned"); p != true {
		t.Fatalf("pinned = %v", p)
	}
	id, _ := row.Get("id")
	row, err = e.p.EditRow(ctx, "message", id, obj(`{"body":"edited"}`))
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := row.Get("body"); b != "edited" {
		t.Fatalf("EditRow = %s", mustJSON(t, row))
	}

	for name, tc := range map[string]struct {
		run  func() error
		code relaybase.Code
	}{
		// As an endpoint's db.add would fail: a precondition's default error type is a 500.
		"trigger refuses":  {func() error { _, err := e.p.AddRow(ctx, "message", obj(`{"body":"forbidden"}`)); return err }, relaybase.CodeFatal},
		"bad value":        {func() error { _, err := e.p.AddRow(ctx, "message", obj(`{"body":"x","likes":"many"}`)); return err }, relaybase.CodeInputError},
		"unknown field":    {func() error { _, err := e.p.AddRow(ctx, "message", obj(`{"body":"x","nope":1}`)); return err }, relaybase.CodeInputError},
		"missing required": {func() error { _, err := e.p.AddRow(ctx, "message", obj(`{"likes":1}`)); return err }, relaybase.CodeInputError},
		"unknown table":    {func() error { _, err := e.p.AddRow(ctx, "nope", obj(`{}`)); return err }, relaybase.CodeNotFound},
		"edit no row":      {func() error { _, err := e.p.EditRow(ctx, "message", int64(999), obj(`{"body":"x"}`)); return err }, relaybase.CodeNotFound},
		"delete no row":    {func() error { return e.p.DeleteRow(ctx, "message", int64(999)) }, relaybase.CodeNotFound},
	} {
		err := tc.run()
		if got := relaybase.ErrorCode(err); got != tc.code {
			t.Errorf("%s: %v (%s), want %s", name, err, got, tc.code)
		}
	}
	if n := len(e.rows("message")); n != 1 {
		t.Fatalf("%d messages after the refused changes, want 1", n)
	}
	if err := e.p.DeleteRow(ctx, "message", id); err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, r := range e.rows("audit") {
		a, _ := r.Get("action")
		actions = append(actions, a.(string))
	}
	// The insert trigger's own db.edit fires the update trigger first (nested), then the
	// insert's audit row, the console's edit, the delete.
	if strings.Join(actions, ",") != "update,insert,update,delete" {
		t.Fatalf("audit: %v", actions)
	}

	// Passwords are hashed as db.add hashes them and never come back.
	u, err := e.p.AddRow(ctx, "user", obj(`{"name":"Ann","email":"ann@example.com","password":"s3cret-pass"}`))
	if err != nil {
		t.Fatal(err)
	}
	if u.Has("password") {
		t.Fatalf("AddRow returned the password field: %s", mustJSON(t, u))
	}
	stored, _ := e.rows("user")[0].Get("password")
	if s, _ := stored.(string); !auth.IsHash(s) {
		t.Fatalf("stored password %q is not a hash", stored)
	}
}
