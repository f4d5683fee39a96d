package xs

import (
	"fmt"
	"strconv"
	"strings"
)

// maxNest bounds how deeply blocks and expressions may nest, so that hostile input cannot
// exhaust the stack.
const maxNest = 500

// Parse reads one .xs file. It returns the objects it could read and every syntax error,
// each as "expected X, found Y" with the line and column (in characters) where it was found.
// It never panics: a file that is not XanoScript yields diagnostics, not a crash.
func Parse(path string, src []byte) (f *File, diags []Diagnostic) {
	f = &File{Path: path}
	p := &parser{file: path, lx: newLexer([]rune(string(src)), 1, 1)}
	defer func() {
		if r := recover(); r != nil {
			// A bug in the parser must not take the server down; report it as a diagnostic.
			diags = append(p.diags, Diagnostic{Pos: Pos{File: path, Line: 1, Col: 1}, Severity: Error,
				Message: fmt.Sprintf("internal parser error: %v", r)})
		}
	}()
	p.file0(f)
	return f, p.diags
}

type parser struct {
	file   string
	lx     *lexer
	buf    []token // look-ahead: buf[head:] are read but not consumed
	head   int
	prev   token // the last token consumed
	diags  []Diagnostic
	bad    bool // an error was reported in the current statement; further ones are echoes
	nlSkip int  // > 0 inside ( ) and [ ] of expressions, where line ends mean nothing
	nest   int
}

// peekAt returns the k-th token ahead (0 is the next one), skipping line ends when they
// are insignificant.
func (p *parser) peekAt(k int) *token {
	if p.nlSkip == 0 {
		for p.head+k >= len(p.buf) {
			p.fill()
		}
		return &p.buf[p.head+k]
	}
	n := 0
	for i := p.head; ; i++ {
		for i >= len(p.buf) {
			i -= p.head
			p.fill()
			i += p.head
		}
		t := &p.buf[i]
		if p.nlSkip > 0 && t.kind == tNewline {
			continue
		}
		if n == k {
			return t
		}
		n++
	}
}

func (p *parser) peek() *token { return p.peekAt(0) }

// fill reads one more token into the look-ahead. Callers hold pointers into buf, so a slot
// once filled is never written again: when the array is full, the unread tokens move to
// a new one and the old array stays as it was.
func (p *parser) fill() {
	if len(p.buf) == cap(p.buf) {
		n := len(p.buf) - p.head
		nb := make([]token, n, max(64, 2*n))
		copy(nb, p.buf[p.head:])
		p.buf, p.head = nb, 0
	}
	p.buf = append(p.buf, p.lx.next())
}

// next consumes and returns the next token, reporting it if the lexer found it malformed.
func (p *parser) next() token {
	for {
		if p.head == len(p.buf) {
			p.fill()
		}
		t := p.buf[p.head]
		p.head++
		if p.nlSkip > 0 && t.kind == tNewline {
			continue
		}
		if t.err != "" {
			p.errAt(t.line, t.col, t.err)
		}
		p.prev = t
		return t
	}
}

// resetAfter forgets the look-ahead and moves the lexer to just after the last consumed
// token, so that what follows can be read raw.
func (p *parser) resetAfter() {
	p.buf, p.head = nil, 0
	p.lx.reset(&p.prev)
}

func (p *parser) pos(t *token) Pos { return Pos{File: p.file, Line: t.line, Col: t.col} }

func (p *parser) errAt(line, col int, msg string) {
	if p.bad {
		return
	}
	p.bad = true
	if n := len(p.diags); n > 0 && p.diags[n-1].Pos.Line == line && p.diags[n-1].Pos.Col == col {
		return // the same place, reported again by an enclosing block
	}
	p.diags = append(p.diags, Diagnostic{Pos: Pos{File: p.file, Line: line, Col: col}, Severity: Error, Message: msg})
}

// expected reports "expected what, found <t>".
func (p *parser) expected(t *token, what string) {
	if t.err != "" {
		// The token itself is malformed; say that rather than what was expected.
		p.errAt(t.line, t.col, t.err)
		return
	}
	p.errAt(t.line, t.col, "expected "+what+", found "+describe(t))
}

