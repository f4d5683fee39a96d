package stack

import (
	"strings"
	"testing"
)

func TestBulkStatements(t *testing.T) {
	e := newEnv(t, map[string]string{
		"table/trigger/count_edits.xs": `table_trigger count_edits {
  table = "message"
  actions = {update: true, delete: true}
  stack {
    db.add audit {
      data = {action: $input.action, row_id: $input.old.id}
    }
  }
}`,
		"api/t/bulk_post.xs": endpointSrc("bulk", "POST", `  stack {
    db.bulk.add message {
      data = [{body: "a", likes: 1}, {body: "b", likes: 5}, {body: "c", likes: 9}]
    } as $added
    db.bulk.update message {
      where = $db.message.likes >= 5
      data = {pinned: true}
    } as $updated
    var $changes { value = {channel: "x"} }
    db.bulk.patch message {
      data = $changes
    } as $patched
    db.bulk.delete message {
      where = $db.message.likes < 5
    } as $deleted
    db.query message {
      sort = {id: "asc"}
      output = ["body", "pinned", "channel"]
    } as $left
    db.query audit {
      return = {type: "count"}
    } as $audits
  }
  response = {added: $added, updated: $updated, patched: $patched, deleted: $deleted, left: $left, audits: $audits}`),
		"api/t/schema_get.xs": endpointSrc("schema", "GET", `  stack {
    db.schema message as $all
    db.schema user { path = "password" } as $pw
    debug.stop { value = $pw }
  }
  response = {names: ($all.fields|map:$$.name), likes: ($all.fields|find:$$.name == "likes"), pw: $pw}`),
	})
	out := e.mustCall("POST", "bulk", "")
	jsonEq(t, out, `{"added":3,"updated":2,"patched":3,"deleted":1,
		"left":[{"body":"b","pinned":true,"channel":"x"},{"body":"c","pinned":true,"channel":"x"}],"audits":6}`)
	out = e.mustCall("GET", "schema", "")
	jsonEq(t, out, `{"names":["id","user_id","channel","body","likes","score","pinned","tags","created_at"],
		"likes":{"name":"likes","type":"int","nullable":false,"required":false,"array":false,"default":0},
		"pw":{"name":"password","type":"password","nullable":false,"required":true,"array":false,"sensitive":true}}`)

	bad := loadEnv(t, map[string]string{
		"api/t/x_get.xs": endpointSrc("x", "GET", `  stack {
    db.bulk.update message { where = $db.message.id > 0 }
    db.schema message { path = "nope" } as $s
  }`),
	})
	found := false
	for _, d := range bad.diags {
		if strings.Contains(d.Message, "db.bulk.update needs data") {
			found = true
		}
	}
	if !found {
		t.Errorf("diagnostics %v", bad.diags)
	}
}
