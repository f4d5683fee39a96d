package xs

import (
	"strconv"
	"strings"
	"unicode"
)

// tokKind is the kind of a lexical token.
type tokKind int

const (
	tEOF      tokKind = iota
	tNewline          // one or more line ends (comments between them included)
	tIdent            // a bare word: letters, digits, "_" and any non-ASCII character
	tVar              // $name, $$, $0; text is the part after the first "$"
	tInt              // 42
	tFloat            // 1.5, 1e3
	tString           // "...", '...' or """...""" (text holds the decoded value)
	tBacktick         // `expr` or ```expr``` (text holds the raw content)
	tDate             // an unquoted timestamp literal: 2025-01-01 00:00:00+0000
	tOp               // punctuation and operators
	tIllegal          // a character that starts no token
)

// token is one lexical token. Offsets count runes.
type token struct {
	kind tokKind
	text string
	ival int64
	fval float64

	line, col       int // start
	off, end        int // rune offsets [off, end)
	endLine, endCol int // position just after the token

	space  bool   // whitespace or a comment separates it from the previous token
	depth  int    // bracket nesting before the token (after it, for a closing bracket)
	dAfter int    // bracket nesting after the token
	open   []byte // the lexer's open brackets after the token (for reset)
	triple bool   // """...""" or ```...```
	err    string
}

// lexer turns runes into tokens on demand. The parser may reset it to re-read a stretch
// of source as raw text (input filters, unquoted defaults), which ordinary tokens cannot
// describe (filters=pattern:^\d{5}$).
type lexer struct {
	src   []rune
	i     int
	line  int
	col   int
	depth int     // len(open)
	open  []byte  // the brackets open at this point, innermost last
	last  tokKind // kind of the previous token, for ".0" member access
	lastT string
	lastE int    // end offset of the previous token
	bad   *token // an error found while skipping blanks, returned as the next token
}

func newLexer(src []rune, line, col int) *lexer {
	return &lexer{src: src, line: line, col: col, last: tNewline, lastE: -1}
}

func (lx *lexer) peekc(k int) rune {
	if lx.i+k < len(lx.src) {
		return lx.src[lx.i+k]
	}
	return 0
}

func (lx *lexer) advance() rune {
	r := lx.src[lx.i]
	lx.i++
	if r == '\n' {
		lx.line++
		lx.col = 1
	} else {
		lx.col++
	}
	return r
}

// reset moves the lexer to just after tok, forgetting anything read beyond it.
func (lx *lexer) reset(tok *token) {
	lx.i, lx.line, lx.col = tok.end, tok.endLine, tok.endCol
	lx.open, lx.depth = tok.open, len(tok.open)
	lx.last, lx.lastT, lx.lastE = tok.kind, tok.text, tok.end
}

func isIdentStart(r rune) bool {
	return r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= 0x80 && isWordRune(r)
}

func isIdentRune(r rune) bool {
	return isIdentStart(r) || r >= '0' && r <= '9'
}