func describe(t *token) string {
	switch t.kind {
	case tEOF:
		return "end of file"
	case tNewline:
		return "end of line"
	case tIdent:
		return strconv.Quote(t.text)
	case tVar:
		return "$" + t.text
	case tInt, tFloat:
		return "number " + t.text
	case tDate:
		return "timestamp " + t.text
	case tString:
		s := t.text
		if r := []rune(s); len(r) > 20 {
			s = string(r[:20]) + "..."
		}
		return "string " + strconv.Quote(s)
	case tBacktick:
		return "backtick expression"
	}
	return strconv.Quote(t.text)
}

func isOp(t *token, op string) bool { return t.kind == tOp && t.text == op }

func (p *parser) at(op string) bool { return isOp(p.peek(), op) }

func (p *parser) expectOp(op string) bool {
	if p.at(op) {
		p.next()
		return true
	}
	p.expected(p.peek(), strconv.Quote(op))
	return false
}

// adjacent reports whether t starts right where the previous consumed token ended.
func (p *parser) adjacent(t *token) bool { return t.off == p.prev.end }

func (p *parser) skipNL() {
	for p.peek().kind == tNewline {
		p.next()
	}
}

// sync skips the rest of a statement after an error: up to the next line end at nesting
// depth d, or the "}" that closes depth d, whichever comes first.
func (p *parser) sync(d int) {
	for {
		t := p.peek()
		switch {
		case t.kind == tEOF:
			return
		case t.kind == tNewline && t.depth <= d:
			return
		case t.depth < d:
			return
		}
		p.next()
	}
}

func (p *parser) enter() bool {
	p.nest++
	if p.nest > maxNest {
		p.errAt(p.peek().line, p.peek().col, "nesting too deep")
		return false
	}
	return true
}

func (p *parser) leave() { p.nest-- }

// file0 reads the top level: objects, one after another.
func (p *parser) file0(f *File) {
	for {
		p.bad = false
		t := p.peek()
		switch {
		case t.kind == tEOF:
			return
		case t.kind == tNewline || isOp(t, ";"):
			p.next()
			continue
		case p.docSeparator():
			// "---" on its own line separates the objects of a multi-document file (how
			// Xano writes a run bundle: a run.job, then its functions and tables).
			p.next()
			p.next()
			p.next()
			continue
		}
		disabled := false
		if isOp(t, "!") {
			p.next()
			disabled = true
			t = p.peek()
		}
		if t.kind != tIdent {
			p.expected(t, "an object such as query, function or table")
			p.next()
			p.sync(0)
			continue
		}
		if n := p.dottedLen(0); isOp(p.peekAt(n), "=") {
			p.expected(t, "an object such as query, function or table")
			p.sync(0)
			continue
		}
		n := p.node()
		n.Disabled = disabled
		f.Objects = append(f.Objects, n)
		if p.bad {
			p.sync(0)
			continue
		}
		p.separator(n)
	}
}

// docSeparator reports whether the next tokens are "---" at the start of a line, alone on it.
func (p *parser) docSeparator() bool {
	a := p.peekAt(0)
	if !isOp(a, "-") || a.col != 1 {
		return false
	}
	b, c, d := p.peekAt(1), p.peekAt(2), p.peekAt(3)
	return isOp(b, "-") && isOp(c, "-") && b.off == a.end && c.off == b.end &&
		(d.kind == tNewline || d.kind == tEOF)
}

// separator checks what follows a statement: a line end, a closing brace, or (after a
// block or a break) anything.
func (p *parser) separator(n *Node) {
	t := p.peek()
	if t.kind == tNewline || t.kind == tEOF || isOp(t, "}") || isOp(t, ";") || isOp(t, ",") {
		return
	}
	if n != nil && (n.Body != nil || breakLike[n.Keyword]) {
		return
	}
	p.expected(t, "end of line")
	p.sync(t.depth)
}

var breakLike = map[string]bool{"break": true, "continue": true, "foreach_break": true, "foreach_continue": true}

// dottedLen returns how many tokens from the k-th on form one dotted word (db.add is 3),
// or 0 if the k-th token is not a word.
func (p *parser) dottedLen(k int) int {
	if p.peekAt(k).kind != tIdent {
		return 0
	}
	n := 1
	for n < maxDotted {
		dot, w := p.peekAt(k+n), p.peekAt(k+n+1)
		prev := p.peekAt(k + n - 1)
		if !isOp(dot, ".") || dot.off != prev.end || w.kind != tIdent || w.off != dot.end {
			return n
		}
		n += 2
	}
	return n
}

