package stack

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"relaybase"
	"relaybase/value"
)

// TestTimeoutStopsARun: Options.Timeout stops a stack that would otherwise run for as long
// as its caller waits, rolls back what it wrote, and says why.
func TestTimeoutStopsARun(t *testing.T) {
	files := map[string]string{
		endpointFile("forever", "GET"): endpointSrc("forever", "GET", `
  stack {
    var $n { value = 0 }
    while (true) {
      each {
        math.add $n { value = 1 }
      }
    }
  }
  response = $n`),
		endpointFile("billion", "GET"): endpointSrc("billion", "GET", `
  stack {
    var $n { value = 0 }
    for (1000000000) {
      each as $i {
        math.add $n { value = 1 }
      }
    }
  }
  response = $n`),
		endpointFile("sleepy", "GET"): endpointSrc("sleepy", "GET", `
  stack {
    util.sleep { value = 3600 }
  }
  response = 1`),
		endpointFile("write-then-loop", "POST"): endpointSrc("write-then-loop", "POST", `
  stack {
    db.add audit {
      data = {action: "began"}
    }
    while (true) {
      each {}
    }
  }
  response = 1`),
		endpointFile("quick", "GET"): endpointSrc("quick", "GET", `
  stack {}
  response = "done"`),
		"realtime/trigger/spin.xs": `realtime_trigger spin {
  channel = "spin"
  actions = {join: true, message: true}
  input {}
  stack {
    while (true) {
      each {}
    }
  }
  response = true
}`,
	}
	e := newEnv(t, files)
	p, diags := Compile(e.ws, Options{Store: e.db, Events: e.events, Timeout: 100 * time.Millisecond})
	for _, d := range diags {
		t.Logf("%s", d)
	}
	// Without the limit, the runs above end only when this outer deadline does.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	endpoint := func(verb, path string) *Endpoint {
		for _, ep := range p.Endpoints() {
			if ep.Verb == verb && ep.Path == path {
				return ep
			}
		}
		t.Fatalf("no %s %s", verb, path)
		return nil
	}
	for _, tc := range []struct {
		name string
		run  func() error
	}{
		{"while true", func() error {
			_, err := endpoint("GET", "forever").Run(ctx, &Request{Input: value.NewObject(0)})
			return err
		}},
		{"a billion iterations", func() error {
			_, err := endpoint("GET", "billion").Run(ctx, &Request{Input: value.NewObject(0)})
			return err
		}},
		{"an hour of util.sleep", func() error {
			_, err := endpoint("GET", "sleepy").Run(ctx, &Request{Input: value.NewObject(0)})
			return err
		}},
		{"a write, then a loop", func() error {
			_, err := endpoint("POST", "write-then-loop").Run(ctx, &Request{Input: value.NewObject(0)})
			return err
		}},
		{"a realtime trigger", func() error {
			return p.RunRealtimeTrigger(ctx, &relaybase.TriggerCall{Action: "join", Channel: "spin",
				Client: value.NewObject(0), Options: value.NewObject(0)})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			err := tc.run()
			if d := time.Since(start); d > 10*time.Second {
				t.Fatalf("ran %s", d)
			}
			var re *relaybase.Error
			if !errors.As(err, &re) || re.Code != relaybase.CodeFatal || !strings.Contains(re.Message, "limit of 100ms") {
				t.Fatalf("err %v, want ERROR_FATAL naming the limit", err)
			}
		})
	}
	t.Run("the write was rolled back", func(t *testing.T) {
		if rows := e.rows("audit"); len(rows) != 0 {
			t.Fatalf("%d audit rows", len(rows))
		}
	})
	t.Run("a quick run is untouched", func(t *testing.T) {
		res, err := endpoint("GET", "quick").Run(ctx, &Request{Input: value.NewObject(0)})
		if err != nil || res.Value != "done" {
			t.Fatalf("%v, %v", res, err)
		}
	})
}
