package sqlbuild

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"relaybase"
	"relaybase/value"
)

// ErrTxDone is what a Tx's methods return once it has committed or rolled back.
var ErrTxDone = errors.New("the transaction has already ended")

// TxState is what a Tx of either store keeps besides its connection: the tables it began
// with, whether it may write, whether it has ended, and its savepoints.
type TxState struct {
	Store  string            // "sqlite", "postgres": prefixes errors
	Tables map[string]*Table // the schema when the Tx began
	Write  bool
	Done   bool

	savepoints int // started, for their names
}

// Table looks a table up by name: ErrTxDone once the Tx has ended, an error wrapping
// relaybase.ErrNotFound when Migrate did not make it.
func (s *TxState) Table(name string) (*Table, error) {
	if s.Done {
		return nil, ErrTxDone
	}
	t, ok := s.Tables[name]
	if !ok {
		return nil, fmt.Errorf("%s: table %q: %w", s.Store, name, relaybase.ErrNotFound)
	}
	return t, nil
}

// WriteTable is Table for an operation that writes (op names it: "insert into"), which a
// read-only Tx refuses.
func (s *TxState) WriteTable(op, name string) (*Table, error) {
	t, err := s.Table(name)
	if err != nil {
		return nil, err
	}
	return t, s.Writable(op + " " + name)
}

// Writable returns an error when the Tx may not write, naming the operation.
func (s *TxState) Writable(op string) error {
	if s.Done {
		return ErrTxDone
	}
	if !s.Write {
		return fmt.Errorf("%s: %s in a read-only transaction", s.Store, op)
	}
	return nil
}

// End marks the Tx ended; ErrTxDone if it already was.
func (s *TxState) End() error {
	if s.Done {
		return ErrTxDone
	}
	s.Done = true
	return nil
}

// Savepoint starts a nested transaction. exec runs a statement on the Tx's connection and
// wraps a failure with op.
func (s *TxState) Savepoint(exec func(op, stmt string) error) (*Savepoint, error) {
	if s.Done {
		return nil, ErrTxDone
	}
	s.savepoints++
	sp := &Savepoint{tx: s, name: "rb_sp_" + strconv.Itoa(s.savepoints), exec: exec}
	if err := exec("savepoint", "SAVEPOINT "+sp.name); err != nil {
		return nil, err
	}
	return sp, nil
}

// Savepoint is a nested transaction (relaybase.Savepoint). Once it or its Tx has ended,
// Release and Rollback do nothing.
type Savepoint struct {
	tx   *TxState
	name string
	exec func(op, stmt string) error
	done bool
}

var _ relaybase.Savepoint = (*Savepoint)(nil)

// Release keeps what the savepoint did as part of its Tx.
func (sp *Savepoint) Release() error {
	if sp.done || sp.tx.Done {
		return nil
	}
	sp.done = true
	return sp.exec("release savepoint", "RELEASE SAVEPOINT "+sp.name)
}

// Rollback undoes what the savepoint did; its Tx goes on.
func (sp *Savepoint) Rollback() error {
	if sp.done || sp.tx.Done {
		return nil
	}
	sp.done = true
	if err := sp.exec("roll back savepoint", "ROLLBACK TO SAVEPOINT "+sp.name); err != nil {
		return err
	}
	return sp.exec("roll back savepoint", "RELEASE SAVEPOINT "+sp.name)
}

// Conn is what the operations both stores run alike need of a Tx's connection.
type Conn interface {
	// Rows runs a statement that returns t's columns (SelCols order) and decodes its rows.
	Rows(ctx context.Context, t *Table, st Stmt) ([]*value.Object, error)
	// Count runs a statement that returns one number.
	Count(ctx context.Context, st Stmt) (int64, error)
	// Exec runs a statement and returns how many rows it changed.
	Exec(ctx context.Context, st Stmt) (int64, error)
	// Insert runs an insert into t (completing its statement as the database needs) and
	// returns the row as stored; a unique violation wraps relaybase.ErrConflict. Its errors
	// are reported (Fail) already.
	Insert(ctx context.Context, t *Table, st *InsertStmt) (*value.Object, error)
	// Update runs an update of t and returns the changed row with the lowest id, or nil
	// when none matched; a unique violation wraps relaybase.ErrConflict. Its errors are
	// reported (Fail) already.
	Update(ctx context.Context, t *Table, up *UpdateStmt) (*value.Object, error)
	// Fail wraps a database error with the operation, as the store reports them.
	Fail(op string, err error) error
}

