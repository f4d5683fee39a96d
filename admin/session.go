package admin

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"relaybase"
)

// CookieName is the session cookie's name.
const CookieName = "relaybase_admin"

// Defaults of Config's session settings.
const (
	DefaultSessionTTL = 12 * time.Hour
	DefaultLoginRate  = 10 // login attempts per minute per client address
	MinPasswordLen    = 10
)

// session is a request's logged-in admin.
type session struct {
	id    string // the stored digest
	csrf  string
	admin relaybase.Admin
}

type ctxKey struct{}

// current is the session the request was let in with (set by requireSession).
func current(r *http.Request) *session {
	s, _ := r.Context().Value(ctxKey{}).(*session)
	return s
}

// randomToken is 32 random bytes, base64url: a session secret or a CSRF token.
func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// digest is what the store keeps of a session secret: a copy of the database holds no
// usable cookie.
func digest(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// NormalizeEmail is the form admin emails are stored and looked up in: trimmed, lower case.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// CreateAccount checks an email and password, hashes the password (argon2id) and stores
// the admin. It is what `relaybase admin create` runs.
func CreateAccount(ctx context.Context, admins relaybase.Admins, hash func(string) (string, error), email, password string, now time.Time) (relaybase.Admin, error) {
	email = NormalizeEmail(email)
	at := strings.IndexByte(email, '@')
	if at <= 0 || at == len(email)-1 || len(email) > 254 || strings.ContainsAny(email, " \t\r\n\x00") || !utf8.ValidString(email) {
		return relaybase.Admin{}, fmt.Errorf("create admin: %q is not an email address", email)
	}
	if utf8.RuneCountInString(password) < MinPasswordLen {
		return relaybase.Admin{}, fmt.Errorf("create admin: the password must have at least %d characters", MinPasswordLen)
	}
	if len(password) > 1024 {
		return relaybase.Admin{}, errors.New("create admin: the password is longer than 1024 bytes")
	}
	h, err := hash(password)
	if err != nil {
		return relaybase.Admin{}, fmt.Errorf("create admin: %w", err)
	}
	a, err := admins.CreateAdmin(ctx, email, h, now)
	if errors.Is(err, relaybase.ErrConflict) {
		return relaybase.Admin{}, fmt.Errorf("create admin: %s already exists", email)
	}
	return a, err
}

// requireSession lets a request through only with a live session, and a request that is
// not GET or HEAD only with the session's CSRF token.
func (h *Handler) requireSession(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, err := h.lookup(r)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		if s == nil {
			h.writeError(w, r, errNoSession)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			got := r.Header.Get("X-CSRF-Token")
			if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(s.csrf)) != 1 {
				h.writeError(w, r, errCSRF)
				return
			}
		}
		next(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, s)))
	}
}

// lookup finds the request's live session (nil when it has none), and extends it when
// half its lifetime is gone, so an admin at work stays logged in and a forgotten tab does
// not.
func (h *Handler) lookup(r *http.Request) (*session, error) {
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" || len(c.Value) > 128 {
		return nil, nil
	}
	id := digest(c.Value)
	now := h.cfg.Now()
	s, a, ok, err := h.admins.AdminSession(r.Context(), id, now)
	if err != nil {
		return nil, fmt.Errorf("admin session: %w", err)
	}
	if !ok {
		return nil, nil
	}
	if time.UnixMilli(s.ExpiresAt).Sub(now) < h.cfg.SessionTTL/2 {
		if err := h.admins.ExtendAdminSession(r.Context(), id, now.Add(h.cfg.SessionTTL)); err != nil {
			h.log.Warn("admin session: extend", "err", err)
		}
	}
	return &session{id: id, csrf: s.CSRF, admin: a}, nil
}

type adminJSON struct {
	ID    int64  `json:"id"`
	Email string `json:"email"`
}

type sessionJSON struct {
	Admin adminJSON `json:"admin"`
	CSRF  string    `json:"csrf"`
}

// dummyHash is checked when the email names no admin, so that an unknown email takes as
// long as a wrong password and the two cannot be told apart.
var dummyHash = struct {
	once sync.Once
	hash string
}{}

