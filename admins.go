package relaybase

import (
	"context"
	"time"
)

// Admins is where the admin console's accounts and sessions live (store/sqlite and
// store/postgres implement it on their own metadata tables): separate from every table of
// the workspace, so that no workspace user, token or endpoint reaches them. The store keeps
// what it is given; hashing passwords, making session ids and judging expiry by the clock
// are the console's (package admin).
type Admins interface {
	// CreateAdmin stores a new admin with an already hashed password. An email already
	// taken is an error wrapping ErrConflict, and stores nothing.
	CreateAdmin(ctx context.Context, email, passwordHash string, now time.Time) (Admin, error)
	// AdminByEmail returns the admin with that email (compared exactly) and its password
	// hash; ok is false when there is none.
	AdminByEmail(ctx context.Context, email string) (a Admin, passwordHash string, ok bool, err error)
	// CreateAdminSession stores a session. It also deletes the sessions expired at
	// s.CreatedAt, so that abandoned ones do not pile up.
	CreateAdminSession(ctx context.Context, s AdminSession) error
	// AdminSession returns the session with that id and its admin if it has not expired at
	// now; ok is false otherwise (none, expired, or its admin deleted).
	AdminSession(ctx context.Context, id string, now time.Time) (s AdminSession, a Admin, ok bool, err error)
	// ExtendAdminSession moves a session's expiry (nothing when there is no such session).
	ExtendAdminSession(ctx context.Context, id string, expires time.Time) error
	// DeleteAdminSession deletes a session (nothing when there is none).
	DeleteAdminSession(ctx context.Context, id string) error
}

// Admin is an account of the admin console.
type Admin struct {
	ID        int64
	Email     string
	CreatedAt int64 // ms since the epoch
}

// AdminSession is a logged-in admin's session. ID is what the store is asked by: the
// console stores a digest of the cookie's secret there, never the secret itself.
type AdminSession struct {
	ID        string
	AdminID   int64
	CSRF      string // the token every state-changing request must carry
	CreatedAt int64  // ms since the epoch
	ExpiresAt int64  // ms since the epoch
}
