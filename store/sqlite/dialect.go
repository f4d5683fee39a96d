package sqlite

import (
	"database/sql/driver"
	"strings"

	sqlite3 "modernc.org/sqlite"

	"relaybase/internal/sqlbuild"
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
