package xs

import (
	"strings"
	"testing"
)

// TestCoreInputTypes parses every input type of the core with each modifier.
func TestCoreInputTypes(t *testing.T) {
	for _, typ := range strings.Fields("text int decimal bool email password timestamp date uuid json enum object") {
		for _, decl := range []string{typ + " a", typ + "? a", typ + " a?", typ + "[] a", typ + "? a? filters=trim|min:1|max:5"} {
			t.Run(decl, func(t *testing.T) {
				got := parseInput(t, decl)
				if !strings.HasPrefix(got, typ+" field("+typ) {
					t.Errorf("got %s", got)
				}
			})
		}
	}
}

// TestCoreStatements parses every statement keyword of the core in its usual shape.
func TestCoreStatements(t *testing.T) {
	for _, kw := range strings.Fields(`db.get db.has db.add db.edit db.patch db.add_or_edit db.del db.query
		db.truncate security.create_auth_token security.check_password security.create_uuid
		security.random_number security.create_secret_key api.realtime_event function.run debug.log
		util.sleep util.get_raw_input util.get_env math.add math.sub math.mul math.div text.append
		text.prepend array.push array.pop array.merge array.find array.filter db.bulk.add
		db.external.postgres.direct_query`) {
		t.Run(kw, func(t *testing.T) {
			src := kw + " \"target\" {\n  value = 1\n} as $out"
			if strings.HasPrefix(kw, "math.") || strings.HasPrefix(kw, "text.") || strings.HasPrefix(kw, "array.") {
				src = kw + " $target {\n  value = 1\n} as $out"
			}
			got := parseStack(t, src)
			if !strings.HasPrefix(got, kw+" ") || !strings.Contains(got, "as out\n") || !strings.Contains(got, "value = 1") {
				t.Errorf("got %s", got)
			}
		})
	}
}

// TestCoreFilters parses every filter of the core as a pipe, with and without arguments.
func TestCoreFilters(t *testing.T) {
	names := strings.Fields(`trim ltrim rtrim to_lower lower to_upper upper capitalize strlen substr split
		replace contains starts_with ends_with concat sprintf json_encode json_decode base64_encode
		base64_decode url_encode url_decode md5 sha1 sha256 hmac_sha256 uuid escape regex_matches
		regex_replace first last count reverse unique flatten slice push pop shift unshift merge diff
		intersect join range filter_empty filter_empty_text filter_null filter_false map filter find
		some every sort index_by group_by add subtract multiply divide modulus floor ceil round abs
		sqrt pow min max number_format get set unset has keys values entries pick unpick to_int
		to_decimal to_text to_bool is_null is_empty is_array is_object is_int is_decimal is_text
		is_bool to_timestamp to_ms to_seconds format_timestamp transform_timestamp
		add_secs_to_timestamp add_ms_to_timestamp includes overlaps between in not`)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			for src, want := range map[string]string{
				"$x|" + name:                         "(|" + name + " var(x))",
				"$x|" + name + `:"a":1 == $y`:        "(== (|" + name + ` var(x) "a" 1) var(y))`,
				"($x|" + name + ":$$.a)|" + name:     "(|" + name + " (paren (|" + name + " var(x) var($$).a)))",
				"$x|" + name + ":[1,2]|" + name + "": "(|" + name + " (|" + name + " var(x) [1 2]))",
			} {
				x, diags := parseExpr(src)
				if len(diags) > 0 || sexpr(x) != want {
					t.Errorf("parse %q: got %s %v, want %s", src, sexpr(x), diags, want)
				}
			}
		})
	}
}

// TestDocExamples parses shapes taken from Xano's database and syntax references.
func TestDocExamples(t *testing.T) {
	src := `db.query "comment" {
  join = {
    post: {
      table: "post",
      type: "inner",
      where: $db.comment.post_id == $db.post.id
    }
  }
  eval = {
    post_title: $db.post.title
  }
  where = $db.post.author_id == $auth.id && $db.post.tags not overlaps ["x", "y"]
  return = {
    type  : "list"
    paging: {page: 1, per_page: 5, metadata: false}
  }
} as $comments
db.bulk.add "order_item" {
  data = $input.items|map:{
    order_id: $input.order_id,
    product_id: $$.product_id
  }
}
var $answer { value = $res.choices|first|get:"message"|get:"content" }
var $cheap { value = $products[$$.name === "pixel 8"].listing[$$.price < $1.msrp] }
var $sum { value = ($orders|map:$$.total)|sum }
var $hdrs { value = []|push:("Authorization: Bearer " ~ $env.KEY) }
try_catch {
  try {
    db.transaction {
      isolation = "serializable"
      stack {
        db.edit "inventory" { field_name = "id", field_value = 1, data = {n: 1} }
      }
    }
  }
  catch {
    conditional {
      if ($error.name == "DeadlockError") {
        util.sleep { value = 100 }
      }
      else {
        throw { name = $error.name, value = $error.message }
      }
    }
  }
}`
	got := parseStack(t, src)
	for _, want := range []string{
		"where = (&& (== var($db).post.author_id var($auth).id) (not overlaps var($db).post.tags [\"x\" \"y\"]))",
		"data = (|map var($input).items {order_id:var($input).order_id product_id:var($$).product_id})",
		`value = (|get (|get (|first var(res).choices) "message") "content")`,
		`value = var(products)[(=== var($$).name "pixel 8")].listing[(< var($$).price var($1).msrp)]`,
		"value = (|sum (paren (|map var(orders) var($$).total)))",
		`value = (|push [] (paren (~ "Authorization: Bearer " var($env).KEY)))`,
		"name = var(error).name",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %s in:\n%s", want, got)
		}
	}
}
