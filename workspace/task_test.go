package workspace

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"relaybase/internal/testenv"
	"relaybase/xs"
)

func utc(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04:05", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestTaskSchedules(t *testing.T) {
	dir := testenv.TempFiles(t, map[string]string{
		"task/daily.xs": `task "daily_cleanup" {
  description = "every day at 03:00 UTC"
  stack {
    debug.log { value = "clean" }
  }
  schedule = [{starts_on: 2025-01-01 03:00:00+0000, freq: 86400}]
}`,
		"task/old.xs": `task "old form" {
  active = false
  stack {}
  schedule {
    events = [
      {
        starts_on: 2025-03-16 10:00:00+0000
        freq     : 604800
        ends_on  : 2025-03-30 05:00:00+0000
      }
    ]
  }
}`,
		"task/twice.xs": `task twice {
  stack {}
  schedule = [
    {starts_on: 2025-01-01 09:00:00+0000, freq: 86400},
    {starts_on: "2025-01-01T21:00:00Z", freq: 86400}
  ]
}`,
		"task/once.xs": `task once {
  stack {}
  schedule = [{starts_on: 2025-06-15 09:00:00+0200}]
}`,
	})
	ws, diags, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if HasErrors(diags) {
		t.Fatalf("diagnostics: %v", diags)
	}
	tasks := map[string]*Task{}
	for _, task := range ws.Tasks {
		tasks[task.Name] = task
	}
	if len(tasks) != 4 {
		t.Fatalf("tasks: %v", tasks)
	}
	if !tasks["daily_cleanup"].Active || tasks["old form"].Active {
		t.Errorf("active: daily %v, old %v", tasks["daily_cleanup"].Active, tasks["old form"].Active)
	}
	for _, c := range []struct {
		task      string
		after     string
		want      string // "" for none
		wantFound bool
	}{
		{"daily_cleanup", "2024-12-31 23:00:00", "2025-01-01 03:00:00", true},
		{"daily_cleanup", "2025-01-01 03:00:00", "2025-01-02 03:00:00", true}, // strictly after
		{"daily_cleanup", "2025-03-10 12:34:56", "2025-03-11 03:00:00", true},
		{"old form", "2025-03-16 10:00:00", "2025-03-23 10:00:00", true},
		{"old form", "2025-03-23 10:00:00", "", false}, // the 30th at 10:00 is past ends_on
		{"twice", "2025-01-01 10:00:00", "2025-01-01 21:00:00", true},
		{"twice", "2025-01-01 21:00:00", "2025-01-02 09:00:00", true},
		{"once", "2025-06-15 06:59:59", "2025-06-15 07:00:00", true}, // +0200
		{"once", "2025-06-15 07:00:00", "", false},
	} {
		got, ok := tasks[c.task].Schedule.Next(utc(c.after))
		if ok != c.wantFound || (ok && !got.Equal(utc(c.want))) {
			t.Errorf("%s after %s: got %v %v, want %s %v", c.task, c.after, got, ok, c.want, c.wantFound)
		}
	}
}

func TestTaskScheduleMistakes(t *testing.T) {
	dir := testenv.TempFiles(t, map[string]string{
		"task/a.xs": `task a {
  stack {}
  schedule = [{freq: 60}]
}`,
		"task/b.xs": `task b {
  stack {}
  schedule = [{starts_on: "tomorrow", freq: 60}]
}`,
		"task/c.xs": `task c {
  stack {}
  schedule = [{starts_on: 2025-01-01 00:00:00+0000, freq: "often"}]
}`,
		"task/d.xs": `task a {
  stack {}
}`,
	})
	_, diags, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"needs starts_on", `"tomorrow" is not a date`, "freq must be a number of seconds", `task "a" is also defined`}
	for _, w := range want {
		found := false
		for _, d := range diags {
			if d.Severity == xs.Error && strings.Contains(d.Message, w) {
				found = true
			}
		}
		if !found {
			t.Errorf("no error containing %q in %v", w, diags)
		}
	}
}

func TestLoadFileBundle(t *testing.T) {
	dir := testenv.TempFiles(t, map[string]string{
		"bundle.xs": `run "Average" {
  type = "job"
  main = {name: "avg", input: {left: 1, right: 2}}
  env = ["api_key"]
}
---
function avg {
  input {
    int left
    int right
  }
  stack {
    var $x { value = ($input.left + $input.right) / 2 }
  }
  response = $x
}
---
addon post_count {
  input { int user_id }
  stack {
    db.query post {
      return = {type: "count"}
    }
  }
}
---
workflow_test "checks avg" {
  stack {
    function.call avg { input = {left: 1, right: 3} } as $r
    expect.to_equal ($r) { value = 2 }
  }
}
---
run.service "proxy" {
  pre = {name: "avg", input: {}}
}
`,
	})
	ws, diags, err := LoadFile(filepath.Join(dir, "bundle.xs"))
	if err != nil {
		t.Fatal(err)
	}
	if HasErrors(diags) {
		t.Fatalf("diagnostics: %v", diags)
	}
	if len(ws.Jobs) != 1 {
		t.Fatalf("jobs: %+v", ws.Jobs)
	}
	j := ws.Jobs[0]
	if j.Name != "Average" || j.Function != "avg" || len(j.Env) != 1 || j.Env[0] != "api_key" {
		t.Errorf("job %+v", j)
	}
	if v, _ := j.Input.Get("right"); v != int64(2) {
		t.Errorf("input %v", j.Input)
	}
	if len(ws.Functions) != 1 || len(ws.Addons) != 1 || len(ws.WorkflowTests) != 1 {
		t.Errorf("functions %d addons %d workflow tests %d", len(ws.Functions), len(ws.Addons), len(ws.WorkflowTests))
	}
	unsupported := false
	for _, d := range diags {
		if d.Severity == xs.Unsupported && strings.Contains(d.Message, `"service"`) {
			unsupported = true
		}
	}
	if !unsupported {
		t.Errorf("run.service is not reported as unsupported: %v", diags)
	}
	if _, _, err := LoadFile(dir); err == nil {
		t.Errorf("LoadFile of a directory did not fail")
	}
}

func TestTableItems(t *testing.T) {
	dir := testenv.TempFiles(t, map[string]string{
		"table/a.xs": "table a {\n  schema {\n    int id\n    text name\n  }\n  items = [\n    {\"id\": 1, \"name\": \"Ann\"}\n    {\"name\": \"Bob\"}\n  ]\n}\n",
		"table/b.xs": "table b {\n  schema {\n    int id\n  }\n  items = [{\"nope\": 1}]\n}\n",
	})
	ws, diags, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if rows := ws.Items["a"]; len(rows) != 2 {
		t.Errorf("items of a: %v", rows)
	}
	found := false
	for _, d := range diags {
		if d.Severity == xs.Error && strings.Contains(d.Message, "items: row 1 names unknown field nope") {
			found = true
		}
	}
	if !found {
		t.Errorf("diagnostics: %v", diags)
	}
}
