package relaybase

import (
	"time"

	"relaybase/value"
)

// Identity is who a request or a connection acts as: the auth table that issued its token
// (TableID, the dbo_id of protocol.md), the user's row in it, and the extras the token
// carries. The zero Identity is anonymous.
type Identity struct {
	TableID int64
	RowID   int64
	Extras  *value.Object // nil means {}
}

// Authenticated reports whether the identity came from a valid token.
func (id Identity) Authenticated() bool { return id.TableID != 0 }

// Tokens issues and verifies auth tokens (docs/http.md, "Authentication"). Every node holding the
// same key verifies every token. Implementations are safe for concurrent use.
type Tokens interface {
	// Issue returns a token for id that expires after ttl (ttl <= 0: the default).
	Issue(id Identity, ttl time.Duration) (string, error)
	// Verify returns the identity a token proves, or an error wrapping ErrUnauthorized
	// for a malformed, forged or expired token.
	Verify(token string) (Identity, error)
}

// Passwords hashes and checks passwords (argon2id; bcrypt hashes still verify).
type Passwords interface {
	Hash(plain string) (string, error)
	Check(plain, hash string) (bool, error)
}
