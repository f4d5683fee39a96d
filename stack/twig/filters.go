package twig

import (
	"fmt"
	"html"
	"math"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"relaybase/value"
)

type filterDef struct {
	min, max int
	// safe: the result is printed as it is (raw, and escape, whose result is escaped already).
	safe bool
	fn   func(x any, args []any) (any, error)
}

var filters map[string]filterDef

func init() {
	text := func(fn func(string) string) filterDef {
		return filterDef{fn: func(x any, _ []any) (any, error) { return fn(toText(x)), nil }}
	}
	escape := filterDef{max: 1, safe: true, fn: func(x any, args []any) (any, error) {
		if len(args) > 0 && toText(args[0]) != "html" {
			return nil, fmt.Errorf("only the html strategy is supported, not %q", toText(args[0]))
		}
		return html.EscapeString(toText(x)), nil
	}}
	filters = map[string]filterDef{
		"upper":      text(strings.ToUpper),
		"lower":      text(strings.ToLower),
		"capitalize": text(capitalize),
		"title":      text(title),
		"trim":       text(strings.TrimSpace),
		"nl2br": {safe: true, fn: func(x any, _ []any) (any, error) {
			return strings.ReplaceAll(html.EscapeString(toText(x)), "\n", "<br />\n"), nil
		}},
		"striptags":  text(func(s string) string { return strings.TrimSpace(tagRE.ReplaceAllString(s, "")) }),
		"url_encode": text(url.QueryEscape),
		"escape":     escape,
		"e":          escape,
		"raw":        {safe: true, fn: func(x any, _ []any) (any, error) { return x, nil }},
		"length":     {fn: length},
		"default": {max: 1, fn: func(x any, args []any) (any, error) {
			if x == nil || x == "" || x == false || isEmptyList(x) {
				if len(args) == 0 {
					return "", nil
				}
				return args[0], nil
			}
			return x, nil
		}},
		"join": {max: 1, fn: func(x any, args []any) (any, error) {
			sep := ""
			if len(args) > 0 {
				sep = toText(args[0])
			}
			var parts []string
			for _, e := range elements(x) {
				parts = append(parts, toText(e))
			}
			return strings.Join(parts, sep), nil
		}},
		"first": {fn: func(x any, _ []any) (any, error) {
			if s, ok := x.(string); ok {
				r, _ := utf8.DecodeRuneInString(s)
				if s == "" {
					return "", nil
				}
				return string(r), nil
			}
			if e := elements(x); len(e) > 0 {
				return e[0], nil
			}
			return nil, nil
		}},
		"last": {fn: func(x any, _ []any) (any, error) {
			if s, ok := x.(string); ok {
				r, _ := utf8.DecodeLastRuneInString(s)
				if s == "" {
					return "", nil
				}
				return string(r), nil
			}
			if e := elements(x); len(e) > 0 {
				return e[len(e)-1], nil
			}
			return nil, nil
		}},
		"keys": {fn: func(x any, _ []any) (any, error) {
			switch c := x.(type) {
			case *value.Object:
				out := make([]any, 0, c.Len())
				for _, k := range c.Keys() {
					out = append(out, k)
				}
				return out, nil
			case []any:
				out := make([]any, len(c))
				for i := range c {
					out[i] = int64(i)
				}
				return out, nil
			}
			return []any{}, nil
		}},
		"reverse": {fn: func(x any, _ []any) (any, error) {
			if s, ok := x.(string); ok {
				r := []rune(s)
				for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
					r[i], r[j] = r[j], r[i]
				}
				return string(r), nil
			}
			e := elements(x)
			out := make([]any, len(e))
			for i, v := range e {
				out[len(e)-1-i] = v
			}
			return out, nil
		}},
		"sort": {fn: func(x any, _ []any) (any, error) {
			out := append([]any(nil), elements(x)...)
			sort.SliceStable(out, func(i, j int) bool {
				c, ok := value.Compare(number(out[i]), number(out[j]))
				if !ok {
					return toText(out[i]) < toText(out[j])
				}
				return c < 0
			})
			return out, nil
		}},
		"slice": {min: 1, max: 2, fn: slice},
		"split": {min: 1, max: 1, fn: func(x any, args []any) (any, error) {
			s, sep := toText(x), toText(args[0])
			var parts []string
			if sep == "" {
				for _, r := range s {
					parts = append(parts, string(r))
				}
			} else {
				parts = strings.Split(s, sep)
			}
			out := make([]any, len(parts))
			for i, p := range parts {
				out[i] = p
			}
			return out, nil
		}},
		"replace": {min: 1, max: 1, fn: func(x any, args []any) (any, error) {
			pairs, ok := args[0].(*value.Object)
			if !ok {
				return nil, fmt.Errorf("takes a hash such as {'%%name%%': name}")
			}
			var old []string
			for _, k := range pairs.Keys() {
				v, _ := pairs.Get(k)
				old = append(old, k, toText(v))
			}
			return strings.NewReplacer(old...).Replace(toText(x)), nil
		}},
		"round": {max: 1, fn: func(x any, args []any) (any, error) {
			f, ok := value.AsFloat(number(x))
			if !ok {
				return nil, fmt.Errorf("needs a number, got %s", value.TypeName(x))
			}
			p := 0
			if len(args) > 0 {
				n, ok := toIndex(args[0])
				if !ok || n < 0 || n > 15 {
					return nil, fmt.Errorf("precision must be 0 to 15")
				}
				p = n
			}
			m := math.Pow(10, float64(p))
			return math.Round(f*m) / m, nil
		}},
		"abs": {fn: func(x any, _ []any) (any, error) {
			switch n := number(x).(type) {
			case int64:
				if n < 0 && n != math.MinInt64 {
					return -n, nil
				}
				return n, nil
			case float64:
				return math.Abs(n), nil
			}
			return nil, fmt.Errorf("needs a number, got %s", value.TypeName(x))
		}},
		"number_format": {max: 3, fn: numberFormat},
		"json_encode": {fn: func(x any, _ []any) (any, error) {
			b, err := value.EncodeJSON(x)
			if err != nil {
				return nil, err
			}
			return string(b), nil
		}},
	}
}