// Tx is the part of a store's relaybase.Tx that both run alike: its state, and the table
// operations, written by the Builder in its Dialect and run on its Conn.
type Tx struct {
	State TxState
	D     Dialect
	C     Conn
	Now   func() time.Time // fills "now" defaults
	// RowLock is what Get appends in a write Tx so that the row it returns stays as read
	// until the Tx ends, and a read-modify-write of one row never loses an update
	// (PostgreSQL: " FOR NO KEY UPDATE"); "" where writers run one at a time (SQLite).
	RowLock string
}

// Get returns the first row (lowest id) whose field equals v, or nil.
func (tx *Tx) Get(ctx context.Context, table, field string, v any) (*value.Object, error) {
	t, err := tx.State.Table(table)
	if err != nil {
		return nil, err
	}
	st, err := Get(tx.D, t, field, v)
	if err != nil {
		return nil, err
	}
	if tx.State.Write {
		st.SQL += tx.RowLock
	}
	found, err := tx.C.Rows(ctx, t, st)
	if err != nil || len(found) == 0 {
		return nil, tx.C.Fail("get from "+t.Name, err)
	}
	return found[0], nil
}

// Query runs a query: rows in the asked order (then by id), a page of them, and the total.
// Nulls sort first ascending and last descending.
func (tx *Tx) Query(ctx context.Context, q *relaybase.Query) (*relaybase.QueryResult, error) {
	t, err := tx.State.Table(q.Table)
	if err != nil {
		return nil, err
	}
	sel, count, err := Query(tx.D, t, q)
	if err != nil {
		return nil, err
	}
	found, err := tx.C.Rows(ctx, t, sel)
	if err != nil {
		return nil, tx.C.Fail("query "+t.Name, err)
	}
	res := &relaybase.QueryResult{Rows: found}
	if found == nil {
		res.Rows = []*value.Object{}
	}
	if q.Total {
		if res.Total, err = tx.C.Count(ctx, count); err != nil {
			return nil, tx.C.Fail("query "+t.Name, err)
		}
	}
	return res, nil
}

// Insert adds a row: omitted fields get their default, or null when they are optional or
// nullable; an omitted required field without a default is an input error, as is a field
// the table doesn't have. An id given in row is used as is.
func (tx *Tx) Insert(ctx context.Context, table string, row *value.Object) (*value.Object, error) {
	t, err := tx.State.WriteTable("insert into", table)
	if err != nil {
		return nil, err
	}
	st, err := Insert(tx.D, t, row, tx.Now)
	if err != nil {
		return nil, err
	}
	return tx.C.Insert(ctx, t, st)
}

// Update changes the given fields of the rows whose field equals v and returns the changed
// row with the lowest id, or nil when none matched. id can't be changed: it is ignored.
func (tx *Tx) Update(ctx context.Context, table, field string, v any, changes *value.Object) (*value.Object, error) {
	t, err := tx.State.WriteTable("update", table)
	if err != nil {
		return nil, err
	}
	up, err := Update(tx.D, t, field, v, changes)
	switch {
	case err != nil:
		return nil, err
	case up == nil:
		return tx.Get(ctx, table, field, v) // nothing to change
	}
	return tx.C.Update(ctx, t, up)
}

// Delete removes the rows whose field equals v and returns how many it removed.
func (tx *Tx) Delete(ctx context.Context, table, field string, v any) (int64, error) {
	t, err := tx.State.WriteTable("delete from", table)
	if err != nil {
		return 0, err
	}
	st, err := Delete(tx.D, t, field, v)
	if err != nil {
		return 0, err
	}
	n, err := tx.C.Exec(ctx, st)
	if err != nil {
		return 0, tx.C.Fail("delete from "+t.Name, err)
	}
	return n, nil
}

// Truncate removes every row; resetID restarts ids at 1. It deletes rather than TRUNCATEs,
// so that read transactions that began before it still see the rows (PostgreSQL).
func (tx *Tx) Truncate(ctx context.Context, table string, resetID bool) error {
	t, err := tx.State.WriteTable("truncate", table)
	if err != nil {
		return err
	}
	if _, err := tx.C.Exec(ctx, Stmt{SQL: "DELETE FROM " + t.Quoted}); err != nil {
		return tx.C.Fail("truncate "+t.Name, err)
	}
	if resetID {
		if _, err := tx.C.Exec(ctx, tx.D.RestartIDs(t)); err != nil {
			return tx.C.Fail("truncate "+t.Name, err)
		}
	}
	return nil
}
