package xs

import "testing"

// parseInput parses src as the body of a function's input block and dumps its fields.
func parseInput(t *testing.T, src string) string {
	t.Helper()
	f, diags := Parse("t.xs", []byte("function f {\n  input {\n"+src+"\n  }\n}\n"))
	if len(diags) > 0 {
		t.Fatalf("parse:\n%s\n%v", src, diags)
	}
	in := f.Objects[0].Body.Node("input")
	if in == nil {
		t.Fatalf("no input block: %s", dump(f.Objects))
	}
	return dump(in.Body.Nodes)
}

func TestFields(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"required", "text name", "text field(text name)"},
		{"nullable", "text? name", "text field(text? name)"},
		{"optional", "text name?", "text field(text name?)"},
		{"nullable optional default", `text? name?="x"`, `text field(text? name?="x")`},
		{"unquoted default", "text country?=US", "text field(text country?=#US)"},
		{"unquoted default with slash", "text tz?=America/New_York filters=trim", "text field(text tz?=#America/New_York |trim)"},
		{"default now", "timestamp created_at?=now", "timestamp field(timestamp created_at?=#now)"},
		{"default number", "int page?=1 filters=min:1", "int field(int page?=1 |min:1)"},
		{"default negative", "int offset?=-1", "int field(int offset?=-1)"},
		{"default decimal", "decimal rate?=0.5", "decimal field(decimal rate?=0.5f)"},
		{"default bool", "bool active?=true", "bool field(bool active?=true)"},
		{"default object", "json settings?={}", "json field(json settings?={})"},
		{"default array", "text[] tags?=[]", "text field(text[0:-1] tags?=[])"},
		{"array", "text[] tags", "text field(text[0:-1] tags)"},
		{"ranged array", "int[1:10] scores filters=min:0|max:100", "int field(int[1:10] scores |min:0 |max:100)"},
		{"open ranged array", "object[1:] items {\n  schema {\n    int id\n  }\n}", `
			object field(object[1:-1] items)
			  schema
			    int field(int id)`},
		{"nullable array", "file[]? attachments", "file field(file?[0:-1] attachments)"},
		{"foreign key", `int user_id { table = "user" }`, `
			int field(int user_id)
			  table = "user"`},
		{"enum", "enum status {\n  values = [\"a\", \"b\"]\n}", `
			enum field(enum status)
			  values = ["a" "b"]`},
		{"enum with default", `enum priority?="medium" { values = ["low", "medium"] }`, `
			enum field(enum priority?="medium")
			  values = ["low" "medium"]`},
		{"filters", "email contact filters=trim|lower", "email field(email contact |trim |lower)"},
		{"filter with argument", "password pw filters=min:8", "password field(password pw |min:8)"},
		{"filter with text arguments", "text hex filters=ok:abcdef0123456789|min:6|startsWith:SKU-", `text field(text hex |ok:"abcdef0123456789" |min:6 |startsWith:"SKU-")`},
		{"pattern keeps bars and colons", `text zip filters=trim|pattern:^\d{5}(-\d{4})?$|(?:x)`, `text field(text zip |trim |pattern:"^\\d{5}(-\\d{4})?$|(?:x)")`},
		{"quoted filter argument", `text name filters=prevent:"a b"|max:5`, `text field(text name |prevent:"a b" |max:5)`},
		{"filters then body", "text name filters=trim {\n  description = \"Name\"\n  sensitive = true\n}", `
			text field(text name |trim)
			  description = "Name"
			  sensitive = true`},
		{"object with schema", "object address {\n  schema {\n    text street filters=trim\n    text country?=\"US\"\n  }\n}", `
			object field(object address)
			  schema
			    text field(text street |trim)
			    text field(text country?="US")`},
		{"nested objects", "object client {\n  schema {\n    object perms {\n      schema {\n        int dbo_id\n      }\n    }\n  }\n}", `
			object field(object client)
			  schema
			    object field(object perms)
			      schema
			        int field(int dbo_id)`},
		{"field named like a type", "email email filters=trim|lower\npassword password", `
			email field(email email |trim |lower)
			password field(password password)`},
		{"non-field node in input", "dblink {\n  table = \"user\"\n}", `
			dblink
			  table = "user"`},
		{"disabled field", "!text old_name\ntext name", `
			!text field(text old_name)
			text field(text name)`},
		{"attribute in input", "description = \"inputs\"\ntext name", `
			text field(text name)`},
		{"quoted field name", `text "first name"`, "text field(text first name)"},
		{"non-ASCII field name", "text 名前?=太郎", "text field(text 名前?=#太郎)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseInput(t, tt.src)
			if want := trimDump(tt.want); got != want {
				t.Errorf("parse:\n%s\n got:\n%s\nwant:\n%s", tt.src, got, want)
			}
		})
	}
}

func TestFieldOneLineInput(t *testing.T) {
	for _, src := range []string{
		"query q verb=GET {\n  input {}\n}",
		"query q verb=GET {\n  input {\n  }\n}",
		"query q verb=GET {\n  input { email e? filters=trim|lower }\n}",
		"query q verb=GET {\n  input { text country?=US}\n}",
	} {
		f, diags := Parse("t.xs", []byte(src))
		if len(diags) > 0 {
			t.Fatalf("parse %q: %v", src, diags)
		}
		in := f.Objects[0].Body.Node("input")
		if in == nil || in.Body == nil {
			t.Fatalf("parse %q: no input block", src)
		}
		for _, n := range in.Body.Nodes {
			if n.Field == nil {
				t.Errorf("parse %q: %s is not a field", src, n.Keyword)
			}
		}
	}
}
