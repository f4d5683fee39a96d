package filter

import "testing"

func TestIsXano(t *testing.T) {
	for _, n := range []string{"to_lower", "lower", "lambda_map", "csv_parse", "timestamp_add_days", "jws_encode", "trim"} {
		if !IsXano(n) {
			t.Errorf("IsXano(%q) = false", n)
		}
	}
	for _, n := range []string{"lowercase", "toLowerCase", "strtolower", "", "to_lowr"} {
		if IsXano(n) {
			t.Errorf("IsXano(%q) = true", n)
		}
	}
	// Every filter relaybase runs is one Xano documents, except the few relaybase adds.
	extra := map[string]bool{}
	for _, n := range Names() {
		if !xanoNames[n] {
			extra[n] = true
		}
	}
	for n := range extra {
		switch n {
		case "group_by":
		default:
			t.Errorf("filter %s runs but is not in Xano's documented list", n)
		}
	}
}

func TestSuggest(t *testing.T) {
	for in, want := range map[string]string{
		"lowercase": "lower", "to_lowr": "to_lower", "uppercase": "upper", "trimm": "trim",
		"xyzzy_plugh": "",
	} {
		if got := Suggest(in); got != want {
			t.Errorf("Suggest(%q) = %q, want %q", in, got, want)
		}
	}
}
