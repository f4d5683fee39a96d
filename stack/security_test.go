package stack

import (
	"encoding/base64"
	"strings"
	"testing"

	"relaybase"
)

func TestSecurityStatements(t *testing.T) {
	e := newEnv(t, map[string]string{
		"api/t/sec_post.xs": endpointSrc("sec", "POST", `  stack {
    security.random_bytes { length = 32 } as $bytes
    security.create_password {
      character_count = 20
      require_lowercase = true
      require_uppercase = true
      require_digit = true
      require_symbol = true
      symbol_whitelist = "#"
    } as $pw
    security.encrypt {
      data = "hello"
      algorithm = "aes-256-cbc"
      key = "0123456789abcdef0123456789abcdef"
      iv = "abcdefghijklmnop"
    } as $enc
    security.encrypt {
      data = "hello"
      algorithm = "aes-128-cbc"
      key = "short"
      iv = ""
    } as $enc_short
    security.decrypt {
      data = $enc
      algorithm = "aes-256-cbc"
      key = "0123456789abcdef0123456789abcdef"
      iv = "abcdefghijklmnop"
    } as $dec
    security.encrypt {
      data = {a: 1}
      algorithm = "aes-192-cbc"
      key = "k"
      iv = "i"
    } as $enc_obj
    security.decrypt {
      data = $enc_obj
      algorithm = "aes-192-cbc"
      key = "k"
      iv = "i"
    } as $dec_obj
  }
  response = {bytes: $bytes, pw: $pw, enc: $enc, enc_short: $enc_short, dec: $dec, dec_obj: $dec_obj|json_decode}`),
		"api/t/jwt_post.xs": endpointSrc("jwt", "POST", `  stack {
    security.jws_encode {
      headers = {kid: "k1"}
      claims = {sub: "42", role: "admin"}
      key = "a secret of at least thirty-two bytes!"
      signature_algorithm = "HS256"
      ttl = 3600
    } as $token
    security.jws_decode {
      token = $token
      key = "a secret of at least thirty-two bytes!"
      signature_algorithm = "HS256"
      check_claims = {role: "admin"}
    } as $claims

    security.create_curve_key {
      curve = "P-256"
      format = "object"
    } as $ec
    security.jws_encode {
      claims = {sub: "ec"}
      key = $ec
      signature_algorithm = "ES256"
    } as $es
    security.jws_decode {
      token = $es
      key = $ec
      signature_algorithm = "ES256"
    } as $es_claims

    security.create_secret_key {
      bits = 256
      format = "object"
    } as $kw
    security.jwe_encode {
      claims = {data: "secret"}
      key = $kw
      key_algorithm = "A256KW"
      content_algorithm = "A256GCM"
    } as $jwe
    security.jwe_decode {
      token = $jwe
      key = $kw
      key_algorithm = "A256KW"
      content_algorithm = "A256GCM"
    } as $jwe_claims
    security.jwe_encode {
      claims = {data: "to a curve"}
      key = $ec
      key_algorithm = "ECDH-ES"
      content_algorithm = "A128GCM"
    } as $jwe_ec
    security.jwe_decode {
      token = $jwe_ec
      key = $ec
      key_algorithm = "ECDH-ES"
      content_algorithm = "A128GCM"
    } as $jwe_ec_claims
  }
  response = {claims: $claims, es: $es_claims, jwe: $jwe_claims, jwe_ec: $jwe_ec_claims, ec_kty: $ec.kty, ec_has_d: $ec|has:"d"}`),
		"api/t/jwtbad_post.xs": endpointSrc("jwtbad", "POST", `  input {
    text token
    text key
    json? check?
  }
  stack {
    security.jws_decode {
      token = $input.token
      key = $input.key
      signature_algorithm = "HS256"
      check_claims = $input.check
    } as $claims
  }
  response = $claims`),
		"api/t/jwtmake_post.xs": endpointSrc("jwtmake", "POST", `  input {
    json claims
    text key
  }
  stack {
    security.jws_encode {
      claims = $input.claims
      key = $input.key
      signature_algorithm = "HS256"
    } as $token
  }
  response = $token`),
		"api/t/totp_post.xs": endpointSrc("totp", "POST", `  input {
    text code
  }
  stack {
    security.verify_totp {
      secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
      code = $input.code
      window = 1
    } as $ok
  }
  response = $ok`),
	})
	out := e.mustCall("POST", "sec", "")
	o := decodeObject(t, out)
	if b, err := base64.StdEncoding.DecodeString(get(o, "bytes").(string)); err != nil || len(b) != 32 {
		t.Errorf("random bytes %v: %d %v", get(o, "bytes"), len(b), err)
	}
	pw := get(o, "pw").(string)
	if len(pw) != 20 || !strings.ContainsAny(pw, "abcdefghijklmnopqrstuvwxyz") || !strings.ContainsAny(pw, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") ||
		!strings.ContainsAny(pw, "0123456789") || !strings.Contains(pw, "#") || strings.ContainsAny(pw, "!@$%") {
		t.Errorf("password %q", pw)
	}
	// The same bytes as openssl (and so PHP's openssl_encrypt, Xano's runtime): keys and IVs
	// shorter than the algorithm's are padded with zero bytes.
	if get(o, "enc") != "YQ2rLe6zr8PYh3DCZtmuNg==" || get(o, "enc_short") != "zhEu/3x4Io3X5sZeWg9rCg==" {
		t.Errorf("ciphertexts %v %v", get(o, "enc"), get(o, "enc_short"))
	}
	if get(o, "dec") != "hello" {
		t.Errorf("decrypted %v", get(o, "dec"))
	}
	jsonEq(t, mustJSON(t, get(o, "dec_obj")), `{"a":1}`)

	out = e.mustCall("POST", "jwt", "")
	o = decodeObject(t, out)
	if get(o, "claims", "sub") != "42" || get(o, "claims", "exp") != fixedNow.Unix()+3600 || get(o, "claims", "iat") != fixedNow.Unix() {
		t.Errorf("jws claims %s", out)
	}
	if get(o, "es", "sub") != "ec" || get(o, "jwe", "data") != "secret" || get(o, "jwe_ec", "data") != "to a curve" ||
		get(o, "ec_kty") != "EC" || get(o, "ec_has_d") != true {
		t.Errorf("jwt %s", out)
	}

	// A forged or garbled token, an expired one, a claim that does not match: 403.
	const key = "a secret of at least thirty-two bytes!"
	sign := func(claims string) string {
		t.Helper()
		out := e.mustCall("POST", "jwtmake", `{"claims": `+claims+`, "key": "`+key+`"}`)
		return strings.Trim(out, `"`)
	}
	for name, c := range map[string]struct{ token, check, msg string }{
		"forged":   {"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl", "null", "Invalid token signature."},
		"garbled":  {"not a token", "null", "Invalid token."},
		"expired":  {sign(`{"sub": "1", "exp": 1000}`), "null", "The token has expired."},
		"early":    {sign(`{"sub": "1", "nbf": 9999999999}`), "null", "The token is not valid yet."},
		"mismatch": {sign(`{"sub": "1", "role": "user"}`), `{"role": "admin"}`, "The token's claim role does not match."},
	} {
		_, err := e.call("POST", "jwtbad", `{"token": "`+c.token+`", "key": "`+key+`", "check": `+c.check+`}`)
		if re := wantError(t, err, relaybase.CodeAccessDenied); re.Message != c.msg {
			t.Errorf("%s: %q, want %q", name, re.Message, c.msg)
		}
	}
	if out := e.mustCall("POST", "jwtbad", `{"token": "`+sign(`{"sub": "7", "role": "admin"}`)+`", "key": "`+key+`", "check": {"role": "admin"}}`); !strings.Contains(out, `"sub":"7"`) {
		t.Errorf("a good token: %s", out)
	}

	if got := totp([]byte("12345678901234567890"), 59/30, 8); got != "94287082" {
		t.Errorf("RFC 6238 vector at T=59: %s", got)
	}
	code := totp([]byte("12345678901234567890"), fixedNow.Unix()/30, 6)
	if out := e.mustCall("POST", "totp", `{"code": "`+code+`"}`); out != "true" {
		t.Errorf("current code: %s", out)
	}
	prev := totp([]byte("12345678901234567890"), fixedNow.Unix()/30-1, 6)
	if out := e.mustCall("POST", "totp", `{"code": "`+prev+`"}`); out != "true" {
		t.Errorf("previous step within the window: %s", out)
	}
	old := totp([]byte("12345678901234567890"), fixedNow.Unix()/30-3, 6)
	if out := e.mustCall("POST", "totp", `{"code": "`+old+`"}`); out != "false" {
		t.Errorf("an old code: %s", out)
	}
}
