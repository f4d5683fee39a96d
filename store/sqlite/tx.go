package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"relaybase"
	"relaybase/internal/sqlbuild"
	"relaybase/metrics"
	"relaybase/value"
)

// Tx is a transaction on one connection. It belongs to one goroutine.
type Tx struct {
	*txOps // the table operations (sqlbuild.Tx) and the state: its schema, write, done
	db     *DB
	c      *conn
	start  time.Time // when Begin was called: the transaction's time includes its wait
}

type txOps = sqlbuild.Tx

// txConn is sqlbuild.Conn on a transaction's connection.
type txConn struct {
	db *DB
	c  *conn
}

func (k txConn) Rows(ctx context.Context, t *table, st sqlbuild.Stmt) ([]*value.Object, error) {
	rows, err := k.c.query(ctx, st.SQL, st.Args...)
	if err != nil {
		return nil, err
	}
	return scanRows(t, rows)
}

func (k txConn) Count(ctx context.Context, st sqlbuild.Stmt) (n int64, err error) {
	err = k.c.queryRow(ctx, st.SQL, st.Args...).Scan(&n)
	return n, err
}

func (k txConn) Exec(ctx context.Context, st sqlbuild.Stmt) (int64, error) {
	res, err := k.c.exec(ctx, st.SQL, st.Args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (k txConn) Fail(op string, err error) error { return k.db.fail(op, err) }

var _ relaybase.Tx = (*Tx)(nil)

// Insert runs an insert and decodes what it stored (the id the database assigned).
func (k txConn) Insert(ctx context.Context, t *table, st *sqlbuild.InsertStmt) (*value.Object, error) {
	var id int64
	if err := k.c.queryRow(ctx, st.SQL+` RETURNING "id"`, st.Args...).Scan(&id); err != nil {
		return nil, k.db.fail("insert into "+t.Name, err)
	}
	st.Stored[0] = id
	out := value.NewObject(len(t.Cols))
	for i := range t.Cols {
		v, err := decode(&t.Cols[i], st.Stored[i])
		if err != nil {
			return nil, k.db.fail("insert into "+t.Name, err)
		}
		out.Set(t.Cols[i].Name, v)
	}
	return out, nil
}

// Update runs an update and returns the changed row with the lowest id.
func (k txConn) Update(ctx context.Context, t *table, up *sqlbuild.UpdateStmt) (*value.Object, error) {
	rows, err := k.c.query(ctx, "UPDATE "+t.Quoted+" SET "+up.Set+" WHERE "+up.Where+" RETURNING "+t.SelCols, up.Args...)
	if err != nil {
		return nil, k.db.fail("update "+t.Name, err)
	}
	first, err := scanLowestID(t, rows)
	return first, k.db.fail("update "+t.Name, err)
}

// AppendHistory stores a frame in its channel's history, assigning the channel's next
// offset (and creating the channel's epoch with its first frame), then trims the channel to
// its newest keep frames. keep <= 0 keeps every frame. It sets e.Offset.
func (tx *Tx) AppendHistory(ctx context.Context, e *relaybase.HistoryEntry, keep int) (int64, string, error) {
	if err := tx.State.Writable("append history"); err != nil {
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
	if keep > 0 && offset > int64(keep) && (e.TrimEvery <= 1 || offset%e.TrimEvery == 0) {
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
	return tx.State.Savepoint(func(op, q string) error {
		_, err := tx.c.exec(ctx, q)
		return tx.db.fail(op, err)
	})
}

// Commit commits the transaction and gives its connection back.
func (tx *Tx) Commit() error {
	if err := tx.State.End(); err != nil {
		return err
	}
	defer tx.db.release(tx.c)
	if _, err := tx.c.exec(context.Background(), "COMMIT"); err != nil {
		// A failed COMMIT can leave the transaction open; end it so the connection is clean.
		tx.c.exec(context.Background(), "ROLLBACK")
		tx.db.met.Error(metrics.OpCommit)
		return tx.db.fail("commit", err)
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
	defer tx.db.release(tx.c)
	tx.db.met.Transaction(tx.State.Write, metrics.TxRollback, time.Since(tx.start))
	if _, err := tx.c.exec(context.Background(), "ROLLBACK"); err != nil {
		// SQLite may already have rolled back (an interrupted statement, a full disk).
		if strings.Contains(err.Error(), "no transaction is active") {
			return nil
		}
		return tx.db.fail("rollback", err)
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
