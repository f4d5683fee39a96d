package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	sqlite3 "modernc.org/sqlite"
	sqlite3lib "modernc.org/sqlite/lib"

	"relaybase"
	"relaybase/internal/sqlbuild"
	"relaybase/metrics"
)

// DB is a relaybase.Store on one SQLite file. It is safe for concurrent use.
type DB struct {
	path        string
	wpool       *sql.DB // holds the single writer connection
	rpool       *sql.DB // holds the read-only connections
	w           *conn
	wsem        chan struct{} // a token while nobody holds the writer
	readers     chan *conn    // idle read connections
	maxReaders  int
	mu          sync.Mutex
	nreaders    int // read connections opened
	busyTimeout time.Duration
	now         func() time.Time
	schema      atomic.Pointer[schema]
	met         *metrics.Store

	done      chan struct{} // closed by Close
	closeOnce sync.Once
	closeErr  error
}

var _ relaybase.Store = (*DB)(nil)

// Option configures Open.
type Option func(*options)

type options struct {
	now         func() time.Time
	busyTimeout time.Duration
	readConns   int
	met         *metrics.Store
}

// WithMetrics counts transactions (their time to commit or rollback) and the begins and
// commits that fail there (default: nowhere).
func WithMetrics(m *metrics.Store) Option { return func(o *options) { o.met = m } }

// WithClock sets the clock that fills `now` defaults (default time.Now).
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithBusyTimeout sets how long a connection waits for a lock that another process holds
// before it fails, and how long Close waits for an open write transaction (default 10s).
// Writers of one DB queue in Go and never wait on it.
func WithBusyTimeout(d time.Duration) Option { return func(o *options) { o.busyTimeout = d } }

// WithReadConns sets the most read connections open at once (default: 2×GOMAXPROCS, at
// least 8). They are opened as concurrent reads need them and kept.
func WithReadConns(n int) Option { return func(o *options) { o.readConns = max(1, n) } }

// Open opens (creating it if needed) the database file at path and brings relaybase's own
// metadata tables up to date. It does not create missing directories. When the file can't
// be opened or isn't a database, the error wraps relaybase.ErrUnavailable.
func Open(ctx context.Context, path string, opts ...Option) (*DB, error) {
	o := options{now: time.Now, busyTimeout: 10 * time.Second, readConns: max(8, 2*runtime.GOMAXPROCS(0))}
	for _, opt := range opts {
		opt(&o)
	}
	db, err := open(ctx, path, o)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w: %w", path, relaybase.ErrUnavailable, err)
	}
	return db, nil
}

