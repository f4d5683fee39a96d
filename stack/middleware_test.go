package stack

import (
	"strings"
	"testing"

	"relaybase"
	"relaybase/xs"
)

// mw writes a middleware object file.
func mw(name, attrs, stack, response string) string {
	return "middleware " + name + " {\n" + attrs + `
  input {
    json vars
    enum type {
      values = ["pre", "post"]
    }
  }
  stack {
` + stack + `
  }
  response = ` + response + "\n}\n"
}

func TestMiddleware(t *testing.T) {
	files := map[string]string{
		// Xano's documented examples.
		"middleware/docs_post.xs": mw("docs_post", `  exception_policy = "rethrow"
  response_strategy = "merge"`, `    var $observed { value = $input.vars }`, `{middleware_phase: $input.type, observed: $observed}`),
		"middleware/docs_wrap.xs": mw("docs_wrap", `  response_strategy = "replace"`, `    var $payload { value = $input.vars.result }`, `{success: true, payload: $payload}`),
		// A pre middleware that changes an input and adds one the query does not declare.
		"middleware/shout.xs":   mw("shout", "", `    var $n { value = $input.vars.name|to_upper }`, `{name: $n, extra: $input.type}`),
		"middleware/exclaim.xs": mw("exclaim", "", ``, `{name: $input.vars.name ~ "!"}`),
		// validate_turnstile's shape: replace with the inputs, critical on failure.
		"middleware/gate.xs": mw("gate", `  response_strategy = "replace"
  exception_policy = "critical"`, `    precondition ($input.vars.token == "let-me-in") {
      error_type = "unauthorized"
      error = "Verification expired or missing."
    }`, `$input.vars`),
		"middleware/audit.xs": mw("audit", `  exception_policy = "silent"`, `    db.add audit { data = {action: "mw " ~ $input.type} }
    throw { name = "Broken" value = "audit is down" }`, `{never: true}`),
		"middleware/loud.xs": mw("loud", `  exception_policy = "rethrow"`, `    db.add audit { data = {action: "loud"} }
    throw { name = "Broken" value = "loud failure" }`, `null`),
		"middleware/peek.xs": mw("peek", "", `    util.get_all_input as $all
    util.get_raw_input as $raw`, `{all_type: $all.type, raw_name: $raw.name}`),
		"api/t/api_group.xs": `api_group t {
  canonical = "t"
  middleware = {post: [{name: "docs_post"}]}
}`,
		endpointFile("check", "GET"): endpointSrc("check", "GET", `  stack {
    var $result { value = {ok: true} }
  }
  response = $result`), // the group's post middleware
		endpointFile("wrap", "GET"): endpointSrc("wrap", "GET", `  stack {
    var $result { value = {ok: true} }
  }
  response = $result
  middleware = {post: [{name: "docs_wrap"}]}`),
		endpointFile("plain", "GET"): endpointSrc("plain", "GET", `  stack {}
  response = {ok: true}
  middleware = {pre: [], post: [{name: ""}]}`), // customized: none, not the group's
		endpointFile("hello", "POST"): endpointSrc("hello", "POST", `  input {
    text name filters=trim
  }
  stack {
    util.get_all_input as $all
  }
  response = {name: $input.name, all: $all}
  middleware = {pre: [{name: "shout"}, {name: "exclaim"}], post: [{name: "peek"}]}`),
		endpointFile("gated", "POST"): endpointSrc("gated", "POST", `  input {
    text token
    int n
  }
  stack {
    db.add audit { data = {action: "gated"} }
  }
  response = $input.n
  middleware = {pre: [{name: "gate"}]}`),
		endpointFile("audited", "POST"): endpointSrc("audited", "POST", `  stack {
    db.add audit { data = {action: "main"} }
  }
  response = {ok: true}
  middleware = {pre: [{name: "audit"}], post: [{name: "audit"}]}`),
		endpointFile("loud", "POST"): endpointSrc("loud", "POST", `  stack {
    db.add audit { data = {action: "main"} }
  }
  response = {ok: true}
  middleware = {post: [{name: "loud"}]}`),
		"function/greet.xs": `function greet {
  input {
    text name
  }
  stack {}
  response = "hi " ~ $input.name
  middleware = {pre: [{name: "exclaim"}]}
}`,
		endpointFile("fn", "GET"): endpointSrc("fn", "GET", `  stack {
    function.run greet { input = {name: "ann"} } as $g
  }
  response = $g
  middleware = {}`),
	}
	e := newEnv(t, files)

	jsonEq(t, e.mustCall("GET", "check", ""), `{"ok": true, "middleware_phase": "post", "observed": {"status": "ok", "result": {"ok": true}}}`)
	jsonEq(t, e.mustCall("GET", "wrap", ""), `{"success": true, "payload": {"ok": true}}`)
	jsonEq(t, e.mustCall("GET", "plain", ""), `{"ok": true}`)
	// shout upper-cases and adds extra; exclaim sees shout's result; the input's filter
	// (trim) applies after; peek (post) reads its envelope and the request's raw input.
	jsonEq(t, e.mustCall("POST", "hello", `{"name": " ann "}`),
		`{"name": "ANN !", "all": {"name": " ANN !", "extra": "pre"}, "all_type": "post", "raw_name": " ANN !"}`)

	jsonEq(t, e.mustCall("POST", "gated", `{"token": "let-me-in", "n": "5"}`), `5`)
	_, err := e.call("POST", "gated", `{"token": "nope", "n": 5}`)
	if re := wantError(t, err, relaybase.CodeUnauthorized); re.Message != "Verification expired or missing." {
		t.Errorf("gate: %s", re.Message)
	}
	if n := len(e.rows("audit")); n != 1 {
		t.Fatalf("audit has %d rows after one gated request passed and one was refused", n)
	}

	// silent: the middleware's failures are ignored and its writes undone.
	jsonEq(t, e.mustCall("POST", "audited", ""), `{"ok": true}`)
	rows := e.rows("audit")
	if len(rows) != 2 || !strings.Contains(mustJSON(t, rows[1]), `"main"`) {
		t.Fatalf("audit rows %s", mustJSON(t, rows))
	}
	if !strings.Contains(e.logs.String(), "audit is down") {
		t.Errorf("the silent failure was not logged: %s", e.logs.String())
	}
	// rethrow: the request fails and nothing it wrote stays.
	_, err = e.call("POST", "loud", "")
	if re := wantError(t, err, relaybase.CodeFatal); re.Message != "loud failure" {
		t.Errorf("loud: %s", re.Message)
	}
	if n := len(e.rows("audit")); n != 2 {
		t.Fatalf("a failed request left %d audit rows", n)
	}

	jsonEq(t, e.mustCall("GET", "fn", ""), `"hi ann!"`)
}

