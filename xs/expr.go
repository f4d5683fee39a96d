package xs

// Expression grammar, loosest first:
//
//	ternary   c ? a : b
//	??
//	||
//	&&
//	compare   == != === !== ==? !=? >? >=? <? <=? > >= < <= in, not in, includes, contains,
//	          overlaps, like, ilike (each word also with "not"), @>, !~
//	add       + - ~
//	mul       * / %
//	unary     ! -
//	filter    x|name:arg:arg  (binds tighter than every operator)
//	postfix   x.name  x.0  x[expr]
//	primary   literal, $var, word, (expr), {object}, [array], `expr`, name(args)
//
// A filter argument is a primary with its postfix (and an optional leading "-" or "!"),
// except that an argument starting with $$ is a lambda: it extends over binary operators
// ($arr|find:$$.id == 5) and ends at the next ":" (the next argument), "|" (the next
// filter), or anything else that is not a binary operator. Inside a lambda, filters need
// parentheses: map:($$|to_upper).
//
// Every expression's Pos is where its text begins.

var binPrec = map[string]int{
	"??": 1,
	"||": 2,
	"&&": 3,
	"==": 4, "!=": 4, "===": 4, "!==": 4, "==?": 4, "!=?": 4, ">?": 4, ">=?": 4, "<?": 4, "<=?": 4,
	">": 4, ">=": 4, "<": 4, "<=": 4, "@>": 4, "!~": 4,
	"+": 5, "-": 5, "~": 5,
	"*": 6, "/": 6, "%": 6,
}

// wordOps are comparison operators written as words; each may follow "not".
var wordOps = map[string]bool{"in": true, "includes": true, "contains": true, "overlaps": true, "like": true, "ilike": true}

const cmpPrec = 4

// expr reads a whole expression.
func (p *parser) expr() Expr {
	x := p.binary(1, false)
	if p.bad {
		return x
	}
	if nl, ok := p.continues("?"); ok {
		if nl {
			p.next()
		}
		p.next()
		p.skipNL()
		then := p.expr()
		if p.bad {
			return &Ternary{Pos: x.Position(), Cond: x, Then: then}
		}
		if nl, ok := p.continues(":"); ok && nl {
			p.next()
		}
		p.expectOp(":")
		var els Expr
		if !p.bad {
			p.skipNL()
			els = p.expr()
		}
		return &Ternary{Pos: x.Position(), Cond: x, Then: then, Else: els}
	}
	return x
}

// continues reports whether the next token is op, either right here or at the start of
// the next line (an expression may go on over a line end when the next line starts with
// an operator).
func (p *parser) continues(op string) (nl, ok bool) {
	t := p.peek()
	if isOp(t, op) {
		return false, true
	}
	if t.kind == tNewline && p.nlSkip == 0 && op != "-" && isOp(p.peekAt(1), op) {
		return true, true
	}
	return false, false
}

// binop looks at the next binary operator: its text, precedence (0 if there is none), the
// number of tokens it takes, and whether a line end comes before it.
func (p *parser) binop() (op string, prec, ntok int, nl bool) {
	t := p.peek()
	if t.kind == tNewline && p.nlSkip == 0 {
		u := p.peekAt(1)
		if u.kind != tOp || u.text == "-" || binPrec[u.text] == 0 {
			return "", 0, 0, false
		}
		t, nl = u, true
	}
	switch t.kind {
	case tOp:
		return t.text, binPrec[t.text], 1, nl
	case tIdent:
		k := 0
		if nl {
			k = 1
		}
		if wordOps[t.text] {
			return t.text, cmpPrec, 1, nl
		}
		if u := p.peekAt(k + 1); t.text == "not" && u.kind == tIdent && wordOps[u.text] {
			return "not " + u.text, cmpPrec, 2, nl
		}
	}
	return "", 0, 0, false
}

// binary reads operands joined by operators of precedence minPrec or tighter. In a lambda
// filter argument, operands take no filters.
func (p *parser) binary(minPrec int, lambda bool) Expr {
	x := p.unary(lambda)
	for !p.bad {
		op, prec, ntok, nl := p.binop()
		if prec == 0 || prec < minPrec {
			return x
		}
		if nl {
			p.next()
		}
		for range ntok {
			p.next()
		}
		p.skipNL() // an operator at the end of a line continues on the next
		y := p.binary(prec+1, lambda)
		x = &Binary{Pos: x.Position(), Op: op, X: x, Y: y}
	}
	return x
}

