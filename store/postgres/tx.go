package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"relaybase"
	"relaybase/internal/sqlbuild"
	"relaybase/metrics"
	"relaybase/value"
)

// Tx is a transaction on one pooled connection. It belongs to one goroutine.
type Tx struct {
	*txOps // the table operations (sqlbuild.Tx) and the state: its schema, write, done
	db     *DB
	c      *pgxpool.Conn
	start  time.Time // when Begin was called: the transaction's time includes its wait
}

type txOps = sqlbuild.Tx

// txConn is sqlbuild.Conn on a transaction's connection.
type txConn struct {
	db   *DB
	c    *pgxpool.Conn
	seqs map[string]string // each table's id sequence (schema.seqs)
}

func (k txConn) Rows(ctx context.Context, t *table, st sqlbuild.Stmt) ([]*value.Object, error) {
	rows, err := k.c.Query(ctx, st.SQL, st.Args...)
	if err != nil {
		return nil, err
	}
	return scanRows(t, rows)
}

func (k txConn) Count(ctx context.Context, st sqlbuild.Stmt) (int64, error) {
	var n int64
	err := k.c.QueryRow(ctx, st.SQL, st.Args...).Scan(&n)
	return n, err
}

func (k txConn) Exec(ctx context.Context, st sqlbuild.Stmt) (int64, error) {
	tag, err := k.c.Exec(ctx, st.SQL, st.Args...)
	return tag.RowsAffected(), err
}

func (k txConn) Fail(op string, err error) error { return k.db.fail(op, err) }

var _ relaybase.Tx = (*Tx)(nil)

// Insert runs an insert ON CONFLICT DO NOTHING, so that a unique violation returns
// ErrConflict and leaves the transaction usable (PostgreSQL never aborts it for that). An
// explicit id moves the id sequence past it.
func (k txConn) Insert(ctx context.Context, t *table, st *sqlbuild.InsertStmt) (*value.Object, error) {
	found, err := k.Rows(ctx, t, sqlbuild.Stmt{SQL: st.SQL + " ON CONFLICT DO NOTHING RETURNING " + t.SelCols, Args: st.Args})
	if err != nil {
		return nil, k.db.fail("insert into "+t.Name, err)
	}
	if len(found) == 0 {
		return nil, fmt.Errorf("postgres: insert into %s: %w: a unique index already holds one of its values", t.Name, relaybase.ErrConflict)
	}
	if seq := k.seqs[t.Name]; st.Stored[0] != nil && seq != "" {
		// Ids the sequence hands out later must not meet this one. setval is not undone by
		// a rollback, which only skips ids.
		if _, err := k.c.Exec(ctx, "SELECT setval($1::regclass, $2::bigint) WHERE $2::bigint > coalesce(pg_sequence_last_value($1::regclass), 0)",
			seq, st.Stored[0]); err != nil {
			return nil, k.db.fail("insert into "+t.Name, err)
		}
	}
	return found[0], nil
}

// Update runs an update and returns the changed row with the lowest id. On a table with a
// unique index it runs in a savepoint, so that a unique violation returns ErrConflict and
// leaves the transaction usable.
func (k txConn) Update(ctx context.Context, t *table, up *sqlbuild.UpdateStmt) (*value.Object, error) {
	q := sqlbuild.Stmt{SQL: "WITH u AS (UPDATE " + t.Quoted + " SET " + up.Set + " WHERE " + up.Where + " RETURNING " + t.SelCols + ") " +
		"SELECT " + t.SelCols + ` FROM u ORDER BY "id" LIMIT 1`, Args: up.Args}
	var found []*value.Object
	var err error
	if t.Unique {
		found, err = k.guarded(ctx, t, q)
	} else {
		found, err = k.Rows(ctx, t, q)
	}
	if err != nil || len(found) == 0 {
		return nil, k.db.fail("update "+t.Name, err)
	}
	return found[0], nil
}

// Savepoint starts a nested transaction.
func (tx *Tx) Savepoint(ctx context.Context) (relaybase.Savepoint, error) {
	return tx.State.Savepoint(func(op, q string) error {
		_, err := tx.c.Exec(ctx, q)
		return tx.db.fail(op, err)
	})
}

