package stack

import (
	"errors"
	"regexp"
	"strings"

	"relaybase"
	"relaybase/value"
)

// redacted replaces a secret in debug.log output.
const redacted = "[redacted]"

// strip returns v as it may leave the stack: password fields of tracked rows and $input
// objects are removed (redact: replaced by "[redacted]", for debug.log), and so is any text
// shaped like a password hash wherever it sits, so a hash copied into a new object never
// leaks. With redact, plain-text passwords seen in this run's inputs are replaced too.
// v itself is never changed: objects and arrays that lose members are copies.
func (r *run) strip(v any, redact bool) any {
	if !r.p.hasSecrets && len(r.secretKeys) == 0 && (!redact || len(r.secretTexts) == 0) {
		return v
	}
	out, _ := r.stripValue(v, redact, 0, map[any]stripped{})
	return out
}

// stripped is stripValue's result for one object or array, remembered so that a value
// shared many times over ([$s, $s], n times: 2^n leaves, n distinct arrays) is walked and
// copied once per distinct object or array, not once per path to it.
type stripped struct {
	v       any
	changed bool
}

// sliceKey identifies an array by its first element's address and its length.
type sliceKey struct {
	first *any
	n     int
}

// stripValue returns the stripped value and whether it differs from v.
func (r *run) stripValue(v any, redact bool, depth int, memo map[any]stripped) (any, bool) {
	if depth > 256 {
		return nil, true
	}
	var key any
	switch t := v.(type) {
	case *value.Object:
		key = t
	case []any:
		if len(t) > 0 {
			key = sliceKey{&t[0], len(t)}
		}
	}
	if key != nil {
		if m, ok := memo[key]; ok {
			return m.v, m.changed
		}
		out, changed := r.stripNode(v, redact, depth, memo)
		memo[key] = stripped{out, changed}
		return out, changed
	}
	return r.stripNode(v, redact, depth, memo)
}

func (r *run) stripNode(v any, redact bool, depth int, memo map[any]stripped) (any, bool) {
	switch t := v.(type) {
	case string:
		if r.secretText(t, redact) {
			if redact {
				return redacted, true
			}
			return nil, true
		}
		if s, changed := r.redactText(t, redact); changed {
			return s, true
		}
	case []any:
		var out []any
		for i, e := range t {
			ne, changed := r.stripValue(e, redact, depth+1, memo)
			if changed && out == nil {
				out = make([]any, len(t))
				copy(out, t[:i])
			}
			if out != nil {
				out[i] = ne
			}
		}
		if out != nil {
			return out, true
		}
	case *value.Object:
		secret := r.secretKeys[t]
		var out *value.Object
		keys := t.Keys()
		for i, k := range keys {
			e, _ := t.Get(k)
			var ne any
			drop, changed := false, false
			if hasString(secret, k) {
				drop, changed = true, true
			} else if s, ok := e.(string); ok && r.secretText(s, redact) {
				drop, changed = true, true
			} else if s, ok := e.(string); ok {
				ne, changed = r.redactText(s, redact)
			} else {
				ne, changed = r.stripValue(e, redact, depth+1, memo)
			}
			if changed && out == nil {
				out = value.NewObject(len(keys))
				for _, pk := range keys[:i] {
					pv, _ := t.Get(pk)
					out.Set(pk, pv)
				}
			}
			if out == nil {
				continue
			}
			switch {
			case drop && redact:
				out.Set(k, redacted)
			case drop:
			case changed:
				out.Set(k, ne)
			default:
				out.Set(k, e)
			}
		}
		if out != nil {
			return out, true
		}
	}
	return v, false
}

func (r *run) secretText(s string, redact bool) bool {
	if isPasswordHash(s) {
		return true
	}
	if redact && s != "" {
		_, ok := r.secretTexts[s]
		return ok
	}
	return false
}

// embeddedHash finds password hashes inside longer text: a hash joined to other text with
// ~ or concat, or inside json_encode's output, must not leave the stack either.
var embeddedHash = regexp.MustCompile(`\$argon2(?:id|i|d)\$[^\s"'\\]+|\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}`)

// redactText replaces the password hashes inside s (and with redact, this run's plain-text
// passwords) by "[redacted]", reporting whether it changed anything. Text that is a hash
// and nothing else is secretText's: it is dropped, not redacted.
func (r *run) redactText(s string, redact bool) (string, bool) {
	out := s
	if strings.Contains(out, "$argon2") || strings.Contains(out, "$2") {
		out = embeddedHash.ReplaceAllLiteralString(out, redacted)
	}
	if redact {
		for secret := range r.secretTexts {
			if secret != "" {
				out = strings.ReplaceAll(out, secret, redacted)
			}
		}
	}
	return out, out != s
}

// redactError returns err with the password hashes in its message redacted: a
// precondition's error text or a thrown value may be built from a row's password field,
// and the message reaches the client and the log.
func (r *run) redactError(err error) error {
	var re *relaybase.Error
	if !errors.As(err, &re) {
		return err
	}
	msg, changed := r.redactText(re.Message, false)
	if isPasswordHash(re.Message) {
		msg, changed = redacted, true
	}
	if !changed {
		return err
	}
	c := *re
	c.Message = msg
	return &c
}

func hasString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
