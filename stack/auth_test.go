package stack

import (
	"context"
	"strings"
	"testing"

	"relaybase"
	"relaybase/value"
)

// authFiles are the signup/login/me endpoints docs/http.md describes, written in XanoScript.
var authFiles = map[string]string{
	endpointFile("auth/signup", "POST"): endpointSrc("auth/signup", "POST", `
  input {
    text name filters=trim
    email email filters=trim|lower
    password password filters=min:8
  }
  stack {
    db.get user {
      field_name = "email"
      field_value = $input.email
    } as $existing
    precondition ($existing == null) {
      error_type = "accessdenied"
      error = "This account is already in use."
    }
    db.add user {
      data = {name: $input.name, email: $input.email, password: $input.password}
    } as $user
    debug.log { value = {user: $user, input: $input, plain: $input.password} }
    api.realtime_event {
      channel = "users"
      data = {joined: $user}
      auth_table = "user"
      auth_id = $user.id
    }
    security.create_auth_token {
      table = "user"
      extras = {name: $user.name}
      expiration = 86400
      id = $user.id
    } as $token
  }
  response = {authToken: $token, user: $user, copy: $user|set:"x":1, hash: $user.password}`),
	endpointFile("auth/login", "POST"): endpointSrc("auth/login", "POST", `
  input {
    email email filters=trim|lower
    text password
  }
  stack {
    db.get user {
      field_name = "email"
      field_value = $input.email
    } as $user
    precondition ($user != null) {
      error_type = "accessdenied"
      error = "Invalid credentials."
    }
    security.check_password {
      text_password = $input.password
      hash_password = $user.password
    } as $ok
    precondition ($ok) {
      error_type = "accessdenied"
      error = "Invalid credentials."
    }
    security.create_auth_token {
      dbtable = "user"
      extras = {name: $user.name}
      expiration = 86400
      id = $user.id
    } as $token
  }
  response = {authToken: $token}`),
	endpointFile("auth/me", "GET"): endpointSrc("auth/me", "GET", `
  auth = "user"
  stack {
    db.get user {
      field_name = "id"
      field_value = $auth.id
    } as $user
    db.query user { return = {type: "list"} } as $all
  }
  response = {id: $auth.id, name: $auth.name, user: $user, all: $all}`),
}

func TestAuthAndPasswords(t *testing.T) {
	e := newEnv(t, authFiles)
	out := e.mustCall("POST", "auth/signup", `{"name": " Ann ", "email": "Ann@Example.com", "password": "correct horse"}`)

	t.Run("password is hashed in the database", func(t *testing.T) {
		rows := e.rows("user")
		if len(rows) != 1 {
			t.Fatalf("%d users", len(rows))
		}
		pw, _ := rows[0].Get("password")
		if s, _ := pw.(string); !strings.HasPrefix(s, "$argon2id$") {
			t.Fatalf("stored password %q is not an argon2id hash", s)
		}
	})
	t.Run("password never in the response", func(t *testing.T) {
		if strings.Contains(out, "argon2") || strings.Contains(out, "correct horse") || strings.Contains(out, `"password"`) {
			t.Fatalf("response leaks the password: %s", out)
		}
		if !strings.Contains(out, `"authToken":"`) || !strings.Contains(out, `"name":"Ann"`) || !strings.Contains(out, `"x":1`) {
			t.Fatalf("response %s", out)
		}
	})
	t.Run("password never in debug.log", func(t *testing.T) {
		logs := e.logs.String()
		if !strings.Contains(logs, "debug.log") {
			t.Fatalf("no debug.log line: %s", logs)
		}
		if strings.Contains(logs, "argon2") || strings.Contains(logs, "correct horse") {
			t.Fatalf("debug.log leaks the password: %s", logs)
		}
		if !strings.Contains(logs, `[redacted]`) {
			t.Fatalf("debug.log does not show the redaction: %s", logs)
		}
	})
	t.Run("password never in realtime event data; sender identity set", func(t *testing.T) {
		frames := e.events.frames()
		if len(frames) != 1 {
			t.Fatalf("frames %v", frames)
		}
		if strings.Contains(frames[0], "argon2") || strings.Contains(frames[0], "password") {
			t.Fatalf("event leaks the password: %s", frames[0])
		}
		userTable, _ := e.ws.Table("user")
		s := e.events.staged[0].Sender
		if s == nil || s.TableID != userTable.ID || s.RowID != 1 || userTable.ID == 0 {
			t.Fatalf("sender %+v, table id %d", s, userTable.ID)
		}
	})
	t.Run("login checks the hash", func(t *testing.T) {
		out := e.mustCall("POST", "auth/login", `{"email": "ann@example.com", "password": "correct horse"}`)
		if !strings.HasPrefix(out, `{"authToken":"`) {
			t.Fatalf("login %s", out)
		}
		tok, _ := value.DecodeJSON([]byte(out))
		token, _ := tok.(*value.Object).Get("authToken")
		id, err := e.tokens.Verify(token.(string))
		if err != nil {
			t.Fatal(err)
		}
		name, _ := id.Extras.Get("name")
		if id.RowID != 1 || name != "Ann" {
			t.Fatalf("identity %+v", id)
		}

		me, err := e.callAs(id, "GET", "auth/me", "")
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(me, "argon2") || !strings.Contains(me, `"id":1,"name":"Ann"`) {
			t.Fatalf("me %s", me)
		}
	})
	t.Run("wrong password and unknown email answer alike", func(t *testing.T) {
		_, err1 := e.call("POST", "auth/login", `{"email": "ann@example.com", "password": "wrong"}`)
		_, err2 := e.call("POST", "auth/login", `{"email": "bob@example.com", "password": "wrong"}`)
		a := wantError(t, err1, relaybase.CodeAccessDenied)
		b := wantError(t, err2, relaybase.CodeAccessDenied)
		if a.Message != b.Message {
			t.Fatalf("%q vs %q", a.Message, b.Message)
		}
	})
	t.Run("auth endpoint without identity is 401", func(t *testing.T) {
		_, err := e.call("GET", "auth/me", "")
		wantError(t, err, relaybase.CodeUnauthorized)
		_, err = e.callAs(relaybase.Identity{TableID: 999, RowID: 1}, "GET", "auth/me", "")
		wantError(t, err, relaybase.CodeUnauthorized)
	})
	t.Run("signing up twice is refused", func(t *testing.T) {
		_, err := e.call("POST", "auth/signup", `{"name": "Ann", "email": "ann@example.com", "password": "correct horse"}`)
		wantError(t, err, relaybase.CodeAccessDenied)
	})
}

func TestMissingContracts(t *testing.T) {
	e := newEnv(t, authFiles)
	p, _ := Compile(e.ws, Options{Store: e.db})
	ep := func(verb, path string) *Endpoint {
		for _, x := range p.Endpoints() {
			if x.Verb == verb && x.Path == path {
				return x
			}
		}
		t.Fatalf("no %s %s", verb, path)
		return nil
	}
	in := value.ObjectOf("name", "Bo", "email", "bo@example.com", "password", "long enough")
	_, err := ep("POST", "auth/signup").Run(context.Background(), &Request{Input: in})
	re := wantError(t, err, relaybase.CodeFatal)
	if !strings.Contains(re.Message, "password hashing is not configured") {
		t.Fatalf("message %q", re.Message)
	}
}
