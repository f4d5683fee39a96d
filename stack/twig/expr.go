package twig

import (
	"strconv"
	"strings"
	"unicode"
)

// binary operators by precedence (Twig's): higher binds tighter.
var binPrec = map[string]int{
	"or": 10, "and": 15,
	"==": 20, "!=": 20, "<": 20, ">": 20, "<=": 20, ">=": 20, "in": 20, "not in": 20,
	"+": 30, "-": 30, "~": 40, "*": 60, "/": 60, "%": 60,
	"??": 300,
}

// expr reads a whole expression, a ? b : c included.
func (p *parser) expr() expr {
	p.nest++
	if p.nest > maxNest {
		p.fail("expression nests too deeply")
	}
	defer func() { p.nest-- }()
	x := p.binary(0)
	p.skipSpace()
	if p.has("?") && !p.has("??") {
		line, col := p.line, p.col
		p.advance(1)
		a := p.expr()
		p.skipSpace()
		if !p.has(":") {
			p.fail("expected : in a ? b : c, found %s", p.describe())
		}
		p.advance(1)
		b := p.expr()
		return &condExpr{c: x, a: a, b: b, line: line, col: col}
	}
	return x
}

// binop looks at the next binary operator without consuming it: its text and length.
func (p *parser) binop() (string, int) {
	p.skipSpace()
	for _, op := range []string{"??", "==", "!=", "<=", ">=", "<", ">", "+", "-", "~", "*", "/", "%"} {
		if p.has(op) {
			if op == "-" && (p.has("-}}") || p.has("-%}")) || op == "%" && p.has("%}") {
				return "", 0 // the end of the tag
			}
			return op, len(op)
		}
	}
	save := p.i
	w := p.peekWord()
	switch w {
	case "or", "and", "in":
		return w, len(w)
	case "not":
		// "not in"
		j := save + 3
		for j < len(p.src) && unicode.IsSpace(p.src[j]) {
			j++
		}
		if j+2 <= len(p.src) && string(p.src[j:j+2]) == "in" && (j+2 == len(p.src) || !isWordRune(p.src[j+2])) {
			return "not in", j + 2 - save
		}
	}
	return "", 0
}

func (p *parser) peekWord() string {
	j := p.i
	for j < len(p.src) && isWordRune(p.src[j]) {
		j++
	}
	return string(p.src[p.i:j])
}

func isWordRune(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }

func (p *parser) binary(min int) expr {
	x := p.unary()
	for {
		op, n := p.binop()
		prec := binPrec[op]
		if op == "" || prec <= min {
			return x
		}
		line, col := p.line, p.col
		p.advance(n)
		next := prec
		if op == "??" {
			next = prec - 1 // right-associative
		}
		y := p.binary(next)
		x = &binaryExpr{op: op, x: x, y: y, line: line, col: col}
	}
}

func (p *parser) unary() expr {
	p.skipSpace()
	p.nest++
	if p.nest > maxNest {
		p.fail("expression nests too deeply")
	}
	defer func() { p.nest-- }()
	line, col := p.line, p.col
	if p.peekWord() == "not" {
		p.advance(3)
		return &unaryExpr{op: "not", x: p.binary(50), line: line, col: col}
	}
	if p.has("-") || p.has("+") {
		op := string(p.src[p.i])
		p.advance(1)
		return &unaryExpr{op: op, x: p.unary(), line: line, col: col}
	}
	return p.postfix()
}

// postfix reads a primary and the .name, [expr] and |filter after it.
func (p *parser) postfix() expr {
	x := p.primary()
	for {
		switch {
		case p.has("."):
			p.advance(1)
			line, col := p.line, p.col
			name := ""
			if p.i < len(p.src) && unicode.IsDigit(p.src[p.i]) {
				start := p.i
				for p.i < len(p.src) && unicode.IsDigit(p.src[p.i]) {
					p.advance(1)
				}
				name = string(p.src[start:p.i])
			} else {
				name = p.word()
			}
			if name == "" {
				p.fail("expected a name after .")
			}
			x = &attrExpr{x: x, key: &litExpr{v: name}, line: line, col: col}
		case p.has("["):
			line, col := p.line, p.col
			p.advance(1)
			k := p.expr()
			p.skipSpace()
			if !p.has("]") {
				p.fail("expected ], found %s", p.describe())
			}
			p.advance(1)
			x = &attrExpr{x: x, key: k, line: line, col: col}
		default:
			save, sl, sc := p.i, p.line, p.col
			p.skipSpace()
			if !p.has("|") || p.has("||") {
				p.i, p.line, p.col = save, sl, sc
				return x
			}
			p.advance(1)
			p.skipSpace()
			line, col := p.line, p.col
			name := p.word()
			f, ok := filters[name]
			if !ok {
				p.failAt(line, col, "the filter %q is not supported in templates", name)
			}
			fx := &filterExpr{x: x, name: name, f: f, line: line, col: col}
			if p.has("(") {
				fx.args = p.args(")")
			}
			if len(fx.args) < f.min || len(fx.args) > f.max {
				p.failAt(line, col, "the filter %s takes %d to %d arguments, got %d", name, f.min, f.max, len(fx.args))
			}
			x = fx
		}
	}
}

