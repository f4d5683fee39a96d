package filter

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"relaybase/value"
)

func init() {
	def("trim", 0, 1, trimFilter("trim", strings.Trim))
	def("ltrim", 0, 1, trimFilter("ltrim", strings.TrimLeft))
	def("rtrim", 0, 1, trimFilter("rtrim", strings.TrimRight))
	def("to_lower", 0, 0, textMap("to_lower", strings.ToLower), "lower")
	def("to_upper", 0, 0, textMap("to_upper", strings.ToUpper), "upper")
	def("capitalize", 0, 0, textMap("capitalize", capitalize))
	def("strlen", 0, 0, strlen)
	def("substr", 1, 2, substr)
	def("split", 1, 1, split)
	def("replace", 2, 2, replace, "string_replace")
	def("contains", 1, 1, containsFilter("contains", false))
	def("icontains", 1, 1, containsFilter("icontains", true))
	def("starts_with", 1, 1, affix("starts_with", strings.HasPrefix, false))
	def("istarts_with", 1, 1, affix("istarts_with", strings.HasPrefix, true))
	def("ends_with", 1, 1, affix("ends_with", strings.HasSuffix, false))
	def("iends_with", 1, 1, affix("iends_with", strings.HasSuffix, true))
	def("concat", 1, 2, concat)
	def("sprintf", 0, -1, sprintfFilter)
	def("json_encode", 0, 0, jsonEncode)
	def("json_decode", 0, 0, jsonDecode)
	def("base64_encode", 0, 0, base64Encode)
	def("base64_decode", 0, 0, base64Decode)
	def("url_encode", 0, 0, urlEncode)
	def("url_decode", 0, 0, urlDecode)
	def("md5", 0, 1, digest("md5", md5.New))
	def("sha1", 0, 1, digest("sha1", sha1.New))
	def("sha256", 0, 1, digest("sha256", sha256.New))
	def("hmac_sha256", 1, 2, hmacSHA256)
	def("uuid", 0, 0, uuid4, "uuid4")
	def("escape", 0, 0, textMap("escape", escape))
}

// phpSpace is what PHP's trim removes by default: space, tab, newline, carriage return, NUL
// and vertical tab. Unicode spaces such as U+00A0 stay, as they do in Xano.
const phpSpace = " \t\n\r\x00\x0b"

// trimFilter trims text, or each text of an array ("text | text[] → text" in Xano's docs).
// The optional mask lists the characters to remove instead of whitespace.
func trimFilter(name string, trim func(s, cutset string) string) impl {
	return func(x any, args []any) (any, error) {
		mask, err := textArg(name, "the characters to trim", args, 0, phpSpace)
		if err != nil {
			return nil, err
		}
		if a, ok := x.([]any); ok {
			out := make([]any, len(a))
			for i, e := range a {
				s, ok := e.(string)
				if !ok {
					return nil, fmt.Errorf("%s: element %d is %s, not text", name, i, value.TypeName(e))
				}
				out[i] = trim(s, mask)
			}
			return out, nil
		}
		s, err := textIn(name, x)
		if err != nil {
			return nil, err
		}
		return trim(s, mask), nil
	}
}

// textMap applies a text-to-text function.
func textMap(name string, f func(string) string) impl {
	return func(x any, _ []any) (any, error) {
		s, err := textIn(name, x)
		if err != nil {
			return nil, err
		}
		return f(s), nil
	}
}

// capitalize upper-cases the first letter of each word, like PHP's ucwords: words are
// separated by whitespace and the other letters are left as they are.
func capitalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	start := true
	for _, r := range s {
		if start {
			r = unicode.ToTitle(r)
		}
		start = r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' || r == '\v'
		b.WriteRune(r)
	}
	return b.String()
}

// strlen counts characters (code points), not bytes: "héllo" has 5.
func strlen(x any, _ []any) (any, error) {
	s, err := textIn("strlen", x)
	if err != nil {
		return nil, err
	}
	return int64(utf8.RuneCountInString(s)), nil
}

// substr takes characters from start (negative counts from the end) for length characters
// (absent: to the end; negative: stop that many before the end), like PHP's mb_substr.
func substr(x any, args []any) (any, error) {
	s, err := textIn("substr", x)
	if err != nil {
		return nil, err
	}
	start, err := intArg("substr", "start", args, 0, 0)
	if err != nil {
		return nil, err
	}
	length, err := intArg("substr", "length", args, 1, 0)
	if err != nil {
		return nil, err
	}
	r := []rune(s)
	lo, hi := window(int64(len(r)), start, length, arg(args, 1) != nil)
	return string(r[lo:hi]), nil
}