// isWordRune accepts every non-ASCII character that is not space or a control character,
// so that names in any script (and emoji) read as words.
func isWordRune(r rune) bool {
	return !unicode.IsSpace(r) && !unicode.IsControl(r)
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

// skipSpace skips blanks and comments; it reports whether any were skipped and stops
// before a line end.
func (lx *lexer) skipSpace() bool {
	skipped := false
	for lx.i < len(lx.src) {
		r := lx.src[lx.i]
		switch {
		case r == ' ' || r == '\t' || r == '\r' || r == '\f' || r == '\v' || r == 0xFEFF:
			lx.advance()
		case r == '/' && lx.peekc(1) == '/':
			for lx.i < len(lx.src) && lx.src[lx.i] != '\n' {
				lx.advance()
			}
		case r == '#' && lx.atLineStart():
			// Xano's own examples write "# note" lines; accepted as comments where a
			// statement could start, and nowhere else.
			for lx.i < len(lx.src) && lx.src[lx.i] != '\n' {
				lx.advance()
			}
		case r == '/' && lx.peekc(1) == '*':
			line, col := lx.line, lx.col
			lx.advance()
			lx.advance()
			for lx.i < len(lx.src) && !(lx.src[lx.i] == '*' && lx.peekc(1) == '/') {
				lx.advance()
			}
			if lx.i < len(lx.src) {
				lx.advance()
				lx.advance()
			} else {
				lx.bad = &token{kind: tIllegal, text: "/*", line: line, col: col, err: "unterminated comment: expected */, found end of file"}
			}
		default:
			return skipped
		}
		skipped = true
	}
	return skipped
}

// atLineStart reports whether only blanks precede the current position on its line.
func (lx *lexer) atLineStart() bool {
	for k := lx.i - 1; k >= 0; k-- {
		switch lx.src[k] {
		case '\n':
			return true
		case ' ', '\t', '\r', 0xFEFF:
			continue
		}
		return false
	}
	return true
}

// next returns the next token.
func (lx *lexer) next() token {
	space := lx.skipSpace() || lx.i != lx.lastE
	if b := lx.bad; b != nil {
		// An unterminated comment: report it where it starts, then go on at the end.
		lx.bad = nil
		t := *b
		t.off, t.end, t.endLine, t.endCol = lx.i, lx.i, lx.line, lx.col
		t.depth, t.dAfter, t.open, t.space = lx.depth, lx.depth, lx.open[:len(lx.open):len(lx.open)], space
		lx.last, lx.lastT, lx.lastE = t.kind, t.text, t.end
		return t
	}
	t := token{line: lx.line, col: lx.col, off: lx.i, space: space, depth: lx.depth}
	if lx.i >= len(lx.src) {
		t.kind = tEOF
	} else {
		lx.scan(&t)
	}
	t.end, t.endLine, t.endCol, t.dAfter = lx.i, lx.line, lx.col, lx.depth
	t.open = lx.open[:len(lx.open):len(lx.open)]
	lx.last, lx.lastT, lx.lastE = t.kind, t.text, t.end
	return t
}

// ops lists operators, longest first so that the first match wins.
var ops = []string{
	"===", "!==", "==?", "!=?", ">=?", "<=?", "...",
	"==", "!=", ">=", "<=", ">?", "<?", "&&", "||", "??", "..", "@>", "!~",
	"{", "}", "(", ")", "[", "]", ",", ":", "=", "!", "?", "|", ".", "~", "+", "-", "*", "/", "%", "<", ">", ";",
}

func (lx *lexer) scan(t *token) {
	r := lx.src[lx.i]
	switch {
	case r == '\n':
		t.kind = tNewline
		for lx.i < len(lx.src) && lx.src[lx.i] == '\n' {
			lx.advance()
			lx.skipSpace()
		}
	case r == '$':
		lx.advance()
		t.kind = tVar
		switch {
		case lx.peekc(0) == '$':
			lx.advance()
			t.text = "$"
		case lx.i < len(lx.src) && isIdentRune(lx.src[lx.i]):
			start := lx.i
			for lx.i < len(lx.src) && isIdentRune(lx.src[lx.i]) {
				lx.advance()
			}
			t.text = string(lx.src[start:lx.i])
		default:
			found := "end of file"
			if lx.i < len(lx.src) {
				found = strconv.QuoteRune(lx.src[lx.i])
			}
			t.err = "expected a variable name after $, found " + found
		}
	case isIdentStart(r):
		start := lx.i
		for lx.i < len(lx.src) && isIdentRune(lx.src[lx.i]) {
			lx.advance()
		}
		t.kind, t.text = tIdent, string(lx.src[start:lx.i])
	case isDigit(r):
		lx.number(t)
	case r == '"' || r == '\'':
		lx.str(t, r)
	case r == '`':
		lx.backtick(t)
	default:
		for _, op := range ops {
			if lx.hasPrefix(op) {
				for range len(op) {
					lx.advance()
				}
				t.kind, t.text = tOp, op
				switch op {
				case "{", "(", "[":
					lx.open = append(lx.open, op[0])
				case "}":
					// A "}" also closes any "(" or "[" left open inside its block, so
					// that one missing "]" does not shift every later line.
					for k := len(lx.open) - 1; k >= 0; k-- {
						if lx.open[k] == '{' {
							lx.open = lx.open[:k:k] // tokens keep slices of open: never write in place
							break
						}
					}
					t.depth = len(lx.open)
				case ")", "]":
					if n := len(lx.open); n > 0 && lx.open[n-1] == map[string]byte{")": '(', "]": '['}[op] {
						lx.open = lx.open[: n-1 : n-1]
					}
					t.depth = len(lx.open)
				}
				lx.depth = len(lx.open)
				return
			}
		}
		lx.advance()
		t.kind, t.text = tIllegal, string(r)
		t.err = "unexpected character " + strconv.QuoteRune(r)
	}
}

func (lx *lexer) hasPrefix(s string) bool {
	k := 0
	for _, c := range s {
		if lx.peekc(k) != c {
			return false
		}
		k++
	}
	return true
}

// number reads an integer, a decimal, or an unquoted date such as 2025-01-01 09:00:00+0000.
// Right after a "." (as in $list.0.1) only digits are read, so that ".0.1" is two members.
func (lx *lexer) number(t *token) {
	start := lx.i
	if lx.matchDate() {
		t.kind, t.text = tDate, string(lx.src[start:lx.i])
		return
	}
	afterDot := lx.last == tOp && lx.lastT == "." && lx.lastE == lx.i
	for lx.i < len(lx.src) && isDigit(lx.src[lx.i]) {
		lx.advance()
	}
	float := false
	if !afterDot {
		if lx.peekc(0) == '.' && isDigit(lx.peekc(1)) {
			float = true
			lx.advance()
			for lx.i < len(lx.src) && isDigit(lx.src[lx.i]) {
				lx.advance()
			}
		}
		if c := lx.peekc(0); (c == 'e' || c == 'E') && (isDigit(lx.peekc(1)) || (lx.peekc(1) == '+' || lx.peekc(1) == '-') && isDigit(lx.peekc(2))) {
			float = true
			lx.advance()
			lx.advance()
			for lx.i < len(lx.src) && isDigit(lx.src[lx.i]) {
				lx.advance()
			}
		}
	}
	t.text = string(lx.src[start:lx.i])
	if float {
		t.kind = tFloat
		f, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			t.err = "invalid number " + t.text
		}
		t.fval = f
		return
	}
	t.kind = tInt
	n, err := strconv.ParseInt(t.text, 10, 64)
	if err != nil {
		// Too large for int64: keep it as a decimal rather than failing.
		f, _ := strconv.ParseFloat(t.text, 64)
		t.kind, t.fval = tFloat, f
		return
	}
	t.ival = n
}

