package stack

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"encoding/pem"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	jose "github.com/go-jose/go-jose/v4"

	"relaybase"
	"relaybase/value"
	"relaybase/xs"
)

// The security.* statements that need no outside service: random bytes and passwords,
// AES encryption, JSON Web Signatures and Encryption (through go-jose), elliptic-curve
// keys, and TOTP codes. Binary results (random bytes, ciphertexts) are base64 text, since
// a value is never raw bytes.

func init() {
	registerStatements(map[string]func(c *compiler, n *xs.Node) execFn{
		"security.random_bytes":     (*compiler).stmtSecurity,
		"security.create_password":  (*compiler).stmtSecurity,
		"security.encrypt":          (*compiler).stmtSecurity,
		"security.decrypt":          (*compiler).stmtSecurity,
		"security.jws_encode":       (*compiler).stmtSecurity,
		"security.jws_decode":       (*compiler).stmtSecurity,
		"security.jwe_encode":       (*compiler).stmtSecurity,
		"security.jwe_decode":       (*compiler).stmtSecurity,
		"security.create_curve_key": (*compiler).stmtSecurity,
		"security.verify_totp":      (*compiler).stmtSecurity,
	})
}

func (c *compiler) stmtSecurity(n *xs.Node) execFn {
	attrs := c.attrs(n, "length", "character_count", "require_lowercase", "require_uppercase", "require_digit",
		"require_symbol", "symbol_whitelist", "data", "algorithm", "key", "iv", "headers", "claims", "signature_algorithm",
		"ttl", "token", "check_claims", "timeDrift", "key_algorithm", "content_algorithm", "curve", "format", "secret",
		"code", "window", "digits", "period")
	kw, pos := n.Keyword, n.Pos
	return c.result(n, func(f *frame) (any, error) {
		return f.r.security(&args{f: f, attrs: attrs, kw: kw, pos: pos})
	})
}

func (r *run) security(a *args) (any, error) {
	switch a.kw {
	case "security.random_bytes":
		n := a.int("length", 16)
		if a.err != nil {
			return nil, a.err
		}
		if n < 1 || n > 1<<16 {
			return nil, a.fail("length must be between 1 and 65536")
		}
		b := make([]byte, n)
		_, _ = rand.Read(b)
		return base64.StdEncoding.EncodeToString(b), nil

	case "security.create_password":
		return r.createPassword(a)

	case "security.encrypt", "security.decrypt":
		alg, key, iv, data := a.text("algorithm"), a.text("key"), a.text("iv"), a.get("data")
		if a.err != nil {
			return nil, a.err
		}
		if a.kw == "security.encrypt" {
			plain, err := textOf(r.strip(data, false), a.pos)
			if err != nil {
				return nil, err
			}
			ct, err := aesCBC(true, alg, []byte(key), []byte(iv), []byte(plain))
			if err != nil {
				return nil, a.fail("%v", err)
			}
			return base64.StdEncoding.EncodeToString(ct), nil
		}
		ct, err := base64.StdEncoding.DecodeString(value.ToText(data))
		if err != nil {
			return nil, a.fail("data must be the base64 text security.encrypt gives")
		}
		plain, err := aesCBC(false, alg, []byte(key), []byte(iv), ct)
		if err != nil {
			return nil, a.fail("%v", err)
		}
		return string(plain), nil

	case "security.jws_encode", "security.jwe_encode":
		return r.joseEncode(a)

	case "security.jws_decode", "security.jwe_decode":
		return r.joseDecode(a)

	case "security.create_curve_key":
		curveName := a.text("curve")
		if a.err != nil {
			return nil, a.err
		}
		var curve elliptic.Curve
		switch curveName {
		case "", "P-256":
			curve, curveName = elliptic.P256(), "P-256"
		case "P-384":
			curve = elliptic.P384()
		case "P-521":
			curve = elliptic.P521()
		default:
			return nil, a.fail("curve must be P-256, P-384 or P-521")
		}
		priv, err := ecdsa.GenerateKey(curve, rand.Reader)
		if err != nil {
			return nil, a.fail("%v", err)
		}
		format := a.text("format")
		if a.err != nil {
			return nil, a.err
		}
		if format == "" || format == "object" {
			jwk, err := jose.JSONWebKey{Key: priv}.MarshalJSON()
			if err != nil {
				return nil, a.fail("%v", err)
			}
			return value.DecodeJSON(jwk)
		}
		der, err := x509.MarshalPKCS8PrivateKey(priv)
		if err != nil {
			return nil, a.fail("%v", err)
		}
		return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), nil

	case "security.verify_totp":
		secret, code := a.text("secret"), a.text("code")
		window, digits, period := a.int("window", 1), a.int("digits", 6), a.int("period", 30)
		if a.err != nil {
			return nil, a.err
		}
		if digits < 6 || digits > 8 || period < 1 || window < 0 || window > 10 {
			return nil, a.fail("digits must be 6 to 8, period above 0, window 0 to 10")
		}
		key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(strings.TrimRight(strings.ReplaceAll(secret, " ", ""), "=")))
		if err != nil || len(key) == 0 {
			return nil, a.fail("secret must be base32 text")
		}
		step := r.p.now().Unix() / period
		for d := -window; d <= window; d++ {
			if hmac.Equal([]byte(totp(key, step+d, int(digits))), []byte(code)) {
				return true, nil
			}
		}
		return false, nil
	}
	return nil, a.fail("not a security statement")
}