func open(ctx context.Context, path string, o options) (_ *DB, err error) {
	if path == "" {
		return nil, errors.New("empty path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	busy := fmt.Sprint(o.busyTimeout.Milliseconds())
	common := "_busy_timeout=" + busy + "&_foreign_keys=1"
	db := &DB{
		path:        abs,
		wsem:        make(chan struct{}, 1),
		met:         o.met,
		readers:     make(chan *conn, o.readConns),
		maxReaders:  o.readConns,
		busyTimeout: o.busyTimeout,
		now:         o.now,
		done:        make(chan struct{}),
	}
	db.schema.Store(&schema{tables: map[string]*table{}})
	defer func() {
		if err != nil {
			db.closeConns()
		}
	}()
	db.wpool, err = sql.Open("sqlite", dsn(abs, common+"&_journal_mode=WAL&_synchronous=FULL"))
	if err != nil {
		return nil, err
	}
	db.wpool.SetMaxOpenConns(1)
	db.wpool.SetMaxIdleConns(1)
	c, err := db.wpool.Conn(ctx)
	if err != nil {
		return nil, err
	}
	db.w = &conn{c: c, stmts: map[string]*sql.Stmt{}}
	if err := db.setup(ctx); err != nil {
		return nil, err
	}
	db.wsem <- struct{}{}

	db.rpool, err = sql.Open("sqlite", dsn(abs, common+"&_query_only=1"))
	if err != nil {
		return nil, err
	}
	db.rpool.SetMaxOpenConns(o.readConns)
	db.rpool.SetMaxIdleConns(o.readConns)
	// One read connection now, to know that reading works; the others when needed.
	rc, err := db.openReader(ctx)
	if err != nil {
		return nil, err
	}
	db.nreaders = 1
	db.readers <- rc
	return db, nil
}

// acquire takes the writer (write=true) or a read connection, waiting for one to be free.
func (db *DB) acquire(ctx context.Context, write bool) (*conn, error) {
	select {
	case <-db.done:
		return nil, errClosed
	default:
	}
	if write {
		select {
		case <-db.wsem:
			return db.w, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-db.done:
			return nil, errClosed
		}
	}
	select {
	case c := <-db.readers:
		return c, nil
	default:
	}
	db.mu.Lock()
	if db.nreaders < db.maxReaders {
		db.nreaders++
		db.mu.Unlock()
		c, err := db.openReader(ctx)
		if err != nil {
			db.mu.Lock()
			db.nreaders--
			db.mu.Unlock()
			return nil, err
		}
		return c, nil
	}
	db.mu.Unlock()
	select {
	case c := <-db.readers:
		return c, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-db.done:
		return nil, errClosed
	}
}

func (db *DB) release(c *conn) {
	select {
	case <-db.done:
		if c != db.w {
			c.close()
			return
		}
	default:
	}
	if c == db.w {
		db.wsem <- struct{}{}
		return
	}
	db.readers <- c
}

var errClosed = errors.New("database is closed")

// openReader opens one more read connection.
func (db *DB) openReader(ctx context.Context) (*conn, error) {
	c, err := db.rpool.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if err := c.PingContext(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return &conn{c: c, stmts: map[string]*sql.Stmt{}}, nil
}

// dsn is a file: URI for path (escaped so that '?', '#' and '%' in a path stay part of it)
// with the driver's query parameters.
func dsn(path, query string) string {
	p := filepath.ToSlash(path)
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '?', '#', '%':
			fmt.Fprintf(&b, "%%%02X", c)
		default:
			b.WriteByte(c)
		}
	}
	return "file:" + b.String() + "?" + query
}

// internalMigrations are relaybase's own tables, applied in order once each; PRAGMA
// user_version counts how many ran. Append only: never edit a step that has shipped.
var internalMigrations = []string{
	`CREATE TABLE _relaybase_meta (
		key   TEXT PRIMARY KEY,
		value TEXT NOT NULL
	) WITHOUT ROWID;
	CREATE TABLE _relaybase_table_ids (
		name TEXT PRIMARY KEY,
		id   INTEGER NOT NULL UNIQUE
	);
	CREATE TABLE _relaybase_fields (
		table_name TEXT NOT NULL,
		field      TEXT NOT NULL,
		type       TEXT NOT NULL,
		is_array   INTEGER NOT NULL,
		PRIMARY KEY (table_name, field)
	) WITHOUT ROWID;
	CREATE TABLE _relaybase_channels (
		channel     TEXT PRIMARY KEY,
		next_offset INTEGER NOT NULL,
		epoch       TEXT NOT NULL
	) WITHOUT ROWID;
	CREATE TABLE _relaybase_history (
		channel              TEXT NOT NULL,
		"offset"             INTEGER NOT NULL,
		created_at           INTEGER NOT NULL,
		sender_authenticated INTEGER NOT NULL,
		authenticated_only   INTEGER NOT NULL,
		frame                BLOB NOT NULL,
		PRIMARY KEY (channel, "offset")
	) WITHOUT ROWID;`,
	`CREATE TABLE _relaybase_cursors (
		stream TEXT NOT NULL,
		client TEXT NOT NULL,
		cursor INTEGER NOT NULL,
		PRIMARY KEY (stream, client)
	) WITHOUT ROWID;`,
	adminTables,
}

// setup checks that the file is a database and applies the internal migrations.
func (db *DB) setup(ctx context.Context) error {
	c := db.w
	if _, err := c.execOnce(ctx, "BEGIN IMMEDIATE"); err != nil {
		return err
	}
	defer c.execOnce(context.Background(), "ROLLBACK")
	var version int
	if err := c.c.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return err
	}
	if version > len(internalMigrations) {
		return fmt.Errorf("the database was written by a newer relaybase (schema version %d, this one knows %d)",
			version, len(internalMigrations))
	}
	for i := version; i < len(internalMigrations); i++ {
		if _, err := c.execOnce(ctx, internalMigrations[i]); err != nil {
			return fmt.Errorf("internal migration %d: %w", i+1, err)
		}
	}
	if version != len(internalMigrations) {
		// PRAGMA takes no parameters; the number is ours.
		if _, err := c.execOnce(ctx, fmt.Sprint("PRAGMA user_version = ", len(internalMigrations))); err != nil {
			return err
		}
	}
	_, err := c.execOnce(ctx, "COMMIT")
	return err
}

