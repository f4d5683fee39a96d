package auth

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
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

// wantHeader is the protected header Issue writes, base64url-encoded; Verify accepts it
// without decoding it. Any other header is decoded and must say the same thing.
var wantHeader = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"A256KW","enc":"A256CBC-HS512"}`))

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
	kek        cipher.Block   // the key's AES block, expanded once rather than per Verify
	cacheSize  int
	cache      *verifyCache // nil: every Verify does the whole work
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

// WithVerifyCache sets how many recently verified tokens Verify remembers (default
// DefaultVerifyCache; 0 or less: none). A remembered token is answered from memory, its
// expiry checked again, until it expires or is crowded out; only tokens that verified are
// remembered.
func WithVerifyCache(entries int) TokenOption {
	return func(t *Tokens) { t.cacheSize = entries }
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
	t := &Tokens{now: time.Now, defaultTTL: DefaultTTL, enc: enc, kek: block, cacheSize: DefaultVerifyCache}
	for _, o := range opts {
		o(t)
	}
	t.cache = newVerifyCache(t.cacheSize)
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

// Verify returns the identity token proves. Every error wraps relaybase.ErrUnauthorized:
// a token that is not a compact JWE with this package's one header is malformed; one that
// does not decrypt and authenticate under the key (forged, altered, or from another key) is
// invalid; one past its expiry matches ErrExpired.
//
// Verify runs on every request and every realtime connect, so it does not go through
// go-jose's general JWE parser, whose JSON header handling is most of its cost: the header is
// checked here against the one allowed value first, and then go-jose's own primitives do the
// work its Decrypt would do for that header: AES key unwrap (RFC 3394) of the content key
// with the key's cached AES block, and A256CBC-HS512 (RFC 7518 §5.2.5) with the ASCII of the
// header segment as additional authenticated data (RFC 7516 §5.2). The tests hold this path
// to go-jose's Decrypt, both ways.
//
// A token that verified is remembered (WithVerifyCache) by its digest, and verifies again from
// memory until its expiry: a client reconnecting with the same token costs a SHA-256.
func (t *Tokens) Verify(token string) (relaybase.Identity, error) {
	var digest [sha256.Size]byte
	cached := t.cache != nil && len(token) <= cacheMaxToken
	if cached {
		digest = tokenDigest(token)
		id, ok, expired := t.cache.get(digest, t.now().Unix())
		switch {
		case ok:
			return id, nil
		case expired:
			return relaybase.Identity{}, ErrExpired
		}
	}
	plain, err := t.open(token)
	if err != nil {
		return relaybase.Identity{}, err
	}
	// The payload authenticated, so it was written by someone holding the key; still check
	// it rather than trust it.
	id, exp, err := parseClaims(plain)
	if err != nil {
		return relaybase.Identity{}, fmt.Errorf("verify token: claims: %v: %w", err, errInvalid)
	}
	if t.now().Unix() >= exp {
		return relaybase.Identity{}, ErrExpired
	}
	if cached {
		keep := id
		if keep.Extras != nil {
			keep.Extras = value.Clone(keep.Extras).(*value.Object) // the caller owns id's
		}
		t.cache.put(digest, keep, exp)
	}
	return id, nil
}

// open checks a compact JWE's form and header and returns its authenticated plaintext.
func (t *Tokens) open(token string) ([]byte, error) {
	if token == "" || len(token) > MaxTokenLen {
		return nil, errMalformed
	}
	var seg [5]string
	rest := token
	for i := range 4 {
		var ok bool
		if seg[i], rest, ok = strings.Cut(rest, "."); !ok {
			return nil, errMalformed
		}
	}
	seg[4] = rest
	if strings.IndexByte(rest, '.') >= 0 || !canonicalSegments(token) {
		return nil, errMalformed
	}
	if seg[0] != wantHeader && !acceptableHeader(seg[0]) {
		return nil, fmt.Errorf("verify token: header: %w", errMalformed)
	}
	// One buffer for the four binary parts: wrapped key, IV, ciphertext and tag, the last
	// two adjacent as the AEAD wants them.
	enc := base64.RawURLEncoding
	buf := make([]byte, enc.DecodedLen(len(seg[1]))+enc.DecodedLen(len(seg[2]))+enc.DecodedLen(len(seg[3]))+enc.DecodedLen(len(seg[4])))
	n1, err1 := enc.Decode(buf, []byte(seg[1]))
	wrapped := buf[:n1]
	n2, err2 := enc.Decode(buf[n1:], []byte(seg[2]))
	iv := buf[n1 : n1+n2]
	n3, err3 := enc.Decode(buf[n1+n2:], []byte(seg[3]))
	n4, err4 := enc.Decode(buf[n1+n2+n3:], []byte(seg[4]))
	sealed := buf[n1+n2 : n1+n2+n3+n4]
	if err1 != nil || err2 != nil || err3 != nil || err4 != nil ||
		len(wrapped) != cekSize+8 || len(iv) != aes.BlockSize || n4 != cekSize/2 || n3 == 0 || n3%aes.BlockSize != 0 {
		return nil, errMalformed
	}
	cek, err := josecipher.KeyUnwrap(t.kek, wrapped)
	if err != nil || len(cek) != cekSize {
		return nil, errInvalid
	}
	aead, err := josecipher.NewCBCHMAC(cek, aes.NewCipher)
	if err != nil {
		return nil, errInvalid
	}
	plain, err := aead.Open(nil, iv, sealed, []byte(seg[0]))
	if err != nil {
		return nil, errInvalid
	}
	return plain, nil
}

// cekSize is A256CBC-HS512's content key: 32 bytes for HMAC-SHA-512, 32 for AES-256.
const cekSize = 64

// claims are a token's payload as Verify reads it. Extras stay raw here and are decoded by
// relaybase/value, which keeps their key order and integer-ness; iat is not needed.
type claims struct {
	TableID *int64          `json:"dbo_id"`
	RowID   *int64          `json:"row_id"`
	Expires *int64          `json:"exp"`
	Extras  json.RawMessage `json:"extras"`
}

// parseClaims reads the claims of a token: dbo_id (> 0), row_id and exp must be integers,
// extras an object if present.
func parseClaims(plain []byte) (id relaybase.Identity, exp int64, err error) {
	var c claims
	if err := json.Unmarshal(plain, &c); err != nil {
		return id, 0, err
	}
	switch {
	case c.TableID == nil || *c.TableID <= 0:
		return id, 0, errors.New("dbo_id: want a positive integer")
	case c.RowID == nil:
		return id, 0, errors.New("row_id: want an integer")
	case c.Expires == nil:
		return id, 0, errors.New("exp: want an integer")
	}
	id = relaybase.Identity{TableID: *c.TableID, RowID: *c.RowID}
	if len(c.Extras) > 0 && string(c.Extras) != "null" {
		v, err := value.DecodeJSON(c.Extras)
		x, ok := v.(*value.Object)
		if err != nil || !ok {
			return relaybase.Identity{}, 0, errors.New("extras: want an object")
		}
		if x.Len() > 0 {
			id.Extras = x
		}
	}
	return id, *c.Expires, nil
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
