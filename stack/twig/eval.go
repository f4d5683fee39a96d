package twig

import (
	"errors"
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"

	"relaybase/value"
)

// MaxOutput bounds what one template may write, so that a loop inside a loop over large
// lists cannot fill the memory.
const MaxOutput = 16 << 20

// ErrTooLarge: the output passed MaxOutput.
var ErrTooLarge = errors.New("template output larger than 16 MiB")

type node interface{}

type textNode string

type printNode struct {
	x         expr
	line, col int
}

type ifNode struct {
	conds  []expr
	bodies [][]node
	els    []node
}

type forNode struct {
	key, val  string
	x         expr
	body, els []node
}

type setNode struct {
	name string
	x    expr
}

type expr interface {
	eval(s *scope) (any, error)
}

type litExpr struct{ v any }

type nameExpr struct {
	name      string
	line, col int
}

type attrExpr struct {
	x, key    expr
	line, col int
}

type unaryExpr struct {
	op        string
	x         expr
	line, col int
}

type binaryExpr struct {
	op        string
	x, y      expr
	line, col int
}

type condExpr struct {
	c, a, b   expr
	line, col int
}

type listExpr struct{ elems []expr }

type hashExpr struct {
	keys []string
	vals []expr
}

type filterExpr struct {
	x         expr
	name      string
	f         filterDef
	args      []expr
	line, col int
}

// scope resolves names: the template's own (loop and set variables), innermost first,
// then the caller's.
type scope struct {
	vars    []map[string]any
	resolve func(name string) any
	out     strings.Builder
}

func (s *scope) lookup(name string) any {
	for i := len(s.vars) - 1; i >= 0; i-- {
		if v, ok := s.vars[i][name]; ok {
			return v
		}
	}
	return s.resolve(name)
}

// Execute runs the template. resolve gives the value of a name the template does not
// define itself: "$var", "$input", "$env", "$auth", or a bare name (null when unknown).
func (t *Template) Execute(resolve func(name string) any) (string, error) {
	s := &scope{resolve: resolve, vars: []map[string]any{{}}}
	if err := s.run(t.body); err != nil {
		return "", err
	}
	return s.out.String(), nil
}

func (s *scope) write(text string) error {
	if s.out.Len()+len(text) > MaxOutput {
		return ErrTooLarge
	}
	s.out.WriteString(text)
	return nil
}

func (s *scope) run(nodes []node) error {
	for _, n := range nodes {
		switch t := n.(type) {
		case textNode:
			if err := s.write(string(t)); err != nil {
				return err
			}
		case *printNode:
			v, err := t.x.eval(s)
			if err != nil {
				return err
			}
			text := toText(v)
			if f, ok := t.x.(*filterExpr); !ok || !f.f.safe {
				text = html.EscapeString(text)
			}
			if err := s.write(text); err != nil {
				return err
			}
		case *ifNode:
			done := false
			for i, c := range t.conds {
				v, err := c.eval(s)
				if err != nil {
					return err
				}
				if truthy(v) {
					if err := s.run(t.bodies[i]); err != nil {
						return err
					}
					done = true
					break
				}
			}
			if !done {
				if err := s.run(t.els); err != nil {
					return err
				}
			}
		case *forNode:
			if err := s.loop(t); err != nil {
				return err
			}
		case *setNode:
			v, err := t.x.eval(s)
			if err != nil {
				return err
			}
			s.vars[len(s.vars)-1][t.name] = v
		}
	}
	return nil
}

func (s *scope) loop(t *forNode) error {
	v, err := t.x.eval(s)
	if err != nil {
		return err
	}
	var keys []any
	var vals []any
	switch c := v.(type) {
	case []any:
		for i, e := range c {
			keys, vals = append(keys, int64(i)), append(vals, e)
		}
	case *value.Object:
		for _, k := range c.Keys() {
			e, _ := c.Get(k)
			keys, vals = append(keys, k), append(vals, e)
		}
	}
	if len(vals) == 0 {
		return s.run(t.els)
	}
	frame := map[string]any{}
	s.vars = append(s.vars, frame)
	defer func() { s.vars = s.vars[:len(s.vars)-1] }()
	for i := range vals {
		frame[t.val] = vals[i]
		if t.key != "" {
			frame[t.key] = keys[i]
		}
		frame["loop"] = value.ObjectOf("index", int64(i+1), "index0", int64(i), "first", i == 0,
			"last", i == len(vals)-1, "length", int64(len(vals)))
		if err := s.run(t.body); err != nil {
			return err
		}
	}
	return nil
}

