package postgres

import (
	"relaybase/internal/sqlbuild"
)

// sqlType is the column type a kind of field is created with: int and timestamp bigint,
// decimal double precision, bool boolean, JSON jsonb, and the text types text COLLATE "C",
// so that text sorts and compares by code point (for UTF-8, byte order) as Go and SQLite
// do, whatever the database's locale.
func sqlType(k sqlbuild.Kind) string {
	switch k {
	case sqlbuild.KindInt:
		return "bigint"
	case sqlbuild.KindReal:
		return "double precision"
	case sqlbuild.KindBool:
		return "boolean"
	case sqlbuild.KindJSON:
		return "jsonb"
	}
	return `text COLLATE "C"`
}

// catalogType is the type as PostgreSQL's format_type() spells it (to compare with the catalog).
func catalogType(k sqlbuild.Kind) string {
	if k == sqlbuild.KindText {
		return "text"
	}
	return sqlType(k)
}

// table and column are the shared builder's, named schema-qualified.
type (
	table  = sqlbuild.Table
	column = sqlbuild.Column
)

// schema is every migrated table by name, and the id sequence of each (schema-qualified and
// quoted, as regclass text; "" if none). It is replaced whole by Migrate, never changed.
type schema struct {
	tables map[string]*table
	seqs   map[string]string
}

// qualify names a relation in the schema nsp.
func qualify(nsp, name string) string {
	return sqlbuild.QuoteIdent(nsp) + "." + sqlbuild.QuoteIdent(name)
}