// maxDotted bounds the tokens of one dotted word (a.b.c is 5), so that look-ahead stays
// cheap on hostile input.
const maxDotted = 63

// dotted consumes a dotted word.
func (p *parser) dotted() string {
	n := p.dottedLen(0)
	var b strings.Builder
	for range n {
		b.WriteString(p.next().text)
	}
	return b.String()
}

// block reads "{ ... }"; fields says it is the body of input or schema, where lines
// declare typed fields.
func (p *parser) block(fields bool) *Block {
	open := p.next()
	b := &Block{Pos: p.pos(&open)}
	d := open.dAfter
	saved := p.nlSkip
	p.nlSkip = 0
	defer func() { p.nlSkip = saved }()
	if !p.enter() {
		p.leave()
		p.sync(d - 1)
		return b
	}
	defer p.leave()
	for {
		p.bad = false
		t := p.peek()
		switch {
		case t.kind == tNewline || isOp(t, ";") || isOp(t, ","):
			p.next()
			continue
		case isOp(t, "}"):
			c := p.next()
			b.End = p.pos(&c)
			return b
		case t.kind == tEOF:
			p.expected(t, `"}"`)
			b.End = p.pos(t)
			return b
		}
		n := p.item(b, fields)
		if p.bad {
			p.sync(d)
			continue
		}
		if n == nil {
			// An attribute: another may follow on the same line.
			if t := p.peek(); t.kind == tIdent && isOp(p.peekAt(p.dottedLen(0)), "=") ||
				isOp(t, "!") && p.peekAt(1).kind == tIdent {
				continue
			}
		}
		p.separator(n)
	}
}

// item reads one attribute (added to b, returns nil) or one nested node (returned).
func (p *parser) item(b *Block, fields bool) *Node {
	disabled := false
	if p.at("!") {
		p.next()
		disabled = true
	}
	t := p.peek()
	if t.kind != tIdent {
		if fields {
			p.expected(t, "a field declaration such as `text name`")
		} else {
			p.expected(t, "a statement or attribute")
		}
		return nil
	}
	if n := p.dottedLen(0); isOp(p.peekAt(n), "=") {
		a := &Attr{Pos: p.pos(t), Disabled: disabled}
		a.Key = p.dotted()
		p.next() // =
		a.Value = p.expr()
		b.Attrs = append(b.Attrs, a)
		return nil
	}
	var n *Node
	if u := p.peekAt(1); fields && p.dottedLen(0) == 1 &&
		(u.kind == tNewline || u.kind == tEOF || isOp(u, "}")) {
		p.next()
		p.expected(u, "a field name")
		return nil
	}
	if fields && p.isFieldDecl() {
		n = p.field()
	} else {
		n = p.node()
	}
	n.Disabled = disabled
	b.Nodes = append(b.Nodes, n)
	return n
}

// isFieldDecl reports whether the next tokens start "type[?][[..]] name".
func (p *parser) isFieldDecl() bool {
	if p.dottedLen(0) != 1 {
		return false
	}
	t, u := p.peekAt(0), p.peekAt(1)
	switch {
	case (isOp(u, "?") || isOp(u, "[")) && u.off == t.end:
		return true
	case u.kind == tIdent || u.kind == tString:
		return true
	}
	return false
}

// node reads "keyword [name] [key=value ...] [(cond)] [as $x] [{ body }] [as $x]".
func (p *parser) node() *Node {
	kw := p.peek()
	n := &Node{Pos: p.pos(kw)}
	n.Keyword = p.dotted()
	p.name(n)
	p.inline(n)
	if p.bad {
		return n
	}
	if p.at("(") {
		p.cond(n)
		if p.bad {
			return n
		}
	}
	p.ifClause(n)
	if p.bad {
		return n
	}
	p.as(n)
	if p.at("{") {
		n.Body = p.block(n.Keyword == "input" || n.Keyword == "schema")
		if p.bad {
			return n
		}
		// "as $x" may follow the body, on the same line or the next.
		if t := p.peek(); t.kind == tNewline && p.asClauseAt(1) {
			p.next()
		}
		// After a body the word can only be the clause: a name comes before the body.
		if isAs(p.peek()) {
			p.asClause(n)
		}
	}
	return n
}

