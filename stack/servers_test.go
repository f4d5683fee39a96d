package stack

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"relaybase"
	"relaybase/value"
	"relaybase/xs"
)

// recordingPublisher is the current realtime's side of realtime.publish for tests: it
// refuses the channel "missing" as the real one refuses a path no channel matches, and
// records what is staged and what is delivered after commit.
type recordingPublisher struct {
	mu        sync.Mutex
	staged    []relaybase.Publication
	delivered []relaybase.Publication
	// stored records each StoreIn: the channel, and how many publications had been
	// staged by then (all of the stack's, when it runs at the end).
	stored    []string
	failStore string // StoreIn of this channel fails
}

func (r *recordingPublisher) StagePublication(ctx context.Context, p relaybase.Publication) (relaybase.StagedEvent, error) {
	if p.Channel == "missing" {
		return relaybase.StagedEvent{}, relaybase.Errorf(relaybase.CodeFatal, "realtime.publish: no active channel of %s matches %q.", p.Server, p.Channel)
	}
	r.mu.Lock()
	r.staged = append(r.staged, p)
	r.mu.Unlock()
	return relaybase.StagedEvent{Channel: p.Channel, StoreKey: "k/" + p.Channel,
		StoreIn: func(ctx context.Context, tx relaybase.Tx) error {
			r.mu.Lock()
			defer r.mu.Unlock()
			if p.Channel == r.failStore {
				return errors.New("disk full")
			}
			r.stored = append(r.stored, fmt.Sprintf("%s after %d", p.Channel, len(r.staged)))
			return nil
		},
		Deliver: func(context.Context) {
			r.mu.Lock()
			r.delivered = append(r.delivered, p)
			r.mu.Unlock()
		}}, nil
}

var rtFiles = map[string]string{
	"realtime_server/chat.xs": `realtime_server chat_rt {
  canonical = "chatrt01"
  active = true
}`,
	"channel/rooms.xs": `channel "rooms/{room_id}" {
  realtime_server = "chat_rt"
  access = {anonymous: true}
  publish = {who: "anyone"}
  input {
    int room_id
  }
}`,
	"message/send.xs": `message send {
  realtime_server = "chat_rt"
  channel = "rooms/{room_id}"
  input {
    text body filters=trim|min:1
    int n?
  }
  stack {
    realtime.get_session as $s
    precondition ($input.body != "forbidden") {
      error_type = "accessdenied"
      error = "not that"
    }
    conditional {
      if ($input.body == "boom") {
        var $x { value = 1 / 0 }
      }
    }
  }
  response = $input.body == "drop" ? null : {body: $input.body, room: $input.room_id, who: $s.client_id, dbo: $s.dbo_id, channel: $s.channel, params: $s.params, socket: $s.socket_id, authed: $s.authenticated}
}`,
	"channel_trigger/gate.xs": `channel_trigger gate {
  realtime_server = "chat_rt"
  channel = "rooms/{room_id}"
  actions = {join: true, leave: true}
  stack {
    realtime.get_session as $s
    conditional {
      if ($s.params.room_id == "13") {
        throw { name = "bad" value = "unlucky" }
      }
    }
  }
  response = {allowed: $s.authenticated || $input.channel != "rooms/7", reason: "room 7 is for members of " ~ $input.channel}
}`,
	"realtime_server_trigger/conn.xs": `realtime_server_trigger conn {
  realtime_server = "chat_rt"
  actions = {connect: true}
  stack {}
  response = {allowed: $input.client.permissions.row_id != "9"}
}`,
	"api/t/pub_post.xs": `query pub verb=POST {
  api_group = "t"
  input {
    text channel
    bool fail?
  }
  stack {
    realtime.publish {
      realtime_server = "chat_rt"
      channel = $input.channel
      message = "note"
      data = {hello: "world"}
      auth_table = "user"
      auth_id = 4
    }
    precondition (!$input.fail) {
      error = "rolled back"
    }
  }
  response = "ok"
}`,
	"api/t/pub2_post.xs": `query pub2 verb=POST {
  api_group = "t"
  stack {
    realtime.publish {
      realtime_server = "chat_rt"
      channel = "rooms/2"
      data = 2
    }
    realtime.publish {
      realtime_server = "chat_rt"
      channel = "rooms/1"
      data = 1
    }
    realtime.publish {
      realtime_server = "chat_rt"
      channel = "rooms/2"
      data = 3
    }
  }
  response = "ok"
}`,
	"api/t/catch_post.xs": `query catch verb=POST {
  api_group = "t"
  stack {
    try_catch {
      try {
        realtime.publish {
          realtime_server = "chat_rt"
          channel = "missing"
          data = 1
        }
      }
      catch {
        var $caught { value = $error.message }
      }
    }
    realtime.get_session as $s
  }
  response = {caught: $caught, session: $s}
}`,
}

