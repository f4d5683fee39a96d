package relaybase

import (
	"context"

	"relaybase/value"
)

// Store is relaybase's database: the workspace's tables, realtime history with its
// per-channel offsets, and relaybase's own metadata (table ids, the auth key, the realtime
// canonical). store/sqlite and store/postgres implement it; store/storetest is the suite
// both pass. SQL is always parameterised; identifiers come only from table definitions.
//
// Concurrency: a Store is safe for concurrent use; a Tx belongs to one goroutine.
type Store interface {
	// Migrate creates the tables and adds missing fields and indexes. It fills in every
	// Table.ID (fixed ids, from table_ids, win; otherwise ids kept in metadata, or new ones)
	// and returns notes for a person (a field that the workspace no longer defines is
	// reported, never dropped). A change of type that would lose data is an error naming the
	// table and field. Several nodes may call Migrate at once: it serialises itself.
	Migrate(ctx context.Context, tables []*Table, fixedIDs map[string]int64) (notes []string, err error)

	// Begin starts a transaction. write=false promises no writes (SQLite then takes no
	// write lock); with write=true SQLite takes its one write lock at once, so the stack
	// never fails half-way on a lock upgrade, while PostgreSQL locks only the rows the Tx
	// reads with Get and writes, so writers of different rows and channels run at once.
	Begin(ctx context.Context, write bool) (Tx, error)

	// Meta returns relaybase's metadata value for key ("" and false when unset).
	Meta(ctx context.Context, key string) (string, bool, error)
	// InitMeta stores value under key unless a value is already there, and returns the
	// value that is stored (so every node ends up with the first one written).
	InitMeta(ctx context.Context, key, value string) (string, error)

	// History reads a channel's stored frames with offset > after, oldest first, at most
	// limit of them (limit <= 0: all kept).
	History(ctx context.Context, channel string, after int64, limit int) (HistoryPage, error)

	// RealtimeCursor reads the cursor of an at-least-once client in a stream (a channel's
	// stored messages, as AppendHistory keeps them): the highest id it acked, and whether
	// it has one.
	RealtimeCursor(ctx context.Context, stream, client string) (cursor int64, ok bool, err error)
	// SetRealtimeCursor moves a client's cursor in a stream to id, never back, and returns
	// the cursor as stored. An id the stream never issued (above its newest) is an error
	// wrapping ErrNotFound, and changes nothing. It commits on its own.
	SetRealtimeCursor(ctx context.Context, stream, client string, id int64) (int64, error)
	// SetRealtimeCursors moves several clients' cursors in one stream forward, in one
	// transaction (acks written behind, in batches). An id above what the stream issued is
	// left out; no cursor moves back.
	SetRealtimeCursors(ctx context.Context, stream string, cursors map[string]int64) error

	// Ping checks that the database answers (for /readyz).
	Ping(ctx context.Context) error
	Close() error
}

// Tx is one transaction. Reads and writes name tables and fields that Migrate created;
// rows are *value.Object with the table's fields in schema order (id first).
type Tx interface {
	// Get returns the first row whose field equals v, or nil. In a write Tx the row stays
	// as read until the Tx ends (no other writer changes it first), so a read-modify-write
	// of one row never loses an update.
	Get(ctx context.Context, table, field string, v any) (*value.Object, error)
	// Insert adds a row (id and defaults filled in) and returns it as stored.
	// A unique index violation returns an error wrapping ErrConflict.
	Insert(ctx context.Context, table string, row *value.Object) (*value.Object, error)
	// Update changes the given fields of the rows whose field equals v and returns the
	// first changed row as stored, or nil when none matched.
	Update(ctx context.Context, table, field string, v any, changes *value.Object) (*value.Object, error)
	// Delete removes the rows whose field equals v and returns how many it removed.
	Delete(ctx context.Context, table, field string, v any) (int64, error)
	// Query runs a query.
	Query(ctx context.Context, q *Query) (*QueryResult, error)
	// Truncate removes every row; resetID restarts ids at 1.
	Truncate(ctx context.Context, table string, resetID bool) error

	// Savepoint starts a nested transaction (db.transaction inside a stack).
	Savepoint(ctx context.Context) (Savepoint, error)

	// AppendHistory stores a frame in a channel's history and returns its offset: the
	// channel's next offset (+1 per stored frame, channel-wide, in commit order) and the
	// channel's epoch. It keeps only the newest keep frames of the channel.
	AppendHistory(ctx context.Context, e *HistoryEntry, keep int) (offset int64, epoch string, err error)

	Commit() error
	// Rollback undoes the transaction; after Commit it does nothing.
	Rollback() error
}