// joseAlgorithms reads the algorithms of a JWS (signature_algorithm, HS256 by default)
// or of a JWE (key_algorithm and content_algorithm, A256KW and A256GCM by default): the
// same defaults serve encoding and decoding, so that a token round-trips without them.
func (a *args) joseAlgorithms(jws bool) (sig jose.SignatureAlgorithm, ka jose.KeyAlgorithm, ce jose.ContentEncryption) {
	if jws {
		return jose.SignatureAlgorithm(a.textOr("signature_algorithm", "HS256")), "", ""
	}
	ka = jose.KeyAlgorithm(a.textOr("key_algorithm", "A256KW"))
	ce = jose.ContentEncryption(a.textOr("content_algorithm", "A256GCM"))
	return "", ka, ce
}

// joseEncode makes a JWS or JWE of claims (iat and exp set from ttl), with headers as extra
// protected headers.
func (r *run) joseEncode(a *args) (any, error) {
	claims := a.get("claims")
	if a.err != nil {
		return nil, a.err
	}
	co, ok := r.strip(claims, false).(*value.Object)
	if !ok && claims != nil {
		return nil, a.fail("claims must be an object")
	}
	if co == nil {
		co = value.NewObject(0)
	} else {
		co = co.Clone()
	}
	ttl := a.int("ttl", 0)
	if a.err != nil {
		return nil, a.err
	}
	if ttl > 0 {
		now := r.p.now().Unix()
		if !co.Has("iat") {
			co.Set("iat", now)
		}
		co.Set("exp", now+ttl)
	}
	payload, err := value.EncodeJSON(co)
	if err != nil {
		return nil, a.fail("%v", err)
	}
	hv := a.get("headers")
	if a.err != nil {
		return nil, a.err
	}
	extra := map[jose.HeaderKey]any{}
	if ho, ok := hv.(*value.Object); ok {
		for _, k := range ho.Keys() {
			if k == "alg" || k == "enc" {
				continue // set by the algorithms
			}
			v, _ := ho.Get(k)
			extra[jose.HeaderKey(k)] = plainJSON(v)
		}
	}
	kv := a.get("key")
	if a.err != nil {
		return nil, a.err
	}
	key, err := joseKey(kv, true)
	if err != nil {
		return nil, a.fail("key: %v", err)
	}
	jws := a.kw == "security.jws_encode"
	alg, ka, ce := a.joseAlgorithms(jws)
	if a.err != nil {
		return nil, a.err
	}
	if jws {
		signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, &jose.SignerOptions{ExtraHeaders: extra})
		if err != nil {
			return nil, a.fail("%v", err)
		}
		obj, err := signer.Sign(payload)
		if err != nil {
			return nil, a.fail("%v", err)
		}
		return obj.CompactSerialize()
	}
	enc, err := jose.NewEncrypter(ce, jose.Recipient{Algorithm: ka, Key: encryptionKey(key)},
		&jose.EncrypterOptions{ExtraHeaders: extra})
	if err != nil {
		return nil, a.fail("%v", err)
	}
	obj, err := enc.Encrypt(payload)
	if err != nil {
		return nil, a.fail("%v", err)
	}
	return obj.CompactSerialize()
}