// matchDate consumes YYYY-MM-DD, optionally followed by " HH:MM[:SS[.fff]]" (or "T...") and a
// zone (Z, +hhmm, +hh:mm), and reports whether it did.
func (lx *lexer) matchDate() bool {
	pat := func(k int, p string) bool {
		for j, c := range p {
			r := lx.peekc(k + j)
			if c == 'd' && !isDigit(r) || c != 'd' && r != c {
				return false
			}
		}
		return true
	}
	if !pat(0, "dddd-dd-dd") || isIdentRune(lx.peekc(10)) && !(lx.peekc(10) == 'T' && pat(11, "dd:dd")) {
		return false
	}
	n := 10
	if (lx.peekc(n) == ' ' || lx.peekc(n) == 'T') && pat(n+1, "dd:dd") {
		n += 6
		if pat(n, ":dd") {
			n += 3
			if lx.peekc(n) == '.' && isDigit(lx.peekc(n+1)) {
				n++
				for isDigit(lx.peekc(n)) {
					n++
				}
			}
		}
		switch {
		case lx.peekc(n) == 'Z':
			n++
		case (lx.peekc(n) == '+' || lx.peekc(n) == '-') && pat(n+1, "dd:dd"):
			n += 6
		case (lx.peekc(n) == '+' || lx.peekc(n) == '-') && pat(n+1, "dddd"):
			n += 5
		}
	}
	for range n {
		lx.advance()
	}
	return true
}

