package twig

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// Template is a parsed template, safe for concurrent use.
type Template struct {
	body []node
}

// Error is a template's syntax error, at a line and column (in characters) of the template.
type Error struct {
	Line, Col int
	Msg       string
}

func (e *Error) Error() string { return fmt.Sprintf("template %d:%d: %s", e.Line, e.Col, e.Msg) }

// maxNest bounds how deeply blocks and expressions nest, so a hostile template cannot
// exhaust the stack.
const maxNest = 200

// Parse reads a template. It never panics.
func Parse(src string) (t *Template, err error) {
	p := &parser{src: []rune(src), line: 1, col: 1}
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(*Error); ok {
				t, err = nil, e
				return
			}
			panic(r)
		}
	}()
	body, end := p.nodes()
	if end != "" {
		p.failAt(p.tagLine, p.tagCol, "{%% %s %%} without its opening tag", end)
	}
	return &Template{body: body}, nil
}

type parser struct {
	src       []rune
	i         int
	line, col int
	// tagLine, tagCol: where the last tag began, for messages about it.
	tagLine, tagCol int
	nest            int
	trimNext        bool // the last tag ended with "-": trim the whitespace that follows
}

func (p *parser) failAt(line, col int, format string, args ...any) {
	panic(&Error{Line: line, Col: col, Msg: fmt.Sprintf(format, args...)})
}

func (p *parser) fail(format string, args ...any) { p.failAt(p.line, p.col, format, args...) }

func (p *parser) advance(n int) {
	for ; n > 0 && p.i < len(p.src); n-- {
		if p.src[p.i] == '\n' {
			p.line, p.col = p.line+1, 1
		} else {
			p.col++
		}
		p.i++
	}
}

func (p *parser) has(s string) bool {
	r := []rune(s)
	if p.i+len(r) > len(p.src) {
		return false
	}
	for k, c := range r {
		if p.src[p.i+k] != c {
			return false
		}
	}
	return true
}

// nodes reads text and tags up to the end, or up to a tag that closes the enclosing
// block (endif, elseif, else, endfor), whose name it returns with the tag consumed up to
// its content.
func (p *parser) nodes() ([]node, string) {
	p.nest++
	if p.nest > maxNest {
		p.fail("blocks nest too deeply")
	}
	defer func() { p.nest-- }()
	var out []node
	for p.i < len(p.src) {
		start := p.i
		for p.i < len(p.src) && !(p.has("{{") || p.has("{%") || p.has("{#")) {
			p.advance(1)
		}
		text := string(p.src[start:p.i])
		if p.trimNext {
			text = strings.TrimLeftFunc(text, unicode.IsSpace)
			p.trimNext = false
		}
		if p.i < len(p.src) && p.i+2 < len(p.src) && p.src[p.i+2] == '-' {
			text = strings.TrimRightFunc(text, unicode.IsSpace)
		}
		if text != "" {
			out = append(out, textNode(text))
		}
		if p.i >= len(p.src) {
			break
		}
		p.tagLine, p.tagCol = p.line, p.col
		switch {
		case p.has("{#"):
			p.advance(2)
			for p.i < len(p.src) && !p.has("#}") {
				p.advance(1)
			}
			if p.i >= len(p.src) {
				p.failAt(p.tagLine, p.tagCol, "unterminated comment: expected #}")
			}
			if p.src[p.i-1] == '-' {
				p.trimNext = true
			}
			p.advance(2)
		case p.has("{{"):
			p.advance(2)
			p.skipDash()
			line, col := p.line, p.col
			x := p.expr()
			p.close("}}")
			out = append(out, &printNode{x: x, line: line, col: col})
		default: // {%
			p.advance(2)
			p.skipDash()
			p.skipSpace()
			name := p.word()
			switch name {
			case "if":
				out = append(out, p.ifTag())
			case "for":
				out = append(out, p.forTag())
			case "set":
				out = append(out, p.setTag())
			case "elseif", "else", "endif", "endfor":
				return out, name
			case "":
				p.fail("expected a tag name after {%%")
			default:
				p.failAt(p.tagLine, p.tagCol, "the tag {%% %s %%} is not supported (if, for, set are)", name)
			}
		}
	}
	return out, ""
}

func (p *parser) skipDash() {
	if p.i < len(p.src) && p.src[p.i] == '-' {
		p.advance(1)
	}
}

func (p *parser) skipSpace() {
	for p.i < len(p.src) && unicode.IsSpace(p.src[p.i]) {
		p.advance(1)
	}
}

// close reads the end of a tag: "}}" or "%}", with an optional "-" before it.
func (p *parser) close(end string) {
	p.skipSpace()
	if p.has("-" + end) {
		p.advance(1)
		p.trimNext = true
	}
	if !p.has(end) {
		p.fail("expected %s, found %s", end, p.describe())
	}
	p.advance(2)
}

func (p *parser) describe() string {
	if p.i >= len(p.src) {
		return "end of template"
	}
	return strconv.Quote(string(p.src[p.i]))
}

func (p *parser) word() string {
	start := p.i
	for p.i < len(p.src) && (p.src[p.i] == '_' || unicode.IsLetter(p.src[p.i]) || p.i > start && unicode.IsDigit(p.src[p.i])) {
		p.advance(1)
	}
	return string(p.src[start:p.i])
}

func (p *parser) ifTag() node {
	n := &ifNode{}
	for {
		cond := p.expr()
		p.close("%}")
		body, end := p.nodes()
		n.conds, n.bodies = append(n.conds, cond), append(n.bodies, body)
		switch end {
		case "elseif":
			continue
		case "else":
			p.close("%}")
			els, end2 := p.nodes()
			if end2 != "endif" {
				p.expectEnd(end2, "endif")
			}
			n.els = els
			p.close("%}")
			return n
		case "endif":
			p.close("%}")
			return n
		default:
			p.expectEnd(end, "endif")
		}
	}
}

func (p *parser) expectEnd(got, want string) {
	if got == "" {
		p.fail("expected {%% %s %%}, found end of template", want)
	}
	p.failAt(p.tagLine, p.tagCol, "expected {%% %s %%}, found {%% %s %%}", want, got)
}

func (p *parser) forTag() node {
	p.skipSpace()
	n := &forNode{val: p.word()}
	if n.val == "" {
		p.fail("expected a variable name after for")
	}
	p.skipSpace()
	if p.has(",") {
		p.advance(1)
		p.skipSpace()
		n.key, n.val = n.val, p.word()
		if n.val == "" {
			p.fail("expected a variable name after ,")
		}
		p.skipSpace()
	}
	if w := p.word(); w != "in" {
		p.fail("expected in after the loop variable, found %q", w)
	}
	n.x = p.expr()
	p.close("%}")
	body, end := p.nodes()
	n.body = body
	if end == "else" {
		p.close("%}")
		n.els, end = p.nodes()
	}
	if end != "endfor" {
		p.expectEnd(end, "endfor")
	}
	p.close("%}")
	return n
}

func (p *parser) setTag() node {
	p.skipSpace()
	n := &setNode{name: p.word()}
	if n.name == "" {
		p.fail("expected a variable name after set")
	}
	p.skipSpace()
	if !p.has("=") {
		p.fail("expected = after set %s (the block form of set is not supported)", n.name)
	}
	p.advance(1)
	n.x = p.expr()
	p.close("%}")
	return n
}
