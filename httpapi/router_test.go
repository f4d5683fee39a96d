package httpapi

import "testing"

func TestRouterMatch(t *testing.T) {
	r := newRouter[string]()
	r.add("chat", "GET", "messages", "list")
	r.add("chat", "GET", "messages/{id}", "one")
	r.add("chat", "POST", "messages", "post")
	r.add("chat", "GET", "rooms/{room}/messages/{id}", "nested")

	tests := []struct {
		name, canonical, verb, path string
		want                        string
		params                      map[string]string
		ok                          bool
	}{
		{"literal", "chat", "GET", "messages", "list", nil, true},
		{"trailing slash", "chat", "GET", "messages/", "list", nil, true},
		{"param", "chat", "GET", "messages/42", "one", map[string]string{"id": "42"}, true},
		{"two params", "chat", "GET", "rooms/a/messages/7", "nested", map[string]string{"room": "a", "id": "7"}, true},
		{"verb picks route", "chat", "POST", "messages", "post", nil, true},
		{"wrong verb", "chat", "DELETE", "messages", "", nil, false},
		{"unknown path", "chat", "GET", "nope", "", nil, false},
		{"too many segments", "chat", "GET", "messages/1/2", "", nil, false},
		{"unknown group", "other", "GET", "messages", "", nil, false},
		{"empty param", "chat", "GET", "rooms//messages/7", "", nil, false},
		// match takes the escaped path: an escaped slash belongs to its segment.
		{"escaped slash in a param", "chat", "GET", "messages/a%2Fb", "one", map[string]string{"id": "a/b"}, true},
		{"escaped dot-dot in a param", "chat", "GET", "messages/..%2F..%2Fetc", "one", map[string]string{"id": "../../etc"}, true},
		{"escaped space in a param", "chat", "GET", "messages/a%20b", "one", map[string]string{"id": "a b"}, true},
		{"escaped literal", "chat", "GET", "mess%61ges", "list", nil, true},
		{"bad escape", "chat", "GET", "messages/%zz", "", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, params, ok := r.match(tc.canonical, tc.verb, tc.path)
			if ok != tc.ok || got != tc.want {
				t.Fatalf("match = %q, %v; want %q, %v", got, ok, tc.want, tc.ok)
			}
			if len(params) != len(tc.params) {
				t.Fatalf("params = %v, want %v", params, tc.params)
			}
			for k, v := range tc.params {
				if params[k] != v {
					t.Fatalf("params[%s] = %q, want %q", k, params[k], v)
				}
			}
		})
	}
}

func TestSplitAPIPath(t *testing.T) {
	tests := []struct {
		in, canonical, rest string
		ok                  bool
	}{
		{"/api:chat/messages", "chat", "messages", true},
		{"/api:chat:v2/messages/1", "chat", "messages/1", true},
		{"/api:chat", "chat", "", true},
		{"/api:/x", "", "x", false},
		{"/other", "", "", false},
	}
	for _, tc := range tests {
		c, rest, ok := splitAPIPath(tc.in)
		if c != tc.canonical || rest != tc.rest || ok != tc.ok {
			t.Errorf("splitAPIPath(%q) = %q, %q, %v", tc.in, c, rest, ok)
		}
	}
}
