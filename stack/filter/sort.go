package filter

import (
	"fmt"
	"slices"
	"strings"

	"relaybase/value"
)

// sortFilter sorts in the form Xano documents, sort:path:type:asc, every argument optional:
//
//	path  the value inside each element to sort by ("" or absent: the element itself)
//	type  number, text (case-sensitive), itext (case-insensitive), natural ("a2" before
//	      "a10"), inatural (natural, case-insensitive); absent: numbers by value and text
//	      case-insensitively, which is Xano's itext default without its surprise of sorting
//	      10 before 9
//	asc   true (default) or false
//
// The sort is stable. Values of different types order null, bool, number, text, array, object.
func sortFilter(x any, args []any) (any, error) {
	a, err := arrayIn("sort", x)
	if err != nil {
		return nil, err
	}
	path, err := textArg("sort", "path", args, 0, "")
	if err != nil {
		return nil, err
	}
	typ, err := textArg("sort", "type", args, 1, "")
	if err != nil {
		return nil, err
	}
	asc, err := boolArg("sort", "asc", args, 2, true)
	if err != nil {
		return nil, err
	}
	cmp, ok := sortTypes[strings.ToLower(typ)]
	if !ok {
		return nil, fmt.Errorf("sort: type must be number, text, itext, natural or inatural, got %q", typ)
	}
	keys := make([]any, len(a))
	for i, e := range a {
		keys[i] = pathValue(e, path)
	}
	order := make([]int, len(a))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int {
		c := cmp(keys[i], keys[j])
		if !asc {
			return -c
		}
		return c
	})
	out := make([]any, len(a))
	for i, o := range order {
		out[i] = value.Clone(a[o])
	}
	return out, nil
}

var sortTypes = map[string]func(a, b any) int{
	"":       autoCompare,
	"number": numberCompare,
	"text": func(a, b any) int {
		return strings.Compare(value.ToText(a), value.ToText(b))
	},
	"itext": func(a, b any) int {
		return strings.Compare(strings.ToLower(value.ToText(a)), strings.ToLower(value.ToText(b)))
	},
	"natural": func(a, b any) int {
		return naturalCompare(value.ToText(a), value.ToText(b))
	},
	"inatural": func(a, b any) int {
		return naturalCompare(strings.ToLower(value.ToText(a)), strings.ToLower(value.ToText(b)))
	},
}

// typeRank orders values of different types.
func typeRank(v any) int {
	switch v.(type) {
	case nil:
		return 0
	case bool:
		return 1
	case int64, float64:
		return 2
	case string:
		return 3
	case []any:
		return 4
	}
	return 5
}

func autoCompare(a, b any) int {
	ra, rb := typeRank(a), typeRank(b)
	if ra != rb {
		return ra - rb
	}
	if sa, ok := a.(string); ok {
		sb := b.(string)
		if c := strings.Compare(strings.ToLower(sa), strings.ToLower(sb)); c != 0 {
			return c
		}
		return strings.Compare(sa, sb)
	}
	if c, ok := value.Compare(a, b); ok {
		return c
	}
	return strings.Compare(value.ToText(a), value.ToText(b))
}

// numberCompare compares values as numbers; text counts by its leading number and anything
// that is not a number as 0, as in PHP's numeric sort.
func numberCompare(a, b any) int {
	if c, ok := value.Compare(a, b); ok && value.IsNumber(a) {
		return c
	}
	fa, _ := looseFloat(a)
	fb, _ := looseFloat(b)
	switch {
	case fa < fb:
		return -1
	case fa > fb:
		return 1
	}
	return 0
}

// naturalCompare orders text so that runs of digits compare as numbers: "img2" < "img10".
func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		if isDigit(a[0]) && isDigit(b[0]) {
			da, ra := digitRun(a)
			db, rb := digitRun(b)
			na, nb := strings.TrimLeft(da, "0"), strings.TrimLeft(db, "0")
			if len(na) != len(nb) {
				return len(na) - len(nb)
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
			a, b = ra, rb
			continue
		}
		if a[0] != b[0] {
			return int(a[0]) - int(b[0])
		}
		a, b = a[1:], b[1:]
	}
	return len(a) - len(b)
}

func digitRun(s string) (digits, rest string) {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return s[:i], s[i:]
}