func isAs(t *token) bool { return t.kind == tIdent && t.text == "as" }

// asClauseAt reports whether the k-th token ahead starts an "as $x" clause rather than
// being the word "as" used as a name. Keywords are valid names wherever a name is
// expected (Xano exports `api_group as { ... }`), so the word is the keyword only when
// what follows can continue a clause: a variable, or a word or string that is not the
// key of an inline attribute (`each as item` is a clause missing its "$", reported
// as such, while `query as verb=GET` is a query named "as").
func (p *parser) asClauseAt(k int) bool {
	if !isAs(p.peekAt(k)) {
		return false
	}
	switch u := p.peekAt(k + 1); u.kind {
	case tVar:
		return true
	case tIdent, tString, tInt:
		if isAs(u) && p.peekAt(k+2).kind == tVar {
			return false // `function.run as as $r`: the first is the name
		}
		return !isOp(p.peekAt(k+2), "=")
	}
	return false
}

// ifClause reads the condition of the array statements, `array.find $list if ($this > 1)`
// (or `array.find ($list) if (...)`), as the inline attribute "if".
func (p *parser) ifClause(n *Node) {
	t := p.peek()
	if t.kind != tIdent || t.text != "if" || !isOp(p.peekAt(1), "(") {
		return
	}
	pos := p.pos(t)
	p.next()
	p.next()
	p.nlSkip++
	e := p.expr()
	p.nlSkip--
	if !p.bad {
		p.expectOp(")")
	}
	n.Inline = append(n.Inline, &Attr{Pos: pos, Key: "if", Value: e})
}

// as reads an "as $x" clause when one starts here.
func (p *parser) as(n *Node) {
	if p.asClauseAt(0) {
		p.asClause(n)
	}
}

// asClause reads "as $x[, $i][|filter...]", the next token being "as".
func (p *parser) asClause(n *Node) {
	if n.As != "" {
		return
	}
	p.next()
	v := p.peek()
	if v.kind != tVar {
		p.expected(v, "a variable after as")
		return
	}
	p.next()
	n.As, n.AsPos = v.text, p.pos(v)
	if c, w := p.peekAt(0), p.peekAt(1); isOp(c, ",") && w.kind == tVar {
		// each as $item, $index
		p.next()
		p.next()
		n.AsIndex, n.AsIndexPos = w.text, p.pos(w)
	}
	// Filters after the variable (`as $i|add:1`, as Xano exports write them) apply to the
	// statement's result before it is stored.
	for !p.bad && p.at("|") {
		p.next()
		fc := p.filterCall()
		if fc == nil {
			return
		}
		n.AsFilters = append(n.AsFilters, fc)
	}
}

// name reads the optional name after a keyword: a string, a $variable (with members, as in
// var.update $x.y), or a bare word (paths such as users/{id} included).
func (p *parser) name(n *Node) {
	if breakLike[n.Keyword] {
		return
	}
	t := p.peek()
	switch t.kind {
	case tString:
		p.next()
		n.Name, n.NamePos, n.Quoted = t.text, p.pos(t), true
	case tVar:
		p.next()
		n.NamePos = p.pos(t)
		var b strings.Builder
		b.WriteString("$" + t.text)
		for {
			dot, w := p.peekAt(0), p.peekAt(1)
			if !isOp(dot, ".") || !p.adjacent(dot) || w.off != dot.end || (w.kind != tIdent && w.kind != tInt) {
				break
			}
			p.next()
			p.next()
			b.WriteString("." + w.text)
		}
		n.Name = b.String()
	case tIdent, tInt:
		if p.asClauseAt(0) || isOp(p.peekAt(1), "=") {
			return
		}
		p.next()
		n.NamePos = p.pos(t)
		var b strings.Builder
		b.WriteString(t.text)
		for {
			u := p.peek()
			if !p.adjacent(u) {
				break
			}
			switch {
			case u.kind == tIdent || u.kind == tInt:
			case u.kind == tOp && strings.Contains("/-.:*@", u.text) && u.text != "":
			case isOp(u, "{") && p.peekAt(1).kind == tIdent && isOp(p.peekAt(2), "}") &&
				p.peekAt(1).off == u.end && p.peekAt(2).off == p.peekAt(1).end:
				// a path parameter in an unquoted path: users/{id}
				p.next()
				id := p.next()
				p.next()
				b.WriteString("{" + id.text + "}")
				continue
			default:
				n.Name = b.String()
				return
			}
			p.next()
			b.WriteString(u.text)
		}
		n.Name = b.String()
	}
}

