package sqlbuild

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"relaybase"
)

// Declared is a field's declared type as a store remembers it (_relaybase_fields).
type Declared struct {
	Type  relaybase.FieldType
	Array bool
}

// DeclaredOf is the declared type of f.
func DeclaredOf(f *relaybase.Field) Declared { return Declared{f.Type, f.Array} }

func (d Declared) String() string {
	if d.Array {
		return string(d.Type) + "[]"
	}
	return string(d.Type)
}

// Lossless reports whether every value of a field declared from survives when it is
// declared to (ok), and whether the stored data stays exactly as it is (same; the column's
// SQL type may still change, as text → json does in PostgreSQL). When !same the store
// converts each non-null value from KindOf(from) to KindOf(to): bool → int or decimal,
// int → decimal, int, decimal or bool → text, any scalar → json.
func Lossless(from, to Declared) (same, ok bool) {
	fk, _ := KindOf(from.Type, from.Array)
	tk, _ := KindOf(to.Type, to.Array)
	if from.Array || to.Array {
		switch {
		case from.Array && to.Array && from.Type == to.Type:
			return true, true
		case from.Array && to.Array:
			// Same storage per element (int[] ↔ timestamp[], text[] ↔ email[] ...).
			fe, _ := ScalarKind(from.Type)
			te, _ := ScalarKind(to.Type)
			return fe == te, fe == te
		case from.Array && to.Type == relaybase.TypeJSON:
			return true, true
		}
		return false, false
	}
	switch {
	case fk == tk && fk != KindJSON:
		return true, true // int ↔ timestamp, text ↔ email ↔ enum ...
	case from.Type == relaybase.TypeObject && to.Type == relaybase.TypeJSON:
		return true, true
	case fk == KindBool && (tk == KindInt || tk == KindReal):
		return false, true
	case fk == KindInt && tk == KindReal:
		return false, true
	case (fk == KindInt || fk == KindReal || fk == KindBool) && to.Type == relaybase.TypeText:
		return false, true
	case fk != KindJSON && to.Type == relaybase.TypeJSON:
		return false, true
	}
	return false, false
}

// Column is a column as the database's catalog has it.
type CatalogColumn struct {
	Name    string // as the catalog spells it
	SQLType string // as the catalog spells it
}

// Catalog is what Migrate needs of a store, inside the migration's transaction: reading its
// catalog and relaybase's metadata, and running DDL. Names of columns are keyed with Key.
type Catalog interface {
	// Key is how the database matches column names: lower case where it ignores case
	// (SQLite), the name itself where it does not (PostgreSQL).
	Key(name string) string

	// TableIDs reads every table id kept in metadata; SetTableID keeps name's id, removing
	// whatever held that name or that id.
	TableIDs(ctx context.Context) (map[string]int64, error)
	SetTableID(ctx context.Context, name string, id int64) error

	// Columns reads the columns of t's SQL table by key; exists is false when there is no
	// such table.
	Columns(ctx context.Context, t *Table) (cols map[string]CatalogColumn, exists bool, err error)
	// DeclaredTypes reads the types t's fields were declared with by key; Declare keeps f's.
	DeclaredTypes(ctx context.Context, t *Table) (map[string]Declared, error)
	Declare(ctx context.Context, t *Table, f *relaybase.Field) error

	CreateTable(ctx context.Context, t *Table) error
	AddColumn(ctx context.Context, t *Table, c *Column) error
	// ConvertColumn makes column cur hold c's new type, converting each value from the
	// kind of from (see Lossless) unless same.
	ConvertColumn(ctx context.Context, t *Table, c *Column, cur CatalogColumn, from Declared, same bool) error

	// Indexes lists the names of relaybase's indexes (rb_...) on t. CreateIndex makes ix; an
	// error wraps relaybase.ErrConflict when rows already break its uniqueness.
	Indexes(ctx context.Context, t *Table) ([]string, error)
	CreateIndex(ctx context.Context, t *Table, ix *IndexPlan) error

	// KeptTables lists, sorted, the tables that have an id in metadata and a SQL table.
	KeptTables(ctx context.Context) ([]string, error)
}

