package realtime

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"relaybase"
)

// MaxChannelName is the longest channel name, in bytes (protocol.md §3).
const MaxChannelName = 256

// historySizes are the message_history settings Xano offers.
var historySizes = []int{0, 25, 50, 100, 250, 1000}

// CheckRules validates channel rules (protocol.md §3, "Matching"): a `*` anywhere but at the
// end of a pattern, an empty or non-printable pattern, two active rules with one pattern,
// and a message_history outside 0/25/50/100/250/1000 are errors; a prefix pattern whose
// nested_channels is off only earns a warning, as it is treated as nested anyway.
func CheckRules(rules []relaybase.ChannelRule) (warnings []string, err error) {
	var errs []string
	seen := map[string]string{}
	for _, r := range rules {
		where := r.File
		if where == "" {
			where = "realtime_channel " + r.Pattern
		}
		p := r.Pattern
		switch {
		case p == "":
			errs = append(errs, fmt.Sprintf("%s: channel pattern is empty", where))
			continue
		case strings.Contains(strings.TrimSuffix(p, "*"), "*"):
			errs = append(errs, fmt.Sprintf("%s: channel pattern %q has a * that is not at its end (only a trailing * is allowed)", where, p))
			continue
		case !validChannelName(strings.TrimSuffix(p, "*")) && p != "*":
			errs = append(errs, fmt.Sprintf("%s: channel pattern %q is not 1 to %d bytes of printable UTF-8", where, p, MaxChannelName))
			continue
		}
		if !slices.Contains(historySizes, r.History) {
			errs = append(errs, fmt.Sprintf("%s: message_history %d is not one of 0, 25, 50, 100, 250, 1000", where, r.History))
		}
		if r.Active {
			if other, dup := seen[p]; dup {
				errs = append(errs, fmt.Sprintf("%s: channel pattern %q is also defined by %s", where, p, other))
			}
			seen[p] = where
		}
		if strings.HasSuffix(p, "*") && !r.NestedChannels {
			warnings = append(warnings, fmt.Sprintf("%s: channel pattern %q ends in * but nested_channels is off; it is treated as nested (matches every name that starts with %q)", where, p, strings.TrimSuffix(p, "*")))
		}
	}
	if len(errs) > 0 {
		return warnings, fmt.Errorf("realtime channel rules: %s", strings.Join(errs, "; "))
	}
	return warnings, nil
}

// matcher finds the rule of a channel: exact patterns first, then the longest prefix.
type matcher struct {
	exact  map[string]*relaybase.ChannelRule
	prefix []*relaybase.ChannelRule // longest prefix first
}

func newMatcher(rules []relaybase.ChannelRule) *matcher {
	m := &matcher{exact: make(map[string]*relaybase.ChannelRule)}
	for i := range rules {
		r := rules[i] // a private copy: callers may not change our rules underneath
		if !r.Active {
			continue
		}
		if strings.HasSuffix(r.Pattern, "*") {
			m.prefix = append(m.prefix, &r)
		} else {
			m.exact[r.Pattern] = &r
		}
	}
	slices.SortStableFunc(m.prefix, func(a, b *relaybase.ChannelRule) int {
		return cmp.Compare(len(b.Pattern), len(a.Pattern))
	})
	return m
}

func (m *matcher) match(channel string) (*relaybase.ChannelRule, bool) {
	if r, ok := m.exact[channel]; ok {
		return r, true
	}
	for _, r := range m.prefix {
		p := r.Pattern[:len(r.Pattern)-1]
		if len(channel) > len(p) && strings.HasPrefix(channel, p) {
			return r, true
		}
	}
	return nil, false
}

// validChannelName reports whether name is 1 to 256 bytes of printable UTF-8.
func validChannelName(name string) bool {
	if len(name) == 0 || len(name) > MaxChannelName {
		return false
	}
	for i := 0; i < len(name); {
		c := name[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(name[i:])
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			return false
		}
		i += size
	}
	return true
}
