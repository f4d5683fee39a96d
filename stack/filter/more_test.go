package filter

import (
	"strings"
	"testing"

	"relaybase/value"
)

func TestMoreFilterEdges(t *testing.T) {
	for _, c := range []struct {
		name string
		in   any
		args []any
		want any
		err  string
	}{
		{name: "asin", in: 2.0, err: "no real result"},
		{name: "ln", in: "x", err: "expected a number"},
		{name: "log", in: int64(0), err: "above 0"},
		{name: "log", in: int64(9), args: []any{int64(1)}, err: "other than 1"},
		{name: "product", in: []any{}, want: int64(1)},
		{name: "product", in: []any{int64(2), 1.5}, want: 3.0},
		{name: "product", in: []any{"2"}, err: "array of numbers"},
		{name: "bitwise_and", in: 6.0, args: []any{int64(3)}, want: int64(2)},
		{name: "bitwise_or", in: 1.5, args: []any{int64(1)}, err: "whole number"},
		{name: "odd", in: int64(-3), want: true},
		{name: "even", in: "2", err: "whole number"},
		{name: "gt", in: int64(2), args: []any{1.5}, want: true},
		{name: "lt", in: "10", args: []any{int64(9)}, want: false},
		{name: "eq", in: []any{int64(1)}, args: []any{[]any{1.0}}, want: true},
		{name: "ne", in: nil, args: []any{nil}, want: false},
		{name: "dechex", in: int64(-1), want: "ffffffffffffffff"},
		{name: "hexdec", in: "0xFF", want: int64(255)},
		{name: "hexdec", in: "zz", want: int64(0)},
		{name: "bindec", in: "1111111111111111111111111111111111111111111111111111111111111111", want: 18446744073709551615.0},
		{name: "hex2bin", in: "zz", err: "not hexadecimal"},
		{name: "base64_decode_urlsafe", in: "aGk_Pg==", want: "hi?>"},
		{name: "base64_decode_urlsafe", in: "***", err: "not URL-safe base64"},
		{name: "hmac_sha512", in: "x", args: []any{nil}, err: "key must be text"},
		{name: "filter_zero", in: "x", err: "expected array"},
	} {
		d, ok := Lookup(c.name)
		if !ok {
			t.Fatalf("no filter %s", c.name)
		}
		got, err := d.Fn(c.in, c.args)
		switch {
		case c.err != "":
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s(%v): %v, want an error with %q", c.name, c.in, err, c.err)
			}
		case err != nil:
			t.Errorf("%s(%v): %v", c.name, c.in, err)
		case !value.Equal(got, c.want) || typeOf(got) != typeOf(c.want):
			t.Errorf("%s(%v) = %v (%T), want %v", c.name, c.in, got, got, c.want)
		}
	}
}
