package sqlbuild

import "relaybase"

// Dialect is what differs between the databases in the SQL this package writes. The
// Builder writes everything else: the And/Or/Not structure, XanoScript's null rules, the
// comparisons, sorting, paging and the statements of Tx.
type Dialect interface {
	// Limits are the names and values the database can hold (relaybase.StoreLimits).
	Limits() relaybase.StoreLimits

	// Param is the placeholder of the n-th parameter (from 1), a value of kind k: "?" in
	// SQLite; "$n" with the cast that fixes its type in PostgreSQL.
	Param(n int, k Kind) string
	// Literal is the SQL boolean literal: 1/0 in SQLite, TRUE/FALSE in PostgreSQL.
	Literal(v bool) string
	// BoolValue is the parameter value of a bool: 1/0 in SQLite, the bool in PostgreSQL.
	BoolValue(v bool) any
	// DistinctFrom is the infix operator "differs from, where null differs from a value":
	// " IS NOT " in SQLite, " IS DISTINCT FROM " in PostgreSQL.
	DistinctFrom() string
	// Order is what follows a sort column so that nulls sort first ascending and last
	// descending ("" or " DESC" in SQLite, whose nulls sort that way anyway).
	Order(desc bool) string
	// NoLimit is the LIMIT value that means no limit (-1 in SQLite, NULL in PostgreSQL).
	NoLimit() any
	// RestartIDs is the statement that makes t's next id 1 (Tx.Truncate).
	RestartIDs(t *Table) Stmt

	// Operand converts a comparison value (normalized, not nil) into what column c would
	// store for it, as an Arg. ok is false when no stored value can equal or be ordered
	// against it (XanoScript compares type-strictly: "1" == 1 is false), so that the
	// comparison is simply false. An Arg whose kind is not the column's (a fraction against
	// an int column) orders against the column but equals none of its values.
	Operand(c *Column, v any) (a Arg, ok bool)
	// In writes "c equals one of vals" (vals: at least one, none null, all of c's kind).
	In(b *Builder, c *Column, vals []Arg)
	// Includes writes "c holds text s, ignoring case (all of Unicode)": as a substring of
	// a scalar column's text, as an element of a text array. false: it wrote nothing, as
	// no value can hold s.
	Includes(b *Builder, c *Column, s string) bool
	// ContainsText writes "text column c contains s" (case-sensitive). false: it wrote
	// nothing, as no value can contain s.
	ContainsText(b *Builder, c *Column, s string) bool
	// ContainsJSON writes "JSON column c has an element equal to v" (an object's members
	// count as elements, a scalar is its own element; ints and decimals compare by value,
	// objects and arrays as JSON). false: it wrote nothing, as nothing can equal v.
	ContainsJSON(b *Builder, c *Column, v any) (bool, error)
	// Overlaps writes "JSON column c has an element equal to one of list" (not empty),
	// with ContainsJSON's equality. false: it wrote nothing.
	Overlaps(b *Builder, c *Column, list []any) (bool, error)
}

// Arg is a parameter: its value, and the kind that types it.
type Arg struct {
	V any
	K Kind
}
