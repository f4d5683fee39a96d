package stack

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// runTests runs every test of the program and returns each one's outcome by name: "" for a
// pass, else the failure's text.
func runTests(t *testing.T, e *tenv) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, tc := range e.p.Tests() {
		err := tc.Run(context.Background())
		msg := ""
		if err != nil {
			msg = err.Error()
		}
		out[tc.Name] = msg
	}
	return out
}

func TestUnitTestBlocks(t *testing.T) {
	e := newEnv(t, map[string]string{
		"function/add.xs": `function add {
  input {
    int a
    int b
  }
  stack {
    var $sum { value = $input.a + $input.b }
  }
  response = {sum: $sum, tags: ["x", "y"], at: 1000, name: "Bob Smith"}

  test "adds two numbers" {
    input = {a: 5, b: 3}
    expect.to_equal ($response.sum) { value = 8 }
    expect.to_not_equal ($response.sum) { value = 9 }
    expect.to_be_greater_than ($response.sum) { value = 7 }
    expect.to_be_less_than ($response.sum) { value = 9 }
    expect.to_be_within ($response.sum) {
      min = 8
      max = 8
    }
    expect.to_contain ($response.tags) { value = "y" }
    expect.to_start_with ($response.name) { value = "Bob" }
    expect.to_end_with ($response.name) { value = "Smith" }
    expect.to_match ($response.name) { value = "^B\\w+ S" }
    expect.to_be_defined ($response.tags)
    expect.to_not_be_defined ($response.missing)
    expect.to_be_in_the_past ($response.at)
    expect.to_not_be_null ($response)
  }

  test "wrong sum" {
    input = {a: 1, b: 1}
    expect.to_equal ($response.sum) { value = 3 }
  }

  test "bad input throws" {
    input = {a: "x", b: 1}
    expect.to_throw
  }

  test "good input does not throw" {
    input = {a: 1, b: 1}
    expect.to_throw
  }
}`,
		"function/age.xs": `function validate_age {
  input {
    int age
  }
  stack {
    precondition ($input.age >= 0) {
      error_type = "inputerror"
      error = "Age cannot be negative"
    }
  }
  response = {valid: true}

  test "rejects negative age" {
    input = {age: -5}
    expect.to_throw { value = "Age cannot be negative" }
  }

  test "names the wrong error" {
    input = {age: -5}
    expect.to_throw { value = "Age is unrealistic" }
  }

  test "an unexpected failure fails the test" {
    input = {age: -1}
    expect.to_be_true ($response.valid)
  }
}`,
	})
	got := runTests(t, e)
	if len(got) != 7 {
		t.Fatalf("tests: %v", got)
	}
	for name, want := range map[string]string{
		"adds two numbers":                     "",
		"wrong sum":                            `expect.to_equal ($response.sum): got 2, want 3`,
		"bad input throws":                     "",
		"good input does not throw":            "expected an error, but the call succeeded",
		"rejects negative age":                 "",
		"names the wrong error":                `the error "Age cannot be negative"`,
		"an unexpected failure fails the test": "failed: Age cannot be negative",
	} {
		msg, ok := got[name]
		if !ok {
			t.Errorf("no test %q", name)
			continue
		}
		if (want == "") != (msg == "") || !strings.Contains(msg, want) {
			t.Errorf("%s: got %q, want %q", name, msg, want)
		}
	}
	// A failure names the assertion's line.
	if !strings.Contains(got["wrong sum"], "function/add.xs:33:") {
		t.Errorf("wrong sum: %q does not name file:line", got["wrong sum"])
	}
}

func TestUnitTestsRollBackAndMock(t *testing.T) {
	e := newEnv(t, map[string]string{
		"api/t/notes_post.xs": `query notes verb=POST {
  input {
    text body
  }
  stack {
    db.add message {
      data = {body: $input.body}
    } as $m
    db.query message {
      return = {type: "count"}
    } as $n
    var $greeting {
      value = "Hello " ~ $input.body
      mock = {"mocked greeting": "Custom greeting!"}
    }
    db.get message {
      field_name = "id"
      field_value = 999
      mock = {"mocked row": {id: 999, body: "from the mock"}}
    } as $row
  }
  response = {count: $n, greeting: $greeting, row: $row}

  test "counts one" {
    input = {body: "a"}
    expect.to_equal ($response.count) { value = 1 }
    expect.to_be_null ($response.row)
  }

  test "still counts one" {
    input = {body: "b"}
    expect.to_equal ($response.count) { value = 1 }
    expect.to_equal ($response.greeting) { value = "Hello b" }
  }

  test "mocked greeting" {
    input = {body: "c"}
    expect.to_equal ($response.greeting) { value = "Custom greeting!" }
  }

  test "mocked row" {
    input = {body: "c"}
    expect.to_equal ($response.row.body) { value = "from the mock" }
  }
}`,
	})
	for name, msg := range runTests(t, e) {
		if msg != "" {
			t.Errorf("%s: %s", name, msg)
		}
	}
	if rows := e.rows("message"); len(rows) != 0 {
		t.Errorf("tests left %d rows behind", len(rows))
	}
	if len(e.events.frames()) != 0 {
		t.Errorf("tests published events")
	}
}