var tagRE = regexp.MustCompile(`<[^>]*>`)

func capitalize(s string) string {
	r := []rune(strings.ToLower(s))
	if len(r) > 0 {
		r[0] = unicode.ToUpper(r[0])
	}
	return string(r)
}

func title(s string) string {
	r := []rune(strings.ToLower(s))
	start := true
	for i, c := range r {
		if unicode.IsLetter(c) && start {
			r[i] = unicode.ToUpper(c)
		}
		start = unicode.IsSpace(c) || c == '-'
	}
	return string(r)
}

func elements(x any) []any {
	switch c := x.(type) {
	case []any:
		return c
	case *value.Object:
		out := make([]any, 0, c.Len())
		for _, k := range c.Keys() {
			v, _ := c.Get(k)
			out = append(out, v)
		}
		return out
	}
	return nil
}

func isEmptyList(x any) bool {
	switch c := x.(type) {
	case []any:
		return len(c) == 0
	case *value.Object:
		return c.Len() == 0
	}
	return false
}

func length(x any, _ []any) (any, error) {
	switch c := x.(type) {
	case nil:
		return int64(0), nil
	case []any:
		return int64(len(c)), nil
	case *value.Object:
		return int64(c.Len()), nil
	}
	return int64(utf8.RuneCountInString(toText(x))), nil
}

// slice is Twig's slice(start, length): negative start counts from the end; no length
// means to the end.
func slice(x any, args []any) (any, error) {
	start, ok := toIndex(args[0])
	if !ok {
		return nil, fmt.Errorf("start must be an integer")
	}
	var r []rune
	items := elements(x)
	s, isText := x.(string)
	n := len(items)
	if isText {
		r = []rune(s)
		n = len(r)
	}
	if start < 0 {
		start = max(0, n+start)
	}
	start = min(start, n)
	end := n
	if len(args) > 1 && args[1] != nil {
		l, ok := toIndex(args[1])
		if !ok {
			return nil, fmt.Errorf("length must be an integer")
		}
		if l < 0 {
			end = max(start, n+l)
		} else {
			end = min(n, start+l)
		}
	}
	if isText {
		return string(r[start:end]), nil
	}
	return append([]any(nil), items[start:end]...), nil
}

func numberFormat(x any, args []any) (any, error) {
	f, ok := value.AsFloat(number(x))
	if !ok {
		return nil, fmt.Errorf("needs a number, got %s", value.TypeName(x))
	}
	dec, point, sep := 0, ".", ","
	if len(args) > 0 {
		if dec, ok = toIndex(args[0]); !ok || dec < 0 || dec > 15 {
			return nil, fmt.Errorf("decimals must be 0 to 15")
		}
	}
	if len(args) > 1 {
		point = toText(args[1])
	}
	if len(args) > 2 {
		sep = toText(args[2])
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, fmt.Errorf("needs a finite number")
	}
	text := fmt.Sprintf("%.*f", dec, math.Abs(f))
	whole, frac, _ := strings.Cut(text, ".")
	var b strings.Builder
	if f < 0 && strings.Trim(text, "0.") != "" {
		b.WriteByte('-')
	}
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(c)
	}
	if dec > 0 {
		b.WriteString(point + frac)
	}
	return b.String(), nil
}