// Savepoint is a nested transaction inside a Tx.
type Savepoint interface {
	Release() error
	Rollback() error
}

// Query is a db.query: which rows, in which order, how many.
type Query struct {
	Table  string
	Where  Cond // nil: every row
	Sort   []SortKey
	Limit  int  // 0: no limit
	Offset int  // rows to skip
	Total  bool // also count every matching row (for paging totals)
}

// SortKey orders query results by one field.
type SortKey struct {
	Field string
	Desc  bool
}

// QueryResult is the rows a query matched and, when asked, how many match in all.
type QueryResult struct {
	Rows  []*value.Object
	Total int64
}

// Cond is a condition over a table's fields: *And, *Or, *Not or *Cmp.
type Cond interface{ cond() }

// And holds when every condition holds (an empty And always holds).
type And []Cond

// Or holds when any condition holds (an empty Or never holds).
type Or []Cond

// Not negates a condition.
type Not struct{ C Cond }

// Cmp compares a field with a value.
type Cmp struct {
	Field string
	Op    CmpOp
	Value any // a value; an array for OpIn / OpNotIn, a [2]any-like []any{lo, hi} for OpBetween
}

// CmpOp is a comparison in a where clause.
type CmpOp string

// The comparisons a store supports. Comparisons with null follow XanoScript, not SQL:
// OpEq null matches null fields.
const (
	OpEq       CmpOp = "=="
	OpNe       CmpOp = "!="
	OpLt       CmpOp = "<"
	OpLe       CmpOp = "<="
	OpGt       CmpOp = ">"
	OpGe       CmpOp = ">="
	OpIn       CmpOp = "in"
	OpNotIn    CmpOp = "not in"
	OpIncludes CmpOp = "includes" // text contains, case-insensitive
	OpContains CmpOp = "contains" // array field contains the value
	OpOverlaps CmpOp = "overlaps" // array field shares an element with the value
	OpBetween  CmpOp = "between"  // lo <= field <= hi
)

func (And) cond()  {}
func (Or) cond()   {}
func (*Not) cond() {}
func (*Cmp) cond() {}

// HistoryEntry is one stored realtime frame (protocol.md §3, §5b).
type HistoryEntry struct {
	Channel   string
	Offset    int64 // assigned by AppendHistory
	CreatedAt int64 // ms since the epoch
	// Visibility: an entry is for authenticated members only when the sender was
	// authenticated on an auth_channel, or the message had options.authenticated.
	SenderAuthenticated bool
	AuthenticatedOnly   bool
	Frame               []byte // the message/event frame as delivered, without offset and created_at
	// TrimEvery batches the trim to keep: AppendHistory deletes what is past keep only when
	// the new offset is a multiple of it, so the channel holds between keep and
	// keep+TrimEvery-1 frames and pays one DELETE per TrimEvery appends. 0 or 1: every
	// append trims (the legacy history, whose reads count on exactly keep).
	TrimEvery int64
}

// HistoryPage is what Store.History returns.
type HistoryPage struct {
	Entries []HistoryEntry
	Epoch   string // "" when the channel has never stored a frame
	Newest  int64  // the channel's newest offset, 0 if none
	Oldest  int64  // the oldest offset still kept, 0 if none
}
