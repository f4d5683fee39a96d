package stack

import (
	"context"
	"errors"
	"testing"
	"time"

	"relaybase"
	"relaybase/value"
)

// Whether an endpoint needs a write transaction is decided when it is compiled: an event to
// a literal channel whose rule keeps no history stores nothing, so the endpoint reads. On
// SQLite a read transaction does not wait for the writer, which is how this test sees it.
func TestEventWithoutHistoryNeedsNoWrite(t *testing.T) {
	e := newEnv(t, map[string]string{
		endpointFile("plain", "POST"): endpointSrc("plain", "POST", `
  stack {
    api.realtime_event {
      channel = "room"
      data = 1
    }
  }
  response = "sent"`),
		endpointFile("kept", "POST"): endpointSrc("kept", "POST", `
  stack {
    api.realtime_event {
      channel = "kept/room"
      data = 1
    }
  }
  response = "sent"`),
		endpointFile("dynamic", "POST"): endpointSrc("dynamic", "POST", `
  input { text ch }
  stack {
    api.realtime_event {
      channel = $input.ch
      data = 1
    }
  }
  response = "sent"`),
	})
	held, err := e.db.Begin(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	run := func(path, input string, wait time.Duration) error {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		in := value.NewObject(0)
		if input != "" {
			v, err := value.DecodeJSON([]byte(input))
			if err != nil {
				t.Fatal(err)
			}
			in = v.(*value.Object)
		}
		_, err := e.endpoint("POST", path).Run(ctx, &Request{Input: in, Method: "POST", URI: "/api:t/" + path})
		return err
	}
	if err := run("plain", "", 10*time.Second); err != nil {
		t.Fatalf("an event to a channel without history, while another request writes: %v", err)
	}
	// A channel that keeps history, or one known only when the request comes, needs the
	// write transaction, which waits for the one held.
	for _, c := range []struct{ path, input string }{{"kept", ""}, {"dynamic", `{"ch":"room"}`}} {
		err := run(c.path, c.input, 300*time.Millisecond)
		if err == nil {
			t.Fatalf("%s ran while another request held the writer: it did not ask for a write transaction", c.path)
		}
		if relaybase.ErrorCode(err) != relaybase.CodeServiceUnavailable {
			t.Errorf("%s: %v, want a 503 after waiting for the writer", c.path, err)
		}
	}
	held.Rollback()
	for _, c := range []struct{ path, input string }{{"plain", ""}, {"kept", ""}, {"dynamic", `{"ch":"kept/x"}`}} {
		if err := run(c.path, c.input, 10*time.Second); err != nil {
			t.Errorf("%s: %v", c.path, err)
		}
	}
	if len(e.events.frames()) != 4 {
		t.Errorf("published %d events, want 4", len(e.events.frames()))
	}
}

// Events to channels that keep history are stored when the stack has finished, just before
// the commit, in the transaction: what a stack that fails staged is never stored, nor what a
// rolled back db.transaction staged.
func TestHistoryEventsStoredAtCommit(t *testing.T) {
	e := newEnv(t, map[string]string{
		endpointFile("multi", "POST"): endpointSrc("multi", "POST", `
  stack {
    api.realtime_event {
      channel = "kept/b"
      data = 1
    }
    api.realtime_event {
      channel = "room"
      data = 2
    }
    api.realtime_event {
      channel = "kept/a"
      data = 3
    }
    api.realtime_event {
      channel = "kept/b"
      data = 4
    }
  }
  response = null`),
		endpointFile("fails", "POST"): endpointSrc("fails", "POST", `
  stack {
    api.realtime_event {
      channel = "kept/c"
      data = 1
    }
    precondition (false) {
      error_type = "accessdenied"
      error = "No."
    }
  }
  response = null`),
		endpointFile("inner", "POST"): endpointSrc("inner", "POST", `
  stack {
    try_catch {
      try {
        db.transaction {
          stack {
            api.realtime_event {
              channel = "kept/d"
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
        api.realtime_event {
          channel = "kept/e"
          data = "caught"
        }
      }
    }
  }
  response = null`),
	})
	e.mustCall("POST", "multi", "")
	e.events.mu.Lock()
	pub := append([]relaybase.StagedEvent(nil), e.events.published...)
	e.events.mu.Unlock()
	var got []struct {
		ch  string
		off int64
	}
	for _, st := range pub {
		if st.Keep != 0 {
			t.Errorf("%s: published while still waiting to be stored (Keep %d)", st.Channel, st.Keep)
		}
		got = append(got, struct {
			ch  string
			off int64
		}{st.Channel, st.Offset})
	}
	want := []struct {
		ch  string
		off int64
	}{{"kept/b", 1}, {"room", 0}, {"kept/a", 1}, {"kept/b", 2}}
	if len(got) != len(want) {
		t.Fatalf("published %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("published (channel, offset) %v, want %v: in the order staged, with their offsets", got, want)
		}
	}
	for ch, n := range map[string]int{"kept/a": 1, "kept/b": 2} {
		if p, err := e.db.History(context.Background(), ch, 0, 0); err != nil || len(p.Entries) != n {
			t.Errorf("History(%s): %+v %v, want %d frames", ch, p, err, n)
		}
	}

	_, err := e.call("POST", "fails", "")
	var re *relaybase.Error
	if !errors.As(err, &re) || re.Code != relaybase.CodeAccessDenied {
		t.Fatalf("fails: %v", err)
	}
	e.mustCall("POST", "inner", "")
	for ch, n := range map[string]int{"kept/c": 0, "kept/d": 0, "kept/e": 1} {
		if p, err := e.db.History(context.Background(), ch, 0, 0); err != nil || len(p.Entries) != n {
			t.Errorf("History(%s): %d frames (%v), want %d", ch, len(p.Entries), err, n)
		}
	}
}
