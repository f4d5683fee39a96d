package filter

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// Regex filters take the pattern as their input, written as in PHP with delimiters and
// flags ("/^a.*c$/i"), and the subject as an argument: "/^a/"|regex_matches:"abc". A pattern
// without delimiters is used as it is. Patterns run on Go's RE2 engine: matching takes linear
// time whatever the input, and lookaround and backreferences are not available (an error says so).
func init() {
	def("regex_matches", 1, 1, regexMatches, "regex_test")
	def("regex_replace", 2, 2, regexReplace)
	def("regex_get_first_match", 1, 1, regexFirst, "regex_match")
	def("regex_get_all_matches", 1, 1, regexAll, "regex_match_all")
	def("regex_quote", 0, 1, regexQuote)
}

// regexCache keeps compiled patterns: stacks run the same few patterns on every request.
var regexCache = struct {
	sync.Mutex
	m map[string]*regexp.Regexp
}{m: map[string]*regexp.Regexp{}}

const regexCacheSize = 512

// compilePHP compiles a PHP-style pattern.
func compilePHP(name, pattern string) (*regexp.Regexp, error) {
	regexCache.Lock()
	re, ok := regexCache.m[pattern]
	regexCache.Unlock()
	if ok {
		return re, nil
	}
	src, err := translatePattern(pattern)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	re, err = regexp.Compile(src)
	if err != nil {
		msg := err.Error()
		if strings.Contains(msg, "invalid or unsupported Perl syntax") || strings.Contains(msg, "invalid escape sequence: `\\1") {
			msg += " (lookaround and backreferences are not supported)"
		}
		return nil, fmt.Errorf("%s: invalid pattern: %s", name, msg)
	}
	regexCache.Lock()
	if len(regexCache.m) >= regexCacheSize {
		clear(regexCache.m)
	}
	regexCache.m[pattern] = re
	regexCache.Unlock()
	return re, nil
}

// translatePattern turns "/body/flags" into RE2 syntax with the flags in front. The usual
// PHP delimiters / # ~ ! @ % ; , | must be closed; a pattern in brackets ((...), [...], {...},
// <...>) counts as delimited only when the closing bracket is followed by nothing but flags,
// so a bare "[a-z]+" or "(a|b)c" still reads as a pattern. Anything else is a bare pattern.
func translatePattern(p string) (string, error) {
	if p == "" {
		return "", nil
	}
	open := p[0]
	closer, bracket := map[byte]byte{'(': ')', '[': ']', '{': '}', '<': '>'}[open]
	if !bracket && !strings.ContainsRune("/#~!@%;,|", rune(open)) {
		return p, nil
	}
	if !bracket {
		closer = open
	}
	end := strings.LastIndexByte(p, closer)
	mods := ""
	if end > 0 {
		mods = p[end+1:]
	}
	if bracket && (end <= 0 || strings.TrimLeft(mods, "imsuUDx") != "") {
		return p, nil
	}
	if end <= 0 {
		return "", fmt.Errorf("pattern %q has no ending delimiter %q", p, closer)
	}
	body := p[1:end]
	var flags strings.Builder
	for _, m := range mods {
		switch m {
		case 'i', 'm', 's', 'U':
			flags.WriteRune(m)
		case 'u', 'D':
			// UTF-8 is always on; $ already means the very end unless m is set.
		default:
			return "", fmt.Errorf("pattern flag %q is not supported", m)
		}
	}
	if flags.Len() > 0 {
		body = "(?" + flags.String() + ")" + body
	}
	return body, nil
}

func isAlnum(c byte) bool {
	return isDigit(c) || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// regexArgs reads the pattern input and the subject argument at i.
func regexArgs(name string, x any, args []any, i int) (*regexp.Regexp, string, error) {
	p, err := textIn(name, x)
	if err != nil {
		return nil, "", err
	}
	re, err := compilePHP(name, p)
	if err != nil {
		return nil, "", err
	}
	subject, err := textArg(name, "subject", args, i, "")
	return re, subject, err
}

func regexMatches(x any, args []any) (any, error) {
	re, subject, err := regexArgs("regex_matches", x, args, 0)
	if err != nil {
		return nil, err
	}
	return re.MatchString(subject), nil
}

// regexReplace replaces every match. The replacement may refer to groups as $1, ${1} or \1,
// as in PHP; a $ not followed by a group number is literal.
func regexReplace(x any, args []any) (any, error) {
	re, subject, err := regexArgs("regex_replace", x, args, 1)
	if err != nil {
		return nil, err
	}
	repl, err := textArg("regex_replace", "replacement", args, 0, "")
	if err != nil {
		return nil, err
	}
	return re.ReplaceAllString(subject, translateReplacement(repl)), nil
}

// translateReplacement rewrites PHP group references into Go's ${n} form and escapes other $.
func translateReplacement(r string) string {
	var b strings.Builder
	for i := 0; i < len(r); i++ {
		c := r[i]
		if (c == '$' || c == '\\') && i+1 < len(r) {
			j := i + 1
			braced := c == '$' && r[j] == '{'
			if braced {
				j++
			}
			k := j
			for k < len(r) && k-j < 2 && isDigit(r[k]) {
				k++
			}
			if k > j && (!braced || k < len(r) && r[k] == '}') {
				b.WriteString("${" + r[j:k] + "}")
				if braced {
					k++
				}
				i = k - 1
				continue
			}
			if c == '\\' && r[i+1] == '\\' {
				b.WriteByte('\\')
				i++
				continue
			}
		}
		if c == '$' {
			b.WriteString("$$")
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// regexFirst returns the first match and its groups ([] when nothing matches); a group that
// did not take part is "".
func regexFirst(x any, args []any) (any, error) {
	re, subject, err := regexArgs("regex_get_first_match", x, args, 0)
	if err != nil {
		return nil, err
	}
	m := re.FindStringSubmatch(subject)
	out := make([]any, len(m))
	for i, s := range m {
		out[i] = s
	}
	return out, nil
}

// regexAll returns all matches grouped by group, as PHP's preg_match_all: [[every whole
// match], [every first group], ...].
func regexAll(x any, args []any) (any, error) {
	re, subject, err := regexArgs("regex_get_all_matches", x, args, 0)
	if err != nil {
		return nil, err
	}
	all := re.FindAllStringSubmatch(subject, -1)
	out := make([]any, re.NumSubexp()+1)
	for g := range out {
		list := make([]any, len(all))
		for i, m := range all {
			list[i] = m[g]
		}
		out[g] = list
	}
	return out, nil
}

// regexQuote escapes the characters that mean something in a pattern, and the delimiter if given.
func regexQuote(x any, args []any) (any, error) {
	s, err := textIn("regex_quote", x)
	if err != nil {
		return nil, err
	}
	delim, err := textArg("regex_quote", "delimiter", args, 0, "")
	if err != nil {
		return nil, err
	}
	const special = `.\+*?[^]$(){}=!<>|:-#`
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(special, r) || delim != "" && strings.ContainsRune(delim, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String(), nil
}