func (h *Handler) handleLogin(w http.ResponseWriter, r *http.Request) {
	if !h.logins.allow(clientIP(r)) {
		w.Header().Set("Retry-After", "60")
		h.writeError(w, r, &relaybase.Error{Code: relaybase.CodeTooManyRequests, Message: "Too many login attempts; wait a minute."})
		return
	}
	var in struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := readJSON(r, &in); err != nil {
		h.writeError(w, r, err)
		return
	}
	wrong := &relaybase.Error{Code: relaybase.CodeUnauthorized, Message: "Wrong email or password."}
	if in.Email == "" || in.Password == "" || len(in.Password) > 1024 {
		h.writeError(w, r, wrong)
		return
	}
	a, hash, ok, err := h.admins.AdminByEmail(r.Context(), NormalizeEmail(in.Email))
	if err != nil {
		h.writeError(w, r, fmt.Errorf("login: %w", err))
		return
	}
	if !ok {
		dummyHash.once.Do(func() { dummyHash.hash, _ = h.cfg.Passwords.Hash("relaybase: no such admin") })
		hash = dummyHash.hash
	}
	match, err := h.cfg.Passwords.Check(in.Password, hash)
	if err != nil || !match || !ok {
		if err != nil && ok {
			h.log.Warn("admin login: the stored hash cannot be checked", "admin", a.ID, "err", err)
		}
		h.writeError(w, r, wrong)
		return
	}
	// A cookie the browser already had (perhaps planted) is dropped server-side; the new
	// session gets an id of its own, so no one who knew the old one knows it.
	if c, err := r.Cookie(CookieName); err == nil && c.Value != "" && len(c.Value) <= 128 {
		_ = h.admins.DeleteAdminSession(r.Context(), digest(c.Value))
	}
	secret, err := randomToken()
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	csrf, err := randomToken()
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	now := h.cfg.Now()
	if err := h.admins.CreateAdminSession(r.Context(), relaybase.AdminSession{ID: digest(secret), AdminID: a.ID, CSRF: csrf,
		CreatedAt: now.UnixMilli(), ExpiresAt: now.Add(h.cfg.SessionTTL).UnixMilli()}); err != nil {
		h.writeError(w, r, fmt.Errorf("login: %w", err))
		return
	}
	h.setCookie(w, r, secret, int(h.cfg.SessionTTL/time.Second))
	h.log.Info("admin logged in", "admin", a.Email, "ip", clientIP(r))
	h.writeJSON(w, r, http.StatusOK, sessionJSON{Admin: adminJSON{ID: a.ID, Email: a.Email}, CSRF: csrf})
}

// setCookie sets (maxAge > 0) or clears (maxAge < 0) the session cookie. The session's
// lifetime is the server's to judge: the cookie lasts as long as the longest session.
func (h *Handler) setCookie(w http.ResponseWriter, r *http.Request, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name:     CookieName,
		Value:    value,
		Path:     "/_/",
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   r.TLS != nil,
		SameSite: http.SameSiteStrictMode,
	})
}

func (h *Handler) handleLogout(w http.ResponseWriter, r *http.Request) {
	if err := h.admins.DeleteAdminSession(r.Context(), current(r).id); err != nil {
		h.writeError(w, r, fmt.Errorf("logout: %w", err))
		return
	}
	h.setCookie(w, r, "", -1)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) handleSession(w http.ResponseWriter, r *http.Request) {
	s := current(r)
	h.writeJSON(w, r, http.StatusOK, sessionJSON{Admin: adminJSON{ID: s.admin.ID, Email: s.admin.Email}, CSRF: s.csrf})
}

// clientIP is the peer's address. No forwarding header is read: anyone could set one to
// escape the login limit.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// limiter is a token bucket per key (a client address), refilled continuously to perMinute
// a minute. Buckets full again are dropped when it sweeps, so memory stays bounded by the
// clients of the last minute.
type limiter struct {
	perMinute float64
	now       func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newLimiter(perMinute int, now func() time.Time) *limiter {
	return &limiter{perMinute: float64(perMinute), now: now, buckets: map[string]*bucket{}}
}

// allow takes one token from key's bucket and reports whether there was one.
func (l *limiter) allow(key string) bool {
	if l.perMinute <= 0 {
		return true
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > time.Minute {
		for k, b := range l.buckets {
			if now.Sub(b.at) > time.Minute {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{tokens: l.perMinute, at: now}
		l.buckets[key] = b
	}
	b.tokens = min(l.perMinute, b.tokens+now.Sub(b.at).Minutes()*l.perMinute)
	b.at = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
