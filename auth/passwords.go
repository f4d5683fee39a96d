package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"

	"relaybase"
)

// Params are argon2id's cost parameters for new hashes.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// DefaultParams are OWASP's recommended argon2id parameters: 19 MiB, 2 passes, 1 thread,
// with a 16-byte salt and a 32-byte hash.
var DefaultParams = Params{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// Limits on the parameters of a stored hash that Check will run: a hash is data (imported,
// or written by anyone with database access), and one naming 4 GiB or cost 31 must not stall
// or exhaust the server.
const (
	maxMemory     = 256 * 1024 // KiB
	maxTime       = 16
	maxThreads    = 16
	minSaltLen    = 8
	maxSaltLen    = 64
	minKeyLen     = 16
	maxKeyLen     = 128
	maxBcryptCost = 15 // about 2.5 s on one core; imported hashes use 10 to 12
)

// ErrInvalidHash is returned by Check for a stored value that is not a password hash this
// package can check (plain text, a truncated hash, another scheme, or parameters beyond
// its limits).
var ErrInvalidHash = errors.New("not a supported password hash")

// Passwords hashes new passwords with argon2id and checks argon2id and bcrypt hashes. It
// implements relaybase.Passwords and is safe for concurrent use. At most a fixed number of
// hashes are computed at once; the rest wait.
type Passwords struct {
	params Params
	slots  chan struct{}
}

// PasswordOption configures NewPasswords.
type PasswordOption func(*Passwords)

// WithParams sets the argon2id parameters of new hashes (default DefaultParams). Tests use
// cheap ones; production keeps the default.
func WithParams(p Params) PasswordOption {
	return func(pw *Passwords) { pw.params = p }
}

// WithConcurrency caps the hashes computed at once at n (default 2×GOMAXPROCS). Each
// argon2id hash holds Params.Memory while it runs.
func WithConcurrency(n int) PasswordOption {
	return func(pw *Passwords) {
		if n > 0 {
			pw.slots = make(chan struct{}, n)
		}
	}
}

var _ relaybase.Passwords = (*Passwords)(nil)

// NewPasswords returns Passwords with the given options.
func NewPasswords(opts ...PasswordOption) *Passwords {
	pw := &Passwords{params: DefaultParams}
	for _, o := range opts {
		o(pw)
	}
	if pw.slots == nil {
		pw.slots = make(chan struct{}, 2*runtime.GOMAXPROCS(0))
	}
	return pw
}

func (pw *Passwords) acquire() { pw.slots <- struct{}{} }
func (pw *Passwords) release() { <-pw.slots }

// Hash returns the argon2id hash of plain in the PHC string format:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>, salt and hash in unpadded standard base64.
func (pw *Passwords) Hash(plain string) (string, error) {
	p := pw.params
	if err := checkParams(p.Memory, p.Time, p.Threads, int(p.SaltLen), int(p.KeyLen)); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: salt: %w", err)
	}
	pw.acquire()
	key := argon2.IDKey([]byte(plain), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	pw.release()

	b := make([]byte, 0, 64+base64.RawStdEncoding.EncodedLen(len(salt))+base64.RawStdEncoding.EncodedLen(len(key)))
	b = append(b, "$argon2id$v="...)
	b = strconv.AppendInt(b, argon2.Version, 10)
	b = append(b, "$m="...)
	b = strconv.AppendUint(b, uint64(p.Memory), 10)
	b = append(b, ",t="...)
	b = strconv.AppendUint(b, uint64(p.Time), 10)
	b = append(b, ",p="...)
	b = strconv.AppendUint(b, uint64(p.Threads), 10)
	b = append(b, '$')
	b = base64.RawStdEncoding.AppendEncode(b, salt)
	b = append(b, '$')
	b = base64.RawStdEncoding.AppendEncode(b, key)
	return string(b), nil
}

// Check reports whether plain is the password hash was made from. hash may be argon2id
// (PHC format) or bcrypt ($2a$, $2b$, $2y$). A wrong password is (false, nil); a hash that
// cannot be checked is (false, an error wrapping ErrInvalidHash). Comparisons take constant
// time in the password.
func (pw *Passwords) Check(plain, hash string) (bool, error) {
	switch {
	case strings.HasPrefix(hash, "$argon2id$"):
		h, err := parseArgon2id(hash)
		if err != nil {
			return false, fmt.Errorf("check password: %w", err)
		}
		pw.acquire()
		key := argon2.IDKey([]byte(plain), h.salt, h.time, h.memory, h.threads, uint32(len(h.key)))
		pw.release()
		return subtle.ConstantTimeCompare(key, h.key) == 1, nil
	case isBcrypt(hash):
		cost, err := bcrypt.Cost([]byte(hash))
		if err != nil {
			return false, fmt.Errorf("check password: bcrypt: %w: %v", ErrInvalidHash, err)
		}
		if cost > maxBcryptCost {
			return false, fmt.Errorf("check password: bcrypt cost %d above %d: %w", cost, maxBcryptCost, ErrInvalidHash)
		}
		pw.acquire()
		err = bcrypt.CompareHashAndPassword([]byte(hash), []byte(plain))
		pw.release()
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
			return false, nil
		}
		return false, fmt.Errorf("check password: bcrypt: %w: %v", ErrInvalidHash, err)
	}
	return false, fmt.Errorf("check password: %w", ErrInvalidHash)
}