func (p *parser) unary(lambda bool) Expr {
	t := p.peek()
	if !p.enter() {
		p.leave()
		return &Lit{Pos: p.pos(t)}
	}
	defer p.leave()
	switch {
	case isOp(t, "!"):
		p.next()
		return &Unary{Pos: p.pos(t), Op: "!", X: p.unary(lambda)}
	case isOp(t, "-"):
		p.next()
		x := p.unary(lambda)
		if l, ok := x.(*Lit); ok {
			switch v := l.Value.(type) {
			case int64:
				return &Lit{Pos: p.pos(t), Value: -v}
			case float64:
				return &Lit{Pos: p.pos(t), Value: -v}
			}
		}
		return &Unary{Pos: p.pos(t), Op: "-", X: x}
	}
	if lambda {
		return p.postfix()
	}
	return p.filtered()
}

// filtered reads a postfix expression and the filters applied to it.
func (p *parser) filtered() Expr {
	x := p.postfix()
	for !p.bad {
		nl, ok := p.continues("|")
		if !ok {
			return x
		}
		if nl {
			p.next()
		}
		p.next() // |
		fc := p.filterCall()
		if fc == nil {
			return x
		}
		x = &Filter{Pos: x.Position(), X: x, Call: fc}
	}
	return x
}

// filterCall reads a filter's name and its arguments, just after the "|"; nil (and an
// error reported) when no name follows.
func (p *parser) filterCall() *FilterCall {
	nt := p.peek()
	if nt.kind != tIdent {
		p.expected(nt, "a filter name after |")
		return nil
	}
	p.next()
	fc := &FilterCall{Pos: p.pos(nt), Name: nt.text}
	for !p.bad {
		c := p.peek()
		if !isOp(c, ":") || !p.adjacent(c) {
			break
		}
		p.next()
		fc.Args = append(fc.Args, p.filterArg())
	}
	return fc
}

// filterArg reads one filter argument: a primary, or a lambda when it starts with $$.
func (p *parser) filterArg() Expr {
	t := p.peek()
	if t.kind == tVar && t.text == "$" {
		return p.binary(1, true)
	}
	return p.unary(true)
}

// postfix reads a primary and the member and index accesses after it.
func (p *parser) postfix() Expr {
	x := p.primary()
	for !p.bad {
		t := p.peek()
		switch {
		case isOp(t, "."):
			p.next()
			u := p.peek()
			var name string
			switch u.kind {
			case tIdent, tInt:
				name = u.text
			case tVar:
				name = "$" + u.text
			default:
				p.expected(u, "a member name after .")
				return x
			}
			p.next()
			if m, ok := x.(*Member); ok && m.Name == "$http_headers" {
				// Header names hold hyphens: $env.$http_headers.X-Request-Id
				for {
					h, w := p.peekAt(0), p.peekAt(1)
					if !isOp(h, "-") || !p.adjacent(h) || w.off != h.end || w.kind != tIdent && w.kind != tInt {
						break
					}
					p.next()
					p.next()
					name += "-" + w.text
				}
			}
			x = &Member{Pos: x.Position(), X: x, Name: name}
		case isOp(t, "[") && p.adjacent(t):
			p.next()
			p.nlSkip++
			idx := p.expr()
			if !p.bad {
				p.expectOp("]")
			}
			p.nlSkip--
			x = &Index{Pos: x.Position(), X: x, Index: idx}
		default:
			return x
		}
	}
	return x
}

// rootVars keep their "$" in Var.Name; stack variables do not.
var rootVars = map[string]bool{"input": true, "var": true, "auth": true, "env": true, "db": true, "$": true}

func varName(s string) string {
	if rootVars[s] || len(s) == 1 && isDigit(rune(s[0])) {
		return "$" + s
	}
	return s
}

