package outbound

import (
	"net/netip"
	"testing"
)

func TestPolicy(t *testing.T) {
	tests := []struct {
		name        string
		allow, deny []string
		host, ip    string
		ok          bool
	}{
		{"public address, default", []string{"*"}, nil, "", "93.184.216.34", true},
		{"public name, default", []string{"*"}, nil, "example.com", "93.184.216.34", true},
		{"loopback refused", []string{"*"}, nil, "", "127.0.0.1", false},
		{"name resolving to loopback refused", []string{"*"}, nil, "evil.example", "127.0.0.1", false},
		{"other loopback", []string{"*"}, nil, "", "127.9.9.9", false},
		{"private 10/8", []string{"*"}, nil, "", "10.1.2.3", false},
		{"private 172.16/12", []string{"*"}, nil, "", "172.20.0.1", false},
		{"private 192.168/16", []string{"*"}, nil, "", "192.168.1.1", false},
		{"cloud metadata (link-local)", []string{"*"}, nil, "", "169.254.169.254", false},
		{"carrier NAT", []string{"*"}, nil, "", "100.64.0.1", false},
		{"unspecified", []string{"*"}, nil, "", "0.0.0.0", false},
		{"broadcast", []string{"*"}, nil, "", "255.255.255.255", false},
		{"multicast", []string{"*"}, nil, "", "224.0.0.1", false},
		{"IPv6 loopback", []string{"*"}, nil, "", "::1", false},
		{"IPv6 unique local", []string{"*"}, nil, "", "fd00::1", false},
		{"IPv6 link-local", []string{"*"}, nil, "", "fe80::1", false},
		{"v4-mapped loopback", []string{"*"}, nil, "", "::ffff:127.0.0.1", false},
		{"NAT64 of a private address", []string{"*"}, nil, "", "64:ff9b::a00:1", false},
		{"6to4 of loopback", []string{"*"}, nil, "", "2002:7f00:1::1", false},
		{"public IPv6", []string{"*"}, nil, "", "2606:4700::1111", true},
		{"loopback allowed by address", []string{"127.0.0.1"}, nil, "", "127.0.0.1", true},
		{"loopback allowed by range", []string{"127.0.0.0/8"}, nil, "localhost", "127.0.0.1", true},
		{"a name rule cannot open a private address", []string{"internal.example"}, nil, "internal.example", "10.0.0.5", false},
		{"name rule", []string{"api.stripe.com"}, nil, "api.stripe.com", "54.187.174.169", true},
		{"name rule, other name", []string{"api.stripe.com"}, nil, "api.evil.com", "54.187.174.169", false},
		{"name rule, bare address", []string{"api.stripe.com"}, nil, "", "54.187.174.169", false},
		{"wildcard rule", []string{"*.example.com"}, nil, "a.b.example.com", "93.184.216.34", true},
		{"wildcard is not the domain itself", []string{"*.example.com"}, nil, "example.com", "93.184.216.34", false},
		{"wildcard suffix is a label", []string{"*.example.com"}, nil, "badexample.com", "93.184.216.34", false},
		{"no allow rule", nil, nil, "", "93.184.216.34", false},
		{"deny name", []string{"*"}, []string{"example.com"}, "example.com", "93.184.216.34", false},
		{"deny range wins over allow", []string{"*", "10.0.0.0/8"}, []string{"10.9.0.0/16"}, "", "10.9.1.1", false},
		{"allow range, deny elsewhere", []string{"*", "10.0.0.0/8"}, []string{"10.9.0.0/16"}, "", "10.1.1.1", true},
		{"deny wildcard", []string{"*"}, []string{"*.tracker.io"}, "x.tracker.io", "93.184.216.34", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := NewPolicy(tt.allow, tt.deny)
			if err != nil {
				t.Fatal(err)
			}
			err = p.Check(tt.host, netip.MustParseAddr(tt.ip))
			if (err == nil) != tt.ok {
				t.Errorf("Check(%q, %s) = %v, want allowed %v", tt.host, tt.ip, err, tt.ok)
			}
		})
	}
}

func TestParseRuleRejects(t *testing.T) {
	for _, s := range []string{"", " ", "10.0.0.0/33", "exa mple.com", "*.", "a..b", "http://x.com", "*x.com", "[::1"} {
		if _, err := ParseRule(s); err == nil {
			t.Errorf("ParseRule(%q) accepted", s)
		}
	}
	for _, s := range []string{"*", "Example.COM", "*.example.com", "10.0.0.1", "10.0.0.0/8", "::1", "fd00::/8", "[::1]"} {
		if _, err := ParseRule(s); err != nil {
			t.Errorf("ParseRule(%q): %v", s, err)
		}
	}
}
