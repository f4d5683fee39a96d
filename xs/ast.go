package xs

import "fmt"

// Pos is a position in a source file. Line and Col start at 1; Col counts characters
// (Unicode code points), not bytes.
type Pos struct {
	File string
	Line int
	Col  int
}

func (p Pos) String() string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col) }

// File is one parsed .xs file. A workspace file normally holds one top-level object.
type File struct {
	Path    string
	Objects []*Node
}

// Node is the one general shape of every XanoScript construct, top-level object,
// statement or clause alike:
//
//	[!]keyword [name] [key=value ...] [(cond)] [{ body }] [as $var]
//
// Examples and how they fill a Node:
//
//	query "messages/{id}" verb=GET { ... }   Keyword "query", Name "messages/{id}", Inline verb=GET, Body
//	db.add message { data = {...} } as $m    Keyword "db.add", Name "message", Body, As "m"
//	var $x { value = 1 }                     Keyword "var", Name "$x", Body
//	if ($a > 1) { ... }                      Keyword "if", Cond, Body
//	foreach ($list) { each as $item {...} }  Keyword "foreach", Cond; body holds Node "each" with As "item"
//	each ($list as $item) { ... }            Keyword "each", Cond $list, As "item"
//	function.run "name" { input = {} } as $r Keyword "function.run", Name "name"
//	break                                    Keyword "break", no body
//	text name?="x" filters=trim              (inside input/schema) Keyword "text", Field set
type Node struct {
	Pos      Pos
	Disabled bool   // a leading "!": parsed, then skipped
	Keyword  string // dotted words kept whole: "db.query", "var.update", "security.create_auth_token"
	Name     string // unquoted name or target; "$x" keeps its "$"; "" when absent
	NamePos  Pos
	Quoted   bool // Name was written as a string literal
	Inline   []*Attr
	Cond     Expr // the parenthesised expression, nil when absent
	Body     *Block
	As       string // "as $r" → "r" ("" when absent)
	AsPos    Pos
	// AsIndex is the second variable of "each as $item, $index" ("index"), "" when absent.
	AsIndex    string
	AsIndexPos Pos
	// AsFilters are filters written after the variable, `as $i|add:1`: they apply to the
	// statement's result before it is stored in the variable.
	AsFilters []*FilterCall
	Field     *FieldDecl // set for a field declaration inside input { } or schema { }
}

// Attr is "key = expr" (inside a body) or "key=expr" (inline on the header line).
type Attr struct {
	Pos   Pos
	Key   string
	Value Expr
	// Disabled: a leading "!" on the attribute.
	Disabled bool
}

// Block is the inside of "{ ... }": attributes and nested nodes, each kept in source order.
type Block struct {
	Pos   Pos
	End   Pos
	Attrs []*Attr
	Nodes []*Node
}

// Attr returns the first enabled attribute named key, or nil.
func (b *Block) Attr(key string) *Attr {
	if b == nil {
		return nil
	}
	for _, a := range b.Attrs {
		if a.Key == key && !a.Disabled {
			return a
		}
	}
	return nil
}

// Node returns the first enabled nested node with the given keyword, or nil.
func (b *Block) Node(keyword string) *Node {
	if b == nil {
		return nil
	}
	for _, n := range b.Nodes {
		if n.Keyword == keyword && !n.Disabled {
			return n
		}
	}
	return nil
}

// InlineAttr returns the node's first inline attribute named key, or nil.
func (n *Node) InlineAttr(key string) *Attr {
	for _, a := range n.Inline {
		if a.Key == key {
			return a
		}
	}
	return nil
}

// FieldDecl is a typed field of an input or a table schema:
//
//	text? name?="x" filters=trim|min:1 { table = "user" }
//	object[1:] items { schema { int id } }
type FieldDecl struct {
	Type     string // "text", "int", "object", "enum", ... as written
	Nullable bool   // "?" after the type
	Array    bool   // "[]" (or a ranged "[1:]") after the type
	ArrayMin int    // lower bound of a ranged array, 0 if none
	ArrayMax int    // upper bound, -1 if none
	Name     string
	Optional bool // "?" after the name
	Default  Expr // "=value" after the name, nil when absent; an unquoted word is an *Ident
	Filters  []*FilterCall
	// Body (on the Node) holds nested settings: table = "user", values = [...], schema { ... }.
}

