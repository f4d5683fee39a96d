package stack

import (
	"fmt"
	"strings"
	"testing"

	"relaybase"
)

// TestTextLimit: a loop that doubles a text stops with a clear error at 64 MiB instead of
// taking the server's memory (27 doublings of "ab" would be 256 MiB).
func TestTextLimit(t *testing.T) {
	double := map[string]string{
		"concat":  `var.update $s { value = $s ~ $s }`,
		"append":  `text.append $s { value = $s }`,
		"prepend": `text.prepend $s { value = $s }`,
	}
	files := map[string]string{}
	for name, stmt := range double {
		files[endpointFile("double/"+name, "GET")] = endpointSrc("double/"+name, "GET", `
  input {
    int n
  }
  stack {
    var $s { value = "ab" }
    for ($input.n) {
      each as $i {
        `+stmt+`
      }
    }
  }
  response = $s|strlen`)
	}
	// An array of 2^40 texts of 1 MiB sharing one slice has no text under 64 MiB either.
	files[endpointFile("shared-text", "GET")] = endpointSrc("shared-text", "GET", `
  stack {
    var $t { value = "xxxxxxxxxxxxxxxx" }
    for (16) {
      each as $i {
        text.append $t { value = $t }
      }
    }
    var $s { value = [$t] }
    for (40) {
      each as $i {
        var.update $s { value = [$s, $s] }
      }
    }
  }
  response = "list: " ~ $s`)
	e := newEnv(t, files)
	t.Run("an array too large for text", func(t *testing.T) {
		_, err := e.call("GET", "shared-text", "")
		re := wantError(t, err, relaybase.CodeFatal)
		if !strings.Contains(re.Message, "longer than 64 MiB") {
			t.Fatalf("message %q", re.Message)
		}
	})
	for _, name := range []string{"concat", "append", "prepend"} {
		t.Run(name, func(t *testing.T) {
			if out := e.mustCall("GET", "double/"+name, `{"n": 10}`); out != "2048" {
				t.Fatalf("10 doublings: %s", out)
			}
			_, err := e.call("GET", "double/"+name, `{"n": 27}`)
			re := wantError(t, err, relaybase.CodeFatal)
			if !strings.Contains(re.Message, "longer than 64 MiB") || !strings.Contains(re.Message, "double_"+name) {
				t.Fatalf("message %q", re.Message)
			}
		})
	}
}

// TestPathUpdateCopiesOnlyItsPath: var.update $x.a.b changes $x alone, and costs the
// length of its path, not the size of $x: a value that shares itself n times over has
// 2^n leaves, and copying all of them took all memory in a few dozen steps.
func TestPathUpdateCopiesOnlyItsPath(t *testing.T) {
	e := newEnv(t, map[string]string{
		endpointFile("values", "GET"): endpointSrc("values", "GET", `
  stack {
    var $a { value = {x: {y: 1}, list: [[1], [2]]} }
    var $b { value = $a }
    var.update $b.x.y { value = 2 }
    var.update $b.list.0.0 { value = 9 }
    var.update $b.new.deep { value = true }
    var $t { value = {v: 1} }
    var $s { value = [$t, $t] }
    var.update $s.0.v { value = 2 }
  }
  response = {a: $a, b: $b, s: $s, t: $t}`),
		endpointFile("shared", "GET"): endpointSrc("shared", "GET", `
  input {
    int n
  }
  stack {
    var $s { value = [1] }
    for ($input.n) {
      each as $i {
        var.update $s { value = [$s, $s] }
      }
    }
    var.update $s.0.1 { value = 7 }
  }
  response = $s|count`),
	})
	t.Run("other variables keep their values", func(t *testing.T) {
		jsonEq(t, e.mustCall("GET", "values", ""), `{
			"a": {"x": {"y": 1}, "list": [[1], [2]]},
			"b": {"x": {"y": 2}, "list": [[9], [2]], "new": {"deep": true}},
			"s": [{"v": 2}, {"v": 1}],
			"t": {"v": 1}}`)
	})
	t.Run("cost does not grow with a shared value", func(t *testing.T) {
		allocs := func(n int) float64 {
			in := fmt.Sprintf(`{"n": %d}`, n)
			return testing.AllocsPerRun(1, func() { e.mustCall("GET", "shared", in) })
		}
		small, big := allocs(10), allocs(20)
		if big-small > 10000 {
			t.Fatalf("%.0f allocations with 2^10 leaves, %.0f with 2^20: the update copies the whole value", small, big)
		}
	})
}
