package value

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

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

func TestDecodeJSONDepth(t *testing.T) {
	nested := func(open, close string, n int) []byte {
		return []byte(strings.Repeat(open, n) + "1" + strings.Repeat(close, n))
	}
	for _, tc := range []struct {
		name string
		in   []byte
		ok   bool
	}{
		{"arrays at the limit", nested("[", "]", MaxDepth), true},
		{"objects at the limit", nested(`{"a":`, "}", MaxDepth), true},
		{"arrays one past the limit", nested("[", "]", MaxDepth+1), false},
		{"objects one past the limit", nested(`{"a":`, "}", MaxDepth+1), false},
		{"mixed one past the limit", nested(`[{"a":`, "}]", MaxDepth/2+1), false},
		// What a client can send within the 8 MiB body limit: this used to overflow the stack.
		{"4 million arrays", nested("[", "]", 4<<20), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeJSON(tc.in)
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok %v", err, tc.ok)
			}
		})
	}
}

func TestEncodeJSONLimit(t *testing.T) {
	// 2^30 leaves sharing one slice: cheap to build, more than a GiB to encode.
	shared := []any{int64(1)}
	for range 30 {
		shared = []any{shared, shared}
	}
	obj := ObjectOf("a", int64(1))
	for range 30 {
		obj = ObjectOf("l", obj, "r", obj)
	}
	const max = 1 << 10
	big := strings.Repeat("x", max)
	for _, tc := range []struct {
		name string
		v    any
		ok   bool
	}{
		{"arrays sharing a slice", shared, false},
		{"objects sharing an object", obj, false},
		{"one text past the limit", big, false},
		{"text past the limit inside an object", ObjectOf("s", big), false},
		{"text past the limit inside an array", []any{"a", big}, false},
		{"text just under the limit", big[:max-2], true},
		{"a small value", ObjectOf("a", []any{int64(1), "x"}), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			err := encodeMax(&b, tc.v, max)
			if tc.ok {
				if err != nil || b.Len() > max {
					t.Fatalf("%d bytes, err %v", b.Len(), err)
				}
				return
			}
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("%d bytes, err %v; want ErrTooLarge", b.Len(), err)
			}
		})
	}
	t.Run("EncodeJSON and AppendJSON stop at MaxEncoded", func(t *testing.T) {
		huge := strings.Repeat("x", MaxEncoded)
		if _, err := EncodeJSON(huge); !errors.Is(err, ErrTooLarge) {
			t.Fatalf("EncodeJSON err %v; want ErrTooLarge", err)
		}
		if _, err := AppendJSON(nil, []any{huge}); !errors.Is(err, ErrTooLarge) {
			t.Fatalf("AppendJSON err %v; want ErrTooLarge", err)
		}
	})
}