// Begin starts a transaction: write=true on the writer connection with BEGIN IMMEDIATE
// (waiting, in Go, for the writer to be free), write=false on a read connection with a
// deferred BEGIN. The Tx must end with Commit or Rollback, which give the connection back.
func (db *DB) Begin(ctx context.Context, write bool) (relaybase.Tx, error) {
	tx, err := db.begin(ctx, write)
	if err != nil {
		return nil, err
	}
	return tx, nil
}

func (db *DB) begin(ctx context.Context, write bool) (*Tx, error) {
	start := time.Now()
	c, err := db.acquire(ctx, write)
	if err != nil {
		db.met.Error(metrics.OpBegin)
		return nil, db.fail("begin", err)
	}
	begin := "BEGIN"
	if write {
		begin = "BEGIN IMMEDIATE"
	}
	if _, err := c.exec(ctx, begin); err != nil {
		db.release(c)
		db.met.Error(metrics.OpBegin)
		return nil, db.fail("begin", err)
	}
	return &Tx{db: db, c: c, start: start, txOps: &txOps{D: sq, C: txConn{db, c}, Now: db.now,
		State: sqlbuild.TxState{Store: "sqlite", Tables: db.schema.Load().tables, Write: write}}}, nil
}

// Conns reports the connections: in use (the writer while a transaction holds it, and
// read connections taken), idle, and the most it opens (the writer and WithReadConns).
func (db *DB) Conns() (inUse, idle, max int) {
	db.mu.Lock()
	opened := db.nreaders
	db.mu.Unlock()
	idleReaders := len(db.readers)
	writerIdle := len(db.wsem)
	return opened - idleReaders + 1 - writerIdle, idleReaders + writerIdle, db.maxReaders + 1
}

// Meta returns relaybase's metadata value for key.
func (db *DB) Meta(ctx context.Context, key string) (string, bool, error) {
	c, err := db.acquire(ctx, false)
	if err != nil {
		return "", false, db.fail("meta "+key, err)
	}
	defer db.release(c)
	var v string
	err = c.queryRow(ctx, "SELECT value FROM _relaybase_meta WHERE key = ?", key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, db.fail("meta "+key, err)
	}
	return v, true, nil
}

// InitMeta stores value under key unless a value is already there, and returns the stored one.
func (db *DB) InitMeta(ctx context.Context, key, value string) (string, error) {
	tx, err := db.begin(ctx, true)
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	var v string
	err = tx.c.queryRow(ctx,
		`INSERT INTO _relaybase_meta (key, value) VALUES (?, ?)
		 ON CONFLICT (key) DO UPDATE SET value = value
		 RETURNING value`, key, value).Scan(&v)
	if err != nil {
		return "", db.fail("init meta "+key, err)
	}
	if err := tx.Commit(); err != nil {
		return "", err
	}
	return v, nil
}

