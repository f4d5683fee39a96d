package sqlbuild

import (
	"time"

	"relaybase"
	"relaybase/value"
)

// Stmt is one statement and its parameters.
type Stmt struct {
	SQL  string
	Args []any
}

// where builds "field == v" (XanoScript's ==) over t.
func where(d Dialect, t *Table, field string, v any) (*Builder, error) {
	b := NewBuilder(d)
	if err := b.Cond(t, &relaybase.Cmp{Field: field, Op: relaybase.OpEq, Value: v}); err != nil {
		return nil, err
	}
	return b, nil
}

// Get selects the row with the lowest id among those whose field equals v (Tx.Get).
func Get(d Dialect, t *Table, field string, v any) (Stmt, error) {
	b, err := where(d, t, field, v)
	if err != nil {
		return Stmt{}, err
	}
	return Stmt{"SELECT " + t.SelCols + " FROM " + t.Quoted + " WHERE " + b.String() + ` ORDER BY "id" LIMIT 1`, b.Args()}, nil
}

// Delete deletes the rows whose field equals v (Tx.Delete).
func Delete(d Dialect, t *Table, field string, v any) (Stmt, error) {
	b, err := where(d, t, field, v)
	if err != nil {
		return Stmt{}, err
	}
	return Stmt{"DELETE FROM " + t.Quoted + " WHERE " + b.String(), b.Args()}, nil
}

// Query selects a query's rows: those its condition holds for, in the asked order and then
// by id, one page of them. Count counts every row the condition holds for.
func Query(d Dialect, t *Table, q *relaybase.Query) (rows, count Stmt, err error) {
	b := NewBuilder(d)
	if err := b.Cond(t, q.Where); err != nil {
		return rows, count, err
	}
	w := b.String()
	n := len(b.args)
	count = Stmt{"SELECT count(*) FROM " + t.Quoted + " WHERE " + w, b.args[:n:n]}

	b.WriteString(" ORDER BY ")
	byID := false
	for i, k := range q.Sort {
		c, ok := t.Column(k.Field)
		if !ok {
			return rows, count, t.Def.UnknownField(k.Field)
		}
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(c.Quoted + d.Order(k.Desc))
		if c.Name == "id" {
			byID = true
			break // id is unique: later keys change nothing
		}
	}
	if !byID {
		if len(q.Sort) > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"id"`)
	}
	if q.Limit > 0 || q.Offset > 0 {
		limit := d.NoLimit()
		if q.Limit > 0 {
			limit = int64(q.Limit)
		}
		b.WriteString(" LIMIT ")
		b.Param(Arg{limit, KindInt})
		b.WriteString(" OFFSET ")
		b.Param(Arg{int64(max(q.Offset, 0)), KindInt})
	}
	rows = Stmt{"SELECT " + t.SelCols + " FROM " + t.Quoted + " WHERE " + b.String(), b.args}
	return rows, count, nil
}

// InsertStmt is an INSERT's column list and values.
type InsertStmt struct {
	Stmt
	// Stored is what each column of Table.Cols stores: the given or default value as
	// Encode made it; nil for a column left null and for an id the database assigns.
	Stored []any
}

// Insert builds Tx.Insert's statement for row: omitted fields get their default (now() for
// "now"), or null when they are optional or nullable; an omitted required field without a
// default, a field t does not have and a value of the wrong type are input errors. An id
// given in row is inserted as is. The store appends what its database needs (RETURNING,
// ON CONFLICT ...).
func Insert(d Dialect, t *Table, row *value.Object, now func() time.Time) (*InsertStmt, error) {
	for _, k := range row.Keys() {
		if _, ok := t.Column(k); !ok {
			return nil, t.Def.UnknownField(k)
		}
	}
	names := NewBuilder(d) // the column list; its parameters stay empty
	vals := NewBuilder(d)
	stored := make([]any, len(t.Cols))
	for i := range t.Cols {
		c := &t.Cols[i]
		v, given := row.Get(c.Name)
		if c.Name == "id" && (!given || v == nil) {
			continue
		}
		if !given {
			v = c.Field.DefaultValue(now)
			if v == nil && !c.Field.Optional && !c.Field.Nullable {
				return nil, relaybase.InputError(c.Name, "Missing field %q for table %q.", c.Name, t.Name)
			}
		}
		sv, err := Encode(d, t, c, v)
		if err != nil {
			return nil, err
		}
		stored[i] = sv
		if len(vals.args) > 0 {
			names.WriteString(",")
			vals.WriteString(",")
		}
		names.WriteString(c.Quoted)
		vals.Param(Arg{sv, c.Kind})
	}
	sql := "INSERT INTO " + t.Quoted + " DEFAULT VALUES"
	if len(vals.args) > 0 {
		sql = "INSERT INTO " + t.Quoted + " (" + names.String() + ") VALUES (" + vals.String() + ")"
	}
	return &InsertStmt{Stmt: Stmt{sql, vals.args}, Stored: stored}, nil
}

// UpdateStmt is an UPDATE's SET list and WHERE clause, with the parameters of both.
type UpdateStmt struct {
	Set, Where string
	Args       []any
}

// Update builds Tx.Update's SET list and WHERE clause (the rows whose field equals v). id
// can't be changed: it is ignored. nil when changes change nothing. A field t does not
// have and a value of the wrong type are input errors.
func Update(d Dialect, t *Table, field string, v any, changes *value.Object) (*UpdateStmt, error) {
	b := NewBuilder(d)
	for _, k := range changes.Keys() {
		c, ok := t.Column(k)
		if !ok {
			return nil, t.Def.UnknownField(k)
		}
		if k == "id" {
			continue
		}
		cv, _ := changes.Get(k)
		sv, err := Encode(d, t, c, cv)
		if err != nil {
			return nil, err
		}
		if len(b.args) > 0 {
			b.WriteString(",")
		}
		b.WriteString(c.Quoted + " = ")
		b.Param(Arg{sv, c.Kind})
	}
	if len(b.args) == 0 {
		return nil, nil
	}
	up := &UpdateStmt{Set: b.String()}
	b.resetText()
	if err := b.Cond(t, &relaybase.Cmp{Field: field, Op: relaybase.OpEq, Value: v}); err != nil {
		return nil, err
	}
	up.Where, up.Args = b.String(), b.args
	return up, nil
}
