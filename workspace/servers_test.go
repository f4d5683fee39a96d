package workspace

import (
	"reflect"
	"strings"
	"testing"

	"relaybase"
	"relaybase/internal/testenv"
	"relaybase/xs"
)

var serverFiles = map[string]string{
	"table/user.xs": `table user {
  auth = true
  schema {
    int id
    text name
  }
}`,
	"realtime_server/chat.xs": `realtime_server chat_rt {
  canonical = "chatrt01"
  active = true
}`,
	"channel/rooms.xs": `channel "rooms/{room_id}" {
  realtime_server = "chat_rt"
  access = {anonymous: true, presence: true}
  publish = {who: "authenticated", direct: true}
  conversation = {enabled: true, limit: 50, ttl: 600}
  delivery = {guarantee: "at_least_once", per_recipient: false}
  rate_limit = {messages_per_minute: 120}
  input {
    int room_id
  }
}`,
	"channel/lobby.xs": `channel lobby {
  realtime_server = "chat_rt"
  input {}
}`,
	"message/send.xs": `message send {
  realtime_server = "chat_rt"
  channel = "rooms/{room_id}"
  auth = "user"
  deliver_to = "others"
  input {
    text body
  }
  stack {
    realtime.get_session as $session
  }
  response = {body: $input.body}
}`,
	"channel_trigger/gate.xs": `channel_trigger gate {
  realtime_server = "chat_rt"
  channel = "rooms/{room_id}"
  actions = {join: true, leave: true}
  input {}
  stack {}
  response = {allowed: true}
}`,
	"realtime_server_trigger/conn.xs": `realtime_server_trigger conn {
  realtime_server = "chat_rt"
  actions = {connect: true}
  stack {}
  response = {allowed: true}
}`,
}

func TestLoadRealtimeServers(t *testing.T) {
	ws, diags, err := Load(testenv.TempFiles(t, serverFiles))
	if err != nil {
		t.Fatal(err)
	}
	if len(diags) != 0 {
		t.Fatalf("diagnostics: %v", diags)
	}
	if len(ws.RealtimeServers) != 1 {
		t.Fatalf("servers = %d", len(ws.RealtimeServers))
	}
	s := ws.RealtimeServers[0]
	if s.Name != "chat_rt" || s.Canonical != "chatrt01" || !s.Active || len(s.Channels) != 2 {
		t.Fatalf("server = %+v", s)
	}
	rooms, ok := s.Channel("rooms/{room_id}")
	if !ok {
		t.Fatal("no rooms channel")
	}
	want := relaybase.RealtimeChannel{Server: "chat_rt", Path: "rooms/{room_id}", Active: true, Anonymous: true, Presence: true,
		Publish: relaybase.PublishAuthenticated, Direct: true, Conversation: true, ConversationLimit: 50, ConversationTTL: 600,
		AtLeastOnce: true, RateLimit: 120}
	got := *rooms
	got.Segments, got.Params, got.Messages, got.File = nil, nil, nil, ""
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rooms = %+v\nwant   %+v", got, want)
	}
	if len(rooms.Params) != 1 || !reflect.DeepEqual(rooms.Params[0], relaybase.PathParam{Name: "room_id", Type: relaybase.TypeInt}) {
		t.Errorf("params = %+v", rooms.Params)
	}
	lobby, _ := s.Channel("lobby")
	if lobby.Publish != relaybase.PublishNobody || lobby.Anonymous || lobby.KeepsStream() {
		t.Errorf("lobby defaults = %+v", lobby)
	}
	m, ok := rooms.Message("send")
	if !ok || m.Auth != "user" || m.DeliverTo != relaybase.DeliverOthers || !m.Active {
		t.Fatalf("send = %+v", m)
	}
	if len(ws.RealtimeMessages) != 1 || ws.RealtimeMessages[0].Channel != rooms {
		t.Errorf("messages = %+v", ws.RealtimeMessages)
	}
	if len(ws.LifecycleTriggers) != 2 {
		t.Fatalf("triggers = %d", len(ws.LifecycleTriggers))
	}
	for _, tr := range ws.LifecycleTriggers {
		switch tr.Name {
		case "gate":
			if tr.Channel != rooms || !tr.Actions["join"] || !tr.Actions["leave"] {
				t.Errorf("gate = %+v", tr)
			}
		case "conn":
			if tr.Channel != nil || !tr.Actions["connect"] || tr.Actions["disconnect"] {
				t.Errorf("conn = %+v", tr)
			}
		}
	}
}

