package outbound

import (
	"net/netip"
	"testing"
)

// FuzzParseRule: ParseRule never panics; a rule it accepts reads back the same from its
// own canonical text, and checking any address against it never panics either.
func FuzzParseRule(f *testing.F) {
	for _, s := range []string{"*", "api.stripe.com", "*.example.com", "10.0.0.0/8", "127.0.0.1", "::1", "[::1]",
		"fd00::/8", "http://x.com", "", "*.", "a..b", "10.0.0.0/33", "EXAMPLE.com", " 1.2.3.4 "} {
		f.Add(s, "93.184.216.34")
	}
	f.Fuzz(func(t *testing.T, s, addr string) {
		r, err := ParseRule(s)
		if err != nil {
			return
		}
		again, err := ParseRule(r.text)
		if err != nil || again != r {
			t.Fatalf("%q read as %+v, its text %q reads as %+v (%v)", s, r, r.text, again, err)
		}
		ip, err := netip.ParseAddr(addr)
		if err != nil {
			return
		}
		p := &Policy{allow: []rule{r}, deny: []rule{r}}
		_ = p.Check("host.example", ip)
		_ = (&Policy{allow: []rule{r}}).Check("", ip)
	})
}
