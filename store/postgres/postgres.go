package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	neturl "net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"relaybase"
	"relaybase/internal/sqlbuild"
	"relaybase/metrics"
)

// DB is a relaybase.Store on one PostgreSQL schema. It is safe for concurrent use, and
// several DBs (nodes) may share the schema.
type DB struct {
	pool    *pgxpool.Pool
	where   string           // host:port/database, for messages (never the password)
	nsp     string           // the schema that holds every table
	q       string           // nsp quoted
	lockID  int64            // the advisory lock of migrations of this schema
	dialect sqlbuild.Dialect // with the collation whose lower() folds Unicode (for includes)
	now     func() time.Time
	schema  atomic.Pointer[schema]
	met     *metrics.Store

	// writers holds a token for each write Tx that may still begin: at most half the
	// pool's connections write at once, so that reads always find one.
	writers chan struct{}

	done         chan struct{} // closed by Close
	closeOnce    sync.Once
	closeErr     error
	closeTimeout time.Duration
}

var _ relaybase.Store = (*DB)(nil)

// Option configures Open.
type Option func(*options)

type options struct {
	now          func() time.Time
	maxConns     int32
	closeTimeout time.Duration
	met          *metrics.Store
}

// WithMetrics counts transactions (their time to commit or rollback) and the begins and
// commits that fail there (default: nowhere).
func WithMetrics(m *metrics.Store) Option { return func(o *options) { o.met = m } }

// WithClock sets the clock that fills `now` defaults (default time.Now).
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithMaxConns sets the most connections the DB opens at once (default: pool_max_conns
// from the URL, else 2×GOMAXPROCS plus one, at least 9). At most half of them (at least
// one) serve write transactions at a time; the others are kept for read transactions,
// Meta and History.
func WithMaxConns(n int) Option { return func(o *options) { o.maxConns = int32(max(2, n)) } }

// WithCloseTimeout sets how long Close waits for transactions still open (default 10s).
func WithCloseTimeout(d time.Duration) Option { return func(o *options) { o.closeTimeout = d } }

// Open connects to the PostgreSQL database at url (postgres://user:password@host:port/db?...,
// or key=value pairs; search_path picks the schema, default public) and brings relaybase's
// own tables up to date, under the schema's advisory lock so that nodes starting together
// take turns. Every error wraps relaybase.ErrUnavailable; none contains the password.
func Open(ctx context.Context, url string, opts ...Option) (*DB, error) {
	o := options{now: time.Now, closeTimeout: 10 * time.Second}
	for _, opt := range opts {
		opt(&o)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx masks the password as well as it can in a malformed URL; whatever looks like
		// one is masked again here.
		return nil, fmt.Errorf("postgres: open: %w: invalid database URL: %w", relaybase.ErrUnavailable,
			redactErr(err, urlPasswords(url)...))
	}
	where := describeConfig(cfg.ConnConfig)
	db, err := open(ctx, cfg, url, o)
	if err != nil {
		return nil, fmt.Errorf("postgres: open %s: %w: %w", where, relaybase.ErrUnavailable, redactErr(err, cfg.ConnConfig.Password))
	}
	db.where = where
	return db, nil
}

// describeConfig names the server and database for messages.
func describeConfig(c *pgx.ConnConfig) string {
	host := c.Host
	if strings.HasPrefix(host, "/") {
		return host + "/" + c.Database
	}
	return net.JoinHostPort(host, strconv.Itoa(int(c.Port))) + "/" + c.Database
}

// redactErr hides the passwords should an error from below ever contain one.
func redactErr(err error, passwords ...string) error {
	msg := err.Error()
	for _, p := range passwords {
		if p != "" {
			msg = strings.ReplaceAll(msg, p, "xxxxx")
		}
	}
	if msg == err.Error() {
		return err
	}
	return redacted{err: err, msg: msg}
}

// urlPasswords finds what may be the password in a connection string that doesn't parse:
// the userinfo after the first colon of a URL (as written and unescaped), and the value of
// password= in the key=value form.
func urlPasswords(s string) []string {
	var out []string
	if _, rest, ok := strings.Cut(s, "://"); ok {
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			if _, pw, ok := strings.Cut(rest[:at], ":"); ok && pw != "" {
				out = append(out, pw)
				if u, err := neturl.PathUnescape(pw); err == nil && u != pw {
					out = append(out, u)
				}
			}
		}
	}
	for _, f := range strings.Fields(s) {
		if pw, ok := strings.CutPrefix(f, "password="); ok && strings.Trim(pw, "'") != "" {
			out = append(out, strings.Trim(pw, "'"))
		}
	}
	return out
}