func TestRealtimeMessageHandler(t *testing.T) {
	e := newEnv(t, rtFiles)
	ctx := context.Background()
	user := relaybase.Identity{TableID: 1, RowID: 4}
	sess := relaybase.RealtimeSession{Identity: user, SocketID: 77, Channel: "rooms/42", Params: value.ObjectOf("room_id", "42")}
	call := func(payload string) (string, error) {
		v, err := value.DecodeJSON([]byte(payload))
		if err != nil {
			t.Fatal(err)
		}
		staged := 0
		out, err := e.p.RunRealtimeMessage(ctx, &relaybase.RealtimeMessageCall{
			Server: "chat_rt", Channel: "rooms/{room_id}", Message: "send", Session: sess,
			Params: value.ObjectOf("room_id", int64(42)), Payload: v,
			Stage: func(resp any) (relaybase.StagedEvent, error) {
				staged++
				return relaybase.StagedEvent{}, nil
			},
		})
		if err != nil {
			return "", err
		}
		if (out == nil) != (staged == 0) {
			t.Errorf("response %v, staged %d times", out, staged)
		}
		b, _ := value.EncodeJSON(out)
		return string(b), nil
	}
	got, err := call(`{"body": "  hi  ", "extra": 1}`)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"body":"hi","room":42,"who":"4","dbo":1,"channel":"rooms/42","params":{"room_id":"42"},"socket":77,"authed":true}`
	if got != want {
		t.Errorf("response %s\nwant     %s", got, want)
	}
	if got, err := call(`{"body": "drop"}`); err != nil || got != "null" {
		t.Errorf("a null response = %s, %v", got, err)
	}
	for _, c := range []struct {
		payload string
		code    relaybase.Code
	}{
		{`{"body": ""}`, relaybase.CodeInputError},
		{`{"n": 1}`, relaybase.CodeInputError},
		{`[1, 2]`, relaybase.CodeInputError},
		{`{"body": "x", "n": "seven"}`, relaybase.CodeInputError},
		{`{"body": "forbidden"}`, relaybase.CodeAccessDenied},
		{`{"body": "boom"}`, relaybase.CodeFatal},
	} {
		_, err := call(c.payload)
		var re *relaybase.Error
		if !errors.As(err, &re) || re.Code != c.code {
			t.Errorf("payload %s: error %v, want code %s", c.payload, err, c.code)
		}
	}
	if _, err := e.p.RunRealtimeMessage(ctx, &relaybase.RealtimeMessageCall{Server: "chat_rt", Channel: "rooms/{room_id}", Message: "nope"}); err == nil {
		t.Error("an unknown message ran")
	}
}

func TestRealtimeLifecycleTriggers(t *testing.T) {
	e := newEnv(t, rtFiles)
	ctx := context.Background()
	run := func(action, channel string, id relaybase.Identity, room string) error {
		sess := relaybase.RealtimeSession{Identity: id, Channel: channel, Params: value.ObjectOf("room_id", room)}
		tmpl := "rooms/{room_id}"
		if action == "connect" {
			tmpl, sess.Channel = "", ""
		}
		return e.p.RunRealtimeLifecycle(ctx, &relaybase.RealtimeLifecycleCall{Server: "chat_rt", Channel: tmpl, Action: action, Session: sess})
	}
	user := relaybase.Identity{TableID: 1, RowID: 4}
	if err := run("join", "rooms/7", user, "7"); err != nil {
		t.Errorf("member joining room 7: %v", err)
	}
	err := run("join", "rooms/7", relaybase.Identity{}, "7")
	var re *relaybase.Error
	if !errors.As(err, &re) || re.Code != relaybase.CodeAccessDenied || re.Message != "room 7 is for members of rooms/7" {
		t.Errorf("anonymous joining room 7: %v", err)
	}
	if err := run("join", "rooms/13", user, "13"); err == nil || errors.As(err, &re) && re.Code == relaybase.CodeAccessDenied && re.Message == "" {
		t.Errorf("a failing trigger admitted or refused without a cause: %v", err)
	}
	if err := run("leave", "rooms/7", relaybase.Identity{}, "7"); err != nil {
		t.Errorf("a leave trigger cannot refuse: %v", err)
	}
	if err := run("connect", "", relaybase.Identity{TableID: 1, RowID: 9}, ""); !errors.As(err, &re) || re.Code != relaybase.CodeAccessDenied {
		t.Errorf("connect of row 9: %v", err)
	}
	if err := run("connect", "", user, ""); err != nil {
		t.Errorf("connect of row 4: %v", err)
	}
	if !e.p.HasRealtimeLifecycle("chat_rt", "rooms/{room_id}", "join") || e.p.HasRealtimeLifecycle("chat_rt", "rooms/{room_id}", "deliver") ||
		e.p.HasRealtimeLifecycle("chat_rt", "", "disconnect") {
		t.Error("HasRealtimeLifecycle is wrong")
	}
}

func TestRealtimePublish(t *testing.T) {
	e := newEnv(t, rtFiles)
	e.mustCall("POST", "pub", `{"channel": "rooms/42"}`)
	if len(e.pub.delivered) != 1 {
		t.Fatalf("delivered %d", len(e.pub.delivered))
	}
	p := e.pub.delivered[0]
	if p.Server != "chat_rt" || p.Channel != "rooms/42" || p.Type != "note" || p.From == nil || p.From.RowID != 4 {
		t.Errorf("publication %+v", p)
	}
	if b, _ := value.EncodeJSON(p.Data); string(b) != `{"hello":"world"}` {
		t.Errorf("data %s", b)
	}
	// A stack that fails after publishing sends nothing.
	if _, err := e.call("POST", "pub", `{"channel": "rooms/42", "fail": true}`); err == nil {
		t.Fatal("no error")
	}
	if len(e.pub.staged) != 2 || len(e.pub.delivered) != 1 {
		t.Errorf("staged %d, delivered %d: a rolled back publish went out", len(e.pub.staged), len(e.pub.delivered))
	}
	// A publish to nothing is an error the stack can catch, and a log line; get_session
	// outside the realtime path is the anonymous session.
	got := e.mustCall("POST", "catch", ``)
	if !strings.Contains(got, `no active channel of chat_rt matches \"missing\"`) ||
		!strings.Contains(got, `"session":{"authenticated":false,"client_id":"","dbo_id":0,"socket_id":0,"channel":"","params":{},"extras":{},"opened_at":0}`) {
		t.Errorf("catch = %s", got)
	}
	if !strings.Contains(e.logs.String(), "realtime.publish failed") {
		t.Errorf("no log line for the failed publish: %s", e.logs.String())
	}
}

