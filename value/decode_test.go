package value

import "testing"

func TestDecodeJSONRefusesTrailingData(t *testing.T) {
	for _, in := range []string{`{"a":1}x`, `{"a":1}}`, `1 2`, `[1]]`, `"a" "b"`, `{"a":1} {"b":2}`} {
		if v, err := DecodeJSON([]byte(in)); err == nil {
			t.Errorf("DecodeJSON(%q) = %v, want an error", in, v)
		}
	}
	for in, want := range map[string]any{` {"a":1} `: ObjectOf("a", int64(1)), "\n[1]\n": []any{int64(1)}, `2.5`: 2.5, `null`: nil} {
		v, err := DecodeJSON([]byte(in))
		if err != nil || !Equal(v, want) {
			t.Errorf("DecodeJSON(%q) = %v, %v; want %v", in, v, err, want)
		}
	}
}

func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"a":[1,2.5,"x",null,true]}`, `[]`, `{"b":{"c":{}}}`, `"\u00e9"`, `-0`, `1e400`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := DecodeJSON(data)
		if err != nil {
			return
		}
		out, err := EncodeJSON(v)
		if err != nil {
			t.Fatalf("a decoded value does not encode: %v", err)
		}
		back, err := DecodeJSON(out)
		if err != nil || !Equal(v, back) {
			t.Fatalf("round trip of %q: %s → %v (%v)", data, out, back, err)
		}
	})
}
