package httpapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"relaybase"
	"relaybase/value"
)

// TestFormValues reads query strings the way browsers, curl and axios (the SDK) write them.
func TestFormValues(t *testing.T) {
	for _, tc := range []struct {
		name  string
		query string
		want  string // the inputs as JSON
	}{
		{"text", "a=1&b=x", `{"a":"1","b":"x"}`},
		{"repeated name", "a=1&a=2", `{"a":["1","2"]}`},
		{"brackets", "a[]=1&a[]=2", `{"a":["1","2"]}`},
		{"one bracketed value", "a[]=1", `{"a":["1"]}`},
		{"plain and brackets mixed keep both", "a=1&a[]=2", `{"a":["1","2"]}`},
		{"object member", "o[k]=1&o[s]=x", `{"o":{"k":"1","s":"x"}}`},
		{"nested object", "o[k][x]=1&o[k][y]=2", `{"o":{"k":{"x":"1","y":"2"}}}`},
		{"array inside an object", "o[tags][]=a&o[tags][]=b", `{"o":{"tags":["a","b"]}}`},
		{"axios array of objects", "oa[0][k]=1&oa[1][k]=2&oa[1][s]=x", `{"oa":{"0":{"k":"1"},"1":{"k":"2","s":"x"}}}`},
		{"three levels", "a[b][c][d]=1", `{"a":{"b":{"c":{"d":"1"}}}}`},
		{"empty value", "a[b][c]=", `{"a":{"b":{"c":""}}}`},
		{"too deep is a plain name", "a[1][2][3][4][5][6][7][8][9]=1", `{"a[1][2][3][4][5][6][7][8][9]":"1"}`},
		{"unclosed bracket is a plain name", "a[b=1", `{"a[b":"1"}`},
		{"text after the brackets is a plain name", "a[b]c=1", `{"a[b]c":"1"}`},
		{"nested open bracket is a plain name", "a[b[c]]=1", `{"a[b[c]]":"1"}`},
		{"no name is a plain name", "[a]=1", `{"[a]":"1"}`},
		{"sql and html are data", "q=%27%3B+DROP+TABLE+x%3B--+%3Cscript%3E", `{"q":"'; DROP TABLE x;-- <script>"}`},
		{"a raw semicolon is data", "q=x';DROP TABLE x;--&n=1", `{"q":"x';DROP TABLE x;--","n":"1"}`},
		{"a semicolon in a name", "a;b=1", `{"a;b":"1"}`},
		{"a name without a value", "a&b=", `{"a":"","b":""}`},
		{"empty pairs", "&&a=1&", `{"a":"1"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vals, err := parseForm(tc.query)
			if err != nil {
				t.Fatal(err)
			}
			got, err := value.EncodeJSON(formValues(vals))
			if err != nil {
				t.Fatal(err)
			}
			want, err := value.DecodeJSON([]byte(tc.want))
			if err != nil {
				t.Fatal(err)
			}
			if back, _ := value.DecodeJSON(got); !value.Equal(back, want) {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}

// TestReadBodyErrors: a body that cannot be read as inputs is a 400 (413 past the limit)
// whose message is written for a person, never a parser's or the runtime's own text.
func TestReadBodyErrors(t *testing.T) {
	for _, tc := range []struct {
		name, ctype, body string
		status            int
	}{
		{"bad form escape", "application/x-www-form-urlencoded", "a=%zz", http.StatusBadRequest},
		{"form with a bad escape in a name", "application/x-www-form-urlencoded", "%zz=1", http.StatusBadRequest},
		{"bad JSON", "application/json", `{"a":`, http.StatusBadRequest},
		{"JSON array", "application/json", `[1]`, http.StatusBadRequest},
		{"JSON with trailing data", "application/json", `{"a":1} {}`, http.StatusBadRequest},
		{"multipart without boundary", "multipart/form-data", "x", http.StatusBadRequest},
		{"multipart with a broken body", "multipart/form-data; boundary=zz", "x", http.StatusBadRequest},
		{"over the limit", "application/json", `{"a":"` + strings.Repeat("x", 100) + `"}`, http.StatusRequestEntityTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/api:x/y", strings.NewReader(tc.body))
			req.Header.Set("Content-Type", tc.ctype)
			req.ContentLength = -1 // as when chunked: the limit must hold while reading
			_, err := readInputs(req, 64, nil)
			re := relaybase.AsError(err)
			if err == nil || re.Code != relaybase.CodeInputError || httpStatus(re) != tc.status {
				t.Fatalf("err %v (status %d), want %s with %d", err, httpStatus(re), relaybase.CodeInputError, tc.status)
			}
			for _, internal := range []string{"invalid", "escape", "semicolon", "EOF", "multipart:", "character"} {
				if strings.Contains(re.Message, internal) {
					t.Fatalf("message %q shows parser text %q", re.Message, internal)
				}
			}
		})
	}
}

// TestReadInputsKeepsSemicolons: docs/http.md's "input is data" holds for a query string and a
// form body with raw semicolons; a query string that does not parse is a 400, not inputs
// silently missing.
func TestReadInputsKeepsSemicolons(t *testing.T) {
	for _, tc := range []struct {
		name, method, target, ctype, body string
		want                              string // inputs as JSON; "" for a 400
	}{
		{"query", "GET", "/api:x/y?text=a;b&n=1", "", "", `{"text":"a;b","n":"1"}`},
		{"form body", "POST", "/api:x/y", "application/x-www-form-urlencoded", "text=a;b'--&n=1", `{"text":"a;b'--","n":"1"}`},
		{"query beside a JSON body", "POST", "/api:x/y?q=1;2", "application/json", `{"text":"a;b"}`, `{"text":"a;b","q":"1;2"}`},
		{"bad escape in the query", "GET", "/api:x/y?text=%zz", "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.target, strings.NewReader(tc.body))
			if tc.ctype != "" {
				req.Header.Set("Content-Type", tc.ctype)
			}
			in, err := readInputs(req, 1<<20, nil)
			if tc.want == "" {
				if re := relaybase.AsError(err); err == nil || httpStatus(re) != http.StatusBadRequest {
					t.Fatalf("inputs %v, err %v; want a 400", in, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want, _ := value.DecodeJSON([]byte(tc.want))
			if !value.Equal(in, want) {
				got, _ := value.EncodeJSON(in)
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}

// TestReadInputsByVerb: where each verb's inputs come from. DELETE takes a body because the
// SDK's delete(endpoint, params) sends params as JSON, and the query string as well.
func TestReadInputsByVerb(t *testing.T) {
	for _, tc := range []struct {
		name, method, target, body string
		params                     map[string]string
		want                       string
	}{
		{"GET reads the query string", "GET", "/api:x/y?id=5", "", nil, `{"id":"5"}`},
		{"DELETE with a JSON body, as the SDK sends it", "DELETE", "/api:x/y", `{"id":5,"reason":"spam"}`, nil, `{"id":5,"reason":"spam"}`},
		{"DELETE with a query string", "DELETE", "/api:x/y?id=5", "", nil, `{"id":"5"}`},
		{"DELETE with both: the body wins", "DELETE", "/api:x/y?id=5&reason=q", `{"id":6}`, nil, `{"id":6,"reason":"q"}`},
		{"POST with both: the body wins", "POST", "/api:x/y?id=5&reason=q", `{"id":6}`, nil, `{"id":6,"reason":"q"}`},
		{"path parameters win over everything", "DELETE", "/api:x/y?p=q", `{"p":"b"}`, map[string]string{"p": "path"}, `{"p":"path"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.target, strings.NewReader(tc.body))
			if tc.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			in, err := readInputs(req, 1<<20, tc.params)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := value.DecodeJSON([]byte(tc.want))
			if !value.Equal(in, want) {
				got, _ := value.EncodeJSON(in)
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}
