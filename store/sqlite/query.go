package sqlite

import (
	"context"
	"database/sql/driver"
	"strings"

	sqlite3 "modernc.org/sqlite"

	"relaybase"
	"relaybase/internal/sqlbuild"
	"relaybase/value"
)

// sq is the dialect of the SQL this package has the shared builder write.
var sq = sqlbuild.SQLite

func init() {
	sqlite3.MustRegisterDeterministicScalarFunction(sqlbuild.SQLiteLower, 1,
		func(_ *sqlite3.FunctionContext, args []driver.Value) (driver.Value, error) {
			switch s := args[0].(type) {
			case string:
				return strings.ToLower(s), nil
			case []byte:
				return strings.ToLower(string(s)), nil
			}
			return args[0], nil
		})
}

// Query runs a query: rows in the asked order (then by id), a page of them, and the total.
// Nulls sort first ascending and last descending.
func (tx *Tx) Query(ctx context.Context, q *relaybase.Query) (*relaybase.QueryResult, error) {
	t, err := tx.table(q.Table)
	if err != nil {
		return nil, err
	}
	sel, count, err := sqlbuild.Query(sq, t, q)
	if err != nil {
		return nil, err
	}
	rows, err := tx.c.query(ctx, sel.SQL, sel.Args...)
	if err != nil {
		return nil, tx.db.fail("query "+t.Name, err)
	}
	found, err := scanRows(t, rows)
	if err != nil {
		return nil, tx.db.fail("query "+t.Name, err)
	}
	res := &relaybase.QueryResult{Rows: found}
	if found == nil {
		res.Rows = []*value.Object{}
	}
	if q.Total {
		if err := tx.c.queryRow(ctx, count.SQL, count.Args...).Scan(&res.Total); err != nil {
			return nil, tx.db.fail("query "+t.Name, err)
		}
	}
	return res, nil
}