// str reads a quoted string. Double- and single-quoted strings take backslash escapes and
// may span lines; """...""" is raw text up to the closing """.
func (lx *lexer) str(t *token, q rune) {
	t.kind = tString
	if q == '"' && lx.hasPrefix(`"""`) {
		t.triple = true
		for range 3 {
			lx.advance()
		}
		start := lx.i
		for lx.i < len(lx.src) && !lx.hasPrefix(`"""`) {
			lx.advance()
		}
		t.text = string(lx.src[start:lx.i])
		if lx.i >= len(lx.src) {
			t.err = `unterminated string: expected closing """, found end of file`
			return
		}
		for range 3 {
			lx.advance()
		}
		return
	}
	lx.advance()
	var b strings.Builder
	for {
		if lx.i >= len(lx.src) {
			t.err = "unterminated string: expected closing " + string(q) + ", found end of file"
			t.text = b.String()
			return
		}
		r := lx.advance()
		if r == q {
			break
		}
		if r != '\\' || lx.i >= len(lx.src) {
			b.WriteRune(r)
			continue
		}
		e := lx.advance()
		switch e {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case '"', '\'', '\\', '/', '`':
			b.WriteRune(e)
		case 'u':
			if v, ok := lx.hex4(); ok {
				b.WriteRune(rune(v))
			} else {
				b.WriteString(`\u`)
			}
		default:
			// Unknown escapes stay as written, as regular expressions expect ("\d").
			b.WriteByte('\\')
			b.WriteRune(e)
		}
	}
	t.text = b.String()
}

func (lx *lexer) hex4() (int, bool) {
	v := 0
	for k := range 4 {
		r := lx.peekc(k)
		switch {
		case r >= '0' && r <= '9':
			v = v*16 + int(r-'0')
		case r >= 'a' && r <= 'f':
			v = v*16 + int(r-'a'+10)
		case r >= 'A' && r <= 'F':
			v = v*16 + int(r-'A'+10)
		default:
			return 0, false
		}
	}
	for range 4 {
		lx.advance()
	}
	return v, true
}

// backtick reads `expr` or ```expr```; the parser parses the content as an expression.
func (lx *lexer) backtick(t *token) {
	t.kind = tBacktick
	delim := "`"
	if lx.hasPrefix("```") {
		delim = "```"
		t.triple = true
	}
	for range len(delim) {
		lx.advance()
	}
	start := lx.i
	for lx.i < len(lx.src) && !lx.hasPrefix(delim) {
		lx.advance()
	}
	t.text = string(lx.src[start:lx.i])
	if lx.i >= len(lx.src) {
		t.err = "unterminated expression: expected closing " + delim + ", found end of file"
		return
	}
	for range len(delim) {
		lx.advance()
	}
}

// raw reads a stretch of source that ordinary tokens cannot describe: from the current
// position up to the next blank (quotes may hold blanks), or an unmatched "}". It returns
// the runes and where they start.
func (lx *lexer) raw() (text []rune, line, col int) {
	for lx.i < len(lx.src) && (lx.src[lx.i] == ' ' || lx.src[lx.i] == '\t') {
		lx.advance()
	}
	line, col = lx.line, lx.col
	start := lx.i
	depth := 0
	var quote rune
	for lx.i < len(lx.src) {
		r := lx.src[lx.i]
		if quote != 0 {
			if r == '\n' {
				break // an unclosed quote ends with its line
			}
			if r == '\\' && lx.i+1 < len(lx.src) && lx.src[lx.i+1] != '\n' {
				lx.advance()
			} else if r == quote {
				quote = 0
			}
			lx.advance()
			continue
		}
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			break
		}
		if r == '}' && depth == 0 {
			break
		}
		switch r {
		case '"', '\'':
			quote = r
		case '{':
			depth++
		case '}':
			depth--
		}
		lx.advance()
	}
	lx.lastE = lx.i
	return lx.src[start:lx.i], line, col
}