// joseDecode verifies a JWS or decrypts a JWE and checks its claims: exp and nbf (with
// timeDrift seconds of leeway) and those check_claims names.
func (r *run) joseDecode(a *args) (any, error) {
	token, kv := a.text("token"), a.get("key")
	if a.err != nil {
		return nil, a.err
	}
	key, err := joseKey(kv, false)
	if err != nil {
		return nil, a.fail("key: %v", err)
	}
	jws := a.kw == "security.jws_decode"
	alg, ka, ce := a.joseAlgorithms(jws)
	if a.err != nil {
		return nil, a.err
	}
	var payload []byte
	if jws {
		obj, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{alg})
		if err != nil {
			return nil, tokenError("Invalid token.", err)
		}
		if payload, err = obj.Verify(verificationKey(key)); err != nil {
			return nil, tokenError("Invalid token signature.", err)
		}
	} else {
		obj, err := jose.ParseEncryptedCompact(token, []jose.KeyAlgorithm{ka}, []jose.ContentEncryption{ce})
		if err != nil {
			return nil, tokenError("Invalid token.", err)
		}
		if payload, err = obj.Decrypt(key); err != nil {
			return nil, tokenError("The token could not be decrypted.", err)
		}
	}
	cv, err := value.DecodeJSON(payload)
	if err != nil {
		return nil, tokenError("The token's claims are not JSON.", err)
	}
	claims, ok := cv.(*value.Object)
	if !ok {
		return cv, nil
	}
	drift := a.int("timeDrift", 0)
	if a.err != nil {
		return nil, a.err
	}
	now := r.p.now().Unix()
	if exp, ok := toInt(member(claims, "exp")); ok && member(claims, "exp") != nil && now > exp+drift {
		return nil, relaybase.Errorf(relaybase.CodeAccessDenied, "The token has expired.")
	}
	if nbf, ok := toInt(member(claims, "nbf")); ok && member(claims, "nbf") != nil && now+drift < nbf {
		return nil, relaybase.Errorf(relaybase.CodeAccessDenied, "The token is not valid yet.")
	}
	check := a.get("check_claims")
	if a.err != nil {
		return nil, a.err
	}
	if co, ok := check.(*value.Object); ok {
		for _, k := range co.Keys() {
			want, _ := co.Get(k)
			if !value.Equal(member(claims, k), want) {
				return nil, relaybase.Errorf(relaybase.CodeAccessDenied, "The token's claim %s does not match.", k)
			}
		}
	}
	return claims, nil
}

// tokenError is a token that does not decode or verify: 403, as a bad credential.
func tokenError(msg string, err error) error {
	return &relaybase.Error{Code: relaybase.CodeAccessDenied, Message: msg, Err: err}
}

// totp is the RFC 6238 code of key at time step (HMAC-SHA1, as authenticator apps use).
func totp(key []byte, step int64, digits int) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(step))
	h := hmac.New(sha1.New, key)
	h.Write(msg[:])
	sum := h.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	code := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	s := strconv.FormatUint(uint64(code%mod), 10)
	return strings.Repeat("0", digits-len(s)) + s
}

// plainJSON turns a value into what encoding/json writes as the same JSON.
func plainJSON(v any) any {
	switch t := v.(type) {
	case *value.Object:
		m := map[string]any{}
		for _, k := range t.Keys() {
			x, _ := t.Get(k)
			m[k] = plainJSON(x)
		}
		return m
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = plainJSON(x)
		}
		return out
	}
	return v
}

// joseKey reads a key as Xano's statements take it: a JWK object (what
// security.create_secret_key and create_curve_key give), PEM text (an RSA or EC key), a
// JWK as JSON text, or else the text's bytes as a shared secret.
func joseKey(v any, signing bool) (any, error) {
	switch t := v.(type) {
	case nil:
		return nil, fmt.Errorf("a key is needed")
	case *value.Object:
		b, err := value.EncodeJSON(t)
		if err != nil {
			return nil, err
		}
		var jwk jose.JSONWebKey
		if err := jwk.UnmarshalJSON(b); err != nil {
			return nil, fmt.Errorf("not a JSON Web Key: %w", err)
		}
		return jwk.Key, nil
	case string:
		s := strings.TrimSpace(t)
		if strings.HasPrefix(s, "{") {
			var jwk jose.JSONWebKey
			if err := jwk.UnmarshalJSON([]byte(s)); err == nil {
				return jwk.Key, nil
			}
		}
		if strings.HasPrefix(s, "-----BEGIN") {
			return pemKey([]byte(s))
		}
		if t == "" {
			return nil, fmt.Errorf("a key is needed")
		}
		return []byte(t), nil
	}
	return nil, fmt.Errorf("a key must be text or an object, got %s", value.TypeName(v))
}