// guarded runs a statement that may break a unique index inside a savepoint, sent in one
// round trip with it; on failure it rolls back to the savepoint, so the transaction goes on.
func (k txConn) guarded(ctx context.Context, t *table, q sqlbuild.Stmt) ([]*value.Object, error) {
	var batch pgx.Batch
	batch.Queue("SAVEPOINT rb_stmt")
	var found []*value.Object
	batch.Queue(q.SQL, q.Args...).Query(func(rows pgx.Rows) error {
		var err error
		found, err = scanRows(t, rows)
		return err
	})
	batch.Queue("RELEASE SAVEPOINT rb_stmt")
	err := k.c.SendBatch(ctx, &batch).Close()
	if err != nil && k.c.Conn().PgConn().TxStatus() == 'E' {
		if _, rerr := k.c.Exec(context.Background(), "ROLLBACK TO SAVEPOINT rb_stmt; RELEASE SAVEPOINT rb_stmt"); rerr != nil {
			return nil, errors.Join(err, rerr)
		}
	}
	return found, err
}

// AppendHistory stores a frame in its channel's history, assigning the channel's next
// offset (and creating the channel's epoch with its first frame), then trims the channel to
// its newest keep frames. keep <= 0 keeps every frame. It sets e.Offset.
//
// One statement does it all. The upsert of the channel's row locks that row until the
// transaction ends: appends to one channel take turns, each sees the offset the one before
// it committed (READ COMMITTED re-reads the row it waited for), and a rolled back append
// frees its offset for the next. So offsets are dense and follow commit order, while
// appends to other channels (and every other write) go on.
func (tx *Tx) AppendHistory(ctx context.Context, e *relaybase.HistoryEntry, keep int) (int64, string, error) {
	if err := tx.State.Writable("append history"); err != nil {
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
				AND (SELECT off FROM c) % $8::bigint = 0
		)
		SELECT off, epoch FROM c`),
		e.Channel, newEpoch(), e.CreatedAt, e.SenderAuthenticated, e.AuthenticatedOnly, frame, int64(max(keep, 0)), max(e.TrimEvery, 1)).
		Scan(&offset, &epoch)
	if err != nil {
		return 0, "", tx.db.fail("append history", err)
	}
	e.Offset = offset
	return offset, epoch, nil
}

// Commit commits the transaction and gives its connection back. When PostgreSQL answers a
// COMMIT with a rollback (an earlier statement failed), Commit returns an error.
func (tx *Tx) Commit() error {
	if err := tx.State.End(); err != nil {
		return err
	}
	defer tx.release()
	tag, err := tx.c.Exec(context.Background(), "COMMIT")
	if err != nil {
		tx.db.met.Error(metrics.OpCommit)
		return tx.db.fail("commit", err)
	}
	if tag.String() != "COMMIT" {
		tx.db.met.Error(metrics.OpCommit)
		return tx.db.fail("commit", errors.New("the transaction was rolled back: an earlier statement in it failed"))
	}
	tx.db.met.Transaction(tx.State.Write, metrics.TxCommit, time.Since(tx.start))
	return nil
}

// Rollback undoes the transaction and gives its connection back; after Commit or Rollback
// it does nothing.
func (tx *Tx) Rollback() error {
	if tx.State.End() != nil {
		return nil // already ended
	}
	defer tx.release()
	tx.db.met.Transaction(tx.State.Write, metrics.TxRollback, time.Since(tx.start))
	if _, err := tx.c.Exec(context.Background(), "ROLLBACK"); err != nil {
		if tx.c.Conn().IsClosed() {
			return nil // the server rolls back what a lost connection left open
		}
		return tx.db.fail("rollback", err)
	}
	return nil
}

// release gives the connection back (the pool closes it if it is still in a transaction)
// and, for a write Tx, its writer slot.
func (tx *Tx) release() {
	tx.c.Release()
	if tx.State.Write {
		tx.db.writers <- struct{}{}
	}
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
