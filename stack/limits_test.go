package stack

import (
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
	e := newEnv(t, files)
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
