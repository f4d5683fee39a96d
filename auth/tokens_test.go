package auth

import (
	"bytes"
	"crypto/aes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	josecipher "github.com/go-jose/go-jose/v4/cipher"

	"relaybase"
	"relaybase/value"
)

// clock is a settable clock for WithClock.
type clock struct{ ns atomic.Int64 }

func newClock(t time.Time) *clock        { c := &clock{}; c.ns.Store(t.UnixNano()); return c }
func (c *clock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

var epoch = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func testKey(t testing.TB) []byte {
	t.Helper()
	s, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	key, err := ParseKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func newTestTokens(t testing.TB, key []byte, opts ...TokenOption) *Tokens {
	t.Helper()
	tok, err := NewTokens(key, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func issue(t testing.TB, tk *Tokens, id relaybase.Identity, ttl time.Duration) string {
	t.Helper()
	s, err := tk.Issue(id, ttl)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func wantUnauthorized(t *testing.T, tk *Tokens, token string) error {
	t.Helper()
	id, err := tk.Verify(token)
	if err == nil {
		t.Fatalf("Verify(%.60q) = %+v, want an error", token, id)
	}
	if !errors.Is(err, relaybase.ErrUnauthorized) {
		t.Fatalf("Verify(%.60q) error %v does not wrap ErrUnauthorized", token, err)
	}
	if id != (relaybase.Identity{}) {
		t.Fatalf("Verify(%.60q) failed but returned identity %+v", token, id)
	}
	return err
}

func TestTokenRoundTrip(t *testing.T) {
	tk := newTestTokens(t, testKey(t))
	nested := value.ObjectOf("z", int64(1), "a", []any{"x", 2.5, nil, true})
	for _, tc := range []struct {
		name   string
		id     relaybase.Identity
		extras string // the JSON Verify must give back; "" for none
	}{
		{"no extras", relaybase.Identity{TableID: 7, RowID: 42}, ""},
		{"empty extras", relaybase.Identity{TableID: 1, RowID: 1, Extras: value.NewObject(0)}, ""},
		{"row zero", relaybase.Identity{TableID: 3, RowID: 0}, ""},
		{"big ids", relaybase.Identity{TableID: 1<<53 + 1, RowID: 1<<62 + 3}, ""},
		{"name", relaybase.Identity{TableID: 2, RowID: 9, Extras: value.ObjectOf("name", "Ada")}, `{"name":"Ada"}`},
		{"order and types kept", relaybase.Identity{TableID: 2, RowID: 9,
			Extras: value.ObjectOf("role", "admin", "n", int64(-5), "f", 1.5, "nested", nested, "u", "é\"<>\u2028")},
			"{\"role\":\"admin\",\"n\":-5,\"f\":1.5,\"nested\":{\"z\":1,\"a\":[\"x\",2.5,null,true]},\"u\":\"é\\\"<>\u2028\"}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tk.Verify(issue(t, tk, tc.id, 0))
			if err != nil {
				t.Fatal(err)
			}
			if got.TableID != tc.id.TableID || got.RowID != tc.id.RowID {
				t.Fatalf("ids: got %d/%d, want %d/%d", got.TableID, got.RowID, tc.id.TableID, tc.id.RowID)
			}
			if !got.Authenticated() {
				t.Fatal("verified identity is not authenticated")
			}
			if tc.extras == "" {
				if got.Extras != nil {
					t.Fatalf("extras: got %v, want nil", got.Extras)
				}
				return
			}
			b, err := value.EncodeJSON(got.Extras)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.extras {
				t.Fatalf("extras:\n got %s\nwant %s", b, tc.extras)
			}
			if n, _ := got.Extras.Get("n"); n != nil {
				if _, ok := n.(int64); !ok {
					t.Fatalf("integer extra came back as %T", n)
				}
			}
		})
	}
}

func TestTokenIsCompactJWEWithTheOneHeader(t *testing.T) {
	tk := newTestTokens(t, testKey(t))
	a := issue(t, tk, relaybase.Identity{TableID: 1, RowID: 1}, 0)
	b := issue(t, tk, relaybase.Identity{TableID: 1, RowID: 1}, 0)
	if a == b {
		t.Fatal("two tokens for the same identity are equal: no fresh content key or IV")
	}
	parts := strings.Split(a, ".")
	if len(parts) != 5 {
		t.Fatalf("token has %d parts, want 5", len(parts))
	}
	if parts[0] != wantHeader {
		raw, _ := base64.RawURLEncoding.DecodeString(parts[0])
		t.Fatalf("header %s, want the fast path's %s", raw, `{"alg":"A256KW","enc":"A256CBC-HS512"}`)
	}
}

// Verify does not use go-jose's Decrypt (see Verify's comment); these hold it to what
// go-jose's Decrypt accepts.
func TestVerifyMatchesGoJose(t *testing.T) {
	key := testKey(t)
	tk := newTestTokens(t, key, WithClock(newClock(epoch).Now))
	joseDecrypt := func(tok string) ([]byte, error) {
		obj, err := jose.ParseEncryptedCompact(tok, []jose.KeyAlgorithm{jose.A256KW}, []jose.ContentEncryption{jose.A256CBC_HS512})
		if err != nil {
			return nil, err
		}
		return obj.Decrypt(key)
	}

	// Issue's tokens decrypt with go-jose to the documented claims.
	tok := issue(t, tk, relaybase.Identity{TableID: 3, RowID: 4, Extras: value.ObjectOf("name", "Ada")}, time.Hour)
	plain, err := joseDecrypt(tok)
	if err != nil {
		t.Fatalf("go-jose cannot decrypt an issued token: %v", err)
	}
	want := fmt.Sprintf(`{"dbo_id":3,"row_id":4,"extras":{"name":"Ada"},"iat":%d,"exp":%d}`, epoch.Unix(), epoch.Add(time.Hour).Unix())
	if string(plain) != want {
		t.Fatalf("claims\n got %s\nwant %s", plain, want)
	}

	// A token sealed by hand from the primitives, with the header members in the other order
	// (so the AAD is not wantHeader): go-jose and Verify both accept it, and both refuse it
	// once the header is re-spelled.
	claims := `{"extras":{"k":[1,2]},"exp":1993553445,"row_id":-1,"dbo_id":9}`
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"enc":"A256CBC-HS512","alg":"A256KW"}`))
	cek, iv := make([]byte, 64), make([]byte, 16)
	_, _ = rand.Read(cek)
	_, _ = rand.Read(iv)
	block, _ := aes.NewCipher(key)
	wrapped, err := josecipher.KeyWrap(block, cek)
	if err != nil {
		t.Fatal(err)
	}
	aead, err := josecipher.NewCBCHMAC(cek, aes.NewCipher)
	if err != nil {
		t.Fatal(err)
	}
	sealed := aead.Seal(nil, iv, []byte(claims), []byte(header))
	ct, tag := sealed[:len(sealed)-32], sealed[len(sealed)-32:]
	b64 := base64.RawURLEncoding.EncodeToString
	hand := strings.Join([]string{header, b64(wrapped), b64(iv), b64(ct), b64(tag)}, ".")
	if plain, err := joseDecrypt(hand); err != nil || string(plain) != claims {
		t.Fatalf("go-jose: %q, %v", plain, err)
	}
	id, err := tk.Verify(hand)
	if err != nil {
		t.Fatalf("Verify refused a token go-jose accepts: %v", err)
	}
	if x, _ := id.Extras.Get("k"); id.TableID != 9 || id.RowID != -1 || len(x.([]any)) != 2 {
		t.Fatalf("Verify(hand-made) = %+v", id)
	}
	respelled := wantHeader + hand[len(header):]
	if _, err := joseDecrypt(respelled); err == nil {
		t.Fatal("go-jose accepted a token whose header was re-spelled")
	}
	wantUnauthorized(t, tk, respelled)
}

func TestTokenWrongKey(t *testing.T) {
	tok := issue(t, newTestTokens(t, testKey(t)), relaybase.Identity{TableID: 1, RowID: 5}, 0)
	err := wantUnauthorized(t, newTestTokens(t, testKey(t)), tok)
	if errors.Is(err, ErrExpired) {
		t.Fatalf("forged token reported as expired: %v", err)
	}
}

// Changing any one character of a token, in any part, must make it fail: the header is the
// AAD, the key, IV, ciphertext and tag are authenticated, and non-canonical base64 spellings
// are refused.
func TestTokenAlteredCharacters(t *testing.T) {
	tk := newTestTokens(t, testKey(t))
	tok := issue(t, tk, relaybase.Identity{TableID: 4, RowID: 8, Extras: value.ObjectOf("name", "Bob")}, 0)
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := 0; i < len(tok); i++ {
		if tok[i] == '.' {
			continue
		}
		for _, r := range []byte{alphabet[(strings.IndexByte(alphabet, tok[i])+1)%64], alphabet[(strings.IndexByte(alphabet, tok[i])+33)%64]} {
			b := []byte(tok)
			b[i] = r
			if _, err := tk.Verify(string(b)); !errors.Is(err, relaybase.ErrUnauthorized) {
				t.Fatalf("token with char %d changed %q→%q: err %v", i, tok[i], r, err)
			}
		}
	}
}

// Flipping bits of the decoded bytes, re-encoded properly, must fail too.
func TestTokenAlteredBytes(t *testing.T) {
	tk := newTestTokens(t, testKey(t))
	tok := issue(t, tk, relaybase.Identity{TableID: 4, RowID: 8, Extras: value.ObjectOf("name", "Bob")}, 0)
	parts := strings.Split(tok, ".")
	for p, name := range []string{"header", "encrypted key", "iv", "ciphertext", "tag"} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[p])
		if err != nil {
			t.Fatal(err)
		}
		for i := range raw {
			for _, bit := range []byte{0x01, 0x80} {
				alt := bytes.Clone(raw)
				alt[i] ^= bit
				ps := append([]string(nil), parts...)
				ps[p] = base64.RawURLEncoding.EncodeToString(alt)
				if _, err := tk.Verify(strings.Join(ps, ".")); !errors.Is(err, relaybase.ErrUnauthorized) {
					t.Fatalf("%s byte %d ^%#x accepted (err %v)", name, i, bit, err)
				}
			}
		}
		// Truncated and extended parts.
		for _, alt := range [][]byte{raw[:len(raw)-1], append(bytes.Clone(raw), 0), nil} {
			ps := append([]string(nil), parts...)
			ps[p] = base64.RawURLEncoding.EncodeToString(alt)
			wantUnauthorized(t, tk, strings.Join(ps, "."))
		}
	}
	// Swapping parts between two valid tokens of the same key.
	other := strings.Split(issue(t, tk, relaybase.Identity{TableID: 4, RowID: 9}, 0), ".")
	for p := 1; p < 5; p++ {
		ps := append([]string(nil), parts...)
		ps[p] = other[p]
		wantUnauthorized(t, tk, strings.Join(ps, "."))
	}
}

func TestTokenExpiry(t *testing.T) {
	clk := newClock(epoch)
	tk := newTestTokens(t, testKey(t), WithClock(clk.Now))
	id := relaybase.Identity{TableID: 1, RowID: 2}
	short := issue(t, tk, id, time.Hour)
	dflt := issue(t, tk, id, 0)
	tiny := issue(t, tk, id, time.Millisecond)

	if _, err := tk.Verify(tiny); err != nil {
		t.Fatalf("a token with ttl 1ms is refused at once: %v", err)
	}
	clk.Advance(time.Hour - time.Second)
	if _, err := tk.Verify(short); err != nil {
		t.Fatalf("1h token refused after 59m59s: %v", err)
	}
	clk.Advance(time.Second)
	err := wantUnauthorized(t, tk, short)
	if !errors.Is(err, ErrExpired) {
		t.Fatalf("expired token: err %v, want ErrExpired", err)
	}
	wantUnauthorized(t, tk, tiny)
	if _, err := tk.Verify(dflt); err != nil {
		t.Fatalf("default-ttl token refused after 1h: %v", err)
	}
	clk.Advance(DefaultTTL - time.Hour - time.Second)
	if _, err := tk.Verify(dflt); err != nil {
		t.Fatalf("default-ttl token refused 1s before 24h: %v", err)
	}
	clk.Advance(time.Second)
	if err := wantUnauthorized(t, tk, dflt); !errors.Is(err, ErrExpired) {
		t.Fatalf("24h token at 24h: %v", err)
	}

	// WithDefaultTTL.
	tk2 := newTestTokens(t, testKey(t), WithClock(clk.Now), WithDefaultTTL(time.Minute))
	tok := issue(t, tk2, id, -5)
	clk.Advance(time.Minute)
	wantUnauthorized(t, tk2, tok)
}

// encryptWith builds a compact JWE of payload with any recipient and options go-jose allows:
// what an attacker substituting algorithms would send.
func encryptWith(t *testing.T, enc jose.ContentEncryption, rcpt jose.Recipient, opts *jose.EncrypterOptions, payload string) string {
	t.Helper()
	e, err := jose.NewEncrypter(enc, rcpt, opts)
	if err != nil {
		t.Fatalf("%s/%s: %v", rcpt.Algorithm, enc, err)
	}
	obj, err := e.Encrypt([]byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	s, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTokenAlgorithmSubstitution(t *testing.T) {
	key := testKey(t)
	clk := newClock(epoch)
	tk := newTestTokens(t, key, WithClock(clk.Now))
	claims := `{"dbo_id":1,"row_id":1,"iat":1893553445,"exp":1993553445}`
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	double := append(bytes.Clone(key), key...) // 64 bytes: a "dir" key for A256CBC-HS512

	// The control: our own algorithms with this key and hand-made claims verify.
	if _, err := tk.Verify(encryptWith(t, jose.A256CBC_HS512, jose.Recipient{Algorithm: jose.A256KW, Key: key}, nil, claims)); err != nil {
		t.Fatalf("control token refused: %v", err)
	}

	for _, tc := range []struct {
		name string
		enc  jose.ContentEncryption
		rcpt jose.Recipient
		opts *jose.EncrypterOptions
	}{
		{"A256KW+A256GCM", jose.A256GCM, jose.Recipient{Algorithm: jose.A256KW, Key: key}, nil},
		{"A256KW+A128CBC-HS256", jose.A128CBC_HS256, jose.Recipient{Algorithm: jose.A256KW, Key: key}, nil},
		{"A256GCMKW", jose.A256CBC_HS512, jose.Recipient{Algorithm: jose.A256GCMKW, Key: key}, nil},
		{"A128KW", jose.A256CBC_HS512, jose.Recipient{Algorithm: jose.A128KW, Key: key[:16]}, nil},
		{"dir A256CBC-HS512", jose.A256CBC_HS512, jose.Recipient{Algorithm: jose.DIRECT, Key: double}, nil},
		{"dir A256GCM", jose.A256GCM, jose.Recipient{Algorithm: jose.DIRECT, Key: key}, nil},
		{"RSA-OAEP", jose.A256CBC_HS512, jose.Recipient{Algorithm: jose.RSA_OAEP, Key: &rsaKey.PublicKey}, nil},
		{"RSA-OAEP-256", jose.A256CBC_HS512, jose.Recipient{Algorithm: jose.RSA_OAEP_256, Key: &rsaKey.PublicKey}, nil},
		{"ECDH-ES", jose.A256CBC_HS512, jose.Recipient{Algorithm: jose.ECDH_ES, Key: &ecKey.PublicKey}, nil},
		{"ECDH-ES+A256KW", jose.A256CBC_HS512, jose.Recipient{Algorithm: jose.ECDH_ES_A256KW, Key: &ecKey.PublicKey}, nil},
		{"PBES2 with the key as password", jose.A256CBC_HS512, jose.Recipient{Algorithm: jose.PBES2_HS512_A256KW, Key: key, PBES2Count: 1000}, nil},
		{"zip DEF", jose.A256CBC_HS512, jose.Recipient{Algorithm: jose.A256KW, Key: key}, &jose.EncrypterOptions{Compression: jose.DEFLATE}},
		{"extra header kid", jose.A256CBC_HS512, jose.Recipient{Algorithm: jose.A256KW, Key: key, KeyID: "k1"}, nil},
		{"extra header crit", jose.A256CBC_HS512, jose.Recipient{Algorithm: jose.A256KW, Key: key}, (&jose.EncrypterOptions{}).WithHeader("crit", []string{"x"}).WithHeader("x", 1)},
		{"extra header typ", jose.A256CBC_HS512, jose.Recipient{Algorithm: jose.A256KW, Key: key}, (&jose.EncrypterOptions{}).WithType("JWT")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok := encryptWith(t, tc.enc, tc.rcpt, tc.opts, claims)
			err := wantUnauthorized(t, tk, tok)
			if !strings.Contains(err.Error(), "malformed") {
				t.Fatalf("refused, but not at the header: %v", err)
			}
		})
	}

	// Headers rewritten by hand on a valid token: "none", "dir", a missing enc.
	valid := strings.Split(issue(t, tk, relaybase.Identity{TableID: 1, RowID: 1}, 0), ".")
	for _, h := range []string{
		`{"alg":"none","enc":"A256CBC-HS512"}`,
		`{"alg":"dir","enc":"A256CBC-HS512"}`,
		`{"alg":"A256KW"}`,
		`{"enc":"A256CBC-HS512"}`,
		`{"alg":"A256KW","enc":"A256CBC-HS512","zip":"DEF"}`,
		`{"alg":"A256KW","enc":"A256CBC-HS512","alg":"RSA1_5"}`,
		`{"alg":"a256kw","enc":"a256cbc-hs512"}`,
		`{"alg":["A256KW"],"enc":"A256CBC-HS512"}`,
		`{}`, `null`, `[]`, `"x"`, ``,
	} {
		ps := append([]string(nil), valid...)
		ps[0] = base64.RawURLEncoding.EncodeToString([]byte(h))
		wantUnauthorized(t, tk, strings.Join(ps, "."))
	}
	// The same header with members reordered is acceptable at the header check (it then
	// fails authentication, being different AAD).
	if !acceptableHeader(base64.RawURLEncoding.EncodeToString([]byte(` {"enc":"A256CBC-HS512", "alg":"A256KW"}`))) {
		t.Fatal("reordered header refused by acceptableHeader")
	}
}

// Tokens with the right key and algorithms but claims Verify must not accept.
func TestTokenBadClaims(t *testing.T) {
	key := testKey(t)
	tk := newTestTokens(t, key, WithClock(newClock(epoch).Now))
	for _, claims := range []string{
		`{"row_id":1,"exp":1993553445}`,
		`{"dbo_id":0,"row_id":1,"exp":1993553445}`,
		`{"dbo_id":-3,"row_id":1,"exp":1993553445}`,
		`{"dbo_id":1,"exp":1993553445}`,
		`{"dbo_id":1,"row_id":1}`,
		`{"dbo_id":"1","row_id":1,"exp":1993553445}`,
		`{"dbo_id":1.5,"row_id":1,"exp":1993553445}`,
		`{"dbo_id":1,"row_id":1,"exp":1993553445,"extras":[1]}`,
		`{"dbo_id":1,"row_id":1,"exp":1993553445,"extras":"x"}`,
		`{"dbo_id":1,"row_id":1,"exp":"never"}`,
		`[]`, `null`, ``, `{`, `{"dbo_id":1,"row_id":1,"exp":1993553445}x`,
	} {
		tok := encryptWith(t, jose.A256CBC_HS512, jose.Recipient{Algorithm: jose.A256KW, Key: key}, nil, claims)
		wantUnauthorized(t, tk, tok)
	}
}

func TestTokenGarbage(t *testing.T) {
	tk := newTestTokens(t, testKey(t))
	valid := issue(t, tk, relaybase.Identity{TableID: 1, RowID: 1}, 0)
	for _, s := range []string{
		"", " ", ".", "....", ".....", "a.b.c.d.e", "null", "Bearer " + valid, valid + " ", " " + valid,
		valid + ".", valid + "." + valid, strings.Replace(valid, ".", "", 1), valid[:len(valid)-1],
		`{"protected":"x"}`,
		"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln", // a JWS
		strings.Repeat("A", MaxTokenLen+1),
		wantHeader + "." + strings.Repeat("A", MaxTokenLen),
		wantHeader + "....",
		wantHeader + ".!!.!!.!!.!!",
		"\x00\xff.\xfe.\xfd.\xfc.\xfb", "🙂.🙂.🙂.🙂.🙂",
	} {
		wantUnauthorized(t, tk, s)
	}
}

func TestIssueRefuses(t *testing.T) {
	tk := newTestTokens(t, testKey(t))
	for _, id := range []relaybase.Identity{{}, {TableID: 0, RowID: 5}, {TableID: -1, RowID: 5}} {
		if s, err := tk.Issue(id, 0); err == nil {
			t.Fatalf("Issue(%+v) = %q, want an error", id, s)
		}
	}
	big := value.ObjectOf("blob", strings.Repeat("x", MaxTokenLen))
	if _, err := tk.Issue(relaybase.Identity{TableID: 1, RowID: 1, Extras: big}, 0); err == nil {
		t.Fatal("Issue with oversize extras succeeded; Verify would refuse the token")
	}
}

func TestNewTokensKeySize(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33, 64} {
		if _, err := NewTokens(make([]byte, n)); err == nil {
			t.Fatalf("NewTokens with a %d-byte key succeeded", n)
		}
	}
	// The key is copied: changing the caller's slice afterwards changes nothing.
	key := testKey(t)
	tk := newTestTokens(t, key)
	tok := issue(t, tk, relaybase.Identity{TableID: 1, RowID: 1}, 0)
	for i := range key {
		key[i] = 0
	}
	if _, err := tk.Verify(tok); err != nil {
		t.Fatalf("token refused after the caller zeroed its key slice: %v", err)
	}
}

func TestTokensConcurrent(t *testing.T) {
	tk := newTestTokens(t, testKey(t))
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				id := relaybase.Identity{TableID: int64(g + 1), RowID: int64(i), Extras: value.ObjectOf("g", int64(g))}
				s, err := tk.Issue(id, 0)
				if err != nil {
					errs <- err
					return
				}
				got, err := tk.Verify(s)
				if err != nil || got.TableID != id.TableID || got.RowID != id.RowID {
					errs <- errors.Join(err, errors.New("round trip mismatch"))
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func FuzzVerify(f *testing.F) {
	key := make([]byte, KeySize)
	tk := newTestTokens(f, key, WithClock(newClock(epoch).Now))
	valid := issue(f, tk, relaybase.Identity{TableID: 1, RowID: 2, Extras: value.ObjectOf("name", "x")}, 0)
	f.Add(valid)
	f.Add(wantHeader + "....")
	f.Add("a.b.c.d.e")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := tk.Verify(s)
		if err != nil {
			if !errors.Is(err, relaybase.ErrUnauthorized) {
				t.Fatalf("error %v does not wrap ErrUnauthorized", err)
			}
			return
		}
		// The fuzzer cannot forge: anything accepted is a token issued above (in this
		// process or, for the seed, in the one that started the workers).
		if name, _ := id.Extras.Get("name"); id.TableID != 1 || id.RowID != 2 || name != "x" {
			t.Fatalf("accepted %q as %+v", s, id)
		}
	})
}

func TestKeys(t *testing.T) {
	a, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := GenerateKey()
	if a == b {
		t.Fatal("two generated keys are equal")
	}
	if len(a) != 43 || strings.ContainsAny(a, "+/=") {
		t.Fatalf("generated key %q is not 43 chars of unpadded base64url", a)
	}
	raw, err := ParseKey(a)
	if err != nil || len(raw) != KeySize {
		t.Fatalf("ParseKey(GenerateKey()) = %d bytes, %v", len(raw), err)
	}
	for _, ok := range []string{a + "\n", "  " + a + " \r\n", a + "="} {
		got, err := ParseKey(ok)
		if err != nil || !bytes.Equal(got, raw) {
			t.Fatalf("ParseKey(%q) = %x, %v", ok, got, err)
		}
	}
	std := base64.RawStdEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, KeySize)) // has '+' and '/'
	for _, bad := range []struct{ s, want string }{
		{"", "empty"},
		{"\n", "empty"},
		{std, "base64url"},
		{"not a key at all!", "base64url"},
		{base64.RawURLEncoding.EncodeToString(make([]byte, 31)), "31 bytes, want 32"},
		{base64.RawURLEncoding.EncodeToString(make([]byte, 33)), "33 bytes, want 32"},
		{base64.RawURLEncoding.EncodeToString(make([]byte, 16)), "16 bytes, want 32"},
	} {
		_, err := ParseKey(bad.s)
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Fatalf("ParseKey(%q) error %v, want one saying %q", bad.s, err, bad.want)
		}
	}
}

func BenchmarkIssue(b *testing.B) {
	tk := newTestTokens(b, testKey(b))
	id := relaybase.Identity{TableID: 1, RowID: 12345, Extras: value.ObjectOf("name", "Ada Lovelace")}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tk.Issue(id, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify is the whole work of a token not seen before (the cache off);
// BenchmarkVerifyCached is one seen before.
func BenchmarkVerify(b *testing.B) {
	tk := newTestTokens(b, testKey(b), WithVerifyCache(0))
	tok := issue(b, tk, relaybase.Identity{TableID: 1, RowID: 12345, Extras: value.ObjectOf("name", "Ada Lovelace")}, 0)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tk.Verify(tok); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyForged(b *testing.B) {
	tk := newTestTokens(b, testKey(b), WithVerifyCache(0))
	tok := issue(b, newTestTokens(b, testKey(b)), relaybase.Identity{TableID: 1, RowID: 1}, 0)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tk.Verify(tok); err == nil {
			b.Fatal("forged token verified")
		}
	}
}
