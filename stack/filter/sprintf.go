package filter

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"relaybase/value"
)

// sprintf formats like PHP's sprintf, which Xano's filter follows:
// %[argnum$][flags][width][.precision]verb with flags - + 0 space and 'c (pad with c), and
// verbs b c d e E f F g G o s u x X %. Arguments are converted the way PHP converts them
// (a text "5" prints as %d 5); too few arguments is an error.
func sprintf(format string, args []any) (string, error) {
	var b strings.Builder
	next := 0
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(format) {
			return "", fmt.Errorf("sprintf: the format ends with a lone %%")
		}
		if format[i] == '%' {
			b.WriteByte('%')
			continue
		}
		spec, n, err := parseSpec(format[i:])
		if err != nil {
			return "", err
		}
		i += n - 1
		idx := spec.argnum - 1
		if spec.argnum == 0 {
			idx = next
			next++
		}
		if idx >= len(args) {
			return "", fmt.Errorf("sprintf: the format wants at least %d arguments, got %d", idx+1, len(args))
		}
		s, err := spec.format(args[idx])
		if err != nil {
			return "", err
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

type fmtSpec struct {
	argnum      int // 1-based; 0 when not given
	left, plus  bool
	pad         rune
	width, prec int // prec -1 when not given
	verb        byte
}

// parseSpec reads one conversion after its '%' and reports how many bytes it used.
func parseSpec(s string) (fmtSpec, int, error) {
	sp := fmtSpec{pad: ' ', prec: -1}
	i := 0
	digits := func() int {
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		n, _ := strconv.Atoi(s[start:i])
		return n
	}
	// An argument number is digits followed by '$'; otherwise the digits are a width.
	if j := strings.IndexByte(s, '$'); j > 0 && strings.Trim(s[:j], "0123456789") == "" {
		n := digits()
		if n == 0 {
			return sp, 0, fmt.Errorf("sprintf: argument numbers start at 1")
		}
		sp.argnum = n
		i++ // the '$'
	}
flags:
	for i < len(s) {
		switch s[i] {
		case '-':
			sp.left = true
		case '+':
			sp.plus = true
		case '0':
			sp.pad = '0'
		case ' ':
			sp.pad = ' '
		case '\'':
			if i+1 >= len(s) {
				return sp, 0, fmt.Errorf("sprintf: ' must be followed by a padding character")
			}
			r, size := utf8.DecodeRuneInString(s[i+1:])
			sp.pad = r
			i += size
		default:
			break flags
		}
		i++
	}
	sp.width = digits()
	if i < len(s) && s[i] == '.' {
		i++
		sp.prec = digits()
	}
	if i >= len(s) {
		return sp, 0, fmt.Errorf("sprintf: the format ends inside a %% conversion")
	}
	sp.verb = s[i]
	if !strings.ContainsRune("bcdeEfFgGosuxX", rune(sp.verb)) {
		return sp, 0, fmt.Errorf("sprintf: unknown conversion %%%c", sp.verb)
	}
	return sp, i + 1, nil
}

func (sp fmtSpec) format(a any) (string, error) {
	var s string
	numeric := true
	switch sp.verb {
	case 's':
		numeric = false
		if !isScalar(a) {
			return "", fmt.Errorf("sprintf: %%s needs text or a number, got %s", value.TypeName(a))
		}
		s = value.ToText(a)
		if sp.prec >= 0 && utf8.RuneCountInString(s) > sp.prec {
			s = string([]rune(s)[:sp.prec])
		}
	case 'd', 'u', 'b', 'o', 'x', 'X', 'c':
		n, err := looseInt(a)
		if err != nil {
			return "", fmt.Errorf("sprintf: %%%c %w", sp.verb, err)
		}
		switch sp.verb {
		case 'd':
			s = strconv.FormatInt(n, 10)
			if sp.plus && n >= 0 {
				s = "+" + s
			}
		case 'u':
			s = strconv.FormatUint(uint64(n), 10)
		case 'b':
			s = strconv.FormatUint(uint64(n), 2)
		case 'o':
			s = strconv.FormatUint(uint64(n), 8)
		case 'x':
			s = strconv.FormatUint(uint64(n), 16)
		case 'X':
			s = strings.ToUpper(strconv.FormatUint(uint64(n), 16))
		case 'c':
			numeric = false
			s = string(rune(n))
			return s, nil // PHP ignores width and padding for %c
		}
	default: // e E f F g G
		f, err := looseFloat(a)
		if err != nil {
			return "", fmt.Errorf("sprintf: %%%c %w", sp.verb, err)
		}
		prec := sp.prec
		if prec < 0 {
			prec = 6
		}
		verb := sp.verb
		if verb == 'F' {
			verb = 'f'
		}
		if verb == 'f' {
			f = roundHalfUp(f, prec) // as PHP: 2.25 with one decimal is 2.3
		}
		s = strconv.FormatFloat(f, verb, prec, 64)
		if verb == 'e' || verb == 'E' {
			s = phpExponent(s)
		}
		if sp.plus && f >= 0 {
			s = "+" + s
		}
	}
	return sp.padded(s, numeric), nil
}

// padded widens s to the field width. Zero padding of a signed number goes after the sign.
func (sp fmtSpec) padded(s string, numeric bool) string {
	n := utf8.RuneCountInString(s)
	if n >= sp.width {
		return s
	}
	fill := strings.Repeat(string(sp.pad), sp.width-n)
	switch {
	case sp.left:
		return s + fill
	case numeric && sp.pad == '0' && (strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+")):
		return s[:1] + fill + s[1:]
	}
	return fill + s
}

// phpExponent writes exponents as PHP does: 1.5e+3, not 1.5e+03.
func phpExponent(s string) string {
	i := strings.IndexAny(s, "eE")
	if i < 0 || i+2 >= len(s) {
		return s
	}
	exp := strings.TrimLeft(s[i+2:], "0")
	if exp == "" {
		exp = "0"
	}
	return s[:i+2] + exp
}

func isScalar(v any) bool {
	switch v.(type) {
	case nil, bool, int64, float64, string:
		return true
	}
	return false
}