type redacted struct {
	err error
	msg string
}

func (r redacted) Error() string { return r.msg }
func (r redacted) Unwrap() error { return r.err }

func open(ctx context.Context, cfg *pgxpool.Config, url string, o options) (_ *DB, err error) {
	switch {
	case o.maxConns > 0:
		cfg.MaxConns = o.maxConns
	case !strings.Contains(url, "pool_max_conns"):
		cfg.MaxConns = int32(max(8, 2*runtime.GOMAXPROCS(0)) + 1)
	}
	rp := cfg.ConnConfig.RuntimeParams
	if rp["application_name"] == "" {
		rp["application_name"] = "relaybase"
	}
	// Statements outside a Tx (Meta, InitMeta, History) rely on READ COMMITTED whatever
	// the server's default; every Tx names its level anyway.
	rp["default_transaction_isolation"] = "read committed"

	slots := max(1, int(cfg.MaxConns)/2)
	db := &DB{
		now:          o.now,
		writers:      make(chan struct{}, slots),
		done:         make(chan struct{}),
		closeTimeout: o.closeTimeout,
		met:          o.met,
	}
	db.schema.Store(&schema{tables: map[string]*table{}})
	db.pool, err = pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			db.pool.Close()
		}
	}()
	if err := db.inspect(ctx); err != nil {
		return nil, err
	}
	if err := db.setup(ctx); err != nil {
		return nil, err
	}
	for range slots {
		db.writers <- struct{}{}
	}
	return db, nil
}

// minVersion is the oldest server relaybase supports (jsonb_path_query_array: 12).
const minVersion = 120000

// foldCollations are the collations tried, in order, for includes: the first whose lower()
// maps non-ASCII letters wins. C.utf8 maps one code point to one as Go's strings.ToLower
// does; ICU's root locale is nearly the same; the database default depends on its locale.
var foldCollations = []string{"C.utf8", "C.UTF-8", "und-x-icu", "default"}

// inspect checks the server (version, UTF-8) and finds the schema and the folding collation.
func (db *DB) inspect(ctx context.Context) error {
	c, err := db.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer c.Release()
	var version int
	var encoding string
	var nsp pgtype.Text
	if err := c.QueryRow(ctx, "SELECT current_setting('server_version_num')::int, current_setting('server_encoding'), current_schema()").
		Scan(&version, &encoding, &nsp); err != nil {
		return err
	}
	if version < minVersion {
		return fmt.Errorf("the server runs PostgreSQL %d.%d; relaybase needs 12 or newer", version/10000, version%10000)
	}
	if encoding != "UTF8" {
		return fmt.Errorf("the database's encoding is %s; relaybase needs UTF8 (CREATE DATABASE ... ENCODING 'UTF8')", encoding)
	}
	if !nsp.Valid {
		return errors.New("no schema in the search_path exists; create it, or set search_path in the URL")
	}
	db.nsp, db.q = nsp.String, sqlbuild.QuoteIdent(nsp.String)
	h := fnv.New64a()
	h.Write([]byte("relaybase\x00" + db.nsp))
	db.lockID = int64(h.Sum64())

	var names []string
	rows, err := c.Query(ctx, "SELECT collname FROM pg_collation WHERE collname = ANY($1::text[]) "+
		"AND collencoding IN (-1, (SELECT encoding FROM pg_database WHERE datname = current_database()))", foldCollations)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return err
		}
		have[n] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, n := range foldCollations {
		if have[n] || n == "default" {
			names = append(names, n)
		}
	}
	fold := `"default"`
	for _, n := range names {
		var folds bool
		if err := c.QueryRow(ctx, "SELECT lower('ÀÉÎÕÜΣÄ' COLLATE "+sqlbuild.QuoteIdent(n)+") = 'àéîõüσä'").Scan(&folds); err != nil {
			return err
		}
		if folds {
			fold = sqlbuild.QuoteIdent(n)
			break
		}
	}
	db.dialect = sqlbuild.Postgres(fold)
	return nil
}

