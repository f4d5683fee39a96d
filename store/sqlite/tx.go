package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"relaybase"
	"relaybase/internal/sqlbuild"
	"relaybase/value"
)

// Tx is a transaction on one connection. It belongs to one goroutine.
type Tx struct {
	db     *DB
	c      *conn
	write  bool
	schema *schema
	done   bool
	nsp    int // savepoints started, for their names
}

var _ relaybase.Tx = (*Tx)(nil)

var errTxDone = errors.New("the transaction has already ended")

func (tx *Tx) table(name string) (*table, error) {
	if tx.done {
		return nil, errTxDone
	}
	t, ok := tx.schema.tables[name]
	if !ok {
		return nil, fmt.Errorf("sqlite: table %q: %w", name, relaybase.ErrNotFound)
	}
	return t, nil
}

func (tx *Tx) writable(op string) error {
	if !tx.write {
		return fmt.Errorf("sqlite: %s in a read-only transaction", op)
	}
	return nil
}

// Get returns the first row (lowest id) whose field equals v, or nil.
func (tx *Tx) Get(ctx context.Context, tableName, field string, v any) (*value.Object, error) {
	t, err := tx.table(tableName)
	if err != nil {
		return nil, err
	}
	st, err := sqlbuild.Get(sq, t, field, v)
	if err != nil {
		return nil, err
	}
	rows, err := tx.c.query(ctx, st.SQL, st.Args...)
	if err != nil {
		return nil, tx.db.fail("get from "+t.Name, err)
	}
	found, err := scanRows(t, rows)
	if err != nil {
		return nil, tx.db.fail("get from "+t.Name, err)
	}
	if len(found) == 0 {
		return nil, nil
	}
	return found[0], nil
}

// Insert adds a row: omitted fields get their default, or null when they are optional or
// nullable; an omitted required field without a default is an input error, as is a field
// the table doesn't have. An id given in row is used as is.
func (tx *Tx) Insert(ctx context.Context, tableName string, row *value.Object) (*value.Object, error) {
	t, err := tx.table(tableName)
	if err != nil {
		return nil, err
	}
	if err := tx.writable("insert into " + t.Name); err != nil {
		return nil, err
	}
	st, err := sqlbuild.Insert(sq, t, row, tx.db.now, ` RETURNING "id"`)
	if err != nil {
		return nil, err
	}
	var id int64
	if err := tx.c.queryRow(ctx, st.SQL, st.Args...).Scan(&id); err != nil {
		return nil, tx.db.fail("insert into "+t.Name, err)
	}
	st.Stored[0] = id
	out := value.NewObject(len(t.Cols))
	for i := range t.Cols {
		v, err := decode(&t.Cols[i], st.Stored[i])
		if err != nil {
			return nil, tx.db.fail("insert into "+t.Name, err)
		}
		out.Set(t.Cols[i].Name, v)
	}
	return out, nil
}

// Update changes the given fields of the rows whose field equals v and returns the changed
// row with the lowest id, or nil when none matched. id can't be changed: it is ignored.
func (tx *Tx) Update(ctx context.Context, tableName, field string, v any, changes *value.Object) (*value.Object, error) {
	t, err := tx.table(tableName)
	if err != nil {
		return nil, err
	}
	if err := tx.writable("update " + t.Name); err != nil {
		return nil, err
	}
	set, cond, args, err := sqlbuild.Update(sq, t, field, v, changes)
	if err != nil {
		return nil, err
	}
	if set == "" {
		return tx.Get(ctx, tableName, field, v)
	}
	rows, err := tx.c.query(ctx, "UPDATE "+t.Quoted+" SET "+set+" WHERE "+cond+" RETURNING "+t.SelCols, args...)
	if err != nil {
		return nil, tx.db.fail("update "+t.Name, err)
	}
	first, err := scanLowestID(t, rows)
	if err != nil {
		return nil, tx.db.fail("update "+t.Name, err)
	}
	return first, nil
}

