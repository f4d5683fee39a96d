package sqlite

import (
	"fmt"
	"strconv"

	"relaybase"
	"relaybase/internal/sqlbuild"
	"relaybase/value"
)

// sqlType is the column type a kind of field is created with: int, timestamp and bool
// INTEGER (bool as 0/1), decimal REAL, the text types TEXT, and JSON TEXT holding JSON.
func sqlType(k sqlbuild.Kind) string {
	switch k {
	case sqlbuild.KindInt, sqlbuild.KindBool:
		return "INTEGER"
	case sqlbuild.KindReal:
		return "REAL"
	}
	return "TEXT"
}

// table and column are the shared builder's; SQLite names tables without a schema.
type (
	table  = sqlbuild.Table
	column = sqlbuild.Column
)

func newTable(def *relaybase.Table) *table {
	return sqlbuild.NewTable(sqlbuild.QuoteIdent(def.Name), def)
}

// schema is every migrated table by name. It is replaced whole by Migrate, never changed.
type schema struct {
	tables map[string]*table
}

// decode turns what a column holds back into a value of the field's type.
func decode(c *column, raw any) (any, error) {
	if raw == nil {
		return nil, nil
	}
	switch c.Kind {
	case sqlbuild.KindInt:
		switch n := raw.(type) {
		case int64:
			return n, nil
		case float64:
			return int64(n), nil
		case string:
			return strconv.ParseInt(n, 10, 64)
		}
	case sqlbuild.KindReal:
		switch n := raw.(type) {
		case float64:
			return n, nil
		case int64:
			return float64(n), nil
		case string:
			return strconv.ParseFloat(n, 64)
		}
	case sqlbuild.KindBool:
		switch n := raw.(type) {
		case int64:
			return n != 0, nil
		case float64:
			return n != 0, nil
		}
	case sqlbuild.KindText:
		switch s := raw.(type) {
		case string:
			return s, nil
		case []byte:
			return string(s), nil
		case int64:
			return strconv.FormatInt(s, 10), nil
		case float64:
			return value.FormatFloat(s), nil
		}
	case sqlbuild.KindJSON:
		switch s := raw.(type) {
		case string:
			return sqlbuild.DecodeJSON(c, []byte(s))
		case []byte:
			return sqlbuild.DecodeJSON(c, s)
		}
		return nil, fmt.Errorf("column %q holds %T, not JSON", c.Name, raw)
	}
	return nil, fmt.Errorf("column %q holds %T, not a %s", c.Name, raw, c.Field.Type)
}