func TestMiddlewareMistakes(t *testing.T) {
	e := loadEnv(t, map[string]string{
		"middleware/bad.xs": mw("bad", `  exception_policy = "loud"
  response_strategy = "swap"`, ``, `null`),
		"middleware/ai.xs": mw("ai", ``, `    ai.agent.run "helper" { args = {} } as $r`, `null`),
		endpointFile("a", "GET"): endpointSrc("a", "GET", `  stack {}
  response = 1
  middleware = {pre: [{name: "nowhere"}]}`),
		endpointFile("b", "GET"): endpointSrc("b", "GET", `  stack {}
  response = 1
  middleware = {pre: [{name: "ai"}]}`),
		endpointFile("c", "GET"): endpointSrc("c", "GET", `  stack {}
  response = 1
  middleware = {pre: "ai"}`),
	})
	var got []string
	for _, d := range e.diags {
		if d.Severity == xs.Error {
			got = append(got, d.String())
		}
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{
		`middleware/bad.xs:1:1: error: middleware bad: exception_policy must be silent, rethrow or critical, got "loud"`,
		`middleware/bad.xs:1:1: error: middleware bad: response_strategy must be merge or replace, got "swap"`,
		`api/t/a_get.xs:4:16: error: middleware "nowhere" is not defined`,
		`api/t/c_get.xs:4:16: error: middleware pre must be a list`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("no %q in\n%s", want, all)
		}
	}
	_, err := e.call("GET", "b", "")
	if re := wantError(t, err, relaybase.CodeNotImplemented); !strings.Contains(re.Message, "ai.agent.run") {
		t.Errorf("b: %s", re.Message)
	}
}
