package stack

import (
	"fmt"
	"strings"
	"testing"

	"relaybase"
	"relaybase/value"
)

// seedMessages is an endpoint that adds five messages: bodies m1..m5, likes 1..5, tags and
// channel alternating.
var seedMessages = endpointSrc("seed", "POST", `
  stack {
    foreach ([1, 2, 3, 4, 5]) {
      each as $i {
        db.add message {
          data = {
            body: "m" ~ $i,
            likes: $i,
            score: $i * 1.5,
            channel: $i % 2 == 0 ? "even" : "odd",
            tags: $i > 3 ? ["hot", "new"] : ["new"],
            pinned: $i == 5,
            user_id: $i == 1 ? null : 1
          }
        }
      }
    }
  }
  response = "seeded"`)

type queryCase struct {
	name  string
	body  string // the inside of db.query message { ... }
	input string
	want  string // JSON of the result; rows shown as their bodies when list/single
	err   relaybase.Code
}

var queryCases = []queryCase{
	{name: "all rows", body: ``, want: `["m1","m2","m3","m4","m5"]`},
	{name: "equals", body: `where = $db.message.likes == 3`, want: `["m3"]`},
	{name: "not equals", body: `where = $db.message.likes != 3`, want: `["m1","m2","m4","m5"]`},
	{name: "greater", body: `where = $db.message.likes > 3`, want: `["m4","m5"]`},
	{name: "greater or equal", body: `where = $db.message.likes >= 3`, want: `["m3","m4","m5"]`},
	{name: "less", body: `where = $db.message.likes < 2`, want: `["m1"]`},
	{name: "less or equal", body: `where = $db.message.likes <= 2`, want: `["m1","m2"]`},
	{name: "field on the right", body: `where = 4 <= $db.message.likes`, want: `["m4","m5"]`},
	{name: "and", body: `where = $db.message.likes > 1 && $db.message.channel == "odd"`, want: `["m3","m5"]`},
	{name: "or", body: `where = $db.message.likes == 1 || $db.message.likes == 5`, want: `["m1","m5"]`},
	{name: "parenthesised", body: `where = ($db.message.likes == 1 || $db.message.likes == 2) && $db.message.channel == "even"`, want: `["m2"]`},
	{name: "not", body: `where = !($db.message.likes > 1)`, want: `["m1"]`},
	{name: "null-safe with value", body: `where = $db.message.channel ==? $input.ch`, input: `{"ch": "even"}`, want: `["m2","m4"]`},
	{name: "null-safe with null is dropped", body: `where = $db.message.channel ==? $input.ch`, want: `["m1","m2","m3","m4","m5"]`},
	{name: "null-safe dropped inside and", body: `where = $db.message.likes > 3 && $db.message.channel ==? $input.ch`, want: `["m4","m5"]`},
	{name: "null-safe dropped inside or", body: `where = $db.message.likes == 1 || $db.message.channel ==? $input.ch`, want: `["m1"]`},
	{name: "null-safe ordering", body: `where = $db.message.likes >=? $input.n`, input: `{"n": 4}`, want: `["m4","m5"]`},
	{name: "equals null", body: `where = $db.message.user_id == null`, want: `["m1"]`},
	{name: "includes is case-insensitive text", body: `where = $db.message.body includes "M3"`, want: `["m3"]`},
	{name: "in list", body: `where = $db.message.likes in [2, 4]`, want: `["m2","m4"]`},
	{name: "not in list", body: `where = $db.message.likes not in [2, 4]`, want: `["m1","m3","m5"]`},
	{name: "array contains", body: `where = $db.message.tags contains "hot"`, want: `["m4","m5"]`},
	{name: "condition on stack values", body: `where = $input.n == 99 || $db.message.likes == 2`, input: `{"n": 99}`, want: `["m1","m2","m3","m4","m5"]`},
	{name: "value coerced to field type", body: `where = $db.message.likes == $input.s`, input: `{"s": "2"}`, want: `["m2"]`},
	{name: "bool field", body: `where = $db.message.pinned == true`, want: `["m5"]`},
	{name: "sort desc", body: `sort = {likes: "desc"}`, want: `["m5","m4","m3","m2","m1"]`},
	{name: "sort with table prefix", body: `sort = {"message.likes": "desc"}`, want: `["m5","m4","m3","m2","m1"]`},
	{name: "sort two keys", body: `sort = {channel: "asc", likes: "desc"}`, want: `["m4","m2","m5","m3","m1"]`},
	{name: "single", body: `where = $db.message.likes > 1
      sort = {likes: "asc"}
      return = {type: "single"}`, want: `"m2"`},
	{name: "single none", body: `where = $db.message.likes > 10
      return = {type: "single"}`, want: `null`},
	{name: "count", body: `where = $db.message.likes > 1
      return = {type: "count"}`, want: `4`},
	{name: "exists", body: `where = $db.message.likes == 5
      return = {type: "exists"}`, want: `true`},
	{name: "exists not", body: `where = $db.message.likes == 6
      return = {type: "exists"}`, want: `false`},
	{name: "paging first page", body: `sort = {likes: "asc"}
      return = {type: "list", paging: {page: 1, per_page: 2}}`,
		want: `{"itemsReceived":2,"curPage":1,"nextPage":2,"prevPage":null,"offset":0,"perPage":2,"items":["m1","m2"]}`},
	{name: "paging last page", body: `sort = {likes: "asc"}
      return = {type: "list", paging: {page: 3, per_page: 2}}`,
		want: `{"itemsReceived":1,"curPage":3,"nextPage":null,"prevPage":2,"offset":4,"perPage":2,"items":["m5"]}`},
	{name: "paging with totals", body: `sort = {likes: "asc"}
      return = {type: "list", paging: {page: $input.n, per_page: 2, totals: true}}`, input: `{"n": 2}`,
		want: `{"itemsReceived":2,"curPage":2,"nextPage":3,"prevPage":1,"offset":2,"perPage":2,"itemsTotal":5,"pageTotal":3,"items":["m3","m4"]}`},
	{name: "paging without metadata", body: `sort = {likes: "asc"}
      return = {type: "list", paging: {page: 2, per_page: 2, metadata: false}}`, want: `["m3","m4"]`},
	// page and per_page come from clients: their product must not wrap around.
	{name: "paging far past the end", body: `sort = {likes: "asc"}
      return = {type: "list", paging: {page: 4611686018427387904, per_page: 4, totals: true}}`,
		want: `{"itemsReceived":0,"curPage":4611686018427387904,"nextPage":null,"prevPage":4611686018427387903,"offset":9223372036854775807,"perPage":4,"itemsTotal":5,"pageTotal":2,"items":[]}`},
	{name: "paging with the largest numbers", body: `sort = {likes: "asc"}
      return = {type: "list", paging: {page: 9223372036854775807, per_page: 9223372036854775807, totals: true}}`,
		want: `{"itemsReceived":0,"curPage":9223372036854775807,"nextPage":null,"prevPage":9223372036854775806,"offset":9223372036854775807,"perPage":9223372036854775807,"itemsTotal":5,"pageTotal":1,"items":[]}`},
	{name: "paging the largest page size", body: `sort = {likes: "asc"}
      return = {type: "list", paging: {page: 1, per_page: 9223372036854775807}}`,
		want: `{"itemsReceived":5,"curPage":1,"nextPage":null,"prevPage":null,"offset":0,"perPage":9223372036854775807,"items":["m1","m2","m3","m4","m5"]}`},
	{name: "paging zero and negative page", body: `sort = {likes: "asc"}
      return = {type: "list", paging: {page: $input.n, per_page: 2}}`, input: `{"n": -5}`,
		want: `{"itemsReceived":2,"curPage":1,"nextPage":2,"prevPage":null,"offset":0,"perPage":2,"items":["m1","m2"]}`},
	{name: "output picks fields", body: `where = $db.message.likes == 1
      output = ["id", "body"]`, want: `["m1"]`},
	{name: "unknown sort field", body: `sort = {nope: "asc"}`, err: relaybase.CodeFatal},
}