// Migration plans and runs the changes that bring a store's tables to a workspace's
// definitions.
type Migration struct {
	Catalog Catalog
	// MaxName is the longest index name the database keeps (0: no limit); GIN: a gin index
	// on JSON fields is made as one.
	MaxName int
	GIN     bool

	notes []string
}

// Run migrates tables (CheckTables accepted them), made into Tables with table, and
// returns the id of each table (fixed ones from table_ids win) and notes for a person:
// what it created, added and converted, and what the workspace no longer defines (which is
// kept, never dropped). A type change that would lose data is an error naming the table
// and the field.
func (m *Migration) Run(ctx context.Context, tables []*Table, fixed map[string]int64) (map[string]int64, []string, error) {
	ids, err := m.assignIDs(ctx, tables, fixed)
	if err != nil {
		return nil, nil, err
	}
	for _, t := range tables {
		if err := m.table(ctx, t); err != nil {
			return nil, nil, err
		}
	}
	kept, err := m.Catalog.KeptTables(ctx)
	if err != nil {
		return nil, nil, err
	}
	for _, name := range kept {
		if !slices.ContainsFunc(tables, func(t *Table) bool { return t.Name == name }) {
			m.note("table %q is no longer defined; it and its data are kept", name)
		}
	}
	return ids, m.notes, nil
}

func (m *Migration) note(format string, args ...any) {
	m.notes = append(m.notes, fmt.Sprintf(format, args...))
}