func TestRealtimeServerDiagnostics(t *testing.T) {
	cases := []struct {
		name     string
		file     string
		text     string
		severity xs.Severity
		want     string // part of the message
		line     int
	}{
		{"server without canonical", "realtime_server/x.xs", "realtime_server x {\n  active = true\n}", xs.Error, "needs canonical", 1},
		{"server off by default", "realtime_server/x.xs", "realtime_server x {\n  canonical = \"xx1\"\n}", xs.Warning, "no active = true", 1},
		{"canonical reused", "realtime_server/x.xs", "realtime_server x {\n  canonical = \"chatrt01\"\n  active = true\n}", xs.Error, "canonical \"chatrt01\" is also used", 1},
		{"unknown server", "channel/c.xs", "channel c {\n  realtime_server = \"nope\"\n}", xs.Error, "realtime_server \"nope\" is not defined", 2},
		{"empty segment", "channel/c.xs", "channel \"a//b\" {\n  realtime_server = \"chat_rt\"\n}", xs.Error, "empty segment", 1},
		{"partial param", "channel/c.xs", "channel \"a/x{id}\" {\n  realtime_server = \"chat_rt\"\n}", xs.Error, "whole {param}", 1},
		{"param without input", "channel/c.xs", "channel \"a/{id}\" {\n  realtime_server = \"chat_rt\"\n}", xs.Error, "{id} needs an input", 1},
		{"json param", "channel/c.xs", "channel \"a/{id}\" {\n  realtime_server = \"chat_rt\"\n  input {\n    json id\n  }\n}", xs.Error, "must be a single scalar", 4},
		{"input not a param", "channel/c.xs", "channel a {\n  realtime_server = \"chat_rt\"\n  input {\n    int id\n  }\n}", xs.Error, "not a {param}", 4},
		{"bad who", "channel/c.xs", "channel a {\n  realtime_server = \"chat_rt\"\n  publish = {who: \"everyone\"}\n}", xs.Error, "publish.who", 3},
		{"limit too big", "channel/c.xs", "channel a {\n  realtime_server = \"chat_rt\"\n  conversation = {enabled: true, limit: 5000}\n}", xs.Error, "conversation.limit", 3},
		{"limit zero", "channel/c.xs", "channel a {\n  realtime_server = \"chat_rt\"\n  conversation = {enabled: true}\n}", xs.Warning, "limit 0", 1},
		{"per recipient", "channel/c.xs", "channel a {\n  realtime_server = \"chat_rt\"\n  delivery = {per_recipient: true}\n}", xs.Warning, "per_recipient does nothing without an active channel_trigger", 3},
		{"duplicate path", "channel/z.xs", "channel lobby {\n  realtime_server = \"chat_rt\"\n}", xs.Error, "also defined", 2},
		{"message on a filled path", "message/m.xs", "message m {\n  realtime_server = \"chat_rt\"\n  channel = \"rooms/42\"\n  stack {}\n  response = 1\n}", xs.Error, "has no channel \"rooms/42\"", 3},
		{"message without response", "message/m.xs", "message m {\n  realtime_server = \"chat_rt\"\n  channel = \"lobby\"\n  stack {}\n}", xs.Error, "needs response", 1},
		{"message auth not an auth table", "message/m.xs", "message m {\n  realtime_server = \"chat_rt\"\n  channel = \"lobby\"\n  auth = \"nope\"\n  stack {}\n  response = 1\n}", xs.Error, "no such table", 4},
		{"message explicit", "message/m.xs", "message m {\n  realtime_server = \"chat_rt\"\n  channel = \"lobby\"\n  deliver_to = \"explicit\"\n  stack {}\n  response = 1\n}", xs.Warning, "delivers to nobody", 4},
		{"message name twice", "message/z.xs", "message send {\n  realtime_server = \"chat_rt\"\n  channel = \"rooms/{room_id}\"\n  stack {}\n  response = 1\n}", xs.Error, "also defined", 1},
		{"deliver trigger", "channel_trigger/d.xs", "channel_trigger d {\n  realtime_server = \"chat_rt\"\n  channel = \"lobby\"\n  actions = {deliver: true}\n  stack {}\n}", xs.Warning, "runs only on a channel with delivery.per_recipient", 1},
		{"trigger bad action", "realtime_server_trigger/d.xs", "realtime_server_trigger d {\n  realtime_server = \"chat_rt\"\n  actions = {join: true}\n  stack {}\n}", xs.Error, "actions takes connect, disconnect", 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{}
			for k, v := range serverFiles {
				files[k] = v
			}
			files[tc.file] = tc.text
			_, diags, err := Load(testenv.TempFiles(t, files))
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range diags {
				if d.Severity == tc.severity && strings.Contains(d.Message, tc.want) {
					if d.Pos.File != tc.file || d.Pos.Line != tc.line {
						t.Errorf("at %s, want %s:%d", d.Pos, tc.file, tc.line)
					}
					return
				}
			}
			t.Errorf("no diagnostic %q in %v", tc.want, diags)
		})
	}
}