// Expr is an expression.
type Expr interface {
	Position() Pos
}

// Lit is a literal: nil, bool, int64, float64 or string.
type Lit struct {
	Pos   Pos
	Value any
}

// Ident is a bare word used as a value: now, an unquoted default (US), a key in pick:[a,c].
type Ident struct {
	Pos  Pos
	Name string
}

// Var is a variable root: "$input", "$var", "$auth", "$env", "$db", "$$" (the current
// element in map/filter), "$0".."$9", or a stack variable "$name" (Name without "$").
//
// So Name keeps its "$" exactly for those roots ("$input", "$$", "$0") and drops it for
// every other variable: $user has Name "user", and $error (the error inside catch) has
// Name "error".
type Var struct {
	Pos  Pos
	Name string
}

// Member is X.Name (also X.0 for a numeric member: Name "0").
type Member struct {
	Pos  Pos
	X    Expr
	Name string
}

// Index is X[Index].
type Index struct {
	Pos   Pos
	X     Expr
	Index Expr
}

// Unary is an operator applied to one operand: "!" or "-".
type Unary struct {
	Pos Pos
	Op  string
	X   Expr
}

// Binary is X Op Y. Op is one of: || && ?? == != === !== ==? !=? >? >=? <? <=? > >= < <=
// ~ + - * / % "in" "not in", and the database query operators "includes" "contains"
// "overlaps" "like" "ilike" (each also with "not "), "@>" and "!~".
type Binary struct {
	Pos Pos
	Op  string
	X   Expr
	Y   Expr
}

// Ternary is Cond ? Then : Else.
type Ternary struct {
	Pos  Pos
	Cond Expr
	Then Expr
	Else Expr
}

// Filter is X|name:arg:arg. Filters bind tighter than every operator.
type Filter struct {
	Pos  Pos
	X    Expr
	Call *FilterCall
}

// FilterCall is a filter's name and its arguments.
type FilterCall struct {
	Pos  Pos
	Name string
	Args []Expr
}

// ObjectLit is {key: expr, ...}; keys may be written quoted or bare.
type ObjectLit struct {
	Pos    Pos
	Keys   []string
	Values []Expr
}

// ArrayLit is [expr, ...].
type ArrayLit struct {
	Pos   Pos
	Elems []Expr
}

// Call is a function-style call inside an expression, as in math.add(5, 3) or
// object.keys($x). Name keeps its dots.
type Call struct {
	Pos  Pos
	Name string
	Args []Expr
}

// Paren is (X), kept so that positions and printing stay faithful.
type Paren struct {
	Pos Pos
	X   Expr
}

func (e *Lit) Position() Pos       { return e.Pos }
func (e *Ident) Position() Pos     { return e.Pos }
func (e *Var) Position() Pos       { return e.Pos }
func (e *Member) Position() Pos    { return e.Pos }
func (e *Index) Position() Pos     { return e.Pos }
func (e *Unary) Position() Pos     { return e.Pos }
func (e *Binary) Position() Pos    { return e.Pos }
func (e *Ternary) Position() Pos   { return e.Pos }
func (e *Filter) Position() Pos    { return e.Pos }
func (e *ObjectLit) Position() Pos { return e.Pos }
func (e *ArrayLit) Position() Pos  { return e.Pos }
func (e *Paren) Position() Pos     { return e.Pos }
func (e *Call) Position() Pos      { return e.Pos }

// Diagnostic is a problem found in a file, with where it is and what was expected.
type Diagnostic struct {
	Pos      Pos
	Severity Severity
	Message  string
}

// Severity says whether a diagnostic stops a workspace from being served.
type Severity int

const (
	// Error: the workspace cannot be served (serve refuses to start).
	Error Severity = iota
	// Unsupported: valid XanoScript that relaybase does not run (check fails, serve warns).
	Unsupported
	// Warning: served, but worth knowing.
	Warning
)

func (d Diagnostic) String() string {
	kind := "error"
	switch d.Severity {
	case Unsupported:
		kind = "unsupported"
	case Warning:
		kind = "warning"
	}
	return fmt.Sprintf("%s: %s: %s", d.Pos, kind, d.Message)
}
