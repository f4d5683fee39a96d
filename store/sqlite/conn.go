package sqlite

import (
	"context"
	"database/sql"
)

// maxCachedStmts bounds a connection's statement cache: statements whose text depends on
// the data (IN lists, the set of fields an update changes) come in many shapes.
const maxCachedStmts = 256

// conn is one SQLite connection held for the life of the DB, with its prepared statements.
// Only the goroutine that has taken it from its pool uses it, so it needs no lock.
//
// Transactions are plain BEGIN/COMMIT statements on the connection rather than sql.Tx:
// that way statements prepared once on the connection serve every transaction on it.
type conn struct {
	c     *sql.Conn
	stmts map[string]*sql.Stmt
}

func (c *conn) stmt(ctx context.Context, q string) *sql.Stmt {
	if s, ok := c.stmts[q]; ok {
		return s
	}
	if len(c.stmts) >= maxCachedStmts {
		return nil
	}
	s, err := c.c.PrepareContext(ctx, q)
	if err != nil {
		return nil // the caller runs the text directly and gets the error there
	}
	c.stmts[q] = s
	return s
}

func (c *conn) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if s := c.stmt(ctx, q); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return c.c.ExecContext(ctx, q, args...)
}

func (c *conn) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if s := c.stmt(ctx, q); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return c.c.QueryContext(ctx, q, args...)
}

func (c *conn) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	if s := c.stmt(ctx, q); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return c.c.QueryRowContext(ctx, q, args...)
}

// uncached runs statements that are used once (DDL, ad-hoc queries) without preparing them
// for later.
func (c *conn) execOnce(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return c.c.ExecContext(ctx, q, args...)
}

func (c *conn) close() error {
	for _, s := range c.stmts {
		s.Close()
	}
	c.stmts = nil
	return c.c.Close()
}