// internalMigrations are relaybase's own tables, applied in order once each;
// _relaybase_migrations records which ran. {s} is the schema. Append only: never edit a
// step that has shipped.
var internalMigrations = []string{
	`CREATE TABLE {s}._relaybase_meta (
		key   text PRIMARY KEY,
		value text NOT NULL
	);
	CREATE TABLE {s}._relaybase_table_ids (
		name text PRIMARY KEY,
		id   bigint NOT NULL UNIQUE
	);
	CREATE TABLE {s}._relaybase_fields (
		table_name text NOT NULL,
		field      text NOT NULL,
		type       text NOT NULL,
		is_array   boolean NOT NULL,
		PRIMARY KEY (table_name, field)
	);
	CREATE TABLE {s}._relaybase_channels (
		channel     text PRIMARY KEY,
		next_offset bigint NOT NULL,
		epoch       text NOT NULL
	);
	CREATE TABLE {s}._relaybase_history (
		channel              text NOT NULL,
		"offset"             bigint NOT NULL,
		created_at           bigint NOT NULL,
		sender_authenticated boolean NOT NULL,
		authenticated_only   boolean NOT NULL,
		frame                bytea NOT NULL,
		PRIMARY KEY (channel, "offset")
	);`,
	`CREATE TABLE {s}._relaybase_cursors (
		stream text NOT NULL,
		client text NOT NULL,
		cursor bigint NOT NULL,
		PRIMARY KEY (stream, client)
	);`,
	adminTables,
}

func (db *DB) sql(s string) string { return strings.ReplaceAll(s, "{s}", db.q) }

// setup applies the internal migrations in a migration transaction (under the advisory lock).
func (db *DB) setup(ctx context.Context) error {
	c, err := db.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer c.Release()
	if _, err := c.Exec(ctx, db.beginSQL(migrateTx)); err != nil {
		return err
	}
	defer c.Exec(context.Background(), "ROLLBACK")
	var exists bool
	if err := c.QueryRow(ctx, "SELECT to_regclass($1::text) IS NOT NULL", db.q+"._relaybase_migrations").Scan(&exists); err != nil {
		return err
	}
	if !exists {
		if _, err := c.Exec(ctx, db.sql(`CREATE TABLE {s}._relaybase_migrations (
			version    integer PRIMARY KEY,
			applied_at timestamptz NOT NULL DEFAULT now()
		)`)); err != nil {
			return fmt.Errorf("create _relaybase_migrations: %w", err)
		}
	}
	var version int
	if err := c.QueryRow(ctx, db.sql("SELECT coalesce(max(version), 0) FROM {s}._relaybase_migrations")).Scan(&version); err != nil {
		return err
	}
	if version > len(internalMigrations) {
		return fmt.Errorf("the database was written by a newer relaybase (schema version %d, this one knows %d)",
			version, len(internalMigrations))
	}
	for i := version; i < len(internalMigrations); i++ {
		if _, err := c.Exec(ctx, db.sql(internalMigrations[i])); err != nil {
			return fmt.Errorf("internal migration %d: %w", i+1, err)
		}
		if _, err := c.Exec(ctx, db.sql("INSERT INTO {s}._relaybase_migrations (version) VALUES ($1)"), i+1); err != nil {
			return fmt.Errorf("internal migration %d: %w", i+1, err)
		}
	}
	tag, err := c.Exec(ctx, "COMMIT")
	if err != nil {
		return err
	}
	if tag.String() != "COMMIT" {
		return errors.New("the setup transaction was rolled back")
	}
	return nil
}

// txMode is what a transaction may do, and so which locks it takes when it begins.
type txMode int

const (
	readTx    txMode = iota // one snapshot, no locks
	writeTx                 // READ COMMITTED; row locks as its statements take them
	migrateTx               // a write Tx that first takes the schema's advisory lock
)

// beginSQL starts a transaction of the mode; a migration's takes the schema's advisory lock
// in the same round trip.
func (db *DB) beginSQL(mode txMode) string {
	switch mode {
	case writeTx:
		return "BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE"
	case migrateTx:
		return "BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE; SELECT pg_advisory_xact_lock(" +
			strconv.FormatInt(db.lockID, 10) + ")"
	}
	return "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
}

var errClosed = errors.New("database is closed")