// assignIDs gives every table its id: the fixed one, else the one kept in metadata, else
// a new one above every id in use. A fixed id that another table held moves that table.
func (m *Migration) assignIDs(ctx context.Context, tables []*Table, fixed map[string]int64) (map[string]int64, error) {
	stored, err := m.Catalog.TableIDs(ctx)
	if err != nil {
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
		return m.Catalog.SetTableID(ctx, name, id)
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
func (m *Migration) table(ctx context.Context, t *Table) error {
	where := t.Def.Origin()
	cols, exists, err := m.Catalog.Columns(ctx, t)
	if err != nil {
		return err
	}
	if !exists {
		if err := m.Catalog.CreateTable(ctx, t); err != nil {
			return fmt.Errorf("%s: create table %q: %w", where, t.Name, err)
		}
		m.note("table %q: created", t.Name)
	} else if err := m.alter(ctx, t, cols); err != nil {
		return err
	}
	for i := range t.Cols[1:] {
		if err := m.Catalog.Declare(ctx, t, &t.Cols[i+1].Field); err != nil {
			return fmt.Errorf("%s: table %q: %w", where, t.Name, err)
		}
	}
	return m.indexes(ctx, t, !exists)
}

// alter adds the fields the table lacks and converts those whose type changed.
func (m *Migration) alter(ctx context.Context, t *Table, cols map[string]CatalogColumn) error {
	where := t.Def.Origin()
	known, err := m.Catalog.DeclaredTypes(ctx, t)
	if err != nil {
		return err
	}
	declared := map[string]bool{m.Catalog.Key("id"): true}
	for i := range t.Cols[1:] {
		c := &t.Cols[i+1]
		key := m.Catalog.Key(c.Name)
		declared[key] = true
		cur, exists := cols[key]
		if !exists {
			if err := m.Catalog.AddColumn(ctx, t, c); err != nil {
				return fmt.Errorf("%s: table %q: add field %q: %w", where, t.Name, c.Name, err)
			}
			m.note("table %q: added field %q", t.Name, c.Name)
			continue
		}
		to := DeclaredOf(&c.Field)
		from, ok := known[key]
		if !ok || from == to {
			continue
		}
		same, ok := Lossless(from, to)
		if !ok {
			return fmt.Errorf("%s: table %q, field %q: changing its type from %s to %s would lose data; "+
				"keep the old type or add a new field", where, t.Name, c.Name, from, to)
		}
		if err := m.Catalog.ConvertColumn(ctx, t, c, cur, from, same); err != nil {
			return fmt.Errorf("%s: table %q, field %q: change type from %s to %s: %w", where, t.Name, c.Name, from, to, err)
		}
		m.note("table %q: field %q changed from %s to %s", t.Name, c.Name, from, to)
	}
	var gone []string
	for key, c := range cols {
		if !declared[key] {
			gone = append(gone, c.Name)
		}
	}
	sort.Strings(gone)
	for _, name := range gone {
		m.note("table %q: field %q is no longer defined; its column and data are kept", t.Name, name)
	}
	return nil
}

// IndexPlan is an index relaybase makes for a table's index definition.
type IndexPlan struct {
	Name   string
	Index  relaybase.Index
	Unique bool
	GIN    bool     // USING gin
	Cols   []string // quoted
}

// CreateSQL is the statement that makes the index on table (quoted).
func (ix *IndexPlan) CreateSQL(table string) string {
	kw, method := "INDEX", ""
	if ix.Unique {
		kw = "UNIQUE INDEX"
	}
	if ix.GIN {
		method = " USING gin"
	}
	return "CREATE " + kw + " " + QuoteIdent(ix.Name) + " ON " + table + method + " (" + strings.Join(ix.Cols, ", ") + ")"
}

// Indexes plans the indexes t's definition asks for, but the primary key on id, which
// every table has. A gin index is one when the migration allows it and every field is JSON.
func (m *Migration) Indexes(t *Table) []*IndexPlan {
	var out []*IndexPlan
	for _, ix := range t.Def.Index {
		if ix.IsPrimary() {
			continue
		}
		p := &IndexPlan{Index: ix, Unique: ix.IsUnique()}
		// A GIN index serves contains on jsonb (and has no size limit per value).
		p.GIN = m.GIN && !p.Unique && strings.Contains(ix.Type, "gin")
		for _, f := range ix.Fields {
			c, _ := t.Column(f)
			p.Cols = append(p.Cols, c.Quoted)
			p.GIN = p.GIN && c.Kind == KindJSON
		}
		p.Name = IndexName(t.Name, ix, p.Unique, p.GIN, m.MaxName)
		out = append(out, p)
	}
	return out
}

// IndexName names the index relaybase makes for ix: readable, with a hash of the exact
// definition so that different definitions never share a name, cut to maxLen bytes (0: no
// limit) with the hash kept, since a database that cuts a longer name would cut the hash.
func IndexName(table string, ix relaybase.Index, unique, gin bool, maxLen int) string {
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
	if room := maxLen - len("rb_") - len(suffix); maxLen > 0 && len(label) > room {
		label = label[:room]
		for !utf8.ValidString(label) {
			label = label[:len(label)-1]
		}
	}
	return "rb_" + label + suffix
}

// indexes makes the indexes t lacks and reports those no longer defined (kept).
func (m *Migration) indexes(ctx context.Context, t *Table, created bool) error {
	names, err := m.Catalog.Indexes(ctx, t)
	if err != nil {
		return err
	}
	wanted := map[string]bool{}
	for _, ix := range m.Indexes(t) {
		wanted[ix.Name] = true
		if slices.Contains(names, ix.Name) {
			continue
		}
		on := strings.Join(ix.Index.Fields, ", ")
		if err := m.Catalog.CreateIndex(ctx, t, ix); err != nil {
			if ix.Unique && errors.Is(err, relaybase.ErrConflict) {
				return fmt.Errorf("%s: table %q: can't add a unique index on %s: rows already share a value: %w",
					t.Def.Origin(), t.Name, on, relaybase.ErrConflict)
			}
			return fmt.Errorf("%s: table %q: add index on %s: %w", t.Def.Origin(), t.Name, on, err)
		}
		if !created {
			m.note("table %q: added index on %s", t.Name, on)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		if !wanted[name] {
			m.note("table %q: index %q is no longer defined; it is kept", t.Name, name)
		}
	}
	return nil
}
