package stack

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"relaybase"
)

// TestPasswordHashNeverLeavesInsideText: a hash joined to other text, JSON-encoded, or
// used as an error message is still the hash. Each endpoint reads user 1's row and tries
// one way out; none may carry the hash (or a recognisable piece of it) to the client, a
// realtime frame or the log.
func TestPasswordHashNeverLeavesInsideText(t *testing.T) {
	files := map[string]string{}
	for k, v := range authFiles {
		files[k] = v
	}
	leak := func(name, stack, response string) {
		files[endpointFile("leak/"+name, "GET")] = endpointSrc("leak/"+name, "GET", `
  stack {
    db.get user {
      field_name = "id"
      field_value = 1
    } as $user
`+stack+`
  }
  response = `+response)
	}
	leak("concat", ``, `{s: "hash: " ~ $user.password}`)
	leak("concat-filter", ``, `{s: $user.password|concat:"!"}`)
	leak("json-encode", ``, `{s: $user|json_encode}`)
	leak("array-of-text", ``, `[$user.password ~ ""]`)
	leak("precondition-message", `
    precondition (false) {
      error_type = "accessdenied"
      error = "not for you: " ~ $user.password
    }`, `null`)
	leak("precondition-message-exact", `
    precondition (false) {
      error_type = "inputerror"
      error = $user.password
    }`, `null`)
	leak("throw-text", `
    throw {
      name = "Oops"
      value = "hash " ~ $user.password
    }`, `null`)
	leak("realtime-event", `
    api.realtime_event {
      channel = "users"
      data = {s: "x" ~ $user.password, j: $user|json_encode}
    }`, `{ok: true}`)
	leak("debug-log", `
    debug.log { value = "hash " ~ $user.password }`, `{ok: true}`)

	e := newEnv(t, files)
	e.mustCall("POST", "auth/signup", `{"name": "Ann", "email": "ann@example.com", "password": "correct horse"}`)
	hash, _ := e.rows("user")[0].Get("password")
	salt := strings.Split(hash.(string), "$")[4] // $argon2id$v=19$m=..,t=..,p=..$salt$key
	e.events.staged = nil
	for _, name := range []string{"concat", "concat-filter", "json-encode", "array-of-text", "precondition-message",
		"precondition-message-exact", "throw-text", "realtime-event", "debug-log"} {
		t.Run(name, func(t *testing.T) {
			out, err := e.call("GET", "leak/"+name, "")
			seen := out
			if err != nil {
				seen += err.Error() + mustJSON(t, errPayload(err))
			}
			seen += strings.Join(e.events.frames(), "") + e.logs.String()
			if strings.Contains(seen, "argon2") || strings.Contains(seen, salt) {
				t.Fatalf("the hash left the stack: %s", seen)
			}
		})
	}
}

// errPayload is the payload of a *relaybase.Error, what the client gets besides the message.
func errPayload(err error) any {
	var re *relaybase.Error
	if errors.As(err, &re) {
		return re.Payload
	}
	return nil
}

// TestStripWalksASharedValueOnce: stripping a value that shares itself n times over (2^n
// leaves, each a password hash) costs the n distinct arrays, not the 2^n paths to them.
func TestStripWalksASharedValueOnce(t *testing.T) {
	files := map[string]string{}
	for k, v := range authFiles {
		files[k] = v
	}
	files[endpointFile("shared", "GET")] = endpointSrc("shared", "GET", `
  input {
    int n
  }
  stack {
    db.get user {
      field_name = "id"
      field_value = 1
    } as $user
    var $s { value = [$user.password, "x" ~ $user.password] }
    for ($input.n) {
      each as $i {
        var.update $s { value = [$s, $s] }
      }
    }
  }
  response = {n: $input.n, s: $s, user: $user}`)
	e := newEnv(t, files)
	e.mustCall("POST", "auth/signup", `{"name": "Ann", "email": "ann@example.com", "password": "correct horse"}`)
	call := func(n int) (string, float64) {
		var out string
		in := fmt.Sprintf(`{"n": %d}`, n)
		allocs := testing.AllocsPerRun(1, func() { out = e.mustCall("GET", "shared", in) })
		return out, allocs
	}
	out, small := call(8)
	if strings.Contains(out, "argon2") || !strings.Contains(out, `[null,"x[redacted]"]`) {
		t.Fatalf("the hash left the stack: %.300s", out)
	}
	_, big := call(18)
	if big-small > 10000 {
		t.Fatalf("%.0f allocations with 2^8 leaves, %.0f with 2^18: strip walks every path", small, big)
	}
}
