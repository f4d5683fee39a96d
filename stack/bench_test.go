package stack

import (
	"context"
	"testing"

	"relaybase"
	"relaybase/value"
)

// BenchmarkEndpointAdd runs a simple endpoint (input → db.add → response) on real SQLite:
// one write transaction per run, as a POST request would.
func BenchmarkEndpointAdd(b *testing.B) {
	e := newEnv(b, map[string]string{
		endpointFile("messages", "POST"): endpointSrc("messages", "POST", `
  input {
    text body filters=trim
    text channel?="general"
  }
  stack {
    db.add message {
      data = {body: $input.body, channel: $input.channel, likes: 0}
    } as $m
  }
  response = $m`),
	})
	ep := e.endpoint("POST", "messages")
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		req := &Request{Input: value.ObjectOf("body", " hello world ")}
		if _, err := ep.Run(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEndpointGet runs a read-only endpoint (input → db.get → response).
func BenchmarkEndpointGet(b *testing.B) {
	e := newEnv(b, map[string]string{
		endpointFile("seed", "POST"): seedMessages,
		endpointFile("messages/{id}", "GET"): endpointSrc("messages/{id}", "GET", `
  input { int id }
  stack {
    db.get message {
      field_name = "id"
      field_value = $input.id
    } as $m
    precondition ($m != null) {
      error_type = "notfound"
      error = "No such message."
    }
  }
  response = $m`),
	})
	e.mustCall("POST", "seed", "")
	ep := e.endpoint("GET", "messages/{id}")
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := ep.Run(ctx, &Request{Input: value.ObjectOf("id", "3")}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExpression evaluates a compiled expression with arithmetic, comparison,
// concatenation, member access and a filter, without a database.
func BenchmarkExpression(b *testing.B) {
	e := newEnv(b, map[string]string{
		endpointFile("expr", "GET"): endpointSrc("expr", "GET", `
  input {
    int a
    json user
  }
  stack {}
  response = ($input.a + 2) * 3 > 10 && $input.user.name != null ? "Hi " ~ ($input.user.name|to_upper) ~ " #" ~ $input.a : "none"`),
	})
	ep := e.endpoint("GET", "expr")
	f := &frame{r: &run{ctx: context.Background(), p: e.p}, u: ep.u,
		input: value.ObjectOf("a", int64(5), "user", value.ObjectOf("name", "ann")), slots: make([]any, ep.u.nslots)}
	fn := ep.u.response
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		v, err := fn(f)
		if err != nil || v != "Hi ANN #5" {
			b.Fatal(v, err)
		}
	}
}

// BenchmarkLoop runs a stack-only loop: 100 iterations of a conditional and math.add.
func BenchmarkLoop(b *testing.B) {
	e := newEnv(b, map[string]string{
		endpointFile("loop", "GET"): endpointSrc("loop", "GET", `
  stack {
    var $sum { value = 0 }
    for (100) {
      each as $i {
        conditional {
          if ($i % 2 == 0) { math.add $sum { value = $i } }
        }
      }
    }
  }
  response = $sum`),
	})
	ep := e.endpoint("GET", "loop")
	r := &run{ctx: context.Background(), p: e.p}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		v, err := r.exec(ep.u, value.NewObject(0), relaybase.Identity{})
		if err != nil || v != int64(2450) {
			b.Fatal(v, err)
		}
	}
}
