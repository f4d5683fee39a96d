package filter

import (
	"strings"
	"testing"
)

func TestTextFilters(t *testing.T) {
	runCases(t, []tcase{
		{name: "default whitespace", filter: "trim", in: "\t hi \n\x00", want: "hi"},
		{name: "keeps nbsp", filter: "trim", in: "\u00a0hi ", want: "\u00a0hi"},
		{name: "mask", filter: "trim", in: "--hi--", args: []any{"-"}, want: "hi"},
		{name: "array of text", filter: "trim", in: []any{" a ", "b "}, want: []any{"a", "b"}},
		{name: "array with a number", filter: "trim", in: []any{" a ", int64(1)}, err: "trim: element 1 is int, not text"},
		{name: "null is empty text", filter: "trim", in: nil, want: ""},
		{name: "number", filter: "trim", in: int64(5), err: "trim: expected text, got int"},
		{name: "object", filter: "ltrim", in: value0(), err: "ltrim: expected text, got object"},
		{name: "left only", filter: "ltrim", in: "  a  ", want: "a  "},
		{name: "right only", filter: "rtrim", in: "  a  ", want: "  a"},

		{name: "unicode", filter: "to_lower", in: "ÀÉÎ ǅ", want: "àéî ǆ"},
		{name: "array", filter: "to_lower", in: []any{"A"}, err: "to_lower: expected text, got array"},
		{name: "unicode", filter: "to_upper", in: "straße ǆ", want: "STRAßE Ǆ"}, // per character: ß has no one-letter capital
		{name: "bool", filter: "upper", in: true, err: "to_upper: expected text, got bool"},

		{name: "words", filter: "capitalize", in: "hello wORLD\tnew\nline", want: "Hello WORLD\tNew\nLine"},
		{name: "unicode", filter: "capitalize", in: "élan vital", want: "Élan Vital"},
		{name: "empty", filter: "capitalize", in: "", want: ""},

		{name: "characters not bytes", filter: "strlen", in: "日本語😀", want: int64(4)},
		{name: "empty", filter: "strlen", in: "", want: int64(0)},
		{name: "null", filter: "strlen", in: nil, want: int64(0)},
		{name: "array", filter: "strlen", in: []any{int64(1)}, err: "strlen: expected text, got array (text filters work on text only)"},

		{name: "to the end", filter: "substr", in: "hello", args: []any{int64(2)}, want: "llo"},
		{name: "negative start", filter: "substr", in: "hello", args: []any{int64(-3)}, want: "llo"},
		{name: "negative start before beginning", filter: "substr", in: "hello", args: []any{int64(-10), int64(2)}, want: "he"},
		{name: "negative length", filter: "substr", in: "hello", args: []any{int64(1), int64(-1)}, want: "ell"},
		{name: "negative length past start", filter: "substr", in: "hello", args: []any{int64(3), int64(-4)}, want: ""},
		{name: "start past end", filter: "substr", in: "hello", args: []any{int64(9)}, want: ""},
		{name: "length past end", filter: "substr", in: "hello", args: []any{int64(3), int64(99)}, want: "lo"},
		{name: "unicode", filter: "substr", in: "日本語テキスト", args: []any{int64(1), int64(2)}, want: "本語"},
		{name: "docs example", filter: "substr", in: "Epic Battle", args: []any{int64(5), int64(6)}, want: "Battle"},
		{name: "integral decimal start", filter: "substr", in: "hello", args: []any{2.0}, want: "llo"},
		{name: "text start", filter: "substr", in: "hello", args: []any{"1"}, err: "substr: start must be an int, got text"},
		{name: "fractional start", filter: "substr", in: "hello", args: []any{1.5}, err: "substr: start must be an int, got 1.5"},
		{name: "null length", filter: "substr", in: "hello", args: []any{int64(1), nil}, want: "ello"},

		{name: "separator", filter: "split", in: "a, b,,c", args: []any{","}, want: []any{"a", " b", "", "c"}},
		{name: "into characters", filter: "split", in: "añb", args: []any{""}, want: []any{"a", "ñ", "b"}},
		{name: "empty text", filter: "split", in: "", args: []any{","}, want: []any{}},
		{name: "null", filter: "split", in: nil, args: []any{","}, want: []any{}},
		{name: "no separator in text", filter: "split", in: "abc", args: []any{","}, want: []any{"abc"}},
		{name: "array", filter: "split", in: []any{"a"}, args: []any{","}, err: "split: expected text, got array"},

		{name: "all occurrences", filter: "replace", in: "Hella Warld", args: []any{"a", "o"}, want: "Hello World"},
		{name: "empty search", filter: "replace", in: "abc", args: []any{"", "x"}, want: "abc"},
		{name: "number argument", filter: "replace", in: "a1b1", args: []any{int64(1), "-"}, want: "a-b-"},
		{name: "array argument", filter: "replace", in: "a", args: []any{[]any{"a"}, "b"}, err: "replace: search must be text, got array"},

		{name: "substring", filter: "contains", in: "Epic Battle", args: []any{"Battle"}, want: true},
		{name: "case matters", filter: "contains", in: "Epic Battle", args: []any{"battle"}, want: false},
		{name: "array element", filter: "contains", in: []any{"a", int64(2)}, args: []any{2.0}, want: true},
		{name: "null", filter: "contains", in: nil, args: []any{"a"}, want: false},
		{name: "number", filter: "contains", in: int64(12), args: []any{"1"}, err: "contains: expected text or array, got int"},
		{name: "ignoring case", filter: "icontains", in: "Epic Battle", args: []any{"BATTLE"}, want: true},
		{name: "array ignoring case", filter: "icontains", in: []any{"Admin"}, args: []any{"admin"}, want: true},
		{name: "prefix", filter: "starts_with", in: "Epic", args: []any{"Ep"}, want: true},
		{name: "not prefix", filter: "starts_with", in: "Epic", args: []any{"ep"}, want: false},
		{name: "empty prefix", filter: "starts_with", in: "Epic", args: []any{""}, want: true},
		{name: "array", filter: "starts_with", in: []any{"a"}, args: []any{"a"}, err: "starts_with: expected text, got array"},
		{name: "ignoring case", filter: "istarts_with", in: "Épic", args: []any{"éP"}, want: true},
		{name: "suffix", filter: "ends_with", in: "file.PDF", args: []any{".PDF"}, want: true},
		{name: "ignoring case", filter: "iends_with", in: "file.PDF", args: []any{".pdf"}, want: true},

		{name: "no separator", filter: "concat", in: "Hello", args: []any{"World"}, want: "HelloWorld"},
		{name: "docs example", filter: "concat", in: "Hello", args: []any{"World!", " - "}, want: "Hello - World!"},
		{name: "null is empty", filter: "concat", in: nil, args: []any{"b", "-"}, want: "-b"},
		{name: "numbers take shortest text", filter: "concat", in: int64(1), args: []any{2.50, " "}, want: "1 2.5"},
		{name: "null value", filter: "concat", in: "a", args: []any{nil}, want: "a"},

		{name: "strings and ints", filter: "sprintf", in: "Hello %s, you have %d new messages", args: []any{"Bob", int64(5)}, want: "Hello Bob, you have 5 new messages"},
		{name: "padding", filter: "sprintf", in: "[%5s][%-5s][%05d][%'*6s]", args: []any{"ab", "ab", int64(-42), "x"}, want: "[   ab][ab   ][-0042][*****x]"},
		{name: "precision", filter: "sprintf", in: "%.2f %.3s %e", args: []any{3.14159, "abcdef", 1234.5}, want: "3.14 abc 1.234500e+3"},
		{name: "positional", filter: "sprintf", in: "%2$s %1$s %2$s", args: []any{"a", "b"}, want: "b a b"},
		{name: "bases", filter: "sprintf", in: "%x %X %o %b %c %u", args: []any{int64(255), int64(255), int64(8), int64(5), int64(65), int64(3)}, want: "ff FF 10 101 A 3"},
		{name: "loose numbers", filter: "sprintf", in: "%d %+d %.1f", args: []any{"12abc", int64(3), "2.25"}, want: "12 +3 2.3"},
		{name: "percent", filter: "sprintf", in: "100%%", want: "100%"},
		{name: "too few", filter: "sprintf", in: "%s %s", args: []any{"a"}, err: "sprintf: the format wants at least 2 arguments, got 1"},
		{name: "unknown verb", filter: "sprintf", in: "%y", args: []any{"a"}, err: "sprintf: unknown conversion %y"},
		{name: "lone percent", filter: "sprintf", in: "50%", err: "lone %"},
		{name: "array argument", filter: "sprintf", in: "%s", args: []any{[]any{}}, err: "sprintf: %s needs text or a number, got array"},

		{name: "text", filter: "json_encode", in: "a\"b</script>", want: `"a\"b</script>"`},
		{name: "null", filter: "json_encode", in: nil, want: "null"},
		{name: "key order kept", filter: "json_encode", in: objOf("z", int64(1), "a", 1.5), want: `{"z":1,"a":1.5}`},
		{name: "array", filter: "json_decode", in: `[1, "a", null, {"b": true}]`, want: []any{int64(1), "a", nil, objOf("b", true)}},
		{name: "number stays", filter: "json_decode", in: int64(3), want: int64(3)},
		{name: "null stays", filter: "json_decode", in: nil, want: nil},
		{name: "invalid", filter: "json_decode", in: `{"a":`, err: "json_decode: invalid JSON"},
		{name: "trailing data", filter: "json_decode", in: `1 2`, err: "json_decode: invalid JSON"},
		{name: "already decoded", filter: "json_decode", in: objOf("a", int64(1)), err: "json_decode: expected text, got object (it is already decoded)"},

		{name: "unicode", filter: "base64_encode", in: "héllo", want: "aMOpbGxv"},
		{name: "number", filter: "base64_encode", in: int64(42), want: "NDI="},
		{name: "array", filter: "base64_encode", in: []any{}, err: "base64_encode: expected text, got array (json_encode it first)"},
		{name: "unpadded", filter: "base64_decode", in: "aGVsbG8", want: "hello"},
		{name: "invalid", filter: "base64_decode", in: "***", err: "base64_decode: not valid base64 text"},

		{name: "reserved and unicode", filter: "url_encode", in: "a b&c=d/é~", want: "a%20b%26c%3Dd%2F%C3%A9~"},
		{name: "plus is space", filter: "url_decode", in: "a+b%20c%C3%A9", want: "a b cé"},
		{name: "bad escape", filter: "url_decode", in: "%zz", err: "url_decode:"},

		{name: "empty", filter: "md5", in: "", want: "d41d8cd98f00b204e9800998ecf8427e"},
		{name: "int as text", filter: "md5", in: int64(42), want: "a1d0c6e83f027327d8461063f4ac58a6"},
		{name: "raw", filter: "md5", in: "", args: []any{true}, want: "\xd4\x1d\x8c\xd9\x8f\x00\xb2\x04\xe9\x80\x09\x98\xec\xf8\x42\x7e"},
		{name: "null", filter: "md5", in: nil, err: "md5: expected text, got null"},
		{name: "empty", filter: "sha1", in: "", want: "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
		{name: "empty", filter: "sha256", in: "", want: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{name: "object", filter: "sha256", in: objOf(), err: "sha256: expected text, got object"},
		{name: "null key", filter: "hmac_sha256", in: "a", args: []any{nil}, err: "hmac_sha256: key must be text, got null"},

		{name: "quotes and controls", filter: "escape", in: "a\\b\t\"c\"\r\x01", want: `a\\b\t\"c\"\r\u0001`},
		{name: "unicode untouched", filter: "escape", in: "é<>", want: "é<>"},
	})
}

func TestUUID(t *testing.T) {
	d := mustLookup(t, "uuid")
	seen := map[any]bool{}
	for range 100 {
		u, err := d.Fn(nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		s := u.(string)
		if len(s) != 36 || s[14] != '4' || !strings.ContainsRune("89ab", rune(s[19])) {
			t.Fatalf("not a v4 uuid: %s", s)
		}
		if seen[u] {
			t.Fatalf("duplicate uuid %s", s)
		}
		seen[u] = true
	}
}

func TestRegexFilters(t *testing.T) {
	runCases(t, []tcase{
		{name: "docs example", filter: "regex_matches", in: "/^a.*c$/", args: []any{"abbbbc"}, want: true},
		{name: "no match", filter: "regex_matches", in: "/^a.*c$/", args: []any{"abbbb"}, want: false},
		{name: "flags", filter: "regex_matches", in: "#^A.C$#is", args: []any{"a\nc"}, want: true},
		{name: "bracket delimiters", filter: "regex_matches", in: "{^\\d+$}", args: []any{"123"}, want: true},
		{name: "bare pattern", filter: "regex_matches", in: `^\d+$`, args: []any{"123"}, want: true},
		{name: "bare bracket pattern", filter: "regex_matches", in: `[a-c]+x`, args: []any{"abx"}, want: true},
		{name: "bare group pattern", filter: "regex_matches", in: `(a|b)c`, args: []any{"bc"}, want: true},
		{name: "bracket delimiters with flag", filter: "regex_matches", in: `(A)i`, args: []any{"a"}, want: true},
		{name: "escaped delimiter", filter: "regex_matches", in: `/a\/b/`, args: []any{"xa/b"}, want: true},
		{name: "unicode", filter: "regex_test", in: "/^.{3}$/u", args: []any{"日本語"}, want: true},
		{name: "number subject", filter: "regex_matches", in: `/^\d+$/`, args: []any{int64(42)}, want: true},
		{name: "missing end delimiter", filter: "regex_matches", in: "/abc", args: []any{"a"}, err: "no ending delimiter"},
		{name: "unsupported flag", filter: "regex_matches", in: "/a/x", args: []any{"a"}, err: `pattern flag 'x' is not supported`},
		{name: "lookahead", filter: "regex_matches", in: "/a(?=b)/", args: []any{"ab"}, err: "lookaround and backreferences are not supported"},
		{name: "invalid", filter: "regex_matches", in: "/a(/", args: []any{"a"}, err: "regex_matches: invalid pattern"},
		{name: "pattern not text", filter: "regex_matches", in: int64(1), args: []any{"1"}, err: "regex_matches: expected text, got int"},

		{name: "docs example", filter: "regex_replace", in: `/\s+/`, args: []any{"-", "Hello   World"}, want: "Hello-World"},
		{name: "group references", filter: "regex_replace", in: `/(\w+)@(\w+)/`, args: []any{`$2 at \1 (${1})`, "bob@home"}, want: "home at bob (bob)"},
		{name: "literal dollar", filter: "regex_replace", in: `/x/`, args: []any{"$ and $x", "x"}, want: "$ and $x"},
		{name: "no match", filter: "regex_replace", in: `/z/`, args: []any{"-", "abc"}, want: "abc"},

		{name: "groups", filter: "regex_get_first_match", in: `/(\w+)@(\w+)\.(\w+)/`, args: []any{"test@example.com"}, want: []any{"test@example.com", "test", "example", "com"}},
		{name: "no match", filter: "regex_get_first_match", in: `/\d/`, args: []any{"abc"}, want: []any{}},
		{name: "by group", filter: "regex_get_all_matches", in: `/(\w)(\d)/`, args: []any{"a1 b2"}, want: []any{[]any{"a1", "b2"}, []any{"a", "b"}, []any{"1", "2"}}},
		{name: "no match", filter: "regex_get_all_matches", in: `/\d/`, args: []any{"abc"}, want: []any{[]any{}}},
		{name: "docs example", filter: "regex_quote", in: "Hello. How are you?", args: []any{"/"}, want: `Hello\. How are you\?`},
		{name: "delimiter", filter: "regex_quote", in: "a/b#c", args: []any{"/"}, want: `a\/b\#c`},
	})
	if raw := mustRun(t, "hmac_sha256", "a", "k", true).(string); len(raw) != 32 {
		t.Errorf("raw hmac has %d bytes, want 32", len(raw))
	}
	// Quoted text must match itself literally.
	quoted, _ := mustLookup(t, "regex_quote").Fn(`.\+*?[^]$(){}=!<>|:-#/`, []any{"/"})
	ok, err := mustLookup(t, "regex_matches").Fn("/^"+quoted.(string)+"$/", []any{`.\+*?[^]$(){}=!<>|:-#/`})
	if err != nil || ok != true {
		t.Errorf("quoted pattern does not match itself: %v %v", ok, err)
	}
}

// mustRun runs a filter that the test needs as an input for another.
func mustRun(t *testing.T, name string, x any, args ...any) any {
	t.Helper()
	v, err := mustLookup(t, name).Fn(x, args)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}
