package filter

import (
	"errors"
	"sort"
	"strings"
	"testing"

	"relaybase/value"
)

// tcase is one filter call and what it must give: want, or an error containing err.
type tcase struct {
	name   string
	filter string
	in     any
	args   []any
	want   any
	err    string
}

func runCases(t *testing.T, cases []tcase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.filter+"/"+tc.name, func(t *testing.T) {
			d, ok := Lookup(tc.filter)
			if !ok {
				t.Fatalf("no filter %q", tc.filter)
			}
			in := value.Clone(tc.in)
			args := make([]any, len(tc.args))
			for i, a := range tc.args {
				args[i] = value.Clone(a)
			}
			got, err := d.Fn(in, args)
			if !value.Equal(in, tc.in) {
				t.Errorf("input changed to %s", literal(in))
			}
			for i := range args {
				if _, isFn := args[i].(Lambda); !isFn && !value.Equal(args[i], tc.args[i]) {
					t.Errorf("argument %d changed to %s", i, literal(args[i]))
				}
			}
			if tc.err != "" {
				if err == nil {
					t.Fatalf("got %s, want an error containing %q", literal(got), tc.err)
				}
				if !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %q does not contain %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if !value.Equal(got, tc.want) || value.TypeName(got) != value.TypeName(tc.want) {
				t.Errorf("got %s (%s), want %s (%s)", literal(got), value.TypeName(got), literal(tc.want), value.TypeName(tc.want))
			}
		})
	}
}

func TestRegistry(t *testing.T) {
	names := Names()
	if !sort.StringsAreSorted(names) {
		t.Error("Names is not sorted")
	}
	core := strings.Fields(`trim ltrim rtrim to_lower lower to_upper upper capitalize strlen substr split
		replace contains starts_with ends_with concat sprintf json_encode json_decode base64_encode
		base64_decode url_encode url_decode md5 sha1 sha256 hmac_sha256 uuid escape regex_matches
		regex_replace first last count reverse unique flatten slice push pop shift unshift merge diff
		intersect join range filter_empty filter_empty_text filter_null filter_false map filter find
		some every sort index_by group_by add subtract multiply divide modulus floor ceil round abs
		sqrt pow min max number_format get set unset has keys values entries pick unpick to_int
		to_decimal to_text to_bool is_null is_empty is_array is_object is_int is_decimal is_text
		is_bool to_timestamp to_ms to_seconds format_timestamp transform_timestamp
		add_secs_to_timestamp add_ms_to_timestamp includes overlaps between first_notnull first_notempty`)
	for _, n := range core {
		d, ok := Lookup(n)
		if !ok {
			t.Errorf("core filter %s is missing", n)
			continue
		}
		if d.Name != n {
			t.Errorf("Lookup(%q).Name = %q", n, d.Name)
		}
		if d.MaxArgs >= 0 && d.MaxArgs < d.MinArgs {
			t.Errorf("%s: MaxArgs %d < MinArgs %d", n, d.MaxArgs, d.MinArgs)
		}
	}
	for _, n := range []string{"map", "filter", "find", "findIndex", "some", "every", "group_by"} {
		if d, _ := Lookup(n); !d.Lambda || d.MinArgs < 1 {
			t.Errorf("%s must take an expression", n)
		}
	}
	for _, n := range []string{"sort", "index_by", "get", "trim"} {
		if d, _ := Lookup(n); d.Lambda {
			t.Errorf("%s must not take an expression", n)
		}
	}
	if _, ok := Lookup("no_such_filter"); ok {
		t.Error("Lookup found a filter that does not exist")
	}
}

func TestAliasesShareBehaviour(t *testing.T) {
	for alias, name := range aliasOf {
		da, _ := Lookup(alias)
		dn, _ := Lookup(name)
		if da.MinArgs != dn.MinArgs || da.MaxArgs != dn.MaxArgs || da.Lambda != dn.Lambda {
			t.Errorf("alias %s differs from %s in its arguments", alias, name)
		}
	}
	got, _ := mustLookup(t, "lower").Fn("AbC", nil)
	if got != "abc" {
		t.Errorf("lower = %v", got)
	}
	got, _ = mustLookup(t, "upper").Fn("AbC", nil)
	if got != "ABC" {
		t.Errorf("upper = %v", got)
	}
}

func mustLookup(t *testing.T, name string) *Def {
	t.Helper()
	d, ok := Lookup(name)
	if !ok {
		t.Fatalf("no filter %s", name)
	}
	return d
}

func TestArity(t *testing.T) {
	runCases(t, []tcase{
		{name: "too few", filter: "substr", in: "abc", err: "substr: takes 1 to 2 arguments, got 0"},
		{name: "too many", filter: "trim", in: "abc", args: []any{"a", "b"}, err: "trim: takes 0 to 1 arguments, got 2"},
		{name: "none allowed", filter: "strlen", in: "abc", args: []any{"a"}, err: "strlen: takes no arguments, got 1"},
		{name: "exact", filter: "set", in: nil, args: []any{"a"}, err: "set: takes 2 arguments, got 1"},
		{name: "variadic", filter: "sprintf", in: "%s%s%s%s", args: []any{"a", "b", "c", "d"}, want: "abcd"},
	})
}

func TestLambdaErrors(t *testing.T) {
	boom := errors.New("boom at 3:4")
	fail := Lambda(func(any) (any, error) { return nil, boom })
	for _, name := range []string{"map", "filter", "find", "findIndex", "some", "every", "group_by"} {
		t.Run(name, func(t *testing.T) {
			d := mustLookup(t, name)
			if _, err := d.Fn([]any{int64(1)}, []any{fail}); !errors.Is(err, boom) {
				t.Errorf("error from the expression must pass through unchanged, got %v", err)
			}
			if _, err := d.Fn([]any{int64(1)}, []any{"$$.x"}); err == nil || !strings.Contains(err.Error(), "expression over $$") {
				t.Errorf("a non-expression argument must be an error, got %v", err)
			}
			// A plain func is accepted as well as a Lambda.
			if _, err := d.Fn([]any{int64(1)}, []any{func(e any) (any, error) { return e, nil }}); err != nil {
				t.Errorf("plain func: %v", err)
			}
			if _, err := d.Fn("text", []any{Lambda(func(e any) (any, error) { return e, nil })}); err == nil {
				t.Errorf("text input must be an error")
			}
		})
	}
}

func objOf(kv ...any) *value.Object { return value.ObjectOf(kv...) }

func value0() *value.Object { return value.NewObject(0) }
