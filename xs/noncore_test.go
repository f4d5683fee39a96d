package xs

import "testing"

// TestNonCore parses valid XanoScript that relaybase does not run: it must parse without
// errors so that the checker can name each construct.
func TestNonCore(t *testing.T) {
	tests := []struct{ name, src, kind string }{
		{"workflow_test", `workflow_test "comprehensive_test" {
  datasource = "live"
  stack {
    api.call "test" verb=GET {
      api_group = "test"
      headers = '["Content-Type: application/json"]'
    } as $endpoint1
    addon.call "my_addon" as $addon1
    expect.to_be_defined ($endpoint1)
    expect.to_equal ($endpoint1) { value = $endpoint1 }
    expect.to_be_within ($endpoint1) {
      min = 1
      max = 4
    }
    expect.to_throw {
      stack {
        security.create_uuid as $x1
      }
      exception = "error"
    }
  }
  tags = ["a", "b"]
}`, "workflow_test"},
		{"function with unit tests", `function "add" {
  input { int a }
  stack {
    var $sum { value = $input.a + 1 }
  }
  response = $sum
  test "adds one" {
    input = { a: -5 }
    # Equality
    expect.to_equal ($response) { value = -4 }
    expect.to_throw
  }
}`, "function"},
		{"task with schedule", `task "daily_cleanup" {
  description = "Clean up"
  stack {
    db.query "session" {
      where = $db.session.expires_at < now
    } as $expired
    debug.log { value = "Cleaned " ~ ($expired|count) ~ " sessions" }
  }
  schedule = [{
    starts_on: 2025-01-01 08:00:00+0000,
    freq: 3600,
    ends_on: 2025-12-31 23:59:59+0000
  }]
}`, "task"},
		{"api.request and await", `function "fetch" {
  stack {
    api.request {
      url = "https://api.example.com/data"
      method = "POST"
      params = {model: "gpt-4", messages: [{role: "user", content: $input.prompt}]}
      headers = []|push:"Content-Type: application/json"|push:("Authorization: Bearer " ~ $env.KEY)
      async = true
    } as $request
    await $request as $result
    var $answer { value = $result.response.result.choices|first|get:"message"|get:"content" }
  }
  response = $answer
}`, "function"},
		{"middleware", `middleware "check_key" {
  input {
    json vars
    enum type {
      values = ["pre", "post"]
    }
  }
  stack {
    precondition ($env.$http_headers["x-api-key"] == $env.API_KEY) {
      error_type = "accessdenied"
    }
  }
  response = $input.vars
  response_strategy = "merge"
  exception_policy = "critical"
}`, "middleware"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, diags := Parse("n.xs", []byte(tt.src))
			if len(diags) > 0 {
				t.Fatalf("diagnostics: %v", diags)
			}
			if n := one(t, f); n.Keyword != tt.kind {
				t.Errorf("kind %s, want %s", n.Keyword, tt.kind)
			}
		})
	}
}
