package main

import (
	"path/filepath"
	"strings"
	"testing"

	"relaybase/internal/testenv"
)

var testedWorkspace = map[string]string{
	"table/note.xs": "table note {\n  schema {\n    int id\n    text text\n  }\n}\n",
	"function/add.xs": `function add {
  input {
    int a
    int b
  }
  stack {
    var $sum { value = $input.a + $input.b }
  }
  response = $sum

  test "adds" {
    input = {a: 2, b: 3}
    expect.to_equal ($response) { value = 5 }
  }
}`,
	"api/app/api_group.xs": "api_group app {\n  canonical = \"app\"\n}\n",
	"api/app/notes_post.xs": `query notes verb=POST {
  input {
    text text
  }
  stack {
    db.add note {
      data = {text: $input.text}
    } as $n
  }
  response = $n

  test "stores the note" {
    input = {text: "hi"}
    expect.to_equal ($response.text) { value = "hi" }
    expect.to_equal ($response.id) { value = 1 }
  }
}`,
	"workflow_test/flow.xs": `workflow_test "notes start empty" {
  stack {
    api.call notes verb=POST {
      api_group = "app"
      input = {text: "a"}
    } as $n
    expect.to_equal ($n.id) { value = 1 }
  }
}`,
}

func TestTestCommand(t *testing.T) {
	dir := testenv.TempFiles(t, testedWorkspace)
	code, out, errOut := runCLI(t, "test", dir, "-v")
	if code != 0 {
		t.Fatalf("exit %d:\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"--- PASS: function add / adds", "--- PASS: query notes POST / stores the note",
		"--- PASS: workflow_test / notes start empty", "ok: 3 passed, 0 failed"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// The workspace's own data is never touched: the tests ran on a scratch database.
	if m, _ := filepath.Glob(filepath.Join(dir, ".relaybase")); len(m) != 0 {
		t.Errorf("relaybase test wrote %v", m)
	}

	testenv.WriteFiles(t, dir, map[string]string{"workflow_test/bad.xs": `workflow_test "wrong" {
  stack {
    function.call add {
      input = {a: 1, b: 1}
    } as $r
    expect.to_equal ($r) { value = 3 }
  }
}`})
	code, out, _ = runCLI(t, "test", dir)
	if code != 1 {
		t.Fatalf("a failing test exited %d:\n%s", code, out)
	}
	for _, want := range []string{"--- FAIL: workflow_test / wrong", "workflow_test/bad.xs:6:5: expect.to_equal ($r): got 2, want 3", "FAIL: 3 passed, 1 failed"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "--- PASS") {
		t.Errorf("passes listed without -v:\n%s", out)
	}
	code, out, _ = runCLI(t, "test", dir, "--run", "add")
	if code != 0 || !strings.Contains(out, "1 passed, 0 failed") {
		t.Errorf("--run add: exit %d:\n%s", code, out)
	}
}

const bundle = `run "Average" {
  type = "job"
  main = {name: "avg", input: {left: 1, right: 4}}
  env = ["unit"]
}
---
table result {
  schema {
    int id
    decimal value
  }
  items = [
    {"id": 10, "value": 7.5}
    {"value": 1}
  ]
}
---
function avg {
  input {
    int left
    int right
  }
  stack {
    db.add result {
      data = {value: ($input.left + $input.right) / 2}
    } as $r
    db.query result {
      sort = {id: "asc"}
    } as $all
  }
  response = {avg: $r.value, unit: $env.unit, ids: $all|map:$$.id}
}
`

func TestRunCommand(t *testing.T) {
	dir := testenv.TempFiles(t, map[string]string{"bundle.xs": bundle})
	file := filepath.Join(dir, "bundle.xs")
	code, out, errOut := runCLI(t, "run", file)
	if code != 1 || !strings.Contains(errOut, `job "Average" needs env unit`) {
		t.Fatalf("without its env: exit %d, %s%s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "run", file, "--env", "unit=cm")
	if code != 0 || strings.TrimSpace(out) != `{"avg":2.5,"unit":"cm","ids":[10,11,12]}` {
		t.Fatalf("exit %d, stdout %q, stderr %s", code, out, errOut)
	}

	testenv.WriteFiles(t, dir, map[string]string{"broken.xs": strings.Replace(bundle, `{left: 1, right: 4}`, `{left: "x", right: 4}`, 1)})
	code, _, errOut = runCLI(t, "run", filepath.Join(dir, "broken.xs"), "--env", "unit=cm")
	if code != 1 || !strings.Contains(errOut, "job Average failed") || !strings.Contains(errOut, "left") {
		t.Errorf("bad input: exit %d, %s", code, errOut)
	}
	testenv.WriteFiles(t, dir, map[string]string{"nojob.xs": "function f {\n  stack {}\n}\n"})
	if code, _, errOut = runCLI(t, "run", filepath.Join(dir, "nojob.xs")); code != 1 || !strings.Contains(errOut, "no run.job") {
		t.Errorf("no job: exit %d, %s", code, errOut)
	}
	// A folder with run.xs is a bundle too.
	folder := filepath.Join(t.TempDir(), "job")
	parts := strings.Split(bundle, "---\n")
	testenv.WriteFiles(t, folder, map[string]string{"run.xs": parts[0], "tables/result.xs": parts[1], "functions/avg.xs": parts[2]})
	code, out, errOut = runCLI(t, "run", folder, "--env", "unit=m")
	if code != 0 || strings.TrimSpace(out) != `{"avg":2.5,"unit":"m","ids":[10,11,12]}` {
		t.Errorf("folder bundle: exit %d, %q %s", code, out, errOut)
	}
}