// IsHash reports whether s looks like a stored password hash this package can check (a
// well-formed argon2id PHC string or a bcrypt hash) rather than plain text. It computes no
// hash, so it is cheap.
func IsHash(s string) bool {
	if strings.HasPrefix(s, "$argon2id$") {
		_, err := parseArgon2id(s)
		return err == nil
	}
	if isBcrypt(s) {
		cost, err := bcrypt.Cost([]byte(s))
		return err == nil && cost <= maxBcryptCost
	}
	return false
}

// bcrypt hashes are 60 characters: $2x$NN$ then 53 of bcrypt's base64 alphabet.
func isBcrypt(s string) bool {
	if len(s) != 60 || s[0] != '$' || s[1] != '2' || s[3] != '$' || s[6] != '$' {
		return false
	}
	switch s[2] {
	case 'a', 'b', 'y':
	default:
		return false
	}
	if s[4] < '0' || s[4] > '9' || s[5] < '0' || s[5] > '9' {
		return false
	}
	for i := 7; i < len(s); i++ {
		c := s[i]
		if !(c == '.' || c == '/' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

type argon2idHash struct {
	memory, time uint32
	threads      uint8
	salt, key    []byte
}

// parseArgon2id parses $argon2id$v=19$m=M,t=T,p=P$salt$hash strictly: version 19 only, the
// parameters in that order, unpadded standard base64, everything within the limits.
func parseArgon2id(s string) (argon2idHash, error) {
	var h argon2idHash
	parts := strings.Split(s, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return h, fmt.Errorf("argon2id: not $argon2id$v=19$m=M,t=T,p=P$salt$hash: %w", ErrInvalidHash)
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return h, fmt.Errorf("argon2id: version %q, want v=%d: %w", parts[2], argon2.Version, ErrInvalidHash)
	}
	ps := strings.Split(parts[3], ",")
	if len(ps) != 3 {
		return h, fmt.Errorf("argon2id: parameters %q: %w", parts[3], ErrInvalidHash)
	}
	var vals [3]uint64
	for i, name := range []string{"m=", "t=", "p="} {
		num, ok := strings.CutPrefix(ps[i], name)
		if !ok {
			return h, fmt.Errorf("argon2id: parameters %q: %w", parts[3], ErrInvalidHash)
		}
		v, err := strconv.ParseUint(num, 10, 32)
		if err != nil {
			return h, fmt.Errorf("argon2id: parameters %q: %w", parts[3], ErrInvalidHash)
		}
		vals[i] = v
	}
	var err error
	if h.salt, err = base64.RawStdEncoding.Strict().DecodeString(parts[4]); err != nil {
		return h, fmt.Errorf("argon2id: salt: %w", ErrInvalidHash)
	}
	if h.key, err = base64.RawStdEncoding.Strict().DecodeString(parts[5]); err != nil {
		return h, fmt.Errorf("argon2id: hash: %w", ErrInvalidHash)
	}
	if vals[2] > 255 {
		return h, fmt.Errorf("argon2id: p=%d: %w", vals[2], ErrInvalidHash)
	}
	h.memory, h.time, h.threads = uint32(vals[0]), uint32(vals[1]), uint8(vals[2])
	if err := checkParams(h.memory, h.time, h.threads, len(h.salt), len(h.key)); err != nil {
		return h, fmt.Errorf("argon2id: %w: %w", err, ErrInvalidHash)
	}
	return h, nil
}

// checkParams keeps argon2id within what this server will compute. argon2 itself needs
// t >= 1, p >= 1 and m >= 8p.
func checkParams(memory, time uint32, threads uint8, saltLen, keyLen int) error {
	switch {
	case threads < 1 || threads > maxThreads:
		return fmt.Errorf("p=%d outside 1..%d", threads, maxThreads)
	case time < 1 || time > maxTime:
		return fmt.Errorf("t=%d outside 1..%d", time, maxTime)
	case memory < 8*uint32(threads) || memory > maxMemory:
		return fmt.Errorf("m=%d outside %d..%d", memory, 8*uint32(threads), maxMemory)
	case saltLen < minSaltLen || saltLen > maxSaltLen:
		return fmt.Errorf("salt of %d bytes outside %d..%d", saltLen, minSaltLen, maxSaltLen)
	case keyLen < minKeyLen || keyLen > maxKeyLen:
		return fmt.Errorf("hash of %d bytes outside %d..%d", keyLen, minKeyLen, maxKeyLen)
	}
	return nil
}
