package stack

import (
	"fmt"
	"sync"
	"testing"
)

func TestRealtimeEventSender(t *testing.T) {
	e := newEnv(t, map[string]string{
		"relaybase.yaml": "table_ids:\n  user: 37\n",
		endpointFile("ev", "POST"): endpointSrc("ev", "POST", `
  input {
    text table?
    int id?
  }
  stack {
    api.realtime_event {
      channel = "room/" ~ 1
      data = {n: 1}
      auth_table = $input.table
      auth_id = $input.id
    }
  }
  response = null`),
		endpointFile("numeric", "POST"): endpointSrc("numeric", "POST", `
  stack {
    api.realtime_event {
      channel = "room"
      data = null
      auth_table = "37"
      auth_id = 5
    }
    security.create_auth_token {
      dbtable = "37"
      extras = {}
      expiration = 60
      id = 5
    } as $token
  }
  response = $token|strlen > 0`),
		endpointFile("noauth", "POST"): endpointSrc("noauth", "POST", `
  stack {
    api.realtime_event {
      channel = "room"
      data = "x"
      auth_table = ""
      auth_id = null
    }
  }
  response = null`),
	})
	for _, c := range []struct {
		name, path, input string
		sender            bool
		rowID             int64
	}{
		{"table and id give a sender", "ev", `{"table": "user", "id": 3}`, true, 3},
		{"null id gives no sender", "ev", `{"table": "user"}`, false, 0},
		{"null table gives no sender", "ev", `{"id": 3}`, false, 0},
		{"numeric table id through table_ids", "numeric", ``, true, 5},
		{"empty literals give no sender", "noauth", ``, false, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := len(e.events.staged)
			e.mustCall("POST", c.path, c.input)
			if len(e.events.staged) != before+1 {
				t.Fatalf("staged %d events", len(e.events.staged)-before)
			}
			s := e.events.staged[before].Sender
			if !c.sender {
				if s != nil {
					t.Fatalf("sender %+v", s)
				}
				return
			}
			if s == nil || s.TableID != 37 || s.RowID != c.rowID {
				t.Fatalf("sender %+v", s)
			}
		})
	}
}

func TestConcurrentRuns(t *testing.T) {
	e := newEnv(t, map[string]string{
		endpointFile("add", "POST"): endpointSrc("add", "POST", `
  input { int n }
  stack {
    var $items { value = [] }
    array.push $items { value = $input.n }
    db.add message { data = {body: "m" ~ $input.n, likes: $input.n} } as $m
    api.realtime_event {
      channel = "room"
      data = {n: $items|first}
    }
  }
  response = $m.likes`),
	})
	const workers, each = 4, 10
	errs := make(chan error, workers*each)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				n := w*each + i
				out, err := e.call("POST", "add", fmt.Sprintf(`{"n": %d}`, n))
				if err == nil && out != fmt.Sprint(n) {
					err = fmt.Errorf("got %s for %d", out, n)
				}
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(e.rows("message")); n != workers*each {
		t.Fatalf("%d rows", n)
	}
	if n := len(e.events.frames()); n != workers*each {
		t.Fatalf("%d events", n)
	}
}
