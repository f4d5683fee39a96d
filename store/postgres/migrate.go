package postgres

import (
	"context"
	"fmt"
	"hash/fnv"
	"sort"
	"strings"
	"unicode/utf8"

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
// defines are kept and reported in notes.
func (db *DB) Migrate(ctx context.Context, tables []*relaybase.Table, fixedIDs map[string]int64) ([]string, error) {
	if err := relaybase.CheckTables(tables, fixedIDs, db.dialect.Limits()); err != nil {
		return nil, err
	}
	tx, err := db.begin(ctx, true)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	m := &migration{ctx: ctx, db: db, c: tx.c}
	ids, err := m.assignIDs(tables, fixedIDs)
	if err != nil {
		return nil, db.fail("migrate", err)
	}
	s := &schema{tables: make(map[string]*table, len(tables)), seqs: make(map[string]string, len(tables))}
	for _, t := range tables {
		tt, seq, err := m.table(t)
		if err != nil {
			return nil, db.fail("migrate", err)
		}
		s.tables[t.Name], s.seqs[t.Name] = tt, seq
	}
	if err := m.forgotten(tables); err != nil {
		return nil, db.fail("migrate", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	for _, t := range tables {
		t.ID = ids[t.Name]
	}
	db.schema.Store(s)
	if m.converted {
		// Statements this node prepared before may describe a column's old type; the pool
		// replaces its connections (and their statement caches) as they come back.
		db.pool.Reset()
	}
	return m.notes, nil
}

func describe(t *relaybase.Table) string {
	if t.File != "" {
		return t.File
	}
	return "table " + t.Name
}

type migration struct {
	ctx       context.Context
	db        *DB
	c         *pgxpool.Conn
	notes     []string
	converted bool // some column changed its SQL type
}

func (m *migration) note(format string, args ...any) {
	m.notes = append(m.notes, fmt.Sprintf(format, args...))
}

func (m *migration) exec(q string, args ...any) error {
	_, err := m.c.Exec(m.ctx, q, args...)
	return err
}

// texts runs a query that returns one text column.
func (m *migration) texts(q string, args ...any) ([]string, error) {
	rows, err := m.c.Query(m.ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// assignIDs gives every table its id: the fixed one, else the one kept in metadata, else
// a new one above every id in use. A fixed id that another table held moves that table.
func (m *migration) assignIDs(tables []*relaybase.Table, fixed map[string]int64) (map[string]int64, error) {
	stored := map[string]int64{}
	rows, err := m.c.Query(m.ctx, m.db.sql("SELECT name, id FROM {s}._relaybase_table_ids"))
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
		if err := m.exec(m.db.sql("DELETE FROM {s}._relaybase_table_ids WHERE name = $1::text OR id = $2::bigint"), name, id); err != nil {
			return err
		}
		return m.exec(m.db.sql("INSERT INTO {s}._relaybase_table_ids (name, id) VALUES ($1::text, $2::bigint)"), name, id)
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

// table creates or updates one workspace table and returns it as Tx methods use it, with
// its id sequence.
func (m *migration) table(def *relaybase.Table) (*table, string, error) {
	t := sqlbuild.NewTable(qualify(m.db.nsp, def.Name), def)
	where := describe(def)
	var exists bool
	if err := m.c.QueryRow(m.ctx, "SELECT to_regclass($1::text) IS NOT NULL", t.Quoted).Scan(&exists); err != nil {
		return nil, "", err
	}
	if !exists {
		if err := m.create(t); err != nil {
			return nil, "", fmt.Errorf("%s: create table %q: %w", where, t.Name, err)
		}
		m.note("table %q: created", t.Name)
	} else if err := m.alter(t); err != nil {
		return nil, "", err
	}
	for _, f := range def.Fields {
		if f.Name == "id" {
			continue
		}
		if err := m.exec(m.db.sql(`INSERT INTO {s}._relaybase_fields (table_name, field, type, is_array)
			VALUES ($1::text, $2::text, $3::text, $4::boolean)
			ON CONFLICT (table_name, field) DO UPDATE SET type = excluded.type, is_array = excluded.is_array`),
			t.Name, f.Name, string(f.Type), f.Array); err != nil {
			return nil, "", fmt.Errorf("%s: table %q: %w", where, t.Name, err)
		}
	}
	var seq pgtype.Text
	if err := m.c.QueryRow(m.ctx, "SELECT pg_get_serial_sequence($1::text, 'id')", t.Quoted).Scan(&seq); err != nil {
		return nil, "", fmt.Errorf("%s: table %q: %w", where, t.Name, err)
	}
	return t, seq.String, m.indexes(t, !exists)
}

func (m *migration) create(t *table) error {
	var b strings.Builder
	b.WriteString("CREATE TABLE " + t.Quoted + ` ("id" bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY`)
	for _, c := range t.Cols[1:] {
		b.WriteString(", " + c.Quoted + " " + sqlType(c.Kind))
	}
	b.WriteString(")")
	return m.exec(b.String())
}

type storedField struct {
	typ   relaybase.FieldType
	array bool
}

func (m *migration) alter(t *table) error {
	where := describe(t.Def)
	cols := map[string]string{} // name → SQL type
	rows, err := m.c.Query(m.ctx, `SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
		WHERE attrelid = to_regclass($1::text) AND attnum > 0 AND NOT attisdropped`, t.Quoted)
	if err != nil {
		return err
	}
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			rows.Close()
			return err
		}
		cols[name] = typ
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	known := map[string]storedField{}
	rows, err = m.c.Query(m.ctx, m.db.sql("SELECT field, type, is_array FROM {s}._relaybase_fields WHERE table_name = $1::text"), t.Name)
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
		known[name] = storedField{relaybase.FieldType(typ), arr}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}

	declared := map[string]bool{"id": true}
	for _, c := range t.Cols[1:] {
		f := c.Field
		declared[f.Name] = true
		curType, exists := cols[f.Name]
		if !exists {
			if err := m.exec("ALTER TABLE " + t.Quoted + " ADD COLUMN " + c.Quoted + " " + sqlType(c.Kind)); err != nil {
				return fmt.Errorf("%s: table %q: add field %q: %w", where, t.Name, f.Name, err)
			}
			m.note("table %q: added field %q", t.Name, f.Name)
			continue
		}
		to := storedField{f.Type, f.Array}
		old, ok := known[f.Name]
		if !ok || old == to {
			continue
		}
		using, ok := conversion(old, to)
		if !ok {
			return fmt.Errorf("%s: table %q, field %q: changing its type from %s to %s would lose data; "+
				"keep the old type or add a new field", where, t.Name, f.Name, typeName(old), typeName(to))
		}
		if curType != catalogType(c.Kind) {
			if err := m.exec("ALTER TABLE " + t.Quoted + " ALTER COLUMN " + c.Quoted + " TYPE " + sqlType(c.Kind) +
				" USING " + strings.ReplaceAll(using, "{x}", c.Quoted)); err != nil {
				return fmt.Errorf("%s: table %q, field %q: change type from %s to %s: %w",
					where, t.Name, f.Name, typeName(old), typeName(to), err)
			}
			m.converted = true
		}
		m.note("table %q: field %q changed from %s to %s", t.Name, f.Name, typeName(old), typeName(to))
	}
	var gone []string
	for name := range cols {
		if !declared[name] {
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

// conversion says how a column's data becomes the new type: using is the USING expression
// of ALTER COLUMN ... TYPE over "{x}" (used only when the SQL type changes; it must keep
// null null). ok is false when some value would be lost. The rules are SQLite's.
func conversion(from, to storedField) (using string, ok bool) {
	fk, _ := sqlbuild.KindOf(from.typ, from.array)
	tk, _ := sqlbuild.KindOf(to.typ, to.array)
	if from.array || to.array {
		switch {
		case from.array && to.array && from.typ == to.typ:
			return "{x}", true
		case from.array && to.array && fk == tk:
			// Same storage per element (int[] ↔ timestamp[], text[] ↔ email[] ...).
			fe, _ := sqlbuild.ScalarKind(from.typ)
			te, _ := sqlbuild.ScalarKind(to.typ)
			return "{x}", fe == te
		case from.array && !to.array && to.typ == relaybase.TypeJSON:
			return "{x}", true
		}
		return "", false
	}
	switch {
	case fk == tk && fk != sqlbuild.KindJSON:
		return "{x}", true // int ↔ timestamp, text ↔ email ↔ enum ...
	case from.typ == relaybase.TypeObject && to.typ == relaybase.TypeJSON:
		return "{x}", true
	case fk == sqlbuild.KindBool && tk == sqlbuild.KindInt:
		return "{x}::integer::bigint", true
	case fk == sqlbuild.KindBool && tk == sqlbuild.KindReal:
		return "{x}::integer::double precision", true
	case fk == sqlbuild.KindInt && tk == sqlbuild.KindReal:
		return "{x}::double precision", true
	case (fk == sqlbuild.KindInt || fk == sqlbuild.KindReal) && to.typ == relaybase.TypeText:
		return "{x}::text", true
	case fk == sqlbuild.KindBool && to.typ == relaybase.TypeText:
		return "CASE WHEN {x} IS NULL THEN NULL WHEN {x} THEN 'true' ELSE 'false' END", true
	case (fk == sqlbuild.KindInt || fk == sqlbuild.KindReal || fk == sqlbuild.KindBool || fk == sqlbuild.KindText) && to.typ == relaybase.TypeJSON:
		return "to_jsonb({x})", true
	}
	return "", false
}

// indexName names the index relaybase makes for ix: readable, with a hash of the exact
// definition so that different definitions never share a name, and short enough for
// PostgreSQL (which would cut it, hash and all, at 63 bytes).
func indexName(table string, ix relaybase.Index, unique, gin bool) string {
	h := fnv.New32a()
	h.Write([]byte(table))
	for _, f := range ix.Fields {
		h.Write([]byte{0})
		h.Write([]byte(f))
	}
	if unique {
		h.Write([]byte{1})
	}
	if gin {
		h.Write([]byte("gin"))
	}
	label := table + "_" + strings.Join(ix.Fields, "_")
	suffix := fmt.Sprintf("_%08x", h.Sum32())
	if room := maxIdent - len("rb_") - len(suffix); len(label) > room {
		label = label[:room]
		for !utf8.ValidString(label) {
			label = label[:len(label)-1]
		}
	}
	return "rb_" + label + suffix
}

func (m *migration) indexes(t *table, created bool) error {
	names, err := m.texts(`SELECT indexname FROM pg_indexes
		WHERE schemaname = $1::text AND tablename = $2::text AND indexname LIKE 'rb\_%'`, m.db.nsp, t.Name)
	if err != nil {
		return err
	}
	existing := map[string]bool{}
	for _, n := range names {
		existing[n] = true
	}
	wanted := map[string]bool{}
	for _, ix := range t.Def.Index {
		if ix.IsPrimary() {
			continue // the primary key on id always exists
		}
		unique := ix.IsUnique()
		// A GIN index serves contains on jsonb (and has no size limit per value); it is
		// made when asked for and every field is jsonb. Anything else is a btree.
		gin := !unique && strings.Contains(ix.Type, "gin")
		cols := make([]string, len(ix.Fields))
		for i, f := range ix.Fields {
			c, _ := t.Column(f)
			cols[i] = c.Quoted
			gin = gin && c.Kind == sqlbuild.KindJSON
		}
		name := indexName(t.Name, ix, unique, gin)
		wanted[name] = true
		if existing[name] {
			continue
		}
		kw, method := "INDEX", ""
		if unique {
			kw = "UNIQUE INDEX"
		}
		if gin {
			method = " USING gin"
		}
		if err := m.exec("CREATE " + kw + " " + sqlbuild.QuoteIdent(name) + " ON " + t.Quoted + method + " (" + strings.Join(cols, ", ") + ")"); err != nil {
			if unique && isConflict(err) {
				return fmt.Errorf("%s: table %q: can't add a unique index on %s: rows already share a value: %w",
					describe(t.Def), t.Name, strings.Join(ix.Fields, ", "), relaybase.ErrConflict)
			}
			return fmt.Errorf("%s: table %q: add index on %s: %w", describe(t.Def), t.Name, strings.Join(ix.Fields, ", "), err)
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
	names, err := m.texts(m.db.sql(`SELECT i.name FROM {s}._relaybase_table_ids AS i
		WHERE EXISTS (SELECT 1 FROM pg_tables AS p WHERE p.schemaname = $1::text AND p.tablename = i.name)
		ORDER BY i.name`), m.db.nsp)
	if err != nil {
		return err
	}
	for _, name := range names {
		if !defined[name] {
			m.note("table %q is no longer defined; it and its data are kept", name)
		}
	}
	return nil
}
