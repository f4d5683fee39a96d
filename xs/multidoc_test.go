package xs

import "testing"

// TestMultiDocument reads a file of several objects separated by "---" lines, as Xano
// writes a run bundle, and refuses a "---" that is not alone at the start of its line.
func TestMultiDocument(t *testing.T) {
	src := "run.job \"Average\" {\n  main = {name: \"avg\", input: {left: 1, right: 2}}\n}\n---\n" +
		"function avg {\n  input {\n    int left\n    int right\n  }\n  stack {\n    var $x { value = ($input.left + $input.right) / 2 }\n  }\n  response = $x\n}\n---\n" +
		"table result {\n  schema {\n    int id\n  }\n}\n---\n"
	f, diags := Parse("bundle.xs", []byte(src))
	if len(diags) > 0 {
		t.Fatalf("diagnostics: %v", diags)
	}
	var kinds []string
	for _, o := range f.Objects {
		kinds = append(kinds, o.Keyword+" "+o.Name)
	}
	if got, want := len(kinds), 3; got != want {
		t.Fatalf("objects %q, want 3", kinds)
	}
	if kinds[0] != "run.job Average" || kinds[1] != "function avg" || kinds[2] != "table result" {
		t.Errorf("objects %q", kinds)
	}

	for _, bad := range []string{
		"function a {\n}\n --- \nfunction b {\n}\n", // not at the start of the line
		"function a {\n}\n--- x\nfunction b {\n}\n", // not alone on it
		"function a {\n}\n----\nfunction b {\n}\n",  // four dashes
	} {
		if _, diags := Parse("bad.xs", []byte(bad)); len(diags) == 0 {
			t.Errorf("%q: no diagnostic", bad)
		}
	}
}
