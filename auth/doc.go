// Package auth issues and verifies relaybase's auth tokens and hashes and checks passwords
// (docs/http.md, "Authentication").
//
// # Tokens
//
// [Tokens] implements relaybase.Tokens. A token is a compact JWE, like Xano's: the 32-byte key
// wraps a fresh content key with A256KW and the claims are encrypted with A256CBC-HS512.
// Nothing else is accepted: a token whose header names any other algorithm, encoding,
// compression or extra member is rejected before any key is used, so "dir", "none", RSA or
// ECDH substitutions never reach a decrypter. The claims are a JSON object:
//
//	dbo_id  int     the auth table's id (Identity.TableID; protocol.md's dbo_id), > 0
//	row_id  int     the user's row in that table (Identity.RowID)
//	extras  object  the token's extras (Identity.Extras), key order kept; absent when empty
//	iat     int     issued at, Unix seconds
//	exp     int     expires at, Unix seconds; the token is refused from that second on
//
// Every failure of Verify wraps relaybase.ErrUnauthorized; an expired token also matches
// [ErrExpired]. Issue encrypts with go-jose; Verify, which runs on every request and every
// realtime connect, checks the header itself and then uses go-jose's key-unwrap and
// CBC-HMAC primitives directly, skipping go-jose's general JSON header handling (most of its
// cost); the tests hold the two paths to each other. A token that verified is remembered, by
// the SHA-256 of its text, in a bounded cache ([WithVerifyCache], [DefaultVerifyCache] entries
// by default) until it expires or is crowded out, so the same client reconnecting or calling
// again costs a digest and a map lookup; its expiry is checked on every hit, a token that
// failed is never remembered, and the extras handed out are always a fresh copy. The key comes from [ParseKey] (base64url text, as RELAYBASE_AUTH_KEY and key
// files hold it) or [GenerateKey].
//
// # Passwords
//
// [Passwords] implements relaybase.Passwords: new hashes are argon2id in the PHC string format
// with OWASP's parameters (m=19456 KiB, t=2, p=1); bcrypt hashes ($2a$, $2b$, $2y$) still
// verify, for imported data. Hashing holds a slot of a semaphore, so a burst of logins waits
// instead of allocating 19 MiB per request without bound. [IsHash] tells a stored hash from
// plain text.
//
// The package knows nothing of HTTP, stores, tables or XanoScript: callers decide which table a
// token must belong to and where keys and hashes are kept. It reads no environment and no
// global state; the clock is injected.
package auth
