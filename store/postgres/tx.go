package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"relaybase"
	"relaybase/internal/sqlbuild"
	"relaybase/value"
)

// Tx is a transaction on one pooled connection. It belongs to one goroutine.
type Tx struct {
	db     *DB
	c      *pgxpool.Conn
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
		return nil, fmt.Errorf("postgres: table %q: %w", name, relaybase.ErrNotFound)
	}
	return t, nil
}

func (tx *Tx) writable(op string) error {
	if !tx.write {
		return fmt.Errorf("postgres: %s in a read-only transaction", op)
	}
	return nil
}

// Get returns the first row (lowest id) whose field equals v, or nil.
func (tx *Tx) Get(ctx context.Context, tableName, field string, v any) (*value.Object, error) {
	t, err := tx.table(tableName)
	if err != nil {
		return nil, err
	}
	st, err := sqlbuild.Get(tx.db.dialect, t, field, v)
	if err != nil {
		return nil, err
	}
	found, err := tx.queryRows(ctx, t, st.SQL, st.Args...)
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
// the table doesn't have. An id given in row is used as is, and the id sequence moves past
// it. A unique violation returns ErrConflict and leaves the transaction usable (the insert
// is ON CONFLICT DO NOTHING, so PostgreSQL never aborts the transaction for it).
func (tx *Tx) Insert(ctx context.Context, tableName string, row *value.Object) (*value.Object, error) {
	t, err := tx.table(tableName)
	if err != nil {
		return nil, err
	}
	if err := tx.writable("insert into " + t.Name); err != nil {
		return nil, err
	}
	st, err := sqlbuild.Insert(tx.db.dialect, t, row, tx.db.now, " ON CONFLICT DO NOTHING RETURNING "+t.SelCols)
	if err != nil {
		return nil, err
	}
	found, err := tx.queryRows(ctx, t, st.SQL, st.Args...)
	if err != nil {
		return nil, tx.db.fail("insert into "+t.Name, err)
	}
	if len(found) == 0 {
		return nil, fmt.Errorf("postgres: insert into %s: %w: a unique index already holds one of its values", t.Name, relaybase.ErrConflict)
	}
	if seq := tx.schema.seqs[t.Name]; st.Stored[0] != nil && seq != "" {
		// Ids the sequence hands out later must not meet this one. setval is not undone by
		// a rollback, which only skips ids.
		if _, err := tx.c.Exec(ctx, "SELECT setval($1::regclass, $2::bigint) WHERE $2::bigint > coalesce(pg_sequence_last_value($1::regclass), 0)",
			seq, st.Stored[0]); err != nil {
			return nil, tx.db.fail("insert into "+t.Name, err)
		}
	}
	return found[0], nil
}

// Update changes the given fields of the rows whose field equals v and returns the changed
// row with the lowest id, or nil when none matched. id can't be changed: it is ignored. On a
// table with a unique index the update runs in a savepoint, so that a unique violation
// returns ErrConflict and leaves the transaction usable.
func (tx *Tx) Update(ctx context.Context, tableName, field string, v any, changes *value.Object) (*value.Object, error) {
	t, err := tx.table(tableName)
	if err != nil {
		return nil, err
	}
	if err := tx.writable("update " + t.Name); err != nil {
		return nil, err
	}
	set, cond, args, err := sqlbuild.Update(tx.db.dialect, t, field, v, changes)
	if err != nil {
		return nil, err
	}
	if set == "" {
		return tx.Get(ctx, tableName, field, v)
	}
	q := "WITH u AS (UPDATE " + t.Quoted + " SET " + set + " WHERE " + cond + " RETURNING " + t.SelCols + ") " +
		"SELECT " + t.SelCols + ` FROM u ORDER BY "id" LIMIT 1`
	var found []*value.Object
	if t.Unique {
		found, err = tx.guarded(ctx, t, q, args)
	} else {
		found, err = tx.queryRows(ctx, t, q, args...)
	}
	if err != nil {
		return nil, tx.db.fail("update "+t.Name, err)
	}
	if len(found) == 0 {
		return nil, nil
	}
	return found[0], nil
}

// guarded runs a statement that may break a unique index inside a savepoint, sent in one
// round trip with it; on failure it rolls back to the savepoint, so the transaction goes on.
func (tx *Tx) guarded(ctx context.Context, t *table, q string, args []any) ([]*value.Object, error) {
	var batch pgx.Batch
	batch.Queue("SAVEPOINT rb_stmt")
	var found []*value.Object
	batch.Queue(q, args...).Query(func(rows pgx.Rows) error {
		var err error
		found, err = scanRows(t, rows)
		return err
	})
	batch.Queue("RELEASE SAVEPOINT rb_stmt")
	err := tx.c.SendBatch(ctx, &batch).Close()
	if err != nil && tx.c.Conn().PgConn().TxStatus() == 'E' {
		if _, rerr := tx.c.Exec(context.Background(), "ROLLBACK TO SAVEPOINT rb_stmt; RELEASE SAVEPOINT rb_stmt"); rerr != nil {
			return nil, errors.Join(err, rerr)
		}
	}
	return found, err
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
	st, err := sqlbuild.Delete(tx.db.dialect, t, field, v)
	if err != nil {
		return 0, err
	}
	tag, err := tx.c.Exec(ctx, st.SQL, st.Args...)
	if err != nil {
		return 0, tx.db.fail("delete from "+t.Name, err)
	}
	return tag.RowsAffected(), nil
}

// Truncate removes every row; resetID restarts ids at 1. It deletes rather than TRUNCATEs,
// so that read transactions that began before it still see the rows; restarting the id
// sequence is transactional (undone by a rollback) but locks the table until the end.
func (tx *Tx) Truncate(ctx context.Context, tableName string, resetID bool) error {
	t, err := tx.table(tableName)
	if err != nil {
		return err
	}
	if err := tx.writable("truncate " + t.Name); err != nil {
		return err
	}
	if _, err := tx.c.Exec(ctx, "DELETE FROM "+t.Quoted); err != nil {
		return tx.db.fail("truncate "+t.Name, err)
	}
	if resetID {
		if _, err := tx.c.Exec(ctx, "ALTER TABLE "+t.Quoted+` ALTER COLUMN "id" RESTART WITH 1`); err != nil {
			return tx.db.fail("truncate "+t.Name, err)
		}
	}
	return nil
}

// AppendHistory stores a frame in its channel's history, assigning the channel's next
// offset (and creating the channel's epoch with its first frame), then trims the channel to
// its newest keep frames. keep <= 0 keeps every frame. It sets e.Offset.
//
// One statement does it all. The upsert of the channel's row locks that row until the
// transaction ends, so appends to one channel take turns and their offsets follow commit
// order (the write lock already orders them; this holds even without it).
func (tx *Tx) AppendHistory(ctx context.Context, e *relaybase.HistoryEntry, keep int) (int64, string, error) {
	if tx.done {
		return 0, "", errTxDone
	}
	if err := tx.writable("append history"); err != nil {
		return 0, "", err
	}
	if !relaybase.StorableText(e.Channel) {
		return 0, "", fmt.Errorf("postgres: append history: the channel name must be UTF-8 text without NUL")
	}
	frame := e.Frame
	if frame == nil {
		frame = []byte{}
	}
	var (
		offset int64
		epoch  string
	)
	err := tx.c.QueryRow(ctx, tx.db.sql(`WITH c AS (
			INSERT INTO {s}._relaybase_channels AS ch (channel, next_offset, epoch) VALUES ($1::text, 2, $2::text)
			ON CONFLICT (channel) DO UPDATE SET next_offset = ch.next_offset + 1
			RETURNING ch.next_offset - 1 AS off, ch.epoch
		), h AS (
			INSERT INTO {s}._relaybase_history (channel, "offset", created_at, sender_authenticated, authenticated_only, frame)
			SELECT $1::text, c.off, $3::bigint, $4::boolean, $5::boolean, $6::bytea FROM c
		), d AS (
			DELETE FROM {s}._relaybase_history
			WHERE $7::bigint > 0 AND channel = $1::text AND "offset" <= (SELECT off FROM c) - $7::bigint
		)
		SELECT off, epoch FROM c`),
		e.Channel, newEpoch(), e.CreatedAt, e.SenderAuthenticated, e.AuthenticatedOnly, frame, int64(max(keep, 0))).
		Scan(&offset, &epoch)
	if err != nil {
		return 0, "", tx.db.fail("append history", err)
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
	if _, err := tx.c.Exec(ctx, "SAVEPOINT "+sp.name); err != nil {
		return nil, tx.db.fail("savepoint", err)
	}
	return sp, nil
}

// Commit commits the transaction and gives its connection back. When PostgreSQL answers a
// COMMIT with a rollback (an earlier statement failed), Commit returns an error.
func (tx *Tx) Commit() error {
	if tx.done {
		return errTxDone
	}
	tx.done = true
	defer tx.release()
	tag, err := tx.c.Exec(context.Background(), "COMMIT")
	if err != nil {
		return tx.db.fail("commit", err)
	}
	if tag.String() != "COMMIT" {
		return tx.db.fail("commit", errors.New("the transaction was rolled back: an earlier statement in it failed"))
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
	defer tx.release()
	if _, err := tx.c.Exec(context.Background(), "ROLLBACK"); err != nil {
		if tx.c.Conn().IsClosed() {
			return nil // the server rolls back what a lost connection left open
		}
		return tx.db.fail("rollback", err)
	}
	return nil
}

// release gives the connection back (the pool closes it if it is still in a transaction)
// and, for a write Tx, lets the next writer of this DB go.
func (tx *Tx) release() {
	tx.c.Release()
	if tx.write {
		tx.db.wsem <- struct{}{}
	}
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
	if _, err := sp.tx.c.Exec(context.Background(), "RELEASE SAVEPOINT "+sp.name); err != nil {
		return sp.tx.db.fail("release savepoint", err)
	}
	return nil
}

func (sp *savepoint) Rollback() error {
	if sp.done || sp.tx.done {
		return nil
	}
	sp.done = true
	if _, err := sp.tx.c.Exec(context.Background(), "ROLLBACK TO SAVEPOINT "+sp.name+"; RELEASE SAVEPOINT "+sp.name); err != nil {
		return sp.tx.db.fail("roll back savepoint", err)
	}
	return nil
}

// queryRows runs a query that returns t's columns (selCols order) and decodes the rows.
func (tx *Tx) queryRows(ctx context.Context, t *table, q string, args ...any) ([]*value.Object, error) {
	rows, err := tx.c.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return scanRows(t, rows)
}

// scanRows reads rows of t's columns (selCols order) and closes rows.
func scanRows(t *table, rows pgx.Rows) ([]*value.Object, error) {
	defer rows.Close()
	s := newRowScanner(t)
	var out []*value.Object
	for rows.Next() {
		o, err := s.scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// rowScanner holds a destination of the right type for each of a table's columns.
type rowScanner struct {
	t    *table
	cell []cell
	dest []any
}

type cell struct {
	i pgtype.Int8
	f pgtype.Float8
	b pgtype.Bool
	s pgtype.Text
	j []byte
}

func newRowScanner(t *table) *rowScanner {
	s := &rowScanner{t: t, cell: make([]cell, len(t.Cols)), dest: make([]any, len(t.Cols))}
	for i := range t.Cols {
		c := &s.cell[i]
		switch t.Cols[i].Kind {
		case sqlbuild.KindInt:
			s.dest[i] = &c.i
		case sqlbuild.KindReal:
			s.dest[i] = &c.f
		case sqlbuild.KindBool:
			s.dest[i] = &c.b
		case sqlbuild.KindText:
			s.dest[i] = &c.s
		case sqlbuild.KindJSON:
			s.dest[i] = &c.j
		}
	}
	return s
}

func (s *rowScanner) scan(rows pgx.Rows) (*value.Object, error) {
	if err := rows.Scan(s.dest...); err != nil {
		return nil, err
	}
	o := value.NewObject(len(s.t.Cols))
	for i := range s.t.Cols {
		col, c := &s.t.Cols[i], &s.cell[i]
		var v any
		switch col.Kind {
		case sqlbuild.KindInt:
			if c.i.Valid {
				v = c.i.Int64
			}
		case sqlbuild.KindReal:
			if c.f.Valid {
				v = c.f.Float64
			}
		case sqlbuild.KindBool:
			if c.b.Valid {
				v = c.b.Bool
			}
		case sqlbuild.KindText:
			if c.s.Valid {
				v = c.s.String
			}
		case sqlbuild.KindJSON:
			if c.j != nil {
				var err error
				if v, err = sqlbuild.DecodeJSON(col, c.j); err != nil {
					return nil, err
				}
			}
		}
		o.Set(col.Name, v)
	}
	return o, nil
}

// isConflict reports whether err is a unique violation.
func isConflict(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}