func errAt(line, col int, format string, args ...any) error {
	return &Error{Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
}

func (e *litExpr) eval(*scope) (any, error) { return e.v, nil }

func (e *nameExpr) eval(s *scope) (any, error) { return s.lookup(e.name), nil }

func (e *attrExpr) eval(s *scope) (any, error) {
	x, err := e.x.eval(s)
	if err != nil {
		return nil, err
	}
	k, err := e.key.eval(s)
	if err != nil {
		return nil, err
	}
	switch c := x.(type) {
	case *value.Object:
		v, _ := c.Get(toText(k))
		return v, nil
	case []any:
		i, ok := toIndex(k)
		if ok && i < 0 {
			i += len(c)
		}
		if ok && i >= 0 && i < len(c) {
			return c[i], nil
		}
	}
	return nil, nil
}

func toIndex(v any) (int, bool) {
	switch t := v.(type) {
	case int64:
		return int(t), true
	case float64:
		if t == math.Trunc(t) && math.Abs(t) < 1<<31 {
			return int(t), true
		}
	case string:
		n, err := strconv.Atoi(t)
		return n, err == nil
	}
	return 0, false
}

func (e *unaryExpr) eval(s *scope) (any, error) {
	x, err := e.x.eval(s)
	if err != nil {
		return nil, err
	}
	switch e.op {
	case "not":
		return !truthy(x), nil
	case "-":
		switch n := number(x).(type) {
		case int64:
			if n != math.MinInt64 {
				return -n, nil
			}
			return -float64(n), nil
		case float64:
			return -n, nil
		}
		return nil, errAt(e.line, e.col, "- needs a number, got %s", value.TypeName(x))
	}
	return number(x), nil
}

func (e *condExpr) eval(s *scope) (any, error) {
	c, err := e.c.eval(s)
	if err != nil {
		return nil, err
	}
	if truthy(c) {
		return e.a.eval(s)
	}
	return e.b.eval(s)
}

func (e *listExpr) eval(s *scope) (any, error) {
	out := make([]any, len(e.elems))
	for i, x := range e.elems {
		v, err := x.eval(s)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func (e *hashExpr) eval(s *scope) (any, error) {
	o := value.NewObject(len(e.keys))
	for i, k := range e.keys {
		v, err := e.vals[i].eval(s)
		if err != nil {
			return nil, err
		}
		o.Set(k, v)
	}
	return o, nil
}

func (e *binaryExpr) eval(s *scope) (any, error) {
	x, err := e.x.eval(s)
	if err != nil {
		return nil, err
	}
	switch e.op { // the ones that may not evaluate their right side
	case "or":
		if truthy(x) {
			return true, nil
		}
		y, err := e.y.eval(s)
		return truthy(y), err
	case "and":
		if !truthy(x) {
			return false, nil
		}
		y, err := e.y.eval(s)
		return truthy(y), err
	case "??":
		if x != nil {
			return x, nil
		}
		return e.y.eval(s)
	}
	y, err := e.y.eval(s)
	if err != nil {
		return nil, err
	}
	switch e.op {
	case "~":
		text := toText(x) + toText(y)
		if len(text) > MaxOutput {
			return nil, ErrTooLarge
		}
		return text, nil
	case "==":
		return looseEqual(x, y), nil
	case "!=":
		return !looseEqual(x, y), nil
	case "in", "not in":
		in := contains(y, x)
		return in == (e.op == "in"), nil
	case "<", ">", "<=", ">=":
		c, ok := value.Compare(number(x), number(y))
		if !ok {
			return nil, errAt(e.line, e.col, "cannot compare %s with %s", value.TypeName(x), value.TypeName(y))
		}
		switch e.op {
		case "<":
			return c < 0, nil
		case ">":
			return c > 0, nil
		case "<=":
			return c <= 0, nil
		}
		return c >= 0, nil
	}
	a, aok := value.AsFloat(number(x))
	b, bok := value.AsFloat(number(y))
	if !aok || !bok {
		return nil, errAt(e.line, e.col, "%s needs numbers, got %s and %s", e.op, value.TypeName(x), value.TypeName(y))
	}
	ai, aInt := number(x).(int64)
	bi, bInt := number(y).(int64)
	switch e.op {
	case "+", "-", "*":
		if aInt && bInt {
			var r int64
			var overflow bool
			switch e.op {
			case "+":
				r = ai + bi
				overflow = (ai > 0 && bi > 0 && r < 0) || (ai < 0 && bi < 0 && r >= 0)
			case "-":
				r = ai - bi
				overflow = (ai >= 0 && bi < 0 && r < 0) || (ai < 0 && bi > 0 && r >= 0)
			default:
				r = ai * bi
				overflow = ai != 0 && (r/ai != bi || ai == -1 && bi == math.MinInt64 || bi == -1 && ai == math.MinInt64)
			}
			if !overflow {
				return r, nil
			}
		}
		switch e.op {
		case "+":
			return a + b, nil
		case "-":
			return a - b, nil
		}
		return a * b, nil
	case "/":
		if b == 0 {
			return nil, errAt(e.line, e.col, "division by zero")
		}
		return a / b, nil
	}
	// %
	if !aInt || !bInt {
		return nil, errAt(e.line, e.col, "%% needs integers")
	}
	if bi == 0 {
		return nil, errAt(e.line, e.col, "modulo by zero")
	}
	if bi == -1 {
		return int64(0), nil
	}
	return ai % bi, nil
}

func (e *filterExpr) eval(s *scope) (any, error) {
	x, err := e.x.eval(s)
	if err != nil {
		return nil, err
	}
	args := make([]any, len(e.args))
	for i, a := range e.args {
		if args[i], err = a.eval(s); err != nil {
			return nil, err
		}
	}
	v, err := e.f.fn(x, args)
	if err != nil {
		return nil, errAt(e.line, e.col, "%s: %v", e.name, err)
	}
	return v, nil
}

// number reads text that holds a number as that number, as PHP compares and adds them.
func number(v any) any {
	if t, ok := v.(string); ok {
		if n, err := value.ParseNumber(strings.TrimSpace(t)); err == nil {
			return n
		}
	}
	if b, ok := v.(bool); ok {
		if b {
			return int64(1)
		}
		return int64(0)
	}
	if v == nil {
		return int64(0)
	}
	return v
}

func looseEqual(a, b any) bool {
	if value.Equal(a, b) {
		return true
	}
	if value.IsNumber(number(a)) && value.IsNumber(number(b)) {
		_, aText := a.(string)
		_, bText := b.(string)
		if aText && bText {
			return false // two texts compare as texts
		}
		return value.Equal(number(a), number(b))
	}
	return false
}

func contains(hay, needle any) bool {
	switch h := hay.(type) {
	case []any:
		for _, e := range h {
			if looseEqual(e, needle) {
				return true
			}
		}
	case *value.Object:
		for _, k := range h.Keys() {
			e, _ := h.Get(k)
			if looseEqual(e, needle) {
				return true
			}
		}
	case string:
		return strings.Contains(h, toText(needle))
	}
	return false
}

// truthy is Twig's (PHP's) truth: null, false, 0, "", "0" and empty lists are false.
func truthy(v any) bool {
	if s, ok := v.(string); ok {
		return s != "" && s != "0"
	}
	return value.Truthy(v)
}

// toText is how a value prints: null and false as nothing, true as 1, lists and objects
// as their JSON.
func toText(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case bool:
		if t {
			return "1"
		}
		return ""
	}
	return value.ToText(v)
}