func TestWorkflowTests(t *testing.T) {
	e := newEnv(t, map[string]string{
		"function/double.xs": `function double {
  input {
    int x
  }
  stack {
    precondition ($input.x < 100) {
      error = "too big"
    }
  }
  response = $input.x * 2
}`,
		"api/t/messages_post.xs": `query messages verb=POST {
  input {
    text body
  }
  stack {
    db.add message {
      data = {body: $input.body}
    } as $m
  }
  response = $m
}`,
		"api/t/me_get.xs": `query me verb=GET {
  auth = "user"
  stack {
    db.get user {
      field_name = "id"
      field_value = $auth.id
    } as $u
  }
  response = $u
}`,
		"table/trigger/stamp.xs": `table_trigger stamp {
  table = "message"
  actions = {insert: true}
  stack {
    db.add audit {
      data = {action: $input.action, row_id: $input.new.id}
    }
  }
}`,
		"task/count.xs": `task count_messages {
  stack {
    db.query message {
      return = {type: "count"}
    } as $n
  }
  response = $n
  schedule = [{starts_on: 2025-01-01 00:00:00+0000, freq: 60}]
}`,
		"workflow_test/flow.xs": `workflow_test "posting a message" {
  stack {
    function.call double {
      input = {x: 21}
    } as $d
    expect.to_equal ($d) { value = 42 }

    expect.to_throw {
      stack {
        function.call double {
          input = {x: 500}
        }
      }
      exception = "too big"
    }

    api.call messages verb=POST {
      api_group = "t"
      input = {body: "hi"}
    } as $m
    expect.to_equal ($m.body) { value = "hi" }

    db.query audit {
      return = {type: "count"}
    } as $audits
    expect.to_equal ($audits) { value = 1 }

    task.call count_messages as $n
    expect.to_equal ($n) { value = 1 }

    trigger.call stamp {
      input = {new: {id: 7}, old: null, action: "insert", datasource: ""}
    }
    db.query audit {
      where = $db.audit.row_id == 7
      return = {type: "exists"}
    } as $seven
    expect.to_be_true ($seven)
  }
}`,
		"workflow_test/empty.xs": `workflow_test "starts from an empty database" {
  stack {
    db.query message {
      return = {type: "count"}
    } as $n
    expect.to_equal ($n) { value = 0 }
  }
}`,
		"workflow_test/auth.xs": `workflow_test "needs a token" {
  stack {
    api.call me verb=GET {
      api_group = "t"
    } as $me
  }
}`,
		"workflow_test/fails.xs": `workflow_test "a failing assertion" {
  stack {
    function.call double {
      input = {x: 1}
    } as $d
    expect.to_equal ($d) { value = 3 }
  }
}`,
	})
	got := runTests(t, e)
	for name, want := range map[string]string{
		"posting a message":             "",
		"starts from an empty database": "",
		"needs a token":                 "failed: Authentication required.",
		"a failing assertion":           "workflow_test/fails.xs:6:5: expect.to_equal ($d): got 2, want 3",
	} {
		if msg := got[name]; (want == "") != (msg == "") || !strings.Contains(msg, want) {
			t.Errorf("%s: got %q, want %q", name, msg, want)
		}
	}
}

func TestExpectOutsideATest(t *testing.T) {
	e := loadEnv(t, map[string]string{
		"function/f.xs": `function f {
  stack {
    expect.to_equal (1) { value = 1 }
    task.call nothing as $x
  }
}`,
	})
	var msgs []string
	for _, d := range e.diags {
		msgs = append(msgs, d.Message)
	}
	all := strings.Join(msgs, "\n")
	if !strings.Contains(all, "expect.to_equal runs only inside a test") || !strings.Contains(all, "task.call runs only inside a workflow_test") {
		t.Errorf("diagnostics: %s", all)
	}
}

