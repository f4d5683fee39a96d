package stack

import (
	"context"
	"slices"
	"strings"
	"testing"

	"relaybase"
	"relaybase/value"
	"relaybase/xs"
)

func TestUnsupportedConstructs(t *testing.T) {
	e := loadEnv(t, map[string]string{
		endpointFile("ai", "POST"): endpointSrc("ai", "POST", `
  stack {
    db.add message { data = {body: "must not be written"} }
    ai.agent.run my_agent {
      args = {}
    } as $r
  }
  response = $r`),
		endpointFile("filter", "GET"): endpointSrc("filter", "GET", `
  stack {
    var $x { value = "a"|detect_encoding }
  }
  response = $x`),
		"function/uses_cloud.xs": `function uses_cloud {
  input {}
  stack {
    cloud.aws.s3.read_file { file_key = "k" } as $v
  }
  response = $v
}`,
		endpointFile("indirect", "GET"): endpointSrc("indirect", "GET", `
  stack {
    function.run uses_cloud as $v
  }
  response = $v`),
		endpointFile("fine", "GET"): endpointSrc("fine", "GET", `
  stack {}
  response = "fine"`),
	})
	var unsupported []string
	for _, d := range e.diags {
		if d.Severity == xs.Error {
			t.Fatalf("unexpected error %s", d)
		}
		if d.Severity == xs.Unsupported {
			unsupported = append(unsupported, d.String())
		}
	}
	want := []string{
		"api/t/ai_post.xs:5:5: unsupported: statement ai.agent.run is not supported by relaybase: it needs an outside AI service (a model provider or an agent runtime), which relaybase does not connect to",
		"api/t/filter_get.xs:4:26: unsupported: filter detect_encoding is not supported by relaybase",
		"function/uses_cloud.xs:4:5: unsupported: statement cloud.aws.s3.read_file is not supported by relaybase: it needs a cloud provider's API (storage, search), which relaybase does not connect to; api.request can call it over HTTP",
	}
	slices.Sort(unsupported)
	if strings.Join(unsupported, "\n") != strings.Join(want, "\n") {
		t.Fatalf("diagnostics:\n%s\nwant:\n%s", strings.Join(unsupported, "\n"), strings.Join(want, "\n"))
	}
	for _, c := range []struct{ verb, path, at string }{
		{"POST", "ai", "ai.agent.run (at api/t/ai_post.xs:5:5)"},
		{"GET", "filter", "filter detect_encoding (at api/t/filter_get.xs:4:26)"},
		{"GET", "indirect", "cloud.aws.s3.read_file (at function/uses_cloud.xs:4:5)"},
	} {
		_, err := e.call(c.verb, c.path, "")
		re := wantError(t, err, relaybase.CodeNotImplemented)
		if !strings.Contains(re.Message, c.at) {
			t.Errorf("%s: message %q does not name %q", c.path, re.Message, c.at)
		}
	}
	if n := len(e.rows("message")); n != 0 {
		t.Fatalf("an endpoint with an unsupported construct wrote %d rows", n)
	}
	jsonEq(t, e.mustCall("GET", "fine", ""), `"fine"`)
}

func TestCompileErrors(t *testing.T) {
	e := loadEnv(t, map[string]string{
		endpointFile("bad", "POST"): endpointSrc("bad", "POST", `
  input {
    string name
    int owner { table = "nobody" }
  }
  stack {
    db.add nope { data = {} }
    db.get message {
      field_name = "colour"
      field_value = 1
    } as $m
    function.run missing_fn as $r
    precondition (true) { error_type = "weird" }
    db.query message {
      where = $db.message.colour == 1
    } as $q
  }
  response = null`),
		endpointFile("warn", "POST"): endpointSrc("warn", "POST", `
  stack {
    db.add message { data = {body: "x", colour: "red"} }
    api.realtime_event {
      channel = "room"
      event = "new_message"
      data = 1
    }
  }
  response = null`),
	})
	var errs, warns []string
	for _, d := range e.diags {
		switch d.Severity {
		case xs.Error:
			errs = append(errs, d.String())
		case xs.Warning:
			warns = append(warns, d.String())
		}
	}
	for _, want := range []string{
		`api/t/bad_post.xs:4:5: error: input name: XanoScript has no type "string"`,
		`api/t/bad_post.xs:5:5: error: input owner: table "nobody" does not exist`,
		`api/t/bad_post.xs:8:5: error: db.add: table "nope" does not exist`,
		`api/t/bad_post.xs:10:20: error: db.get: table "message" has no field "colour"`,
		`api/t/bad_post.xs:13:5: error: function.run: function "missing_fn" does not exist`,
		`api/t/bad_post.xs:14:5: error: precondition error_type "weird"`,
		`api/t/bad_post.xs:16:15: error: db.query: table "message" has no field "colour"`,
	} {
		if !slices.ContainsFunc(errs, func(s string) bool { return strings.HasPrefix(s, want) }) {
			t.Errorf("missing diagnostic %s\ngot:\n%s", want, strings.Join(errs, "\n"))
		}
	}
	for _, want := range []string{
		`api/t/warn_post.xs:4:49: warning: db.add: table "message" has no field "colour"; it is ignored`,
		`api/t/warn_post.xs:7:15: warning: api.realtime_event: event has no effect`,
	} {
		if !slices.ContainsFunc(warns, func(s string) bool { return strings.HasPrefix(s, want) }) {
			t.Errorf("missing warning %s\ngot:\n%s", want, strings.Join(warns, "\n"))
		}
	}
}