// inline reads key=value attributes on the header line.
func (p *parser) inline(n *Node) {
	for !p.bad {
		t := p.peek()
		if t.kind != tIdent || !isOp(p.peekAt(1), "=") {
			return
		}
		p.next()
		p.next()
		n.Inline = append(n.Inline, &Attr{Pos: p.pos(t), Key: t.text, Value: p.expr()})
	}
}

// cond reads "(expr)" or "(expr as $x)".
func (p *parser) cond(n *Node) {
	p.next()
	p.nlSkip++
	defer func() { p.nlSkip-- }()
	n.Cond = p.expr()
	if !p.bad && p.asClauseAt(0) {
		p.as(n)
	}
	if !p.bad {
		p.expectOp(")")
	}
}

// field reads a field declaration inside input or schema:
//
//	type[?][[min:max]][?] name[?][=default] [filters=a|b:1] [key=value] [{ body }]
func (p *parser) field() *Node {
	tt := p.next()
	n := &Node{Pos: p.pos(&tt), Keyword: tt.text}
	fd := &FieldDecl{Type: tt.text, ArrayMax: -1}
	n.Field = fd
	if t := p.peek(); isOp(t, "?") && p.adjacent(t) {
		p.next()
		fd.Nullable = true
	}
	if t := p.peek(); isOp(t, "[") && p.adjacent(t) {
		p.next()
		p.arrayRange(fd)
		if p.bad {
			return n
		}
	}
	if t := p.peek(); isOp(t, "?") && p.adjacent(t) {
		p.next()
		fd.Nullable = true
	}
	nt := p.peek()
	switch nt.kind {
	case tIdent, tString:
		p.next()
		fd.Name, n.Name, n.NamePos, n.Quoted = nt.text, nt.text, p.pos(nt), nt.kind == tString
	default:
		p.expected(nt, "a field name")
		return n
	}
	if t := p.peek(); isOp(t, "?") && p.adjacent(t) {
		p.next()
		fd.Optional = true
	}
	if t := p.peek(); isOp(t, "=") && p.adjacent(t) {
		p.next()
		fd.Default = p.fieldDefault()
		if p.bad {
			return n
		}
	}
	for !p.bad {
		t := p.peek()
		if t.kind != tIdent || !isOp(p.peekAt(1), "=") {
			break
		}
		p.next()
		p.next()
		if t.text == "filters" {
			fd.Filters = p.rawFilters()
			continue
		}
		n.Inline = append(n.Inline, &Attr{Pos: p.pos(t), Key: t.text, Value: p.expr()})
	}
	if p.bad {
		return n
	}
	if p.at("{") {
		n.Body = p.block(false)
	}
	return n
}

// arrayRange reads the inside of "[]", "[1:]", "[1:10]" or "[:10]" after a field type.
func (p *parser) arrayRange(fd *FieldDecl) {
	fd.Array = true
	num := func() (int, bool) {
		t := p.peek()
		if t.kind != tInt {
			return 0, false
		}
		p.next()
		return int(t.ival), true
	}
	lo, hasLo := num()
	fd.ArrayMin = lo
	if p.at(":") {
		p.next()
		if hi, ok := num(); ok {
			fd.ArrayMax = hi
		}
	} else if hasLo {
		fd.ArrayMax = lo
	}
	p.expectOp("]")
}

// fieldDefault reads the value after "name?=": a literal, an object or array, or an
// unquoted word (US, now, America/New_York), which becomes an *Ident.
func (p *parser) fieldDefault() Expr {
	t := p.peek()
	if t.kind != tIdent {
		return p.unary(false)
	}
	switch t.text {
	case "true", "false", "null":
		return p.unary(false)
	}
	p.resetAfter()
	raw, line, col := p.lx.raw()
	word := strings.TrimRight(string(raw), ",")
	return &Ident{Pos: Pos{File: p.file, Line: line, Col: col}, Name: word}
}

