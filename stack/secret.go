package stack

import (
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
	out, _ := r.stripValue(v, redact, 0)
	return out
}

// stripValue returns the stripped value and whether it differs from v.
func (r *run) stripValue(v any, redact bool, depth int) (any, bool) {
	if depth > 256 {
		return nil, true
	}
	switch t := v.(type) {
	case string:
		if r.secretText(t, redact) {
			if redact {
				return redacted, true
			}
			return nil, true
		}
	case []any:
		var out []any
		for i, e := range t {
			ne, changed := r.stripValue(e, redact, depth+1)
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
			} else {
				ne, changed = r.stripValue(e, redact, depth+1)
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

func hasString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