func TestDBQuery(t *testing.T) {
	files := map[string]string{endpointFile("seed", "POST"): seedMessages}
	for i, c := range queryCases {
		files[fmt.Sprintf("api/t/q%d_get.xs", i)] = endpointSrc(fmt.Sprintf("q%d", i), "GET", `
  input {
    text ch?
    int n?
    text s?
  }
  stack {
    db.query message {
      `+c.body+`
    } as $r
  }
  response = $r`)
	}
	e := newEnv(t, files)
	e.mustCall("POST", "seed", "")
	for i, c := range queryCases {
		t.Run(c.name, func(t *testing.T) {
			out, err := e.call("GET", fmt.Sprintf("q%d", i), c.input)
			if c.err != "" {
				wantError(t, err, c.err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			v, _ := value.DecodeJSON([]byte(out))
			jsonEq(t, mustJSON(t, bodies(v)), c.want)
		})
	}
}

// bodies replaces message rows by their body so expectations stay short.
func bodies(v any) any {
	switch t := v.(type) {
	case *value.Object:
		if b, ok := t.Get("body"); ok {
			return b
		}
		o := value.NewObject(t.Len())
		for _, k := range t.Keys() {
			x, _ := t.Get(k)
			o.Set(k, bodies(x))
		}
		return o
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = bodies(x)
		}
		return out
	}
	return v
}

func TestDBStatements(t *testing.T) {
	e := newEnv(t, map[string]string{
		endpointFile("add", "POST"): endpointSrc("add", "POST", `
  input {
    text body
    int likes?
  }
  stack {
    db.add message {
      data = {body: $input.body, likes: $input.likes, nope: 1}
    } as $m
  }
  response = $m`),
		endpointFile("get/{id}", "GET"): endpointSrc("get/{id}", "GET", `
  input { int id }
  stack {
    db.get message {
      field_name = "id"
      field_value = $input.id
    } as $m
    db.has message {
      field_name = "id"
      field_value = $input.id
    } as $has
  }
  response = {m: $m, has: $has}`),
		endpointFile("edit/{id}", "PATCH"): endpointSrc("edit/{id}", "PATCH", `
  input {
    int id
    text body
  }
  stack {
    db.edit message {
      field_name = "id"
      field_value = $input.id
      data = {body: $input.body}
    } as $m
  }
  response = $m`),
		endpointFile("patch/{id}", "PATCH"): endpointSrc("patch/{id}", "PATCH", `
  input {
    int id
    int likes?
  }
  stack {
    var $updates { value = {} }
    conditional {
      if ($input.likes != null) {
        var.update $updates.likes { value = $input.likes }
      }
    }
    db.patch message {
      field_name = "id"
      field_value = $input.id
      data = $updates
    } as $m
  }
  response = $m`),
		endpointFile("upsert", "POST"): endpointSrc("upsert", "POST", `
  input {
    text channel
    text body
  }
  stack {
    db.add_or_edit message {
      field_name = "channel"
      field_value = $input.channel
      data = {body: $input.body}
    } as $m
  }
  response = $m`),
		endpointFile("del/{id}", "DELETE"): endpointSrc("del/{id}", "DELETE", `
  input { int id }
  stack {
    db.del message {
      field_name = "id"
      field_value = $input.id
    }
  }
  response = {deleted: true}`),
		endpointFile("truncate", "POST"): endpointSrc("truncate", "POST", `
  stack {
    db.truncate message { reset = true }
  }
  response = null`),
	})
	t.Run("add drops unknown fields and fills defaults", func(t *testing.T) {
		out := e.mustCall("POST", "add", `{"body": "hi"}`)
		jsonEq(t, out, `{"id":1,"user_id":null,"channel":null,"body":"hi","likes":0,"score":null,"pinned":false,"tags":null,"created_at":1767323045000}`)
	})
	t.Run("get and has", func(t *testing.T) {
		out := e.mustCall("GET", "get/{id}", `{"id": "1"}`)
		if !strings.Contains(out, `"body":"hi"`) || !strings.HasSuffix(out, `"has":true}`) {
			t.Fatalf("got %s", out)
		}
		jsonEq(t, e.mustCall("GET", "get/{id}", `{"id": 99}`), `{"m":null,"has":false}`)
	})
	t.Run("edit", func(t *testing.T) {
		out := e.mustCall("PATCH", "edit/{id}", `{"id": 1, "body": "edited"}`)
		if !strings.Contains(out, `"body":"edited"`) || !strings.Contains(out, `"likes":0`) {
			t.Fatalf("got %s", out)
		}
	})
	t.Run("edit missing row is not found", func(t *testing.T) {
		_, err := e.call("PATCH", "edit/{id}", `{"id": 42, "body": "x"}`)
		wantError(t, err, relaybase.CodeNotFound)
	})
	t.Run("patch with variable data", func(t *testing.T) {
		out := e.mustCall("PATCH", "patch/{id}", `{"id": 1, "likes": 9}`)
		if !strings.Contains(out, `"likes":9`) || !strings.Contains(out, `"body":"edited"`) {
			t.Fatalf("got %s", out)
		}
	})
	t.Run("patch with nothing to change returns the row", func(t *testing.T) {
		out := e.mustCall("PATCH", "patch/{id}", `{"id": 1}`)
		if !strings.Contains(out, `"likes":9`) {
			t.Fatalf("got %s", out)
		}
	})
	t.Run("add_or_edit inserts then edits", func(t *testing.T) {
		a := e.mustCall("POST", "upsert", `{"channel": "c1", "body": "first"}`)
		b := e.mustCall("POST", "upsert", `{"channel": "c1", "body": "second"}`)
		if !strings.Contains(a, `"id":2`) || !strings.Contains(a, `"channel":"c1"`) || !strings.Contains(b, `"id":2`) || !strings.Contains(b, `"body":"second"`) {
			t.Fatalf("got %s then %s", a, b)
		}
		if n := len(e.rows("message")); n != 2 {
			t.Fatalf("%d rows", n)
		}
	})
	t.Run("del", func(t *testing.T) {
		jsonEq(t, e.mustCall("DELETE", "del/{id}", `{"id": 2}`), `{"deleted":true}`)
		if n := len(e.rows("message")); n != 1 {
			t.Fatalf("%d rows", n)
		}
	})
	t.Run("truncate resets ids", func(t *testing.T) {
		e.mustCall("POST", "truncate", "")
		if n := len(e.rows("message")); n != 0 {
			t.Fatalf("%d rows", n)
		}
		if out := e.mustCall("POST", "add", `{"body": "again"}`); !strings.HasPrefix(out, `{"id":1,`) {
			t.Fatalf("got %s", out)
		}
	})
}

func TestTransactions(t *testing.T) {
	e := newEnv(t, map[string]string{
		endpointFile("fail", "POST"): endpointSrc("fail", "POST", `
  stack {
    db.add message { data = {body: "kept?"} }
    api.realtime_event {
      channel = "room"
      data = {n: 1}
    }
    precondition (false) {
      error_type = "accessdenied"
      error = "no"
    }
  }
  response = null`),
		endpointFile("ok", "POST"): endpointSrc("ok", "POST", `
  stack {
    db.add message { data = {body: "one"} } as $m
    api.realtime_event {
      channel = "room"
      data = $m
    }
  }
  response = $m.id`),
		endpointFile("savepoint", "POST"): endpointSrc("savepoint", "POST", `
  stack {
    db.add message { data = {body: "outer"} }
    try_catch {
      try {
        db.transaction {
          stack {
            db.add message { data = {body: "inner"} }
            api.realtime_event {
              channel = "room"
              data = "inner"
            }
            throw {
              name = "Stop"
              value = "rolled back"
            }
          }
        }
      }
      catch {
        var $caught { value = $error.message }
      }
    }
  }
  response = $caught`),
		endpointFile("read", "GET"): endpointSrc("read", "GET", `
  stack {
    db.query message { return = {type: "count"} } as $n
  }
  response = $n`),
		endpointFile("badchannel", "POST"): endpointSrc("badchannel", "POST", `
  stack {
    db.add message { data = {body: "bad"} }
    api.realtime_event {
      channel = "forbidden"
      data = 1
    }
  }
  response = null`),
	})
	t.Run("failure rolls back and publishes nothing", func(t *testing.T) {
		_, err := e.call("POST", "fail", "")
		wantError(t, err, relaybase.CodeAccessDenied)
		if n := len(e.rows("message")); n != 0 {
			t.Fatalf("%d rows after a failed stack", n)
		}
		if f := e.events.frames(); len(f) != 0 {
			t.Fatalf("published %v", f)
		}
	})
	t.Run("success commits then publishes", func(t *testing.T) {
		jsonEq(t, e.mustCall("POST", "ok", ""), `1`)
		f := e.events.frames()
		if len(f) != 1 || !strings.Contains(f[0], `"body":"one"`) {
			t.Fatalf("published %v", f)
		}
	})
	t.Run("db.transaction rolls back its writes and events", func(t *testing.T) {
		before := len(e.events.frames())
		jsonEq(t, e.mustCall("POST", "savepoint", ""), `"rolled back"`)
		var got []string
		for _, r := range e.rows("message") {
			b, _ := r.Get("body")
			got = append(got, b.(string))
		}
		if strings.Join(got, ",") != "one,outer" {
			t.Fatalf("rows %v", got)
		}
		if after := len(e.events.frames()); after != before {
			t.Fatalf("events of a rolled-back db.transaction were published")
		}
	})
	t.Run("stage failure fails the stack", func(t *testing.T) {
		_, err := e.call("POST", "badchannel", "")
		wantError(t, err, relaybase.CodeFatal)
		if n := len(e.rows("message")); n != 2 {
			t.Fatalf("%d rows", n)
		}
	})
	t.Run("read-only stacks take a read transaction", func(t *testing.T) {
		if e.endpoint("GET", "read").u.writes {
			t.Fatal("a read-only endpoint would take the write lock")
		}
		if !e.endpoint("POST", "ok").u.writes {
			t.Fatal("a writing endpoint would take a read transaction")
		}
		jsonEq(t, e.mustCall("GET", "read", ""), `2`)
	})
}

func TestTableTriggers(t *testing.T) {
	e := newEnv(t, map[string]string{
		"table/trigger/audit_message.xs": `table_trigger audit_message {
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
    db.add audit {
      data = {
        action: $input.action,
        row_id: ($input.new ?? $input.old).id,
        detail: {old: $input.old.body, new: $input.new.body, ds: $input.datasource}
      }
    }
  }
}`,
		endpointFile("add", "POST"): endpointSrc("add", "POST", `
  input { text body }
  stack {
    db.add message { data = {body: $input.body} } as $m
  }
  response = $m.id`),
		endpointFile("edit", "POST"): endpointSrc("edit", "POST", `
  input {
    int id
    text body
  }
  stack {
    db.edit message {
      field_name = "id"
      field_value = $input.id
      data = {body: $input.body}
    }
  }
  response = null`),
		endpointFile("del", "POST"): endpointSrc("del", "POST", `
  input { int id }
  stack {
    db.del message {
      field_name = "id"
      field_value = $input.id
    }
  }
  response = null`),
	})
	e.mustCall("POST", "add", `{"body": "a"}`)
	e.mustCall("POST", "edit", `{"id": 1, "body": "b"}`)
	e.mustCall("POST", "del", `{"id": 1}`)
	var got []string
	for _, r := range e.rows("audit") {
		a, _ := r.Get("action")
		id, _ := r.Get("row_id")
		d, _ := r.Get("detail")
		got = append(got, fmt.Sprintf("%v %v %s", a, id, mustJSON(t, d)))
	}
	want := []string{
		`insert 1 {"old":null,"new":"a","ds":"live"}`,
		`update 1 {"old":"a","new":"b","ds":"live"}`,
		`delete 1 {"old":"b","new":null,"ds":"live"}`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("audit rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	t.Run("failing trigger rolls back the change", func(t *testing.T) {
		_, err := e.call("POST", "add", `{"body": "forbidden"}`)
		re := wantError(t, err, relaybase.CodeFatal)
		if re.Message != "trigger refused" {
			t.Fatalf("message %q", re.Message)
		}
		if n := len(e.rows("message")); n != 0 {
			t.Fatalf("%d message rows", n)
		}
		if n := len(e.rows("audit")); n != 3 {
			t.Fatalf("%d audit rows", n)
		}
	})
	if !e.endpoint("POST", "add").u.writes {
		t.Fatal("not a write transaction")
	}
}