// rawFilters reads the value of filters= as written: trim|lower|min:1|pattern:^\d+$.
// Arguments are literals: quoted text, numbers, true/false/null, or else the bare text.
// The argument of pattern (and regex) runs to the end, since regular expressions hold
// "|" and ":".
func (p *parser) rawFilters() []*FilterCall {
	p.resetAfter()
	raw, line, col := p.lx.raw()
	if len(raw) == 0 {
		p.expected(p.peek(), "a filter name after filters=")
		return nil
	}
	// Quoted arguments may hold line ends, so work out each rune's line and column once.
	lines, cols := make([]int, len(raw)+1), make([]int, len(raw)+1)
	l, c := line, col
	for k, r := range raw {
		lines[k], cols[k] = l, c
		if r == '\n' {
			l, c = l+1, 1
		} else {
			c++
		}
	}
	lines[len(raw)], cols[len(raw)] = l, c
	posAt := func(i int) Pos { return Pos{File: p.file, Line: lines[i], Col: cols[i]} }
	var out []*FilterCall
	i := 0
	// part reads up to one of stops (outside quotes) and returns [start, end).
	part := func(stops string) (int, int) {
		start := i
		var q rune
		for i < len(raw) {
			r := raw[i]
			if q != 0 {
				if r == '\\' {
					i++
				} else if r == q {
					q = 0
				}
				i++
				continue
			}
			if r == '"' || r == '\'' {
				q = r
			} else if strings.ContainsRune(stops, r) {
				break
			}
			i++
		}
		if i > len(raw) {
			i = len(raw)
		}
		return start, i
	}
	for i <= len(raw) {
		s, e := part("|:")
		name := string(raw[s:e])
		if name == "" {
			p.errAt(posAt(s).Line, posAt(s).Col, "expected a filter name in filters=, found "+describeRaw(raw, s))
			return out
		}
		fc := &FilterCall{Pos: posAt(s), Name: name}
		out = append(out, fc)
		for i < len(raw) && raw[i] == ':' {
			i++
			var as, ae int
			if name == "pattern" || name == "regex" {
				as, ae = i, len(raw)
				i = len(raw)
			} else {
				as, ae = part("|:")
			}
			arg := string(raw[as:ae])
			if arg != "" && (arg[0] == '"' || arg[0] == '\'') && (len(arg) < 2 || arg[len(arg)-1] != arg[0]) {
				p.errAt(lines[as], cols[as], "unterminated string: expected closing "+arg[:1]+", found end of filters")
				return out
			}
			fc.Args = append(fc.Args, rawLit(arg, posAt(as)))
		}
		if i >= len(raw) {
			break
		}
		i++ // "|"
		if i >= len(raw) {
			p.errAt(posAt(i).Line, posAt(i).Col, "expected a filter name after |, found end of filters")
			break
		}
	}
	return out
}

func describeRaw(raw []rune, i int) string {
	if i >= len(raw) {
		return "end of filters"
	}
	return strconv.Quote(string(raw[i]))
}

// rawLit turns one raw filter argument into a literal.
func rawLit(s string, pos Pos) Expr {
	switch {
	case len(s) >= 2 && (s[0] == '"' && s[len(s)-1] == '"' || s[0] == '\'' && s[len(s)-1] == '\''):
		lx := newLexer([]rune(s), 1, 1)
		t := lx.next()
		if t.kind == tString && t.err == "" {
			return &Lit{Pos: pos, Value: t.text}
		}
		return &Lit{Pos: pos, Value: s[1 : len(s)-1]}
	case s == "true":
		return &Lit{Pos: pos, Value: true}
	case s == "false":
		return &Lit{Pos: pos, Value: false}
	case s == "null":
		return &Lit{Pos: pos, Value: nil}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return &Lit{Pos: pos, Value: n}
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && s != "" && (s[0] == '-' || s[0] == '.' || s[0] >= '0' && s[0] <= '9') {
		return &Lit{Pos: pos, Value: f}
	}
	return &Lit{Pos: pos, Value: s}
}