func TestTasksRun(t *testing.T) {
	e := newEnv(t, map[string]string{
		"task/add.xs": `task add_note {
  stack {
    db.add message {
      data = {body: "scheduled"}
    } as $m
  }
  response = $m.id
  schedule = [{starts_on: 2025-01-01 00:00:00+0000, freq: 3600}]
}`,
		"task/fail.xs": `task fail_half_way {
  active = false
  stack {
    db.add message {
      data = {body: "never kept"}
    }
    throw {
      name = "Oops"
      value = "the task failed"
    }
  }
}`,
	})
	tasks := e.p.Tasks()
	if len(tasks) != 2 || tasks[0].Name != "add_note" || !tasks[0].Active || tasks[1].Active {
		t.Fatalf("tasks %+v", tasks)
	}
	add, _ := e.p.Task("add_note")
	res, err := add.Run(context.Background())
	if err != nil || res != int64(1) {
		t.Fatalf("run: %v %v", res, err)
	}
	fail, _ := e.p.Task("fail_half_way")
	_, err = fail.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "the task failed") {
		t.Fatalf("failing task: %v", err)
	}
	if rows := e.rows("message"); len(rows) != 1 {
		t.Errorf("rows %d, want 1: the failed task's write is rolled back", len(rows))
	}
	if _, ok := e.p.Task("nope"); ok {
		t.Errorf("an unknown task was found")
	}
}

func TestAddons(t *testing.T) {
	e := newEnv(t, map[string]string{
		"addon/like_total.xs": `addon like_total {
  input {
    int user_id
  }
  stack {
    db.query message {
      where = $db.message.user_id == $input.user_id
      return = {type: "count"}
    }
  }
}`,
		"api/t/users_get.xs": `query users verb=GET {
  stack {
    db.add user {
      data = {name: "A", email: "a@x.io", password: "secret123"}
    } as $a
    db.add user {
      data = {name: "B", email: "b@x.io", password: "secret123"}
    } as $b
    db.add message {
      data = {body: "1", user_id: $a.id}
    }
    db.add message {
      data = {body: "2", user_id: $a.id}
    }
    db.query user {
      sort = {id: "asc"}
      output = ["id", "name"]
      addon = [{name: "like_total", input: {user_id: $output.id}, as: "items.messages"}]
    } as $list
    db.query user {
      where = $db.user.id == $b.id
      return = {type: "single"}
      output = ["id"]
      addon = {messages: {name: "like_total", input: {user_id: $output.id}}}
    } as $one
    addon.call like_total {
      input = {user_id: $a.id}
    } as $direct
  }
  response = {list: $list, one: $one, direct: $direct}
}`,
	})
	out := e.mustCall("GET", "users", "")
	jsonEq(t, out, `{"list":[{"id":1,"name":"A","messages":2},{"id":2,"name":"B","messages":0}],"one":{"id":2,"messages":0},"direct":2}`)

	bad := loadEnv(t, map[string]string{
		"api/t/x_get.xs": `query x verb=GET {
  stack {
    addon.call nope as $n
  }
}`,
	})
	found := false
	for _, d := range bad.diags {
		if strings.Contains(d.Message, `addon.call: addon "nope" does not exist`) {
			found = true
		}
	}
	if !found {
		t.Errorf("diagnostics %v", bad.diags)
	}
}

func TestTestRunsNeedADatabase(t *testing.T) {
	e := newEnv(t, map[string]string{
		"workflow_test/a.xs": `workflow_test a {
  stack {
    expect.to_be_null (null)
  }
}`,
	})
	e.p.opts.Store = nil
	err := e.p.Tests()[0].Run(context.Background())
	var tf *TestFailure
	if err == nil || errors.As(err, &tf) {
		t.Errorf("run without a database: %v", err)
	}
}

func TestMiddlewareCall(t *testing.T) {
	e := newEnv(t, map[string]string{
		"middleware/tag.xs": mw("tag", `  exception_policy = "rethrow"
  response_strategy = "merge"`, `    precondition ($input.vars.ok != false) {
      error = "refused by tag"
    }`, `{phase: $input.type, seen: $input.vars}`),
		"workflow_test/mw.xs": `workflow_test "calls a middleware" {
  stack {
    middleware.call tag {
      input = {vars: {a: 1}, type: "post"}
    } as $r
    expect.to_equal ($r.phase) { value = "post" }
    expect.to_equal ($r.seen.a) { value = 1 }
    expect.to_throw {
      stack {
        middleware.call tag {
          input = {vars: {ok: false}, type: "pre"}
        }
      }
      exception = "refused by tag"
    }
  }
}`,
	})
	for name, msg := range runTests(t, e) {
		if msg != "" {
			t.Errorf("%s: %s", name, msg)
		}
	}
}
