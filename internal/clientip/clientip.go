package clientip

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Proxies is the set of networks whose peers are trusted to report the client they
// forward for. The nil *Proxies trusts nobody: every client is its TCP peer.
type Proxies struct {
	nets []netip.Prefix
}

// Parse reads a list of CIDR ranges ("10.0.0.0/8", "::1/128") or single addresses
// ("127.0.0.1"). An empty list trusts nobody and returns nil.
func Parse(list []string) (*Proxies, error) {
	var p Proxies
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if pfx, err := netip.ParsePrefix(s); err == nil {
			p.nets = append(p.nets, pfx.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: want a CIDR range such as 10.0.0.0/8 or an IP address", s)
		}
		a = a.Unmap()
		p.nets = append(p.nets, netip.PrefixFrom(a, a.BitLen()))
	}
	if len(p.nets) == 0 {
		return nil, nil
	}
	return &p, nil
}

// Trusts reports whether addr (an IP, or host:port) is in a trusted network.
func (p *Proxies) Trusts(addr string) bool {
	a, ok := parseHop(addr)
	return ok && p.trusts(a)
}

func (p *Proxies) trusts(a netip.Addr) bool {
	if p == nil {
		return false
	}
	for _, n := range p.nets {
		if n.Contains(a) {
			return true
		}
	}
	return false
}

// FromRequest is Client for a request net/http read.
func (p *Proxies) FromRequest(r *http.Request) string {
	if p == nil {
		return Client(nil, r.RemoteAddr, nil, nil)
	}
	return Client(p, r.RemoteAddr, r.Header.Values("X-Forwarded-For"), r.Header.Values("Forwarded"))
}

// Client returns the client's IP address. peer is the TCP peer (host:port, as
// http.Request.RemoteAddr and net.Addr.String write it); xff and forwarded are the values of
// the request's X-Forwarded-For and Forwarded header lines, in the order they came.
//
// Unless the peer is trusted, the headers are ignored: anyone can send them. From a
// trusted peer, the hops the proxies recorded are walked from the right (the one the peer
// itself added) to the left, skipping hops that are trusted proxies too; the first hop
// that is not is the client. X-Forwarded-For is read when the request has it, Forwarded
// otherwise. A hop that is not an IP address (Forwarded's "unknown" or an obfuscated name,
// or garbage) ends the walk: the client is then the last hop known, a trusted proxy. The
// result is an IP address without a port ("203.0.113.7", "2001:db8::1"); when even the
// peer is no IP address, it is the peer as given.
func Client(p *Proxies, peer string, xff, forwarded []string) string {
	a, ok := parseHop(peer)
	if !ok {
		return peer
	}
	if !p.trusts(a) {
		return a.String()
	}
	var hops []string
	if len(xff) > 0 {
		for _, line := range xff {
			for h := range strings.SplitSeq(line, ",") {
				hops = append(hops, strings.TrimSpace(h))
			}
		}
	} else {
		for _, line := range forwarded {
			hops = append(hops, forwardedFor(line)...)
		}
	}
	for i := len(hops) - 1; i >= 0; i-- {
		h, ok := parseHop(hops[i])
		if !ok {
			break
		}
		a = h
		if !p.trusts(h) {
			break
		}
	}
	return a.String()
}

// parseHop reads an address as the headers and net.Addr write it: "1.2.3.4",
// "1.2.3.4:80", "2001:db8::1", "[2001:db8::1]", "[2001:db8::1]:80". IPv4 mapped into IPv6
// is read as IPv4. An address with a zone (fe80::1%eth0) is refused: no proxy writes one
// for a client, and a zone is free text.
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), a.Zone() == ""
	}
	if host, _, err := net.SplitHostPort(s); err == nil {
		s = host
	} else {
		s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// forwardedFor returns the for= values of one Forwarded header line (RFC 7239 §4):
// elements separated by commas, each pairs separated by semicolons, a value a token or a
// quoted string. An element without for= yields "" (no address known), so that the walk
// stops there rather than skip it. Commas and semicolons inside quotes do not separate.
func forwardedFor(line string) []string {
	var out []string
	for len(line) > 0 {
		var elem string
		elem, line = cutUnquoted(line, ',')
		found := ""
		for len(elem) > 0 {
			var pair string
			pair, elem = cutUnquoted(elem, ';')
			name, val, ok := strings.Cut(pair, "=")
			if !ok || !strings.EqualFold(strings.TrimSpace(name), "for") {
				continue
			}
			val = strings.TrimSpace(val)
			if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
				val = unquote(val[1 : len(val)-1])
			}
			found = val
		}
		out = append(out, found)
	}
	return out
}

// cutUnquoted cuts s at the first sep outside a quoted string.
func cutUnquoted(s string, sep byte) (before, after string) {
	quoted := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && quoted:
			i++
		case c == '"':
			quoted = !quoted
		case c == sep && !quoted:
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}

// unquote undoes a quoted string's backslash escapes.
func unquote(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
