package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"relaybase"
	"relaybase/internal/sqlbuild"
)

// Migrate creates the workspace's tables and adds missing fields and indexes, inside one
// write transaction: under the schema's advisory lock, so that nodes migrating at once take
// turns and the later ones find the work done. It assigns every Table.ID, remembers each
// field's declared type, and converts a column when its type changes without losing data
// (int → decimal, int → text, text → json ...). Fields and indexes the workspace no longer
// defines are kept and reported in notes. What to do is planned by internal/sqlbuild
// (Migration); this file is PostgreSQL's catalog and DDL.
func (db *DB) Migrate(ctx context.Context, tables []*relaybase.Table, fixedIDs map[string]int64) ([]string, error) {
	if err := relaybase.CheckTables(tables, fixedIDs, db.dialect.Limits()); err != nil {
		return nil, err
	}
	tx, err := db.begin(ctx, migrateTx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	s := &schema{tables: make(map[string]*table, len(tables)), seqs: make(map[string]string, len(tables))}
	made := make([]*table, len(tables))
	for i, t := range tables {
		made[i] = sqlbuild.NewTable(qualify(db.nsp, t.Name), t)
		s.tables[t.Name] = made[i]
	}
	k := &catalog{db: db, c: tx.c}
	m := &sqlbuild.Migration{Catalog: k, MaxName: db.dialect.Limits().MaxName, GIN: true}
	ids, notes, err := m.Run(ctx, made, fixedIDs)
	if err != nil {
		return nil, db.fail("migrate", err)
	}
	for _, t := range made {
		var seq pgtype.Text
		if err := tx.c.QueryRow(ctx, "SELECT pg_get_serial_sequence($1::text, 'id')", t.Quoted).Scan(&seq); err != nil {
			return nil, db.fail("migrate", fmt.Errorf("%s: table %q: %w", t.Def.Origin(), t.Name, err))
		}
		s.seqs[t.Name] = seq.String
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	for _, t := range tables {
		t.ID = ids[t.Name]
	}
	db.schema.Store(s)
	if k.converted {
		// Statements this node prepared before may describe a column's old type; the pool
		// replaces its connections (and their statement caches) as they come back.
		db.pool.Reset()
	}
	return notes, nil
}

// catalog is sqlbuild.Catalog on the migration's connection and transaction. PostgreSQL
// matches quoted column names exactly.
type catalog struct {
	db        *DB
	c         *pgxpool.Conn
	converted bool // some column changed its SQL type
}

func (k *catalog) exec(ctx context.Context, q string, args ...any) error {
	_, err := k.c.Exec(ctx, k.db.sql(q), args...)
	return err
}

func (*catalog) Key(name string) string { return name }

func (k *catalog) TableIDs(ctx context.Context) (map[string]int64, error) {
	rows, _ := k.c.Query(ctx, k.db.sql("SELECT name, id FROM {s}._relaybase_table_ids"))
	ids := map[string]int64{}
	var name string
	var id int64
	_, err := pgx.ForEachRow(rows, []any{&name, &id}, func() error { ids[name] = id; return nil })
	return ids, err
}

func (k *catalog) SetTableID(ctx context.Context, name string, id int64) error {
	if err := k.exec(ctx, "DELETE FROM {s}._relaybase_table_ids WHERE name = $1::text OR id = $2::bigint", name, id); err != nil {
		return err
	}
	return k.exec(ctx, "INSERT INTO {s}._relaybase_table_ids (name, id) VALUES ($1::text, $2::bigint)", name, id)
}

func (k *catalog) Columns(ctx context.Context, t *table) (map[string]sqlbuild.CatalogColumn, bool, error) {
	var exists bool
	if err := k.c.QueryRow(ctx, "SELECT to_regclass($1::text) IS NOT NULL", t.Quoted).Scan(&exists); err != nil {
		return nil, false, err
	}
	rows, _ := k.c.Query(ctx, `SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
		WHERE attrelid = to_regclass($1::text) AND attnum > 0 AND NOT attisdropped`, t.Quoted)
	cols := map[string]sqlbuild.CatalogColumn{}
	var c sqlbuild.CatalogColumn
	_, err := pgx.ForEachRow(rows, []any{&c.Name, &c.SQLType}, func() error { cols[c.Name] = c; return nil })
	return cols, exists, err
}

func (k *catalog) DeclaredTypes(ctx context.Context, t *table) (map[string]sqlbuild.Declared, error) {
	rows, _ := k.c.Query(ctx, k.db.sql("SELECT field, type, is_array FROM {s}._relaybase_fields WHERE table_name = $1::text"), t.Name)
	known := map[string]sqlbuild.Declared{}
	var name, typ string
	var arr bool
	_, err := pgx.ForEachRow(rows, []any{&name, &typ, &arr}, func() error {
		known[name] = sqlbuild.Declared{Type: relaybase.FieldType(typ), Array: arr}
		return nil
	})
	return known, err
}

func (k *catalog) Declare(ctx context.Context, t *table, f *relaybase.Field) error {
	return k.exec(ctx, `INSERT INTO {s}._relaybase_fields (table_name, field, type, is_array)
		VALUES ($1::text, $2::text, $3::text, $4::boolean)
		ON CONFLICT (table_name, field) DO UPDATE SET type = excluded.type, is_array = excluded.is_array`,
		t.Name, f.Name, string(f.Type), f.Array)
}

func (k *catalog) CreateTable(ctx context.Context, t *table) error {
	var b strings.Builder
	b.WriteString("CREATE TABLE " + t.Quoted + ` ("id" bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY`)
	for _, c := range t.Cols[1:] {
		b.WriteString(", " + c.Quoted + " " + sqlType(c.Kind))
	}
	b.WriteString(")")
	_, err := k.c.Exec(ctx, b.String())
	return err
}

func (k *catalog) AddColumn(ctx context.Context, t *table, c *column) error {
	_, err := k.c.Exec(ctx, "ALTER TABLE "+t.Quoted+" ADD COLUMN "+c.Quoted+" "+sqlType(c.Kind))
	return err
}

// using is the USING expression of ALTER COLUMN ... TYPE over "{x}" when a field's kind
// changes (see sqlbuild.Lossless); it keeps null null.
func using(from, to sqlbuild.Kind) string {
	switch {
	case to == sqlbuild.KindJSON:
		return "to_jsonb({x})"
	case from == sqlbuild.KindBool && to == sqlbuild.KindText:
		return "CASE WHEN {x} IS NULL THEN NULL WHEN {x} THEN 'true' ELSE 'false' END"
	case from == sqlbuild.KindBool:
		return "{x}::integer::" + sqlType(to) // → bigint or double precision
	}
	return "{x}::" + catalogType(to) // int → double precision, a number → text
}

// ConvertColumn changes the column's SQL type with ALTER COLUMN ... TYPE ... USING when it
// differs from the new one; data whose storage stays the same needs nothing.
func (k *catalog) ConvertColumn(ctx context.Context, t *table, c *column, cur sqlbuild.CatalogColumn, from sqlbuild.Declared, same bool) error {
	if cur.SQLType == catalogType(c.Kind) {
		return nil
	}
	expr := "{x}"
	if !same {
		fk, _ := sqlbuild.KindOf(from.Type, from.Array)
		expr = using(fk, c.Kind)
	}
	_, err := k.c.Exec(ctx, "ALTER TABLE "+t.Quoted+" ALTER COLUMN "+c.Quoted+" TYPE "+sqlType(c.Kind)+
		" USING "+strings.ReplaceAll(expr, "{x}", c.Quoted))
	if err == nil {
		k.converted = true
	}
	return err
}

func (k *catalog) Indexes(ctx context.Context, t *table) ([]string, error) {
	rows, _ := k.c.Query(ctx, `SELECT indexname FROM pg_indexes
		WHERE schemaname = $1::text AND tablename = $2::text AND indexname LIKE 'rb\_%'`, k.db.nsp, t.Name)
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

func (k *catalog) CreateIndex(ctx context.Context, t *table, ix *sqlbuild.IndexPlan) error {
	_, err := k.c.Exec(ctx, ix.CreateSQL(t.Quoted))
	if err != nil && isConflict(err) {
		return fmt.Errorf("%w: %w", relaybase.ErrConflict, err)
	}
	return err
}

func (k *catalog) KeptTables(ctx context.Context) ([]string, error) {
	rows, _ := k.c.Query(ctx, k.db.sql(`SELECT i.name FROM {s}._relaybase_table_ids AS i
		WHERE EXISTS (SELECT 1 FROM pg_tables AS p WHERE p.schemaname = $1::text AND p.tablename = i.name)
		ORDER BY i.name`), k.db.nsp)
	return pgx.CollectRows(rows, pgx.RowTo[string])
}