func TestSupported(t *testing.T) {
	stmts, filters := Supported()
	for _, s := range []string{"var", "db.query", "api.realtime_event", "security.create_auth_token", "array.filter", "try_catch"} {
		if !slices.Contains(stmts, s) {
			t.Errorf("statement %s missing", s)
		}
	}
	for _, f := range []string{"trim", "map", "json_encode"} {
		if !slices.Contains(filters, f) {
			t.Errorf("filter %s missing", f)
		}
	}
	if slices.Contains(stmts, "ai.agent.run") {
		t.Error("ai.agent.run listed as supported")
	}
}

func TestRealtimeTriggers(t *testing.T) {
	e := newEnv(t, map[string]string{
		"realtime/trigger/rooms.xs": `realtime_trigger rooms {
  channel = "room/*"
  actions = {join: true, message: true}
  input {}
  stack {
    precondition ($input.action != "message" || $input.payload.text != "spam") {
      error_type = "accessdenied"
      error = "No spam, please."
    }
    precondition ($input.payload.text != "standard") {
      error = "Refused plainly."
    }
    conditional {
      if ($input.action == "message") {
        db.add message {
          data = {channel: $input.channel, body: $input.payload.text, user_id: $auth.id}
        }
        api.realtime_event {
          channel = $input.channel
          data = {echo: $input.payload.text}
        }
      }
    }
  }
  response = $input.channel != "room/closed"
}`,
		"realtime/trigger/lobby.xs": `realtime_trigger lobby {
  channel = "lobby"
  actions = {join: true, message: false}
  input {}
  stack {}
  response = $auth.id != null
}`,
	})
	ctx := context.Background()
	call := func(action, channel string, payload any, auth relaybase.Identity) error {
		return e.p.RunRealtimeTrigger(ctx, &relaybase.TriggerCall{
			Action: action, Channel: channel, Payload: payload, Auth: auth,
			Client:  value.ObjectOf("socketId", "s1"),
			Options: value.ObjectOf("channel", channel),
		})
	}
	user := relaybase.Identity{TableID: 1, RowID: 7}
	t.Run("message allowed, stored and event sent after commit", func(t *testing.T) {
		if err := call("message", "room/1", value.ObjectOf("text", "hi"), user); err != nil {
			t.Fatal(err)
		}
		rows := e.rows("message")
		if len(rows) != 1 {
			t.Fatalf("%d rows", len(rows))
		}
		jsonEq(t, mustJSON(t, value.ObjectOf("c", member(rows[0], "channel"), "b", member(rows[0], "body"), "u", member(rows[0], "user_id"))),
			`{"c":"room/1","b":"hi","u":7}`)
		if f := e.events.frames(); len(f) != 1 || !strings.Contains(f[0], `"echo":"hi"`) {
			t.Fatalf("frames %v", f)
		}
	})
	t.Run("failed precondition refuses with its message", func(t *testing.T) {
		err := call("message", "room/1", value.ObjectOf("text", "spam"), user)
		re := wantError(t, err, relaybase.CodeAccessDenied)
		if re.Message != "No spam, please." {
			t.Fatalf("message %q", re.Message)
		}
	})
	t.Run("standard precondition refuses too", func(t *testing.T) {
		err := call("message", "room/1", value.ObjectOf("text", "standard"), user)
		re := wantError(t, err, relaybase.CodeAccessDenied)
		if re.Message != "Refused plainly." {
			t.Fatalf("message %q", re.Message)
		}
	})
	t.Run("other failures are errors, not refusals", func(t *testing.T) {
		err := call("message", "room/1", value.ObjectOf("text", value.ObjectOf("not", "text")), user)
		if err == nil {
			t.Fatal("a failing stack passed")
		}
		if re := relaybase.AsError(err); re.Code != relaybase.CodeFatal || !strings.Contains(re.Message, "message.body") {
			t.Fatalf("failure reported as %v", err)
		}
	})
	t.Run("response false refuses", func(t *testing.T) {
		wantError(t, call("join", "room/closed", nil, user), relaybase.CodeAccessDenied)
	})
	t.Run("prefix needs at least one more character", func(t *testing.T) {
		if err := call("join", "room/", nil, relaybase.Identity{}); err != nil {
			t.Fatalf("room/ should match no trigger: %v", err)
		}
	})
	t.Run("auth is bound", func(t *testing.T) {
		wantError(t, call("join", "lobby", nil, relaybase.Identity{}), relaybase.CodeAccessDenied)
		if err := call("join", "lobby", nil, user); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("actions not enabled do not run", func(t *testing.T) {
		if err := call("message", "lobby", "x", relaybase.Identity{}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("HasRealtimeTrigger says which calls run a stack", func(t *testing.T) {
		var m relaybase.TriggerMatcher = e.p
		for _, c := range []struct {
			action, channel string
			want            bool
		}{
			{"join", "room/1", true},
			{"message", "room/1", true},
			{"join", "room/", false},
			{"join", "lobby", true},
			{"message", "lobby", false},
			{"join", "lobby2", false},
			{"leave", "lobby", false},
		} {
			if got := m.HasRealtimeTrigger(c.channel, c.action); got != c.want {
				t.Errorf("HasRealtimeTrigger(%q, %q) = %v, want %v", c.channel, c.action, got, c.want)
			}
		}
	})
	t.Run("other channels run nothing", func(t *testing.T) {
		if err := call("join", "elsewhere", nil, relaybase.Identity{}); err != nil {
			t.Fatal(err)
		}
	})
}
