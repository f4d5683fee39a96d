package outbound

import (
	"fmt"
	"net/netip"
	"strings"
)

// rule is one entry of an allow or deny list.
type rule struct {
	text   string
	any    bool         // "*": any public address
	host   string       // an exact host name, lower case
	suffix string       // "*.example.com" → ".example.com"
	prefix netip.Prefix // an address or a range
}

// ParseRule reads one rule: "*", a host name, "*.domain", an IP address or a CIDR range.
func ParseRule(s string) (rule, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	r := rule{text: t}
	switch {
	case t == "":
		return r, fmt.Errorf("empty rule")
	case t == "*":
		r.any = true
	case strings.Contains(t, "://"):
		return r, fmt.Errorf("%q is a URL: give its host name alone", s)
	case strings.Contains(t, "/"):
		p, err := netip.ParsePrefix(t)
		if err != nil {
			return r, fmt.Errorf("%q is not a CIDR range such as 10.0.0.0/8", s)
		}
		r.prefix = p.Masked()
	default:
		bare := t
		if strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]") {
			bare = t[1 : len(t)-1]
		}
		if a, err := netip.ParseAddr(bare); err == nil {
			a = a.Unmap()
			r.prefix = netip.PrefixFrom(a, a.BitLen())
			break
		}
		name := t
		if rest, ok := strings.CutPrefix(t, "*."); ok {
			name = rest
			r.suffix = "." + rest
		} else {
			r.host = t
		}
		if !validHost(name) {
			return r, fmt.Errorf("%q is not a host name, *.domain, IP address or CIDR range", s)
		}
	}
	return r, nil
}

func validHost(s string) bool {
	if s == "" || len(s) > 253 || strings.HasPrefix(s, ".") || strings.HasSuffix(s, ".") {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// matches reports whether the rule covers a connection to ip made for host ("" when the
// URL named the address itself).
func (r rule) matches(host string, ip netip.Addr) bool {
	switch {
	case r.any:
		return isPublic(ip)
	case r.prefix.IsValid():
		return r.prefix.Contains(ip)
	case r.host != "":
		return host == r.host && isPublic(ip)
	case r.suffix != "":
		return strings.HasSuffix(host, r.suffix) && isPublic(ip)
	}
	return false
}

// denies reports whether a deny rule covers host or ip, whatever kind of address it is.
func (r rule) denies(host string, ip netip.Addr) bool {
	switch {
	case r.any:
		return true
	case r.prefix.IsValid():
		return r.prefix.Contains(ip)
	case r.host != "":
		return host == r.host
	case r.suffix != "":
		return strings.HasSuffix(host, r.suffix)
	}
	return false
}

// Policy decides which targets outbound requests may reach. The zero value allows
// nothing; NewPolicy([]string{"*"}, nil) allows every public address.
type Policy struct {
	allow, deny []rule
}

// NewPolicy builds a policy from allow and deny rules (see the package comment).
func NewPolicy(allow, deny []string) (*Policy, error) {
	p := &Policy{}
	for _, s := range allow {
		r, err := ParseRule(s)
		if err != nil {
			return nil, fmt.Errorf("outbound_allow: %w", err)
		}
		p.allow = append(p.allow, r)
	}
	for _, s := range deny {
		r, err := ParseRule(s)
		if err != nil {
			return nil, fmt.Errorf("outbound_deny: %w", err)
		}
		p.deny = append(p.deny, r)
	}
	return p, nil
}

// Check decides a connection to ip made for the URL's host (a name, lower case, or ""
// when the URL named the address). It returns nil or the reason for a refusal.
func (p *Policy) Check(host string, ip netip.Addr) error {
	ip = ip.Unmap()
	for _, r := range p.deny {
		if r.denies(host, ip) {
			return fmt.Errorf("%s is denied by outbound_deny %q", target(host, ip), r.text)
		}
	}
	for _, r := range p.allow {
		if r.matches(host, ip) {
			return nil
		}
	}
	if !isPublic(ip) {
		return fmt.Errorf("%s is not a public address; outbound_allow must name it (address or range) to allow it", target(host, ip))
	}
	return fmt.Errorf("%s is not allowed by outbound_allow", target(host, ip))
}

func target(host string, ip netip.Addr) string {
	if host == "" {
		return ip.String()
	}
	return fmt.Sprintf("%s (%s)", host, ip)
}

// nonPublic are ranges that IsGlobalUnicast and IsPrivate leave out but that no request
// should reach from the internet's point of view: shared address space (carrier NAT),
// IETF protocol assignments, benchmarking, documentation, reserved, and IPv6 prefixes
// that are not routed on the internet.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("100::/64"),
	netip.MustParsePrefix("2001::/23"),
	netip.MustParsePrefix("2001:db8::/32"),
}

// Prefixes of IPv6 addresses that carry an IPv4 address a gateway may forward to: NAT64
// (64:ff9b::/96, the v4 address in the last 32 bits) and 6to4 (2002::/16, in bits 16-48).
var (
	nat64  = netip.MustParsePrefix("64:ff9b::/96")
	sixTo4 = netip.MustParsePrefix("2002::/16")
)

// isPublic reports whether ip is a unicast address on the public internet.
func isPublic(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || !ip.IsGlobalUnicast() || ip.IsPrivate() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return false
		}
	}
	if ip.Is6() {
		b := ip.As16()
		switch {
		case nat64.Contains(ip):
			return isPublic(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
		case sixTo4.Contains(ip):
			return isPublic(netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}))
		}
	}
	return true
}
