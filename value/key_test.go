package value

import (
	"math"
	"testing"

	"pgregory.net/rapid"
)

func TestKey(t *testing.T) {
	tests := []struct {
		name  string
		a, b  any
		equal bool
	}{
		{"int and integral decimal", int64(1), 1.0, true},
		{"negative zero", 0.0, math.Copysign(0, -1), true}, // the constant -0.0 is +0 in Go
		{"decimal fractions", 1.5, 1.5, true},
		{"int and text", int64(1), "1", false},
		{"null and empty text", nil, "", false},
		{"bools", true, false, false},
		{"object order ignored", ObjectOf("a", int64(1), "b", int64(2)), ObjectOf("b", int64(2), "a", 1.0), true},
		{"nested arrays", []any{[]any{"a"}, "b"}, []any{"a", []any{"b"}}, false},
		{"text cannot fake structure", []any{"a", "b"}, []any{"as1:b"}, false},
		{"object member values differ", ObjectOf("a", int64(1)), ObjectOf("a", int64(2)), false},
		{"large decimal", 1e300, 1e300, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Key(tt.a) == Key(tt.b); got != tt.equal {
				t.Errorf("Key(%v) == Key(%v) is %v, want %v (%q, %q)", tt.a, tt.b, got, tt.equal, Key(tt.a), Key(tt.b))
			}
			if Equal(tt.a, tt.b) != tt.equal {
				t.Fatalf("test case disagrees with Equal")
			}
		})
	}
}

// smallValue draws values from a small domain so that equal pairs come up often.
func smallValue(depth int) *rapid.Generator[any] {
	return rapid.Custom(func(t *rapid.T) any {
		kind := rapid.IntRange(0, 6).Draw(t, "kind")
		if depth <= 0 && kind >= 5 {
			kind = 0
		}
		switch kind {
		case 0:
			return nil
		case 1:
			return rapid.Bool().Draw(t, "bool")
		case 2:
			return int64(rapid.IntRange(-2, 2).Draw(t, "int"))
		case 3:
			return rapid.SampledFrom([]float64{-1, 0, 0.5, 1, 2}).Draw(t, "decimal")
		case 4:
			return rapid.SampledFrom([]string{"", "a", "1", "b"}).Draw(t, "text")
		case 5:
			n := rapid.IntRange(0, 2).Draw(t, "len")
			a := make([]any, n)
			for i := range a {
				a[i] = smallValue(depth-1).Draw(t, "elem")
			}
			return a
		default:
			keys := rapid.Permutation([]string{"x", "y"}).Draw(t, "keys")
			n := rapid.IntRange(0, 2).Draw(t, "members")
			o := NewObject(n)
			for _, k := range keys[:n] {
				o.Set(k, smallValue(depth-1).Draw(t, "member"))
			}
			return o
		}
	})
}

func TestKeyAgreesWithEqual(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a := smallValue(2).Draw(t, "a")
		b := smallValue(2).Draw(t, "b")
		if (Key(a) == Key(b)) != Equal(a, b) {
			t.Fatalf("Key equality %v, Equal %v for %s and %s", Key(a) == Key(b), Equal(a, b), ToText(a), ToText(b))
		}
	})
}
