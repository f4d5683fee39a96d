package postgres

import (
	"context"

	"relaybase"
	"relaybase/internal/sqlbuild"
	"relaybase/value"
)

// Query runs a query: rows in the asked order (then by id), a page of them, and the total.
// Nulls sort first ascending and last descending.
func (tx *Tx) Query(ctx context.Context, q *relaybase.Query) (*relaybase.QueryResult, error) {
	t, err := tx.table(q.Table)
	if err != nil {
		return nil, err
	}
	sel, count, err := sqlbuild.Query(tx.db.dialect, t, q)
	if err != nil {
		return nil, err
	}
	found, err := tx.queryRows(ctx, t, sel.SQL, sel.Args...)
	if err != nil {
		return nil, tx.db.fail("query "+t.Name, err)
	}
	res := &relaybase.QueryResult{Rows: found}
	if found == nil {
		res.Rows = []*value.Object{}
	}
	if q.Total {
		if err := tx.c.QueryRow(ctx, count.SQL, count.Args...).Scan(&res.Total); err != nil {
			return nil, tx.db.fail("query "+t.Name, err)
		}
	}
	return res, nil
}
