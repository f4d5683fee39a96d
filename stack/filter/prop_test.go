package filter

import (
	"testing"

	"pgregory.net/rapid"

	"relaybase/value"
)

// genValue draws values from a small domain, so equal elements come up often.
func genValue(depth int) *rapid.Generator[any] {
	return rapid.Custom(func(t *rapid.T) any {
		kind := rapid.IntRange(0, 6).Draw(t, "kind")
		if depth <= 0 && kind >= 5 {
			kind = rapid.IntRange(0, 4).Draw(t, "scalar")
		}
		switch kind {
		case 0:
			return nil
		case 1:
			return rapid.Bool().Draw(t, "bool")
		case 2:
			return rapid.Int64Range(-3, 3).Draw(t, "int")
		case 3:
			return rapid.SampledFrom([]float64{-1.5, 0, 1, 2.5}).Draw(t, "decimal")
		case 4:
			return rapid.SampledFrom([]string{"", "a", "B", "é", "1", "a10", "a9"}).Draw(t, "text")
		case 5:
			return genArray(depth-1).Draw(t, "array")
		default:
			o := value.NewObject(2)
			for _, k := range rapid.SliceOfNDistinct(rapid.SampledFrom([]string{"x", "y", "z"}), 0, 3, rapid.ID).Draw(t, "keys") {
				o.Set(k, genValue(depth-1).Draw(t, "member"))
			}
			return o
		}
	})
}

func genArray(depth int) *rapid.Generator[any] {
	return rapid.Custom(func(t *rapid.T) any {
		return rapid.SliceOfN(genValue(depth), 0, 8).Draw(t, "elems")
	})
}

func call(t *rapid.T, name string, x any, args ...any) any {
	d, ok := Lookup(name)
	if !ok {
		t.Fatalf("no filter %s", name)
	}
	before := value.Clone(x)
	r, err := d.Fn(x, args)
	if err != nil {
		t.Fatalf("%s(%s): %v", name, literal(x), err)
	}
	if !value.Equal(x, before) {
		t.Fatalf("%s changed its input", name)
	}
	return r
}

func TestReverseTwiceIsIdentity(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a := genArray(2).Draw(t, "a")
		if r := call(t, "reverse", call(t, "reverse", a)); !value.Equal(r, a) {
			t.Fatalf("reverse|reverse of %s is %s", literal(a), literal(r))
		}
	})
}

func TestUniqueProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a := genArray(2).Draw(t, "a")
		u := call(t, "unique", a).([]any)
		if again := call(t, "unique", u); !value.Equal(again, u) {
			t.Fatalf("unique is not idempotent: %s then %s", literal(u), literal(again))
		}
		for i := range u {
			for j := i + 1; j < len(u); j++ {
				if value.Equal(u[i], u[j]) {
					t.Fatalf("unique left equal elements %d and %d in %s", i, j, literal(u))
				}
			}
		}
		for _, e := range a.([]any) {
			if !arrayHas(u, e, false) {
				t.Fatalf("unique lost %s", literal(e))
			}
		}
	})
}

func TestSortProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a := genArray(1).Draw(t, "a")
		typ := rapid.SampledFrom([]string{"", "number", "text", "itext", "natural", "inatural"}).Draw(t, "type")
		asc := rapid.Bool().Draw(t, "asc")
		s := call(t, "sort", a, "", typ, asc).([]any)
		if len(s) != len(a.([]any)) {
			t.Fatalf("sort changed the length")
		}
		if !value.Equal(call(t, "sort", s), call(t, "sort", a)) {
			t.Fatalf("sort result depends on input order beyond stability")
		}
		cmp := sortTypes[typ]
		for i := 1; i < len(s); i++ {
			c := cmp(s[i-1], s[i])
			if !asc {
				c = -c
			}
			if c > 0 {
				t.Fatalf("not sorted at %d: %s", i, literal(s))
			}
		}
		if !value.Equal(call(t, "unique", s), call(t, "unique", call(t, "sort", call(t, "unique", a), "", typ, asc))) {
			t.Fatalf("sort does not keep the same elements")
		}
	})
}

func TestDiffAndIntersectPartition(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a := genArray(1).Draw(t, "a")
		b := genArray(1).Draw(t, "b")
		d := call(t, "diff", a, b).([]any)
		in := call(t, "intersect", a, b).([]any)
		if len(d)+len(in) != len(a.([]any)) {
			t.Fatalf("diff and intersect do not partition %s by %s", literal(a), literal(b))
		}
		if call(t, "overlaps", a, b) != (len(in) > 0) {
			t.Fatalf("overlaps disagrees with intersect")
		}
	})
}

func TestSubstrAgreesWithSlice(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := rapid.StringN(0, 12, -1).Draw(t, "s")
		start := rapid.Int64Range(-15, 15).Draw(t, "start")
		args := []any{start}
		if rapid.Bool().Draw(t, "hasLength") {
			args = append(args, rapid.Int64Range(-15, 15).Draw(t, "length"))
		}
		sub := call(t, "substr", s, args...)
		chars := call(t, "split", s, "")
		via := call(t, "join", call(t, "slice", chars, args...), "")
		if sub != via {
			t.Fatalf("substr %q %v = %q, but split/slice/join gives %q", s, args, sub, via)
		}
	})
}

func TestEncodingRoundTrips(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		v := genValue(3).Draw(t, "v")
		if r := call(t, "json_decode", call(t, "json_encode", v)); !value.Equal(r, v) {
			t.Fatalf("json round trip of %s gave %s", literal(v), literal(r))
		}
		s := rapid.String().Draw(t, "s")
		if r := call(t, "base64_decode", call(t, "base64_encode", s)); r != s {
			t.Fatalf("base64 round trip of %q gave %q", s, r)
		}
		if r := call(t, "url_decode", call(t, "url_encode", s)); r != s {
			t.Fatalf("url round trip of %q gave %q", s, r)
		}
	})
}
