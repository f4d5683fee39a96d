package clientip

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"
)

func TestClient(t *testing.T) {
	p, err := Parse([]string{"10.0.0.0/8", "192.168.1.1", " fd00::/8 "})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		proxies  *Proxies
		peer     string
		xff, fwd []string
		want     string
	}{
		{"no proxies: the peer", nil, "203.0.113.7:5000", []string{"1.1.1.1"}, nil, "203.0.113.7"},
		{"untrusted peer spoofing X-Forwarded-For", p, "203.0.113.7:5000", []string{"1.1.1.1"}, nil, "203.0.113.7"},
		{"untrusted peer spoofing Forwarded", p, "203.0.113.7:5000", nil, []string{"for=1.1.1.1"}, "203.0.113.7"},
		{"trusted peer, one hop", p, "10.1.2.3:443", []string{"198.51.100.4"}, nil, "198.51.100.4"},
		{"trusted peer, no header", p, "10.1.2.3:443", nil, nil, "10.1.2.3"},
		{"client's own spoofed entry is left of the real one", p, "10.1.2.3:443", []string{"1.1.1.1, 198.51.100.4"}, nil, "198.51.100.4"},
		{"trusted hops skipped", p, "10.1.2.3:443", []string{"1.1.1.1, 198.51.100.4, 192.168.1.1, 10.9.9.9"}, nil, "198.51.100.4"},
		{"several header lines in order", p, "10.1.2.3:443", []string{"1.1.1.1", "198.51.100.4, 10.0.0.2"}, nil, "198.51.100.4"},
		{"all hops trusted: the leftmost", p, "10.1.2.3:443", []string{"10.0.0.9, 192.168.1.1"}, nil, "10.0.0.9"},
		{"a hop with a port", p, "10.1.2.3:443", []string{"198.51.100.4:3456"}, nil, "198.51.100.4"},
		{"IPv6 hop", p, "[fd00::1]:443", []string{"2001:db8::7"}, nil, "2001:db8::7"},
		{"bracketed IPv6 hop with port", p, "10.1.2.3:443", []string{"[2001:db8::7]:80"}, nil, "2001:db8::7"},
		{"garbage stops the walk at the last known hop", p, "10.1.2.3:443", []string{"198.51.100.4, nonsense"}, nil, "10.1.2.3"},
		{"garbage left of the client is not reached", p, "10.1.2.3:443", []string{"nonsense, 198.51.100.4"}, nil, "198.51.100.4"},
		{"empty X-Forwarded-For entry", p, "10.1.2.3:443", []string{""}, nil, "10.1.2.3"},
		{"IPv4-mapped peer", p, "[::ffff:10.1.2.3]:443", []string{"198.51.100.4"}, nil, "198.51.100.4"},
		{"Forwarded", p, "10.1.2.3:443", nil, []string{`for=198.51.100.4;proto=https;by=10.1.2.3`}, "198.51.100.4"},
		{"Forwarded, quoted IPv6 with port", p, "10.1.2.3:443", nil, []string{`For="[2001:db8:cafe::17]:4711"`}, "2001:db8:cafe::17"},
		{"Forwarded, several elements and lines", p, "10.1.2.3:443", nil, []string{`for=1.1.1.1, for=198.51.100.4`, `for=10.0.0.5;proto=http`}, "198.51.100.4"},
		{"Forwarded, unknown", p, "10.1.2.3:443", nil, []string{`for=198.51.100.4, for=unknown`}, "10.1.2.3"},
		{"Forwarded, obfuscated", p, "10.1.2.3:443", nil, []string{`for=_hidden`}, "10.1.2.3"},
		{"Forwarded, element without for", p, "10.1.2.3:443", nil, []string{`for=198.51.100.4, proto=https`}, "10.1.2.3"},
		{"Forwarded, quoted comma", p, "10.1.2.3:443", nil, []string{`for=198.51.100.4;x="a,b;c", for=10.0.0.3`}, "198.51.100.4"},
		{"X-Forwarded-For wins over Forwarded", p, "10.1.2.3:443", []string{"198.51.100.4"}, []string{"for=1.1.1.1"}, "198.51.100.4"},
		{"peer not an address", p, "@", nil, nil, "@"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Client(tc.proxies, tc.peer, tc.xff, tc.fwd); got != tc.want {
				t.Fatalf("Client = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestFromRequest(t *testing.T) {
	p, _ := Parse([]string{"127.0.0.1/32"})
	r, _ := http.NewRequest("GET", "/", nil)
	r.RemoteAddr = "127.0.0.1:9999"
	r.Header.Add("X-Forwarded-For", "198.51.100.4")
	if got := p.FromRequest(r); got != "198.51.100.4" {
		t.Fatalf("trusted: %q", got)
	}
	var none *Proxies
	if got := none.FromRequest(r); got != "127.0.0.1" {
		t.Fatalf("no proxies: %q", got)
	}
}

func TestParse(t *testing.T) {
	for _, bad := range []string{"10.0.0.0/33", "example.com", "10.0.0", "*"} {
		if _, err := Parse([]string{bad}); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
	if p, err := Parse([]string{"", " "}); p != nil || err != nil {
		t.Fatalf("an empty list: %v %v", p, err)
	}
	p, err := Parse([]string{"10.1.2.3/8", "::1"})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Trusts("10.200.0.1:80") || !p.Trusts("[::1]:80") || p.Trusts("11.0.0.1") {
		t.Fatal("Trusts is wrong")
	}
}

// FuzzClient: whatever the headers say, the answer is the peer or an address one of them
// names, never an untrusted peer's claim, and never a port.
func FuzzClient(f *testing.F) {
	f.Add("10.1.2.3:443", "1.1.1.1, 198.51.100.4", `for="[2001:db8::1]:80";proto=https, for=unknown`)
	f.Add("203.0.113.7:1", "1.1.1.1", "")
	f.Add("[fd00::1]:443", "", `for=_x;by="a,b", FOR=10.0.0.1`)
	f.Add("10.0.0.1:1", "[::1]:80,,", `for="\"`)
	p, _ := Parse([]string{"10.0.0.0/8", "fd00::/8"})
	f.Fuzz(func(t *testing.T, peer, xff, fwd string) {
		got := Client(p, peer, []string{xff}, []string{fwd})
		a, ok := parseHop(peer)
		if !ok {
			if got != peer {
				t.Fatalf("peer %q is no address, got %q", peer, got)
			}
			return
		}
		if !p.trusts(a) && got != a.String() {
			t.Fatalf("untrusted peer %q: got %q", peer, got)
		}
		if got != a.String() {
			// Not the peer: an address one of the headers names, written as parseHop writes it.
			if _, err := netip.ParseAddr(got); err != nil {
				t.Fatalf("got %q, not an address", got)
			}
			named := false
			for _, text := range []string{xff + "," + fwd, strings.ReplaceAll(xff+","+fwd, `\`, "")} {
				for _, tok := range strings.FieldsFunc(text, func(r rune) bool { return strings.ContainsRune(",;=\" \t", r) }) {
					if h, ok := parseHop(tok); ok && h.String() == got {
						named = true
					}
				}
			}
			if !named {
				t.Fatalf("got %q, which neither the peer %q nor the headers %q / %q name", got, peer, xff, fwd)
			}
		}
	})
}
