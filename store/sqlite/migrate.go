package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"relaybase"
	"relaybase/internal/sqlbuild"
)

// Migrate creates the workspace's tables and adds missing fields and indexes, inside one
// write transaction (BEGIN IMMEDIATE, so concurrent migrations from other processes queue).
// It assigns every Table.ID, remembers each field's declared type, and converts a column
// when its type changes without losing data (int → decimal, int → text, text → json ...).
// Fields and indexes the workspace no longer defines are kept and reported in notes. What
// to do is planned by internal/sqlbuild (Migration); this file is SQLite's catalog and DDL.
func (db *DB) Migrate(ctx context.Context, tables []*relaybase.Table, fixedIDs map[string]int64) ([]string, error) {
	if err := relaybase.CheckTables(tables, fixedIDs, sq.Limits()); err != nil {
		return nil, err
	}
	tx, err := db.begin(ctx, true)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	s := &schema{tables: make(map[string]*table, len(tables))}
	made := make([]*table, len(tables))
	for i, t := range tables {
		made[i] = newTable(t)
		s.tables[t.Name] = made[i]
	}
	m := &sqlbuild.Migration{Catalog: catalog{tx.c}}
	ids, notes, err := m.Run(ctx, made, fixedIDs)
	if err != nil {
		return nil, db.fail("migrate", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	for _, t := range tables {
		t.ID = ids[t.Name]
	}
	db.schema.Store(s)
	return notes, nil
}

// catalog is sqlbuild.Catalog on the writer connection, inside the migration's transaction.
// SQLite matches column names without regard to case.
type catalog struct{ c *conn }

func (k catalog) exec(ctx context.Context, q string, args ...any) error {
	_, err := k.c.execOnce(ctx, q, args...)
	return err
}

// scan runs a query and calls row with each row's scanner.
func (k catalog) scan(ctx context.Context, q string, args []any, row func(scan func(...any) error) error) error {
	rows, err := k.c.c.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := row(rows.Scan); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (catalog) Key(name string) string { return strings.ToLower(name) }

func (k catalog) TableIDs(ctx context.Context) (map[string]int64, error) {
	ids := map[string]int64{}
	err := k.scan(ctx, "SELECT name, id FROM _relaybase_table_ids", nil, func(scan func(...any) error) error {
		var name string
		var id int64
		err := scan(&name, &id)
		ids[name] = id
		return err
	})
	return ids, err
}

func (k catalog) SetTableID(ctx context.Context, name string, id int64) error {
	if err := k.exec(ctx, "DELETE FROM _relaybase_table_ids WHERE name = ? OR id = ?", name, id); err != nil {
		return err
	}
	return k.exec(ctx, "INSERT INTO _relaybase_table_ids (name, id) VALUES (?, ?)", name, id)
}

func (k catalog) Columns(ctx context.Context, t *table) (map[string]sqlbuild.CatalogColumn, bool, error) {
	var n int
	if err := k.c.c.QueryRowContext(ctx,
		"SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ? COLLATE NOCASE", t.Name).Scan(&n); err != nil {
		return nil, false, err
	}
	cols := map[string]sqlbuild.CatalogColumn{}
	err := k.scan(ctx, "SELECT name, type FROM pragma_table_info(?)", []any{t.Name}, func(scan func(...any) error) error {
		var c sqlbuild.CatalogColumn
		err := scan(&c.Name, &c.SQLType)
		cols[strings.ToLower(c.Name)] = c
		return err
	})
	return cols, n > 0, err
}

func (k catalog) DeclaredTypes(ctx context.Context, t *table) (map[string]sqlbuild.Declared, error) {
	known := map[string]sqlbuild.Declared{}
	err := k.scan(ctx, "SELECT field, type, is_array FROM _relaybase_fields WHERE table_name = ?", []any{t.Name},
		func(scan func(...any) error) error {
			var name, typ string
			var arr bool
			err := scan(&name, &typ, &arr)
			known[strings.ToLower(name)] = sqlbuild.Declared{Type: relaybase.FieldType(typ), Array: arr}
			return err
		})
	return known, err
}

func (k catalog) Declare(ctx context.Context, t *table, f *relaybase.Field) error {
	return k.exec(ctx, `INSERT INTO _relaybase_fields (table_name, field, type, is_array) VALUES (?, ?, ?, ?)
		ON CONFLICT (table_name, field) DO UPDATE SET type = excluded.type, is_array = excluded.is_array`,
		t.Name, f.Name, string(f.Type), f.Array)
}

func (k catalog) CreateTable(ctx context.Context, t *table) error {
	var b strings.Builder
	b.WriteString("CREATE TABLE " + t.Quoted + ` ("id" INTEGER PRIMARY KEY AUTOINCREMENT`)
	for _, c := range t.Cols[1:] {
		b.WriteString(", " + c.Quoted + " " + sqlType(c.Kind))
	}
	b.WriteString(")")
	return k.exec(ctx, b.String())
}

func (k catalog) AddColumn(ctx context.Context, t *table, c *column) error {
	return k.exec(ctx, "ALTER TABLE "+t.Quoted+" ADD COLUMN "+c.Quoted+" "+sqlType(c.Kind))
}

// conversion is the new value of a non-null x ("{x}") when a field's kind changes (see
// sqlbuild.Lossless); "" when SQLite stores it as it is (a bool's 0/1 is an int).
func conversion(from, to sqlbuild.Kind) string {
	switch {
	case from == sqlbuild.KindBool && to == sqlbuild.KindInt:
		return ""
	case to == sqlbuild.KindReal:
		return "CAST({x} AS REAL)"
	case from == sqlbuild.KindBool:
		return "CASE WHEN {x} THEN 'true' ELSE 'false' END"
	case from == sqlbuild.KindText:
		return "json_quote({x})" // text → json
	}
	return "CAST({x} AS TEXT)" // a number → text or json
}

// ConvertColumn rewrites the column's data for its new type. When the SQL type changes the
// column is rebuilt (add, copy, drop, rename), with the indexes on it dropped and made again.
func (k catalog) ConvertColumn(ctx context.Context, t *table, c *column, cur sqlbuild.CatalogColumn, from sqlbuild.Declared, same bool) error {
	expr := ""
	if !same {
		fk, _ := sqlbuild.KindOf(from.Type, from.Array)
		expr = conversion(fk, c.Kind)
	}
	qt, qc := t.Quoted, sqlbuild.QuoteIdent(cur.Name)
	if strings.EqualFold(cur.SQLType, sqlType(c.Kind)) {
		if expr == "" {
			return nil
		}
		return k.exec(ctx, "UPDATE "+qt+" SET "+qc+" = "+strings.ReplaceAll(expr, "{x}", qc)+" WHERE "+qc+" IS NOT NULL")
	}
	if expr == "" {
		expr = "{x}"
	}
	// Indexes that use the column, to drop and make again around the rebuild.
	var names, defs []string
	err := k.scan(ctx, `SELECT m.name, m.sql FROM sqlite_master AS m
		WHERE m.type = 'index' AND m.tbl_name = ? AND m.sql IS NOT NULL
		AND EXISTS (SELECT 1 FROM pragma_index_info(m.name) AS i WHERE i.name = ?)`, []any{t.Name, cur.Name},
		func(scan func(...any) error) error {
			var name, def string
			err := scan(&name, &def)
			names, defs = append(names, name), append(defs, def)
			return err
		})
	if err != nil {
		return err
	}
	tmp := sqlbuild.QuoteIdent("_relaybase_tmp_" + cur.Name)
	steps := []string{"ALTER TABLE " + qt + " ADD COLUMN " + tmp + " " + sqlType(c.Kind),
		"UPDATE " + qt + " SET " + tmp + " = " + strings.ReplaceAll(expr, "{x}", qc) + " WHERE " + qc + " IS NOT NULL"}
	for _, name := range names {
		steps = append(steps, "DROP INDEX "+sqlbuild.QuoteIdent(name))
	}
	steps = append(steps, "ALTER TABLE "+qt+" DROP COLUMN "+qc, "ALTER TABLE "+qt+" RENAME COLUMN "+tmp+" TO "+qc)
	steps = append(steps, defs...)
	for _, s := range steps {
		if err := k.exec(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

func (k catalog) Indexes(ctx context.Context, t *table) ([]string, error) {
	return k.names(ctx, `SELECT name FROM sqlite_master
		WHERE type = 'index' AND tbl_name = ? AND name LIKE 'rb\_%' ESCAPE '\'`, t.Name)
}

func (k catalog) CreateIndex(ctx context.Context, t *table, ix *sqlbuild.IndexPlan) error {
	err := k.exec(ctx, ix.CreateSQL(t.Quoted))
	if err != nil && strings.Contains(err.Error(), "UNIQUE") {
		return fmt.Errorf("%w: %w", relaybase.ErrConflict, err)
	}
	return err
}

func (k catalog) KeptTables(ctx context.Context) ([]string, error) {
	return k.names(ctx, `SELECT i.name FROM _relaybase_table_ids AS i
		JOIN sqlite_master AS s ON s.type = 'table' AND s.name = i.name ORDER BY i.name`)
}

// names runs a query of one text column.
func (k catalog) names(ctx context.Context, q string, args ...any) ([]string, error) {
	var out []string
	err := k.scan(ctx, q, args, func(scan func(...any) error) error {
		var s sql.NullString
		err := scan(&s)
		out = append(out, s.String)
		return err
	})
	return out, err
}