// window resolves PHP's (offset, length) pair over n items: a negative offset counts from
// the end, a negative length stops that many items before the end, no length runs to the end.
func window(n, offset, length int64, hasLength bool) (lo, hi int64) {
	if offset < 0 {
		offset = max(n+offset, 0)
	}
	if offset > n {
		return n, n
	}
	hi = n
	if hasLength {
		if length < 0 {
			hi = n + length
		} else if length < n-offset {
			hi = offset + length
		}
	}
	return offset, max(hi, offset)
}

// split cuts text at each separator. An empty separator splits into characters (Xano's docs
// reverse text with split:""|reverse|join:""); empty text splits into no parts at all, so
// ""|split:"," is [] rather than [""].
func split(x any, args []any) (any, error) {
	s, err := textIn("split", x)
	if err != nil {
		return nil, err
	}
	sep, err := textArg("split", "separator", args, 0, "")
	if err != nil {
		return nil, err
	}
	if s == "" {
		return []any{}, nil
	}
	parts := strings.Split(s, sep)
	out := make([]any, len(parts))
	for i, p := range parts {
		out[i] = p
	}
	return out, nil
}

// replace replaces every occurrence of search; an empty search changes nothing.
func replace(x any, args []any) (any, error) {
	s, err := textIn("replace", x)
	if err != nil {
		return nil, err
	}
	search, err := textArg("replace", "search", args, 0, "")
	if err != nil {
		return nil, err
	}
	with, err := textArg("replace", "replacement", args, 1, "")
	if err != nil {
		return nil, err
	}
	if search == "" {
		return s, nil
	}
	return strings.ReplaceAll(s, search, with), nil
}

// containsFilter tests text for a substring. It also accepts an array and tests for an
// element, because contains is the array test in db.query where clauses and a stack often
// evaluates the same expression on a row it already holds. Null contains nothing.
func containsFilter(name string, fold bool) impl {
	return func(x any, args []any) (any, error) {
		if x == nil {
			return false, nil
		}
		if a, ok := x.([]any); ok {
			return arrayHas(a, arg(args, 0), fold), nil
		}
		s, ok := x.(string)
		if !ok {
			return nil, typeError(name, "text or array", x)
		}
		sub, err := textArg(name, "search", args, 0, "")
		if err != nil {
			return nil, err
		}
		if fold {
			return strings.Contains(strings.ToLower(s), strings.ToLower(sub)), nil
		}
		return strings.Contains(s, sub), nil
	}
}

// arrayHas reports whether a holds an element equal to v (text compared case-insensitively when fold).
func arrayHas(a []any, v any, fold bool) bool {
	for _, e := range a {
		if value.Equal(e, v) {
			return true
		}
		if fold {
			es, ok1 := e.(string)
			vs, ok2 := v.(string)
			if ok1 && ok2 && strings.EqualFold(es, vs) {
				return true
			}
		}
	}
	return false
}

func affix(name string, test func(s, affix string) bool, fold bool) impl {
	return func(x any, args []any) (any, error) {
		s, err := textIn(name, x)
		if err != nil {
			return nil, err
		}
		a, err := textArg(name, "search", args, 0, "")
		if err != nil {
			return nil, err
		}
		if fold {
			s, a = strings.ToLower(s), strings.ToLower(a)
		}
		return test(s, a), nil
	}
}

// concat joins the input, the optional separator and the value: "a"|concat:"b":"-" is "a-b".
// Like ~, it turns null into "" and numbers into their shortest text, whatever the input's type.
func concat(x any, args []any) (any, error) {
	sep, err := textArg("concat", "separator", args, 1, "")
	if err != nil {
		return nil, err
	}
	return value.ToText(x) + sep + value.ToText(arg(args, 0)), nil
}

func sprintfFilter(x any, args []any) (any, error) {
	format, err := textIn("sprintf", x)
	if err != nil {
		return nil, err
	}
	return sprintf(format, args)
}

func jsonEncode(x any, _ []any) (any, error) {
	b, err := value.EncodeJSON(x)
	if err != nil {
		return nil, fmt.Errorf("json_encode: %w", err)
	}
	return string(b), nil
}

