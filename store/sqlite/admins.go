package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"relaybase"
)

var _ relaybase.Admins = (*DB)(nil)

// adminTables is the internal migration that holds the admin console's accounts and
// sessions (relaybase.Admins). A session row goes with its admin.
const adminTables = `CREATE TABLE _relaybase_admins (
		id         INTEGER PRIMARY KEY AUTOINCREMENT,
		email      TEXT NOT NULL UNIQUE,
		password   TEXT NOT NULL,
		created_at INTEGER NOT NULL
	);
	CREATE TABLE _relaybase_admin_sessions (
		id         TEXT PRIMARY KEY,
		admin_id   INTEGER NOT NULL REFERENCES _relaybase_admins (id) ON DELETE CASCADE,
		csrf       TEXT NOT NULL,
		created_at INTEGER NOT NULL,
		expires_at INTEGER NOT NULL
	) WITHOUT ROWID;
	CREATE INDEX _relaybase_admin_sessions_expiry ON _relaybase_admin_sessions (expires_at);`

// adminWrite runs fn in a write transaction.
func (db *DB) adminWrite(ctx context.Context, op string, fn func(tx *Tx) error) error {
	tx, err := db.begin(ctx, true)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return db.fail(op, err)
	}
	return tx.Commit()
}

// CreateAdmin stores a new admin (relaybase.Admins).
func (db *DB) CreateAdmin(ctx context.Context, email, passwordHash string, now time.Time) (relaybase.Admin, error) {
	a := relaybase.Admin{Email: email, CreatedAt: now.UnixMilli()}
	var taken bool
	err := db.adminWrite(ctx, "create admin", func(tx *Tx) error {
		err := tx.c.queryRow(ctx, `INSERT INTO _relaybase_admins (email, password, created_at) VALUES (?, ?, ?)
			ON CONFLICT (email) DO NOTHING RETURNING id`, email, passwordHash, a.CreatedAt).Scan(&a.ID)
		if errors.Is(err, sql.ErrNoRows) {
			taken = true
			return nil
		}
		return err
	})
	if err != nil {
		return relaybase.Admin{}, err
	}
	if taken {
		return relaybase.Admin{}, fmt.Errorf("create admin %s: %w: the email is taken", email, relaybase.ErrConflict)
	}
	return a, nil
}

// AdminByEmail returns an admin and its password hash (relaybase.Admins).
func (db *DB) AdminByEmail(ctx context.Context, email string) (relaybase.Admin, string, bool, error) {
	c, err := db.acquire(ctx, false)
	if err != nil {
		return relaybase.Admin{}, "", false, db.fail("admin by email", err)
	}
	defer db.release(c)
	var a relaybase.Admin
	var hash string
	err = c.queryRow(ctx, `SELECT id, email, password, created_at FROM _relaybase_admins WHERE email = ?`, email).
		Scan(&a.ID, &a.Email, &hash, &a.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return relaybase.Admin{}, "", false, nil
	}
	if err != nil {
		return relaybase.Admin{}, "", false, db.fail("admin by email", err)
	}
	return a, hash, true, nil
}

// CreateAdminSession stores a session and drops expired ones (relaybase.Admins).
func (db *DB) CreateAdminSession(ctx context.Context, s relaybase.AdminSession) error {
	return db.adminWrite(ctx, "create admin session", func(tx *Tx) error {
		if _, err := tx.c.exec(ctx, `DELETE FROM _relaybase_admin_sessions WHERE expires_at <= ?`, s.CreatedAt); err != nil {
			return err
		}
		_, err := tx.c.exec(ctx, `INSERT INTO _relaybase_admin_sessions (id, admin_id, csrf, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?)`, s.ID, s.AdminID, s.CSRF, s.CreatedAt, s.ExpiresAt)
		if err != nil && strings.Contains(err.Error(), "FOREIGN KEY") {
			return fmt.Errorf("%w: no admin %d", relaybase.ErrNotFound, s.AdminID)
		}
		return err
	})
}

// AdminSession returns a live session and its admin (relaybase.Admins).
func (db *DB) AdminSession(ctx context.Context, id string, now time.Time) (relaybase.AdminSession, relaybase.Admin, bool, error) {
	c, err := db.acquire(ctx, false)
	if err != nil {
		return relaybase.AdminSession{}, relaybase.Admin{}, false, db.fail("admin session", err)
	}
	defer db.release(c)
	var s relaybase.AdminSession
	var a relaybase.Admin
	err = c.queryRow(ctx, `SELECT s.id, s.admin_id, s.csrf, s.created_at, s.expires_at, a.id, a.email, a.created_at
		FROM _relaybase_admin_sessions s JOIN _relaybase_admins a ON a.id = s.admin_id
		WHERE s.id = ? AND s.expires_at > ?`, id, now.UnixMilli()).
		Scan(&s.ID, &s.AdminID, &s.CSRF, &s.CreatedAt, &s.ExpiresAt, &a.ID, &a.Email, &a.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return relaybase.AdminSession{}, relaybase.Admin{}, false, nil
	}
	if err != nil {
		return relaybase.AdminSession{}, relaybase.Admin{}, false, db.fail("admin session", err)
	}
	return s, a, true, nil
}

// ExtendAdminSession moves a session's expiry (relaybase.Admins).
func (db *DB) ExtendAdminSession(ctx context.Context, id string, expires time.Time) error {
	return db.adminWrite(ctx, "extend admin session", func(tx *Tx) error {
		_, err := tx.c.exec(ctx, `UPDATE _relaybase_admin_sessions SET expires_at = ? WHERE id = ?`, expires.UnixMilli(), id)
		return err
	})
}

// DeleteAdminSession deletes a session (relaybase.Admins).
func (db *DB) DeleteAdminSession(ctx context.Context, id string) error {
	return db.adminWrite(ctx, "delete admin session", func(tx *Tx) error {
		_, err := tx.c.exec(ctx, `DELETE FROM _relaybase_admin_sessions WHERE id = ?`, id)
		return err
	})
}
