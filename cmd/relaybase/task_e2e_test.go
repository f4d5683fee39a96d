package main

import (
	"bytes"
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"relaybase/internal/testenv"
)

var taskWorkspace = map[string]string{
	"table/tick.xs": "table tick {\n  schema {\n    int id\n    text note?\n  }\n}\n",
	"task/count.xs": `task count_ticks {
  active = false
  stack {
    db.add tick {
      data = {note: "manual"}
    }
    db.query tick {
      return = {type: "count"}
    } as $n
  }
  response = {ticks: $n}
}`,
	"task/broken.xs": `task broken {
  active = false
  stack {
    throw {
      name = "Broken"
      value = "this task always fails"
    }
  }
}`,
	"task/every_second.xs": `task every_second {
  stack {
    db.add tick {
      data = {note: "scheduled"}
    }
  }
  schedule = [{starts_on: 2025-01-01 00:00:00+0000, freq: 1}]
}`,
	"api/app/api_group.xs": "api_group app {\n  canonical = \"app\"\n}\n",
	"api/app/ticks_get.xs": `query ticks verb=GET {
  stack {
    db.query tick {
      where = $db.tick.note == "scheduled"
      return = {type: "count"}
    } as $n
  }
  response = $n
}`,
}

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, func(string) string { return "" }, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestTaskRunAndList(t *testing.T) {
	dir := testenv.TempFiles(t, taskWorkspace)
	data := filepath.Join(t.TempDir(), "data")
	for i, want := range []string{`{"ticks":1}`, `{"ticks":2}`} {
		code, out, errOut := runCLI(t, "task", "run", "count_ticks", dir, "--data", data)
		if code != 0 || strings.TrimSpace(out) != want {
			t.Fatalf("run %d: exit %d, stdout %q, stderr %s", i+1, code, out, errOut)
		}
	}
	code, out, errOut := runCLI(t, "task", "run", "broken", dir, "--data", data)
	if code != 1 || !strings.Contains(errOut, "task broken failed after") || !strings.Contains(errOut, "this task always fails") || out != "" {
		t.Fatalf("broken task: exit %d, stdout %q, stderr %s", code, out, errOut)
	}
	code, _, errOut = runCLI(t, "task", "run", "nope", dir, "--data", data)
	if code != 1 || !strings.Contains(errOut, `no task "nope"`) {
		t.Fatalf("unknown task: exit %d, stderr %s", code, errOut)
	}
	code, out, errOut = runCLI(t, "task", "list", dir, "--data", data)
	if code != 0 {
		t.Fatalf("list: exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"count_ticks (inactive, task/count.xs)",
		"every_second (active, task/every_second.xs)",
		"schedule: from 2025-01-01T00:00:00Z, every 1s",
		"(manual, ", `ok {"ticks":2}`, "failed: this task always fails",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("list does not say %q:\n%s", want, out)
		}
	}
}

// serve runs the workspace's tasks on their schedules; --tasks=false keeps a node out.
func TestServeRunsScheduledTasks(t *testing.T) {
	dir := testenv.TempFiles(t, taskWorkspace)
	off := startServer(t, dir, filepath.Join(t.TempDir(), "off"), "--tasks=false")
	s := startServer(t, dir, filepath.Join(t.TempDir(), "on"))
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := s.do("GET", "/api:app/ticks", nil)
		wantStatus(t, r, http.StatusOK, "")
		if n, _ := r.json.(float64); n >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the every-second task did not run twice in 10s: %s", s.stderr)
		}
		time.Sleep(50 * time.Millisecond) // polling a real server with a deadline
	}
	if !strings.Contains(s.stderr.String(), "task finished") {
		t.Errorf("the runs are not logged: %s", s.stderr)
	}
	r := off.do("GET", "/api:app/ticks", nil)
	if n, _ := r.json.(float64); n != 0 {
		t.Errorf("a node with --tasks=false ran %v scheduled runs", n)
	}
}