// Begin starts a transaction. write=true takes a writer slot of this DB (waiting in Go
// while half the pool's connections write) and then only the row locks its statements
// take; write=false reads one snapshot and takes no lock. The Tx must end with Commit or
// Rollback.
func (db *DB) Begin(ctx context.Context, write bool) (relaybase.Tx, error) {
	mode := readTx
	if write {
		mode = writeTx
	}
	tx, err := db.begin(ctx, mode)
	if err != nil {
		return nil, err // not a nil *Tx in an interface
	}
	return tx, nil
}

func (db *DB) begin(ctx context.Context, mode txMode) (*Tx, error) {
	select {
	case <-db.done:
		return nil, db.fail("begin", errClosed)
	default:
	}
	start := time.Now()
	write := mode != readTx
	if write {
		select {
		case <-db.writers:
		case <-ctx.Done():
			db.met.Error(metrics.OpBegin)
			return nil, db.fail("begin", ctx.Err())
		case <-db.done:
			return nil, db.fail("begin", errClosed)
		}
	}
	c, err := db.pool.Acquire(ctx)
	if err == nil {
		if _, err = c.Exec(ctx, db.beginSQL(mode)); err != nil {
			// The pool closes a connection that is left in a transaction.
			c.Exec(context.Background(), "ROLLBACK")
			c.Release()
		}
	}
	if err != nil {
		if write {
			db.writers <- struct{}{}
		}
		db.met.Error(metrics.OpBegin)
		return nil, db.fail("begin", err)
	}
	sch := db.schema.Load()
	ops := &txOps{D: db.dialect, C: txConn{db, c, sch.seqs}, Now: db.now,
		State: sqlbuild.TxState{Store: "postgres", Tables: sch.tables, Write: write}}
	if write {
		ops.RowLock = " FOR NO KEY UPDATE"
	}
	return &Tx{db: db, c: c, txOps: ops, start: start}, nil
}

// Conns reports the pool's connections: in use (acquired), idle, and the most it opens.
func (db *DB) Conns() (inUse, idle, max int) {
	st := db.pool.Stat()
	return int(st.AcquiredConns()), int(st.IdleConns()), int(st.MaxConns())
}

// Meta returns relaybase's metadata value for key: one row always, null when unset.
func (db *DB) Meta(ctx context.Context, key string) (string, bool, error) {
	if err := db.usable(); err != nil {
		return "", false, db.fail("meta "+key, err)
	}
	if !relaybase.StorableText(key) {
		return "", false, nil
	}
	var v pgtype.Text
	if err := db.pool.QueryRow(ctx, db.sql("SELECT (SELECT value FROM {s}._relaybase_meta WHERE key = $1::text)"), key).Scan(&v); err != nil {
		return "", false, db.fail("meta "+key, err)
	}
	return v.String, v.Valid, nil
}

// InitMeta stores value under key unless a value is already there, and returns the stored
// one. One statement: of nodes racing, the first insert wins and the others read it.
func (db *DB) InitMeta(ctx context.Context, key, value string) (string, error) {
	if err := db.usable(); err != nil {
		return "", db.fail("init meta "+key, err)
	}
	if !relaybase.StorableText(key) || !relaybase.StorableText(value) {
		return "", fmt.Errorf("postgres: init meta: key and value must be UTF-8 text without NUL")
	}
	var v string
	err := db.pool.QueryRow(ctx, db.sql(`INSERT INTO {s}._relaybase_meta AS m (key, value) VALUES ($1::text, $2::text)
		ON CONFLICT (key) DO UPDATE SET value = m.value
		RETURNING m.value`), key, value).Scan(&v)
	if err != nil {
		return "", db.fail("init meta "+key, err)
	}
	return v, nil
}

