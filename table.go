package relaybase

// FieldType is a column type of a table, as XanoScript names it.
type FieldType string

// The field types relaybase stores.
const (
	TypeInt       FieldType = "int"
	TypeDecimal   FieldType = "decimal"
	TypeText      FieldType = "text"
	TypeBool      FieldType = "bool"
	TypeTimestamp FieldType = "timestamp" // int64 ms since the epoch
	TypeDate      FieldType = "date"      // "YYYY-MM-DD"
	TypeEmail     FieldType = "email"
	TypePassword  FieldType = "password" // stored as an argon2id hash, secret
	TypeUUID      FieldType = "uuid"
	TypeJSON      FieldType = "json"
	TypeEnum      FieldType = "enum"
	TypeObject    FieldType = "object"
)

// Table is a table definition read from a workspace's table/*.xs.
type Table struct {
	Name   string
	ID     int64   // stable id (dbo_id); assigned by Store.Migrate, or fixed by table_ids
	Auth   bool    // auth = true: tokens can be issued for its rows
	Fields []Field // in schema order, without id
	Index  []Index
	File   string // where it was defined, for messages
}

// Field looks up a field by name.
func (t *Table) Field(name string) (*Field, bool) {
	for i := range t.Fields {
		if t.Fields[i].Name == name {
			return &t.Fields[i], true
		}
	}
	return nil, false
}

// Field is one column. Table.Fields never lists id: every table has an auto-increment
// integer id, whether or not its schema declares `int id`.
type Field struct {
	Name     string
	Type     FieldType
	Array    bool     // T[]: stored as JSON
	Nullable bool     // text? name
	Optional bool     // name?: may be omitted on insert
	Default  any      // a value; the string "now" for timestamp defaults of now
	Values   []string // enum values
	RefTable string   // foreign key: { table = "user" }
}

// Sensitive reports whether the field holds a secret that must never leave the stack.
func (f *Field) Sensitive() bool { return f.Type == TypePassword }

// Index is a secondary index (or the primary key, which relaybase always has on id).
type Index struct {
	Type   string // "primary", "btree", "btree|unique", "gin", ...
	Unique bool
	Fields []string
}
