package filter

import (
	"regexp"
	"strings"
	"testing"

	_ "time/tzdata" // the time examples must not depend on the machine's zoneinfo

	"relaybase/value"
)

// TestExamples runs every documented example through its filter, so docs cannot drift.
func TestExamples(t *testing.T) {
	for _, ex := range examples {
		t.Run(ex.name, func(t *testing.T) {
			d, ok := Lookup(ex.name)
			if !ok {
				t.Fatalf("no filter %q", ex.name)
			}
			args := ex.args
			if d.Reduce {
				if ex.reducer == nil || ex.expr == "" {
					t.Fatalf("reduce's example needs expr and reducer")
				}
				args = append([]any{ex.reducer}, args...)
			} else if d.Lambda {
				if ex.fn == nil || ex.expr == "" {
					t.Fatalf("lambda filter example needs expr and fn")
				}
				args = append([]any{ex.fn}, args...)
			} else if ex.fn != nil || ex.expr != "" {
				t.Fatalf("expr given for a filter that takes no expression")
			}
			in := value.Clone(ex.in)
			got, err := d.Fn(in, args)
			if err != nil {
				t.Fatalf("%s: %v", ex.line(), err)
			}
			if !value.Equal(in, ex.in) {
				t.Errorf("%s changed its input to %s", ex.name, literal(in))
			}
			if ex.match != "" {
				if !regexp.MustCompile(ex.match).MatchString(value.ToText(got)) {
					t.Errorf("%s: got %s, want a match of %s", ex.line(), literal(got), ex.match)
				}
				return
			}
			if !value.Equal(got, ex.want) || typeOf(got) != typeOf(ex.want) {
				t.Errorf("%s: got %s (%s)", ex.line(), literal(got), value.TypeName(got))
			}
		})
	}
}

// typeOf is the value's type, so an example that shows 3.0 must return a decimal.
func typeOf(v any) string { return value.TypeName(v) }

func TestDocsCoverRegistry(t *testing.T) {
	documented := map[string]bool{}
	for _, d := range Docs() {
		if documented[d.Name] {
			t.Errorf("%s documented twice", d.Name)
		}
		documented[d.Name] = true
		if _, ok := Lookup(d.Name); !ok {
			t.Errorf("documented filter %s is not registered", d.Name)
		}
		if aliasOf[d.Name] != "" {
			t.Errorf("example for %s uses an alias; give it on %s", d.Name, aliasOf[d.Name])
		}
		for _, a := range d.Aliases {
			documented[a] = true
		}
		switch d.Category {
		case "text", "array", "math", "object", "type", "time", "comparison":
		default:
			t.Errorf("%s: unknown category %q", d.Name, d.Category)
		}
		if !strings.Contains(d.Example, "|"+d.Name) || !strings.Contains(d.Example, " → ") {
			t.Errorf("%s: malformed example %q", d.Name, d.Example)
		}
	}
	for _, n := range Names() {
		if !documented[n] {
			t.Errorf("filter %s has no example", n)
		}
	}
}

func TestExampleLines(t *testing.T) {
	docs := map[string]string{}
	for _, d := range Docs() {
		docs[d.Name] = d.Example
	}
	want := map[string]string{
		"trim":          `"  hi  "|trim → "hi"`,
		"substr":        `"hello"|substr:1:3 → "ell"`,
		"concat":        `"a"|concat:"b":"-" → "a-b"`,
		"map":           `[{v: 1}, {v: 2}]|map:$$.v * 2 → [2, 4]`,
		"range":         `|range:1:5 → [1, 2, 3, 4, 5]`,
		"sqrt":          `9|sqrt → 3.0`,
		"json_encode":   `{a: 1, b: [true, null]}|json_encode → "{\"a\":1,\"b\":[true,null]}"`,
		"to_lower":      `"Épic Battle"|to_lower → "épic battle"`,
		"first_notnull": `null|first_notnull:0 → 0`,
	}
	for name, line := range want {
		if docs[name] != line {
			t.Errorf("%s example:\n got %s\nwant %s", name, docs[name], line)
		}
	}
	var lower Doc
	for _, d := range Docs() {
		if d.Name == "to_lower" {
			lower = d
		}
	}
	if len(lower.Aliases) != 1 || lower.Aliases[0] != "lower" {
		t.Errorf("to_lower aliases = %v, want [lower]", lower.Aliases)
	}
}

func TestLiteral(t *testing.T) {
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"quoted key", value.ObjectOf("a b", int64(1), "_x", 2.5), `{"a b": 1, _x: 2.5}`},
		{"integral decimal", 2.0, "2.0"},
		{"escaped text", "a\"b\n", `"a\"b\n"`},
		{"empty", []any{}, "[]"},
		{"digit key", value.ObjectOf("1a", nil), `{"1a": null}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := literal(tt.v); got != tt.want {
				t.Errorf("literal = %s, want %s", got, tt.want)
			}
		})
	}
}