func (p *parser) primary() Expr {
	t := p.peek()
	pos := p.pos(t)
	switch t.kind {
	case tInt:
		p.next()
		return &Lit{Pos: pos, Value: t.ival}
	case tFloat:
		p.next()
		return &Lit{Pos: pos, Value: t.fval}
	case tString:
		p.next()
		return &Lit{Pos: pos, Value: t.text}
	case tDate:
		p.next()
		return &Ident{Pos: pos, Name: t.text}
	case tVar:
		p.next()
		return &Var{Pos: pos, Name: varName(t.text)}
	case tBacktick:
		tok := p.next()
		return p.sub(&tok)
	case tIdent:
		switch t.text {
		case "true", "false":
			p.next()
			return &Lit{Pos: pos, Value: t.text == "true"}
		case "null":
			p.next()
			return &Lit{Pos: pos}
		}
		name := p.dotted()
		if c := p.peek(); isOp(c, "(") && p.adjacent(c) {
			return p.call(pos, name)
		}
		return &Ident{Pos: pos, Name: name}
	case tOp:
		switch t.text {
		case "(":
			p.next()
			p.nlSkip++
			x := p.expr()
			if !p.bad {
				p.expectOp(")")
			}
			p.nlSkip--
			return &Paren{Pos: pos, X: x}
		case "{":
			return p.object()
		case "[":
			return p.array()
		}
	}
	p.expected(t, "an expression")
	return &Lit{Pos: pos}
}

// call reads the arguments of name(a, b).
func (p *parser) call(pos Pos, name string) Expr {
	p.next() // (
	p.nlSkip++
	defer func() { p.nlSkip-- }()
	c := &Call{Pos: pos, Name: name}
	for !p.bad && !p.at(")") {
		c.Args = append(c.Args, p.expr())
		if p.bad || !p.at(",") {
			break
		}
		p.next()
	}
	if !p.bad {
		p.expectOp(")")
	}
	return c
}

// object reads {key: value, ...}; members are separated by commas, line ends, or both.
func (p *parser) object() Expr {
	open := p.next()
	o := &ObjectLit{Pos: p.pos(&open)}
	saved := p.nlSkip
	p.nlSkip = 0
	defer func() { p.nlSkip = saved }()
	for !p.bad {
		p.skipNL()
		t := p.peek()
		if isOp(t, "}") {
			p.next()
			return o
		}
		var key string
		switch t.kind {
		case tIdent:
			key = p.dotted()
		case tString, tInt, tFloat:
			p.next()
			key = t.text
		default:
			p.expected(t, `an object key or "}"`)
			return o
		}
		p.skipNL()
		if !p.expectOp(":") {
			return o
		}
		p.skipNL()
		o.Keys = append(o.Keys, key)
		o.Values = append(o.Values, p.expr())
		if p.bad {
			return o
		}
		p.skipNL()
		if p.at(",") {
			p.next()
		} else if t := p.peek(); !isOp(t, "}") && t.kind != tIdent && t.kind != tString && t.kind != tInt {
			p.expected(t, `"," or "}"`)
		}
	}
	return o
}

// array reads [a, b, ...]; elements are separated by commas, line ends, or both.
func (p *parser) array() Expr {
	open := p.next()
	a := &ArrayLit{Pos: p.pos(&open)}
	saved := p.nlSkip
	p.nlSkip = 0
	defer func() { p.nlSkip = saved }()
	for !p.bad {
		p.skipNL()
		if p.at("]") {
			p.next()
			return a
		}
		a.Elems = append(a.Elems, p.expr())
		if p.bad {
			return a
		}
		sawNL := p.peek().kind == tNewline
		p.skipNL()
		switch {
		case p.at(","):
			p.next()
		case p.at("]"):
		case !sawNL:
			p.expected(p.peek(), `"," or "]"`)
		}
	}
	return a
}

// sub parses the content of a backtick block as an expression.
func (p *parser) sub(t *token) Expr {
	line, col := t.line, t.col+1
	if t.triple {
		col = t.col + 3
	}
	sp := &parser{file: p.file, lx: newLexer([]rune(t.text), line, col), nest: p.nest, nlSkip: 1}
	x := sp.expr()
	if end := sp.peek(); !sp.bad && end.kind != tEOF {
		sp.expected(end, "end of the backtick expression")
	}
	if len(sp.diags) > 0 && !p.bad {
		p.diags = append(p.diags, sp.diags[0])
		p.bad = true
	}
	return x
}