// TestRealtimePublishStoresAtCommit: realtime.publish stores its messages once the stack
// has finished (every publish of the stack staged by then), stream by stream in key order,
// one stream's messages in their order; a stack that fails stores nothing, and a store that
// fails fails the stack, which then sends nothing, with a log line.
func TestRealtimePublishStoresAtCommit(t *testing.T) {
	e := newEnv(t, rtFiles)
	e.mustCall("POST", "pub2", ``)
	if got, want := strings.Join(e.pub.stored, ", "), "rooms/1 after 3, rooms/2 after 3, rooms/2 after 3"; got != want {
		t.Errorf("stored %q, want %q", got, want)
	}
	var order []any
	for _, p := range e.pub.delivered {
		order = append(order, p.Data)
	}
	if fmt.Sprint(order) != "[2 1 3]" {
		t.Errorf("delivered %v, want in the order published", order)
	}

	e.pub.stored, e.pub.delivered = nil, nil
	if _, err := e.call("POST", "pub", `{"channel": "rooms/42", "fail": true}`); err == nil {
		t.Fatal("no error")
	}
	if len(e.pub.stored) != 0 || len(e.pub.delivered) != 0 {
		t.Errorf("a rolled back stack stored %v and delivered %d", e.pub.stored, len(e.pub.delivered))
	}

	e.pub.failStore = "rooms/1"
	if _, err := e.call("POST", "pub2", ``); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("a failed store: %v", err)
	}
	if len(e.pub.delivered) != 0 {
		t.Errorf("a stack whose store failed delivered %d", len(e.pub.delivered))
	}
	if !strings.Contains(e.logs.String(), "realtime message not stored") {
		t.Errorf("no log line for the failed store: %s", e.logs.String())
	}
}

func TestRealtimePublishChecks(t *testing.T) {
	files := map[string]string{}
	for k, v := range rtFiles {
		files[k] = v
	}
	files["api/t/bad_post.xs"] = `query bad verb=POST {
  api_group = "t"
  stack {
    realtime.publish {
      realtime_server = "nope"
      channel = "rooms/1"
      data = 1
    }
    realtime.publish {
      realtime_server = "chat_rt"
      data = 1
    }
  }
  response = 1
}`
	e := loadEnv(t, files)
	var msgs []string
	for _, d := range e.diags {
		if d.Severity == xs.Error {
			msgs = append(msgs, d.String())
		}
	}
	joined := strings.Join(msgs, "\n")
	if !strings.Contains(joined, `bad_post.xs:5:25: error: realtime.publish: realtime_server "nope" is not defined`) ||
		!strings.Contains(joined, `bad_post.xs:9:5: error: realtime.publish needs channel = ...`) {
		t.Errorf("diagnostics:\n%s", joined)
	}
}