// History reads a channel's stored frames with offset > after, oldest first, in one
// statement (so from one snapshot).
func (db *DB) History(ctx context.Context, channel string, after int64, limit int) (relaybase.HistoryPage, error) {
	var page relaybase.HistoryPage
	if err := db.usable(); err != nil {
		return page, db.fail("history", err)
	}
	if !relaybase.StorableText(channel) {
		return page, nil // no such channel can exist
	}
	var lim any // NULL: no limit
	if limit > 0 {
		lim = int64(limit)
	}
	rows, err := db.pool.Query(ctx, db.sql(`SELECT c.next_offset, c.epoch, o.oldest,
			h."offset", h.created_at, h.sender_authenticated, h.authenticated_only, h.frame
		FROM {s}._relaybase_channels AS c
		CROSS JOIN LATERAL (
			SELECT min(k."offset") AS oldest FROM {s}._relaybase_history AS k WHERE k.channel = c.channel
		) AS o
		LEFT JOIN LATERAL (
			SELECT * FROM {s}._relaybase_history AS e
			WHERE e.channel = c.channel AND e."offset" > $2::bigint
			ORDER BY e."offset" LIMIT $3::bigint
		) AS h ON TRUE
		WHERE c.channel = $1::text
		ORDER BY h."offset"`), channel, after, lim)
	if err != nil {
		return page, db.fail("history", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			next, oldest, offset, created pgtype.Int8
			sender, authOnly              pgtype.Bool
			frame                         []byte
		)
		if err := rows.Scan(&next, &page.Epoch, &oldest, &offset, &created, &sender, &authOnly, &frame); err != nil {
			return page, db.fail("history", err)
		}
		page.Newest = next.Int64 - 1
		page.Oldest = oldest.Int64
		if !offset.Valid {
			continue // no frame after `after`
		}
		page.Entries = append(page.Entries, relaybase.HistoryEntry{Channel: channel, Offset: offset.Int64,
			CreatedAt: created.Int64, SenderAuthenticated: sender.Bool, AuthenticatedOnly: authOnly.Bool, Frame: frame})
	}
	if err := rows.Err(); err != nil {
		return page, db.fail("history", err)
	}
	return page, nil
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.usable(); err != nil {
		return db.fail("ping", err)
	}
	if err := db.pool.Ping(ctx); err != nil {
		return db.fail("ping", err)
	}
	return nil
}

func (db *DB) usable() error {
	select {
	case <-db.done:
		return errClosed
	default:
		return nil
	}
}

// Close refuses new work, waits (up to the close timeout) for the transactions still open
// to end, and closes every connection. If some transaction is still open then, Close
// returns an error and its connection closes when it ends. Calling Close again returns the
// first result.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		close(db.done)
		closed := make(chan struct{})
		go func() {
			db.pool.Close()
			close(closed)
		}()
		timer := time.NewTimer(db.closeTimeout)
		defer timer.Stop()
		select {
		case <-closed:
		case <-timer.C:
			db.closeErr = fmt.Errorf("postgres: close %s: a transaction was still open after %v", db.where, db.closeTimeout)
		}
	})
	return db.closeErr
}

// fail wraps a database error with the operation. Errors that mean the database can't be
// reached or is closed also wrap relaybase.ErrUnavailable; a unique violation wraps
// relaybase.ErrConflict. Context errors pass through as they are.
func (db *DB) fail(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("postgres: %s: %w", op, err)
	}
	if unavailable(err) {
		return fmt.Errorf("postgres: %s: %w: %w", op, relaybase.ErrUnavailable, err)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return fmt.Errorf("postgres: %s: %w: %s", op, relaybase.ErrConflict, pe.Message)
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

// unavailable reports whether err means that the database can't be reached or used now,
// or that it ended the transaction to break a deadlock among row locks (two stacks that lock
// the same rows in opposite orders): either way nothing was written and trying again may
// succeed, which a client learns from a 503.
func unavailable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case strings.HasPrefix(pe.Code, "08"), // connection exception
			strings.HasPrefix(pe.Code, "53"),                           // insufficient resources
			strings.HasPrefix(pe.Code, "28"),                           // invalid authorization
			pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03", // shutting down, starting up
			pe.Code == "3D000", // no such database
			pe.Code == "25006", // read-only transaction (a standby)
			pe.Code == "40P01", // deadlock detected: this Tx was chosen to end; nothing was written
			pe.Code == "40001": // serialization failure: likewise, worth trying again
			return true
		}
		return false
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, errClosed) ||
		errors.Is(err, pgconn.ErrConnClosed) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		strings.Contains(err.Error(), "closed pool") || strings.Contains(err.Error(), "conn closed")
}

// newEpoch returns a fresh random channel epoch (128 bits, hex).
func newEpoch() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand: " + err.Error()) // never fails on supported platforms
	}
	return hex.EncodeToString(b[:])
}
