package sqlite

import (
	"context"
	"fmt"
	"hash/fnv"
	"sort"
	"strings"
	"time"

	"relaybase"
	"relaybase/internal/sqlbuild"
)

// Migrate creates the workspace's tables and adds missing fields and indexes, inside one
// write transaction (BEGIN IMMEDIATE, so concurrent migrations from other processes queue).
// It assigns every Table.ID, remembers each field's declared type, and converts a column
// when its type changes without losing data (int → decimal, int → text, text → json ...).
// Fields and indexes the workspace no longer defines are kept and reported in notes.
func (db *DB) Migrate(ctx context.Context, tables []*relaybase.Table, fixedIDs map[string]int64) ([]string, error) {
	if err := relaybase.CheckTables(tables, fixedIDs, sq.Limits()); err != nil {
		return nil, err
	}
	tx, err := db.begin(ctx, true)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	m := &migration{ctx: ctx, c: tx.c, now: db.now}
	ids, err := m.assignIDs(tables, fixedIDs)
	if err != nil {
		return nil, db.fail("migrate", err)
	}
	for _, t := range tables {
		if err := m.table(t); err != nil {
			return nil, err
		}
	}
	if err := m.forgotten(tables); err != nil {
		return nil, db.fail("migrate", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	s := &schema{tables: make(map[string]*table, len(tables))}
	for _, t := range tables {
		t.ID = ids[t.Name]
		s.tables[t.Name] = newTable(t)
	}
	db.schema.Store(s)
	return m.notes, nil
}

func describe(t *relaybase.Table) string {
	if t.File != "" {
		return t.File
	}
	return "table " + t.Name
}

type migration struct {
	ctx   context.Context
	c     *conn
	now   func() time.Time
	notes []string
}

func (m *migration) note(format string, args ...any) {
	m.notes = append(m.notes, fmt.Sprintf(format, args...))
}

func (m *migration) exec(q string, args ...any) error {
	_, err := m.c.execOnce(m.ctx, q, args...)
	return err
}

// assignIDs gives every table its id: the fixed one, else the one kept in metadata, else
// a new one above every id in use. A fixed id that another table held moves that table.
func (m *migration) assignIDs(tables []*relaybase.Table, fixed map[string]int64) (map[string]int64, error) {
	stored := map[string]int64{}
	rows, err := m.c.c.QueryContext(m.ctx, "SELECT name, id FROM _relaybase_table_ids")
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var name string
		var id int64
		if err := rows.Scan(&name, &id); err != nil {
			rows.Close()
			return nil, err
		}
		stored[name] = id
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var top int64
	for _, id := range stored {
		top = max(top, id)
	}
	for _, id := range fixed {
		top = max(top, id)
	}
	set := func(name string, id int64) error {
		for other, oid := range stored {
			if oid == id && other != name {
				delete(stored, other)
			}
		}
		stored[name] = id
		if err := m.exec("DELETE FROM _relaybase_table_ids WHERE name = ? OR id = ?", name, id); err != nil {
			return err
		}
		return m.exec("INSERT INTO _relaybase_table_ids (name, id) VALUES (?, ?)", name, id)
	}
	ids := map[string]int64{}
	for _, t := range tables {
		f, ok := fixed[t.Name]
		if !ok {
			continue
		}
		if old, had := stored[t.Name]; had && old != f {
			m.note("table %q: id %d replaced by %d from table_ids", t.Name, old, f)
		}
		if stored[t.Name] != f {
			if err := set(t.Name, f); err != nil {
				return nil, err
			}
		}
		ids[t.Name] = f
	}
	for _, t := range tables {
		if _, ok := ids[t.Name]; ok {
			continue
		}
		if id, ok := stored[t.Name]; ok {
			ids[t.Name] = id
			continue
		}
		top++
		if err := set(t.Name, top); err != nil {
			return nil, err
		}
		ids[t.Name] = top
	}
	return ids, nil
}

// table creates or updates one workspace table.
func (m *migration) table(t *relaybase.Table) error {
	where := describe(t)
	var n int
	if err := m.c.c.QueryRowContext(m.ctx,
		"SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ? COLLATE NOCASE", t.Name).Scan(&n); err != nil {
		return err
	}
	created := n == 0
	if created {
		if err := m.create(t); err != nil {
			return fmt.Errorf("%s: create table %q: %w", where, t.Name, err)
		}
		m.note("table %q: created", t.Name)
	} else if err := m.alter(t); err != nil {
		return err
	}
	for _, f := range t.Fields {
		if f.Name == "id" {
			continue
		}
		if err := m.exec(`INSERT INTO _relaybase_fields (table_name, field, type, is_array) VALUES (?, ?, ?, ?)
			ON CONFLICT (table_name, field) DO UPDATE SET type = excluded.type, is_array = excluded.is_array`,
			t.Name, f.Name, string(f.Type), f.Array); err != nil {
			return fmt.Errorf("%s: table %q: %w", where, t.Name, err)
		}
	}
	return m.indexes(t, created)
}

func (m *migration) create(t *relaybase.Table) error {
	var b strings.Builder
	b.WriteString("CREATE TABLE " + sqlbuild.QuoteIdent(t.Name) + ` ("id" INTEGER PRIMARY KEY AUTOINCREMENT`)
	for _, f := range t.Fields {
		if f.Name == "id" {
			continue
		}
		k, _ := sqlbuild.KindOf(f.Type, f.Array)
		b.WriteString(", " + sqlbuild.QuoteIdent(f.Name) + " " + sqlType(k))
	}
	b.WriteString(")")
	return m.exec(b.String())
}

type storedField struct {
	typ   relaybase.FieldType
	array bool
}

func (m *migration) alter(t *relaybase.Table) error {
	where := describe(t)
	cols := map[string]string{} // lower-case name → name, as SQLite matches them
	rows, err := m.c.c.QueryContext(m.ctx, "SELECT name FROM pragma_table_info(?)", t.Name)
	if err != nil {
		return err
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return err
		}
		cols[strings.ToLower(name)] = name
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	known := map[string]storedField{}
	rows, err = m.c.c.QueryContext(m.ctx, "SELECT field, type, is_array FROM _relaybase_fields WHERE table_name = ?", t.Name)
	if err != nil {
		return err
	}
	for rows.Next() {
		var name, typ string
		var arr bool
		if err := rows.Scan(&name, &typ, &arr); err != nil {
			rows.Close()
			return err
		}
		known[strings.ToLower(name)] = storedField{relaybase.FieldType(typ), arr}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}

	declared := map[string]bool{"id": true}
	for _, f := range t.Fields {
		if f.Name == "id" {
			continue
		}
		low := strings.ToLower(f.Name)
		declared[low] = true
		k, _ := sqlbuild.KindOf(f.Type, f.Array)
		col, exists := cols[low]
		if !exists {
			if err := m.exec("ALTER TABLE " + sqlbuild.QuoteIdent(t.Name) + " ADD COLUMN " + sqlbuild.QuoteIdent(f.Name) + " " + sqlType(k)); err != nil {
				return fmt.Errorf("%s: table %q: add field %q: %w", where, t.Name, f.Name, err)
			}
			m.note("table %q: added field %q", t.Name, f.Name)
			continue
		}
		old, ok := known[low]
		if !ok || (old.typ == f.Type && old.array == f.Array) {
			continue
		}
		conv, ok := conversion(old, storedField{f.Type, f.Array})
		if !ok {
			return fmt.Errorf("%s: table %q, field %q: changing its type from %s to %s would lose data; "+
				"keep the old type or add a new field", where, t.Name, f.Name, typeName(old), typeName(storedField{f.Type, f.Array}))
		}
		if err := m.convert(t.Name, col, k, conv); err != nil {
			return fmt.Errorf("%s: table %q, field %q: change type from %s to %s: %w",
				where, t.Name, f.Name, typeName(old), typeName(storedField{f.Type, f.Array}), err)
		}
		m.note("table %q: field %q changed from %s to %s", t.Name, f.Name, typeName(old), typeName(storedField{f.Type, f.Array}))
	}
	var gone []string
	for low, name := range cols {
		if !declared[low] {
			gone = append(gone, name)
		}
	}
	sort.Strings(gone)
	for _, name := range gone {
		m.note("table %q: field %q is no longer defined; its column and data are kept", t.Name, name)
	}
	return nil
}

func typeName(f storedField) string {
	if f.array {
		return string(f.typ) + "[]"
	}
	return string(f.typ)
}

// conversion says how a column's data becomes the new type: expr (over "{x}") is the new
// value of a non-null x, "" when the stored data stays as it is. ok is false when some
// value would be lost.
func conversion(from, to storedField) (expr string, ok bool) {
	fk, _ := sqlbuild.KindOf(from.typ, from.array)
	tk, _ := sqlbuild.KindOf(to.typ, to.array)
	if from.array || to.array {
		switch {
		case from.array && to.array && from.typ == to.typ:
			return "", true
		case from.array && to.array && fk == tk:
			// Same storage per element (int[] ↔ timestamp[], text[] ↔ email[] ...).
			fe, _ := sqlbuild.ScalarKind(from.typ)
			te, _ := sqlbuild.ScalarKind(to.typ)
			return "", fe == te
		case from.array && !to.array && to.typ == relaybase.TypeJSON:
			return "", true
		}
		return "", false
	}
	boolText := "CASE WHEN {x} THEN 'true' ELSE 'false' END"
	switch {
	case fk == tk && fk != sqlbuild.KindJSON:
		return "", true // int ↔ timestamp, text ↔ email ↔ enum ...
	case from.typ == relaybase.TypeObject && to.typ == relaybase.TypeJSON:
		return "", true
	case fk == sqlbuild.KindBool && tk == sqlbuild.KindInt:
		return "", true
	case (fk == sqlbuild.KindInt || fk == sqlbuild.KindBool) && tk == sqlbuild.KindReal:
		return "CAST({x} AS REAL)", true
	case (fk == sqlbuild.KindInt || fk == sqlbuild.KindReal) && (to.typ == relaybase.TypeText || to.typ == relaybase.TypeJSON):
		return "CAST({x} AS TEXT)", true
	case fk == sqlbuild.KindBool && (to.typ == relaybase.TypeText || to.typ == relaybase.TypeJSON):
		return boolText, true
	case fk == sqlbuild.KindText && to.typ == relaybase.TypeJSON:
		return "json_quote({x})", true
	}
	return "", false
}

// convert rewrites column col's data for its new type. When the SQL type changes the
// column is rebuilt (add, copy, drop, rename), with the indexes on it dropped and made again.
func (m *migration) convert(tableName, col string, to sqlbuild.Kind, expr string) error {
	qt, qc := sqlbuild.QuoteIdent(tableName), sqlbuild.QuoteIdent(col)
	var curType string
	if err := m.c.c.QueryRowContext(m.ctx, "SELECT type FROM pragma_table_info(?) WHERE name = ?", tableName, col).
		Scan(&curType); err != nil {
		return err
	}
	if strings.EqualFold(curType, sqlType(to)) {
		if expr == "" {
			return nil
		}
		return m.exec("UPDATE " + qt + " SET " + qc + " = " + strings.ReplaceAll(expr, "{x}", qc) + " WHERE " + qc + " IS NOT NULL")
	}
	if expr == "" {
		expr = "{x}"
	}
	// Indexes that use the column, to drop and make again around the rebuild.
	type index struct{ name, sql string }
	var idx []index
	rows, err := m.c.c.QueryContext(m.ctx, `SELECT m.name, m.sql FROM sqlite_master AS m
		WHERE m.type = 'index' AND m.tbl_name = ? AND m.sql IS NOT NULL
		AND EXISTS (SELECT 1 FROM pragma_index_info(m.name) AS i WHERE i.name = ?)`, tableName, col)
	if err != nil {
		return err
	}
	for rows.Next() {
		var ix index
		if err := rows.Scan(&ix.name, &ix.sql); err != nil {
			rows.Close()
			return err
		}
		idx = append(idx, ix)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	tmp := sqlbuild.QuoteIdent("_relaybase_tmp_" + col)
	steps := []string{"ALTER TABLE " + qt + " ADD COLUMN " + tmp + " " + sqlType(to),
		"UPDATE " + qt + " SET " + tmp + " = " + strings.ReplaceAll(expr, "{x}", qc) + " WHERE " + qc + " IS NOT NULL"}
	for _, ix := range idx {
		steps = append(steps, "DROP INDEX "+sqlbuild.QuoteIdent(ix.name))
	}
	steps = append(steps, "ALTER TABLE "+qt+" DROP COLUMN "+qc, "ALTER TABLE "+qt+" RENAME COLUMN "+tmp+" TO "+qc)
	for _, ix := range idx {
		steps = append(steps, ix.sql)
	}
	for _, s := range steps {
		if err := m.exec(s); err != nil {
			return err
		}
	}
	return nil
}

// indexName names the index relaybase makes for ix: readable, with a hash of the exact
// definition so that different definitions never share a name.
func indexName(table string, ix relaybase.Index, unique bool) string {
	h := fnv.New32a()
	h.Write([]byte(table))
	for _, f := range ix.Fields {
		h.Write([]byte{0})
		h.Write([]byte(f))
	}
	if unique {
		h.Write([]byte{1})
	}
	return fmt.Sprintf("rb_%s_%s_%08x", table, strings.Join(ix.Fields, "_"), h.Sum32())
}

func (m *migration) indexes(t *relaybase.Table, created bool) error {
	existing := map[string]bool{}
	rows, err := m.c.c.QueryContext(m.ctx, `SELECT name FROM sqlite_master
		WHERE type = 'index' AND tbl_name = ? AND name LIKE 'rb\_%' ESCAPE '\'`, t.Name)
	if err != nil {
		return err
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return err
		}
		existing[name] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	wanted := map[string]bool{}
	for _, ix := range t.Index {
		if ix.Type == "primary" || (len(ix.Fields) == 1 && ix.Fields[0] == "id") {
			continue // the primary key on id always exists
		}
		unique := ix.Unique || strings.Contains(ix.Type, "unique")
		name := indexName(t.Name, ix, unique)
		wanted[name] = true
		if existing[name] {
			continue
		}
		cols := make([]string, len(ix.Fields))
		for i, f := range ix.Fields {
			cols[i] = sqlbuild.QuoteIdent(f)
		}
		kw := "INDEX"
		if unique {
			kw = "UNIQUE INDEX"
		}
		if err := m.exec("CREATE " + kw + " " + sqlbuild.QuoteIdent(name) + " ON " + sqlbuild.QuoteIdent(t.Name) + " (" + strings.Join(cols, ", ") + ")"); err != nil {
			if unique && strings.Contains(err.Error(), "UNIQUE") {
				return fmt.Errorf("%s: table %q: can't add a unique index on %s: rows already share a value: %w",
					describe(t), t.Name, strings.Join(ix.Fields, ", "), relaybase.ErrConflict)
			}
			return fmt.Errorf("%s: table %q: add index on %s: %w", describe(t), t.Name, strings.Join(ix.Fields, ", "), err)
		}
		if !created {
			m.note("table %q: added index on %s", t.Name, strings.Join(ix.Fields, ", "))
		}
	}
	var gone []string
	for name := range existing {
		if !wanted[name] {
			gone = append(gone, name)
		}
	}
	sort.Strings(gone)
	for _, name := range gone {
		m.note("table %q: index %q is no longer defined; it is kept", t.Name, name)
	}
	return nil
}

// forgotten reports tables that have an id and a SQL table but are no longer defined.
func (m *migration) forgotten(tables []*relaybase.Table) error {
	defined := map[string]bool{}
	for _, t := range tables {
		defined[t.Name] = true
	}
	rows, err := m.c.c.QueryContext(m.ctx, `SELECT i.name FROM _relaybase_table_ids AS i
		JOIN sqlite_master AS s ON s.type = 'table' AND s.name = i.name ORDER BY i.name`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return err
		}
		if !defined[name] {
			m.note("table %q is no longer defined; it and its data are kept", name)
		}
	}
	return rows.Err()
}