// args reads "(a, b)" (the "(" not yet consumed), "[a, b]" and the like, up to end.
func (p *parser) args(end string) []expr {
	p.advance(1)
	var out []expr
	for {
		p.skipSpace()
		if p.has(end) {
			p.advance(1)
			return out
		}
		out = append(out, p.expr())
		p.skipSpace()
		switch {
		case p.has(","):
			p.advance(1)
		case p.has(end):
		default:
			p.fail("expected , or %s, found %s", end, p.describe())
		}
	}
}

func (p *parser) primary() expr {
	p.skipSpace()
	line, col := p.line, p.col
	if p.i >= len(p.src) {
		p.fail("expected an expression, found end of template")
	}
	c := p.src[p.i]
	switch {
	case c == '(':
		p.advance(1)
		x := p.expr()
		p.skipSpace()
		if !p.has(")") {
			p.fail("expected ), found %s", p.describe())
		}
		p.advance(1)
		return x
	case c == '\'' || c == '"':
		return &litExpr{v: p.str()}
	case unicode.IsDigit(c):
		start := p.i
		for p.i < len(p.src) && (unicode.IsDigit(p.src[p.i]) || p.src[p.i] == '.' && p.i+1 < len(p.src) && unicode.IsDigit(p.src[p.i+1])) {
			p.advance(1)
		}
		text := string(p.src[start:p.i])
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			return &litExpr{v: n}
		}
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			p.failAt(line, col, "%q is not a number", text)
		}
		return &litExpr{v: f}
	case c == '[':
		return &listExpr{elems: p.args("]")}
	case c == '{':
		p.advance(1)
		h := &hashExpr{}
		for {
			p.skipSpace()
			if p.has("}") {
				p.advance(1)
				return h
			}
			var key string
			switch {
			case p.has("'") || p.has("\""):
				key = p.str()
			default:
				key = p.word()
			}
			if key == "" {
				p.fail("expected a key in the hash, found %s", p.describe())
			}
			p.skipSpace()
			if !p.has(":") {
				p.fail("expected : after the key %q, found %s", key, p.describe())
			}
			p.advance(1)
			h.keys, h.vals = append(h.keys, key), append(h.vals, p.expr())
			p.skipSpace()
			switch {
			case p.has(","):
				p.advance(1)
			case p.has("}"):
			default:
				p.fail("expected , or }, found %s", p.describe())
			}
		}
	case c == '$':
		p.advance(1)
		w := p.word()
		switch w {
		case "var", "input", "env", "auth":
			return &nameExpr{name: "$" + w, line: line, col: col}
		}
		if w == "" {
			p.failAt(line, col, "expected $var, $input, $env or $auth")
		}
		return &nameExpr{name: w, line: line, col: col} // $x is the stack variable x
	case c == '_' || unicode.IsLetter(c):
		w := p.word()
		switch w {
		case "true":
			return &litExpr{v: true}
		case "false":
			return &litExpr{v: false}
		case "null", "none":
			return &litExpr{v: nil}
		}
		if p.has("(") {
			p.failAt(line, col, "the function %s() is not supported in templates", w)
		}
		return &nameExpr{name: w, line: line, col: col}
	}
	p.fail("expected an expression, found %s", p.describe())
	return nil
}

// str reads a quoted string with backslash escapes.
func (p *parser) str() string {
	q := p.src[p.i]
	line, col := p.line, p.col
	p.advance(1)
	var b strings.Builder
	for {
		if p.i >= len(p.src) {
			p.failAt(line, col, "unterminated string")
		}
		c := p.src[p.i]
		switch {
		case c == q:
			p.advance(1)
			return b.String()
		case c == '\\' && p.i+1 < len(p.src):
			p.advance(1)
			switch e := p.src[p.i]; e {
			case 'n':
				b.WriteRune('\n')
			case 't':
				b.WriteRune('\t')
			default:
				b.WriteRune(e)
			}
			p.advance(1)
		default:
			b.WriteRune(c)
			p.advance(1)
		}
	}
}
