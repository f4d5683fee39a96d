package auth

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	josecipher "github.com/go-jose/go-jose/v4/cipher"

	"relaybase"
	"relaybase/value"
)

// DefaultTTL is how long a token lives when Issue is given no ttl.
const DefaultTTL = 24 * time.Hour

// MaxTokenLen is the longest token Verify reads and Issue produces: more than any header
// carries is refused before it is decoded.
const MaxTokenLen = 16 << 10

// The only algorithms a token may name.
const (
	keyAlg     = jose.A256KW
	contentEnc = jose.A256CBC_HS512
)

var (
	keyAlgs     = []jose.KeyAlgorithm{keyAlg}
	contentEncs = []jose.ContentEncryption{contentEnc}
	// wantHeader is the protected header Issue writes, base64url-encoded; Verify accepts it
	// without decoding it. Any other header is decoded and must say the same thing.
	wantHeader = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"A256KW","enc":"A256CBC-HS512"}`))
)

// ErrExpired is returned by Verify for a token past its expiry. It wraps
// relaybase.ErrUnauthorized.
var ErrExpired = fmt.Errorf("token expired: %w", relaybase.ErrUnauthorized)

var (
	errMalformed = fmt.Errorf("malformed token: %w", relaybase.ErrUnauthorized)
	errInvalid   = fmt.Errorf("invalid token: %w", relaybase.ErrUnauthorized)
)

// Tokens issues and verifies auth tokens with one key. It implements relaybase.Tokens and is
// safe for concurrent use.
type Tokens struct {
	now        func() time.Time
	defaultTTL time.Duration
	enc        jose.Encrypter // stateless per call; holds the key
	kek        keyUnwrapper   // the key's AES block, expanded once
}

// TokenOption configures NewTokens.
type TokenOption func(*Tokens)

// WithClock makes Tokens read the time from now instead of time.Now (tests, mostly).
func WithClock(now func() time.Time) TokenOption {
	return func(t *Tokens) { t.now = now }
}

// WithDefaultTTL sets the lifetime of a token issued with ttl <= 0 (default DefaultTTL).
func WithDefaultTTL(d time.Duration) TokenOption {
	return func(t *Tokens) {
		if d > 0 {
			t.defaultTTL = d
		}
	}
}

var _ relaybase.Tokens = (*Tokens)(nil)

// NewTokens returns Tokens that encrypt to and decrypt with key, which must be KeySize bytes
// (see ParseKey). The key is copied.
func NewTokens(key []byte, opts ...TokenOption) (*Tokens, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("new tokens: key is %d bytes, want %d", len(key), KeySize)
	}
	key = bytes.Clone(key)
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("new tokens: %w", err)
	}
	enc, err := jose.NewEncrypter(contentEnc, jose.Recipient{Algorithm: keyAlg, Key: key}, nil)
	if err != nil {
		return nil, fmt.Errorf("new tokens: %w", err)
	}
	t := &Tokens{now: time.Now, defaultTTL: DefaultTTL, enc: enc, kek: keyUnwrapper{block}}
	for _, o := range opts {
		o(t)
	}
	return t, nil
}

// Issue returns a token proving id until ttl from now (ttl <= 0: the default TTL). The
// expiry is kept in whole seconds, rounded down but never before the next second.
func (t *Tokens) Issue(id relaybase.Identity, ttl time.Duration) (string, error) {
	if id.TableID <= 0 {
		return "", fmt.Errorf("issue token: table id %d: want a positive auth table id", id.TableID)
	}
	if ttl <= 0 {
		ttl = t.defaultTTL
	}
	now := t.now()
	iat := now.Unix()
	exp := now.Add(ttl).Unix()
	if exp <= iat {
		exp = iat + 1
	}
	claims := make([]byte, 0, 96)
	claims = append(claims, `{"dbo_id":`...)
	claims = strconv.AppendInt(claims, id.TableID, 10)
	claims = append(claims, `,"row_id":`...)
	claims = strconv.AppendInt(claims, id.RowID, 10)
	if id.Extras.Len() > 0 {
		var err error
		claims = append(claims, `,"extras":`...)
		if claims, err = value.AppendJSON(claims, id.Extras); err != nil {
			return "", fmt.Errorf("issue token: extras: %w", err)
		}
	}
	claims = append(claims, `,"iat":`...)
	claims = strconv.AppendInt(claims, iat, 10)
	claims = append(claims, `,"exp":`...)
	claims = strconv.AppendInt(claims, exp, 10)
	claims = append(claims, '}')

	obj, err := t.enc.Encrypt(claims)
	if err != nil {
		return "", fmt.Errorf("issue token: %w", err)
	}
	tok, err := obj.CompactSerialize()
	if err != nil {
		return "", fmt.Errorf("issue token: %w", err)
	}
	if len(tok) > MaxTokenLen {
		return "", fmt.Errorf("issue token: %d bytes with its extras, more than the %d a token may have", len(tok), MaxTokenLen)
	}
	return tok, nil
}

// claims is the decrypted payload. Extras is decoded separately so it keeps key order and
// integer-ness (relaybase/value).
type claims struct {
	TableID *int64          `json:"dbo_id"`
	RowID   *int64          `json:"row_id"`
	Extras  json.RawMessage `json:"extras"`
	Issued  int64           `json:"iat"`
	Expires *int64          `json:"exp"`
}

// Verify returns the identity token proves. Every error wraps relaybase.ErrUnauthorized:
// a token that is not a compact JWE of this package's one header is malformed; one that does
// not decrypt and authenticate under the key (forged, altered, or from another key) is
// invalid; one past its expiry matches ErrExpired.
func (t *Tokens) Verify(token string) (relaybase.Identity, error) {
	if token == "" || len(token) > MaxTokenLen {
		return relaybase.Identity{}, errMalformed
	}
	header, _, ok := strings.Cut(token, ".")
	if !ok || !canonicalSegments(token) {
		return relaybase.Identity{}, errMalformed
	}
	if header != wantHeader && !acceptableHeader(header) {
		return relaybase.Identity{}, fmt.Errorf("verify token: header: %w", errMalformed)
	}
	obj, err := jose.ParseEncryptedCompact(token, keyAlgs, contentEncs)
	if err != nil {
		return relaybase.Identity{}, errMalformed
	}
	plain, err := obj.Decrypt(t.kek)
	if err != nil {
		return relaybase.Identity{}, errInvalid
	}

	// The payload authenticated, so it was written by someone holding the key; still check
	// it rather than trust it.
	var c claims
	if err := json.Unmarshal(plain, &c); err != nil || c.TableID == nil || c.RowID == nil || c.Expires == nil || *c.TableID <= 0 {
		return relaybase.Identity{}, fmt.Errorf("verify token: claims: %w", errInvalid)
	}
	if t.now().Unix() >= *c.Expires {
		return relaybase.Identity{}, ErrExpired
	}
	id := relaybase.Identity{TableID: *c.TableID, RowID: *c.RowID}
	if len(c.Extras) > 0 && string(c.Extras) != "null" {
		v, err := value.DecodeJSON(c.Extras)
		obj, ok := v.(*value.Object)
		if err != nil || !ok {
			return relaybase.Identity{}, fmt.Errorf("verify token: extras: %w", errInvalid)
		}
		if obj.Len() > 0 {
			id.Extras = obj
		}
	}
	return id, nil
}

// acceptableHeader reports whether a base64url protected header holds exactly "alg":
// "A256KW" and "enc": "A256CBC-HS512", in any order or spacing, and nothing else: no "zip",
// "crit", "kid", "jwk" or anything a future go-jose might act on.
func acceptableHeader(b64 string) bool {
	raw, err := base64.RawURLEncoding.DecodeString(b64)
	if err != nil {
		return false
	}
	var h map[string]json.RawMessage
	if err := json.Unmarshal(raw, &h); err != nil || len(h) != 2 {
		return false
	}
	var alg, enc string
	if json.Unmarshal(h["alg"], &alg) != nil || json.Unmarshal(h["enc"], &enc) != nil {
		return false
	}
	return alg == string(keyAlg) && enc == string(contentEnc)
}

// canonicalSegments reports whether every dot-separated segment of token ends the way
// unpadded base64url encoding ends it: the unused low bits of a final partial group are
// zero. go-jose's decoder ignores those bits, so without this check one token would have
// several spellings, and anything that keys on the token text (a cache, a revocation list,
// a log search) could be dodged.
func canonicalSegments(token string) bool {
	for seg := range strings.SplitSeq(token, ".") {
		n := len(seg)
		if n == 0 {
			continue
		}
		var unused byte
		switch n % 4 {
		case 1:
			return false
		case 2:
			unused = 0x0f
		case 3:
			unused = 0x03
		default:
			continue
		}
		if b64urlValue(seg[n-1])&unused != 0 {
			return false
		}
	}
	return true
}

// b64urlValue is the 6-bit value of a base64url character; other characters are left to the
// decoder to reject.
func b64urlValue(c byte) byte {
	switch {
	case c >= 'A' && c <= 'Z':
		return c - 'A'
	case c >= 'a' && c <= 'z':
		return c - 'a' + 26
	case c >= '0' && c <= '9':
		return c - '0' + 52
	case c == '-':
		return 62
	case c == '_':
		return 63
	}
	return 0
}

// keyUnwrapper unwraps content keys with the token key's AES block, expanded once in
// NewTokens instead of on every Verify. go-jose calls it only after checking the header
// against keyAlgs; it checks again.
type keyUnwrapper struct{ block cipher.Block }

// DecryptKey implements jose.OpaqueKeyDecrypter.
func (k keyUnwrapper) DecryptKey(encryptedKey []byte, h jose.Header) ([]byte, error) {
	if h.Algorithm != string(keyAlg) {
		return nil, errors.New("unexpected key algorithm")
	}
	return josecipher.KeyUnwrap(k.block, encryptedKey)
}