func pemKey(b []byte) (any, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, fmt.Errorf("the PEM text holds no key")
	}
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	if k, err := x509.ParseECPrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	if k, err := x509.ParsePKIXPublicKey(block.Bytes); err == nil {
		return k, nil
	}
	if k, err := x509.ParsePKCS1PublicKey(block.Bytes); err == nil {
		return k, nil
	}
	return nil, fmt.Errorf("the PEM key is not one relaybase reads (PKCS#8, PKCS#1, SEC 1 or PKIX)")
}

// verificationKey is the public half of a private key (a signature verifies with it).
func verificationKey(k any) any {
	if s, ok := k.(crypto.Signer); ok {
		return s.Public()
	}
	return k
}

// encryptionKey is the public half of a private key (a JWE is encrypted to it).
func encryptionKey(k any) any {
	switch t := k.(type) {
	case *ecdsa.PrivateKey:
		return &t.PublicKey
	case crypto.Decrypter:
		return t.Public()
	}
	return k
}

// aesCBC encrypts or decrypts with AES in CBC mode and PKCS#7 padding, as PHP's
// openssl_encrypt does: a key shorter than the algorithm's is padded with zero bytes and a
// longer one cut; so is the IV, to 16 bytes.
func aesCBC(encrypt bool, alg string, key, iv, data []byte) ([]byte, error) {
	size := map[string]int{"aes-128-cbc": 16, "aes-192-cbc": 24, "aes-256-cbc": 32}[strings.ToLower(alg)]
	if size == 0 {
		return nil, fmt.Errorf("algorithm must be aes-128-cbc, aes-192-cbc or aes-256-cbc, got %q", alg)
	}
	fit := func(b []byte, n int) []byte {
		out := make([]byte, n)
		copy(out, b)
		return out
	}
	block, err := aes.NewCipher(fit(key, size))
	if err != nil {
		return nil, err
	}
	iv = fit(iv, aes.BlockSize)
	if encrypt {
		pad := aes.BlockSize - len(data)%aes.BlockSize
		buf := append(append([]byte(nil), data...), bytes.Repeat([]byte{byte(pad)}, pad)...)
		cipher.NewCBCEncrypter(block, iv).CryptBlocks(buf, buf)
		return buf, nil
	}
	if len(data) == 0 || len(data)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("the data is not a whole number of AES blocks")
	}
	buf := append([]byte(nil), data...)
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(buf, buf)
	pad := int(buf[len(buf)-1])
	if pad == 0 || pad > aes.BlockSize || pad > len(buf) || !bytes.Equal(buf[len(buf)-pad:], bytes.Repeat([]byte{byte(pad)}, pad)) {
		return nil, fmt.Errorf("the data does not decrypt with this key and IV")
	}
	return buf[:len(buf)-pad], nil
}

// createPassword makes a random password of character_count characters with at least one
// of each required class.
func (r *run) createPassword(a *args) (any, error) {
	count := int64(12)
	if v := a.get("character_count"); a.err != nil {
		return nil, a.err
	} else if v != nil {
		var ok bool
		if count, ok = toInt(v); !ok || count < 4 || count > 1024 {
			return nil, a.fail("character_count must be between 4 and 1024")
		}
	}
	lower, upper := a.flag("require_lowercase", true), a.flag("require_uppercase", true)
	digit, symbol := a.flag("require_digit", true), a.flag("require_symbol", false)
	symbols := a.textOr("symbol_whitelist", "!@#$%^&*()-_=+[]{};:,.?/")
	if a.err != nil {
		return nil, a.err
	}
	var classes []string
	if lower {
		classes = append(classes, "abcdefghijklmnopqrstuvwxyz")
	}
	if upper {
		classes = append(classes, "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
	}
	if digit {
		classes = append(classes, "0123456789")
	}
	if symbol {
		classes = append(classes, symbols)
	}
	if len(classes) == 0 {
		classes = []string{"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"}
	}
	pick := func(s string) byte {
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(s))))
		return s[n.Int64()]
	}
	all := strings.Join(classes, "")
	out := make([]byte, 0, count)
	for _, c := range classes {
		out = append(out, pick(c))
	}
	for int64(len(out)) < count {
		out = append(out, pick(all))
	}
	// Shuffle so the required characters are not always first.
	for i := len(out) - 1; i > 0; i-- {
		j, _ := rand.Int(rand.Reader, big.NewInt(int64(i+1)))
		out[i], out[j.Int64()] = out[j.Int64()], out[i]
	}
	return string(out), nil
}