// Delete removes the rows whose field equals v and returns how many it removed.
func (tx *Tx) Delete(ctx context.Context, tableName, field string, v any) (int64, error) {
	t, err := tx.table(tableName)
	if err != nil {
		return 0, err
	}
	if err := tx.writable("delete from " + t.Name); err != nil {
		return 0, err
	}
	st, err := sqlbuild.Delete(sq, t, field, v)
	if err != nil {
		return 0, err
	}
	res, err := tx.c.exec(ctx, st.SQL, st.Args...)
	if err != nil {
		return 0, tx.db.fail("delete from "+t.Name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, tx.db.fail("delete from "+t.Name, err)
	}
	return n, nil
}

// Truncate removes every row; resetID restarts ids at 1.
func (tx *Tx) Truncate(ctx context.Context, tableName string, resetID bool) error {
	t, err := tx.table(tableName)
	if err != nil {
		return err
	}
	if err := tx.writable("truncate " + t.Name); err != nil {
		return err
	}
	if _, err := tx.c.exec(ctx, "DELETE FROM "+t.Quoted); err != nil {
		return tx.db.fail("truncate "+t.Name, err)
	}
	if resetID {
		if _, err := tx.c.exec(ctx, "DELETE FROM sqlite_sequence WHERE name = ?", t.Name); err != nil {
			return tx.db.fail("truncate "+t.Name, err)
		}
	}
	return nil
}

// AppendHistory stores a frame in its channel's history, assigning the channel's next
// offset (and creating the channel's epoch with its first frame), then trims the channel to
// its newest keep frames. keep <= 0 keeps every frame. It sets e.Offset.
func (tx *Tx) AppendHistory(ctx context.Context, e *relaybase.HistoryEntry, keep int) (int64, string, error) {
	if tx.done {
		return 0, "", errTxDone
	}
	if err := tx.writable("append history"); err != nil {
		return 0, "", err
	}
	var (
		offset int64
		epoch  string
	)
	err := tx.c.queryRow(ctx,
		`INSERT INTO _relaybase_channels (channel, next_offset, epoch) VALUES (?, 2, ?)
		 ON CONFLICT (channel) DO UPDATE SET next_offset = next_offset + 1
		 RETURNING next_offset - 1, epoch`, e.Channel, newEpoch()).Scan(&offset, &epoch)
	if err != nil {
		return 0, "", tx.db.fail("append history", err)
	}
	frame := e.Frame
	if frame == nil {
		frame = []byte{}
	}
	_, err = tx.c.exec(ctx,
		`INSERT INTO _relaybase_history (channel, "offset", created_at, sender_authenticated, authenticated_only, frame)
		 VALUES (?, ?, ?, ?, ?, ?)`,
		e.Channel, offset, e.CreatedAt, e.SenderAuthenticated, e.AuthenticatedOnly, frame)
	if err != nil {
		return 0, "", tx.db.fail("append history", err)
	}
	if keep > 0 && offset > int64(keep) {
		_, err = tx.c.exec(ctx, `DELETE FROM _relaybase_history WHERE channel = ? AND "offset" <= ?`,
			e.Channel, offset-int64(keep))
		if err != nil {
			return 0, "", tx.db.fail("append history", err)
		}
	}
	e.Offset = offset
	return offset, epoch, nil
}

// Savepoint starts a nested transaction.
func (tx *Tx) Savepoint(ctx context.Context) (relaybase.Savepoint, error) {
	if tx.done {
		return nil, errTxDone
	}
	tx.nsp++
	sp := &savepoint{tx: tx, name: "rb_sp_" + strconv.Itoa(tx.nsp)}
	if _, err := tx.c.exec(ctx, "SAVEPOINT "+sp.name); err != nil {
		return nil, tx.db.fail("savepoint", err)
	}
	return sp, nil
}

// Commit commits the transaction and gives its connection back.
func (tx *Tx) Commit() error {
	if tx.done {
		return errTxDone
	}
	tx.done = true
	defer tx.db.release(tx.c)
	if _, err := tx.c.exec(context.Background(), "COMMIT"); err != nil {
		// A failed COMMIT can leave the transaction open; end it so the connection is clean.
		tx.c.exec(context.Background(), "ROLLBACK")
		return tx.db.fail("commit", err)
	}
	return nil
}

// Rollback undoes the transaction and gives its connection back; after Commit or Rollback
// it does nothing.
func (tx *Tx) Rollback() error {
	if tx.done {
		return nil
	}
	tx.done = true
	defer tx.db.release(tx.c)
	if _, err := tx.c.exec(context.Background(), "ROLLBACK"); err != nil {
		// SQLite may already have rolled back (an interrupted statement, a full disk).
		if strings.Contains(err.Error(), "no transaction is active") {
			return nil
		}
		return tx.db.fail("rollback", err)
	}
	return nil
}

type savepoint struct {
	tx   *Tx
	name string
	done bool
}

func (sp *savepoint) Release() error {
	if sp.done || sp.tx.done {
		return nil
	}
	sp.done = true
	if _, err := sp.tx.c.exec(context.Background(), "RELEASE "+sp.name); err != nil {
		return sp.tx.db.fail("release savepoint", err)
	}
	return nil
}

func (sp *savepoint) Rollback() error {
	if sp.done || sp.tx.done {
		return nil
	}
	sp.done = true
	if _, err := sp.tx.c.exec(context.Background(), "ROLLBACK TO "+sp.name); err != nil {
		return sp.tx.db.fail("roll back savepoint", err)
	}
	if _, err := sp.tx.c.exec(context.Background(), "RELEASE "+sp.name); err != nil {
		return sp.tx.db.fail("roll back savepoint", err)
	}
	return nil
}

// scanLowestID reads rows of t's columns and decodes only the one with the lowest id (an
// update may change many rows; it returns one).
func scanLowestID(t *table, rows *sql.Rows) (*value.Object, error) {
	defer rows.Close()
	raw := make([]any, len(t.Cols))
	ptrs := make([]any, len(t.Cols))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	var first []any
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		id, _ := raw[0].(int64)
		if first == nil || id < first[0].(int64) {
			first = append(first[:0], raw...)
		}
	}
	if err := rows.Err(); err != nil || first == nil {
		return nil, err
	}
	o := value.NewObject(len(t.Cols))
	for i := range t.Cols {
		v, err := decode(&t.Cols[i], first[i])
		if err != nil {
			return nil, err
		}
		o.Set(t.Cols[i].Name, v)
	}
	return o, nil
}

// scanRows reads rows of t's columns (selCols order) and closes rows.
func scanRows(t *table, rows *sql.Rows) ([]*value.Object, error) {
	defer rows.Close()
	var out []*value.Object
	raw := make([]any, len(t.Cols))
	ptrs := make([]any, len(t.Cols))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		o := value.NewObject(len(t.Cols))
		for i := range t.Cols {
			v, err := decode(&t.Cols[i], raw[i])
			if err != nil {
				return nil, err
			}
			o.Set(t.Cols[i].Name, v)
			raw[i] = nil
		}
		out = append(out, o)
	}
	return out, rows.Err()
}