// History reads a channel's stored frames with offset > after, oldest first.
func (db *DB) History(ctx context.Context, channel string, after int64, limit int) (relaybase.HistoryPage, error) {
	var page relaybase.HistoryPage
	tx, err := db.begin(ctx, false)
	if err != nil {
		return page, err
	}
	defer tx.Rollback()
	c := tx.c
	var next int64
	err = c.queryRow(ctx, "SELECT next_offset, epoch FROM _relaybase_channels WHERE channel = ?", channel).
		Scan(&next, &page.Epoch)
	if errors.Is(err, sql.ErrNoRows) {
		return page, nil
	}
	if err != nil {
		return page, db.fail("history", err)
	}
	page.Newest = next - 1
	var oldest sql.NullInt64
	if err := c.queryRow(ctx, `SELECT MIN("offset") FROM _relaybase_history WHERE channel = ?`, channel).
		Scan(&oldest); err != nil {
		return page, db.fail("history", err)
	}
	page.Oldest = oldest.Int64
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	rows, err := c.query(ctx,
		`SELECT "offset", created_at, sender_authenticated, authenticated_only, frame
		 FROM _relaybase_history WHERE channel = ? AND "offset" > ? ORDER BY "offset" LIMIT ?`,
		channel, after, limit)
	if err != nil {
		return page, db.fail("history", err)
	}
	defer rows.Close()
	for rows.Next() {
		e := relaybase.HistoryEntry{Channel: channel}
		if err := rows.Scan(&e.Offset, &e.CreatedAt, &e.SenderAuthenticated, &e.AuthenticatedOnly, &e.Frame); err != nil {
			return page, db.fail("history", err)
		}
		page.Entries = append(page.Entries, e)
	}
	if err := rows.Err(); err != nil {
		return page, db.fail("history", err)
	}
	return page, nil
}

// Ping checks that the database answers on a read connection.
func (db *DB) Ping(ctx context.Context) error {
	c, err := db.acquire(ctx, false)
	if err != nil {
		return db.fail("ping", err)
	}
	defer db.release(c)
	var one int
	if err := c.queryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		return db.fail("ping", err)
	}
	return nil
}

// Close waits (up to the busy timeout) for the write transaction in progress to end,
// checkpoints the WAL into the database file and closes every connection. Transactions
// still open afterwards fail. Calling Close again returns the first result.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		close(db.done)
		var errs []error
		timer := time.NewTimer(db.busyTimeout)
		defer timer.Stop()
		select {
		case <-db.wsem:
			// TRUNCATE leaves an empty -wal file behind, so the database file alone is whole.
			if _, err := db.w.execOnce(context.Background(), "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
				errs = append(errs, fmt.Errorf("checkpoint: %w", err))
			}
		case <-timer.C:
			errs = append(errs, errors.New("a write transaction was still open"))
		}
		errs = append(errs, db.closeConns())
		if err := errors.Join(errs...); err != nil {
			db.closeErr = fmt.Errorf("sqlite: close %s: %w", db.path, err)
		}
	})
	return db.closeErr
}

// closeConns closes every connection; the read connections in use are closed when returned.
func (db *DB) closeConns() error {
	var errs []error
	for {
		select {
		case c := <-db.readers:
			errs = append(errs, c.close())
			continue
		default:
		}
		break
	}
	if db.w != nil {
		errs = append(errs, db.w.close())
	}
	if db.rpool != nil {
		errs = append(errs, db.rpool.Close())
	}
	if db.wpool != nil {
		errs = append(errs, db.wpool.Close())
	}
	return errors.Join(errs...)
}

// fail wraps a database error with the operation. Errors that mean the database itself is
// gone (can't open, disk I/O, closed) also wrap relaybase.ErrUnavailable; a unique
// violation wraps relaybase.ErrConflict. Context errors pass through as they are.
func (db *DB) fail(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("sqlite: %s: %w", op, err)
	}
	var se *sqlite3.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3lib.SQLITE_CONSTRAINT_UNIQUE, sqlite3lib.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("sqlite: %s: %w: %s", op, relaybase.ErrConflict, se.Error())
		}
		switch se.Code() & 0xff {
		case sqlite3lib.SQLITE_CANTOPEN, sqlite3lib.SQLITE_IOERR, sqlite3lib.SQLITE_NOTADB,
			sqlite3lib.SQLITE_CORRUPT, sqlite3lib.SQLITE_FULL, sqlite3lib.SQLITE_BUSY, sqlite3lib.SQLITE_LOCKED:
			return fmt.Errorf("sqlite: %s: %w: %w", op, relaybase.ErrUnavailable, err)
		}
	}
	if errors.Is(err, errClosed) || errors.Is(err, sql.ErrConnDone) || strings.Contains(err.Error(), "sql: database is closed") {
		return fmt.Errorf("sqlite: %s: %w: %w", op, relaybase.ErrUnavailable, err)
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}

// newEpoch returns a fresh random channel epoch (128 bits, hex).
func newEpoch() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand: " + err.Error()) // never fails on supported platforms
	}
	return hex.EncodeToString(b[:])
}