// jsonDecode parses JSON text. A number or bool is already a JSON value and comes back as
// it is; null stays null. An array or object is an error, since it is already decoded.
func jsonDecode(x any, _ []any) (any, error) {
	switch t := x.(type) {
	case nil, int64, float64, bool:
		return t, nil
	case string:
		v, err := value.DecodeJSON([]byte(t))
		if err != nil {
			return nil, fmt.Errorf("json_decode: %w", err)
		}
		return v, nil
	}
	return nil, fmt.Errorf("json_decode: expected text, got %s (it is already decoded)", value.TypeName(x))
}

func base64Encode(x any, _ []any) (any, error) {
	s, err := scalarTextIn("base64_encode", x)
	if err != nil {
		return nil, err
	}
	return base64.StdEncoding.EncodeToString([]byte(s)), nil
}

// base64Decode accepts padded or unpadded standard base64. The result is the decoded bytes
// as text, which need not be valid UTF-8 when the data is binary.
func base64Decode(x any, _ []any) (any, error) {
	s, err := textIn("base64_decode", x)
	if err != nil {
		return nil, err
	}
	s = strings.TrimSpace(s)
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
	}
	if err != nil {
		return nil, fmt.Errorf("base64_decode: not valid base64 text")
	}
	return string(b), nil
}

// urlEncode percent-encodes every byte except letters, digits and -_.~ (spaces become %20):
// Xano's docs show "Hello, World!" → "Hello%2C%20World%21".
func urlEncode(x any, _ []any) (any, error) {
	s, err := scalarTextIn("url_encode", x)
	if err != nil {
		return nil, err
	}
	const hexUpper = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexUpper[c>>4])
		b.WriteByte(hexUpper[c&15])
	}
	return b.String(), nil
}

// urlDecode undoes percent-encoding; "+" reads as a space, as in form data.
func urlDecode(x any, _ []any) (any, error) {
	s, err := textIn("url_decode", x)
	if err != nil {
		return nil, err
	}
	out, err := url.QueryUnescape(s)
	if err != nil {
		return nil, fmt.Errorf("url_decode: %w", err)
	}
	return out, nil
}

// digest hashes the input's text: lower-case hex, or the raw bytes when the optional
// argument is true. Hashing null is an error rather than the hash of "", because a missing
// value that silently hashes is how passwords and signatures go wrong.
func digest(name string, newHash func() hash.Hash) impl {
	return func(x any, args []any) (any, error) {
		if x == nil {
			return nil, fmt.Errorf("%s: expected text, got null", name)
		}
		s, err := scalarTextIn(name, x)
		if err != nil {
			return nil, err
		}
		raw, err := boolArg(name, "raw", args, 0, false)
		if err != nil {
			return nil, err
		}
		h := newHash()
		h.Write([]byte(s))
		return hashOut(h.Sum(nil), raw), nil
	}
}

func hmacSHA256(x any, args []any) (any, error) {
	if x == nil {
		return nil, fmt.Errorf("hmac_sha256: expected text, got null")
	}
	s, err := scalarTextIn("hmac_sha256", x)
	if err != nil {
		return nil, err
	}
	if arg(args, 0) == nil {
		return nil, fmt.Errorf("hmac_sha256: key must be text, got null")
	}
	key, err := textArg("hmac_sha256", "key", args, 0, "")
	if err != nil {
		return nil, err
	}
	raw, err := boolArg("hmac_sha256", "raw", args, 1, false)
	if err != nil {
		return nil, err
	}
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(s))
	return hashOut(m.Sum(nil), raw), nil
}

func hashOut(sum []byte, raw bool) string {
	if raw {
		return string(sum)
	}
	return hex.EncodeToString(sum)
}

// uuid4 returns a random (version 4) UUID; the input is ignored (written |uuid).
func uuid4(_ any, _ []any) (any, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("uuid: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32], nil
}

// escape backslash-escapes text for embedding in a quoted string: \ " and control
// characters (\n, \t, \r, others as \u00XX). Xano's filter reference describes it this way
// ("he said\n- \"Hi!\"" → he said\n- \"Hi!\"); an older page calls it an HTML escape, which
// we do not follow — HTML is escaped where it is rendered.
func escape(s string) string {
	b, _ := value.EncodeJSON(s) // a text value always encodes
	return string(b[1 : len(b)-1])
}
