package stack

import (
	"strings"
	"testing"

	"relaybase"
)

func TestCollectionStatements(t *testing.T) {
	e := newEnv(t, map[string]string{
		"api/t/coll_post.xs": endpointSrc("coll", "POST", `  stack {
    var $people {
      value = [{name: "Ann", gender: "f", email: "a@x.io"}, {name: "Bob", gender: "m", email: "b@x.io"}, {name: "Cy", gender: "m", email: "c@x.io"}]
    }
    array.map ($people) {
      by = $this.email
    } as $emails
    array.map ($people) {
      by = {name: $this.name|to_upper}
    } as $shaped
    array.partition ($people) if ($this.gender == "m") as $parts
    array.group_by ($people) {
      by = $this.gender
    } as $groups
    array.union ([1, 3, 5, 7, 9]) {
      value = [2, 4, 6, 8, 9]
      by = $this
    } as $union
    array.difference ([1, 2, 3, 4, 5, 6, 7, 8, 9]) {
      value = [2, 4, 6, 8]
      by = $this
    } as $difference
    array.intersection ([1, 2, 3, 4, 5, 6, 7]) {
      value = [2, 4, 6, 8]
    } as $intersection
    array.union ($people) {
      value = [{name: "Ann again", email: "a@x.io"}, {name: "Dee", email: "d@x.io"}]
      by = $this.email
    } as $by_email

    var $msg { value = "Hello World" }
    text.contains $msg { value = "lo W" } as $c1
    text.icontains $msg { value = "WORLD" } as $c2
    text.contains $msg { value = "WORLD" } as $c3
    text.starts_with $msg { value = "Hello" } as $s1
    text.istarts_with $msg { value = "hello" } as $s2
    text.ends_with $msg { value = "World" } as $e1
    text.iends_with $msg { value = "world" } as $e2
    text.ends_with $msg { value = "world" } as $e3
    var $pad { value = "--  padded  --" }
    text.trim $pad { value = "-" }
    var $lpad { value = "  left" }
    text.ltrim $lpad
    var $rpad { value = "xxrightxx" }
    text.rtrim $rpad { value = "x" }

    var $flags { value = 12 }
    math.bitwise.and $flags { value = 10 }
    var $perm { value = 4 }
    math.bitwise.or $perm { value = 1 }
    var $tog { value = 5 }
    math.bitwise.xor $tog { value = 3 }

    object.keys { value = {a: 1, b: 2} } as $keys
    object.values { value = {a: 1, b: 2} } as $values
    object.entries { value = {a: 1} } as $entries
  }
  response = {emails: $emails, shaped: $shaped, parts: $parts, groups: $groups, union: $union,
    difference: $difference, intersection: $intersection, by_email: ($by_email|map:$$.name),
    text: [$c1, $c2, $c3, $s1, $s2, $e1, $e2, $e3], pad: $pad, lpad: $lpad, rpad: $rpad,
    bits: [$flags, $perm, $tog], keys: $keys, values: $values, entries: $entries}`),
	})
	out := e.mustCall("POST", "coll", "")
	jsonEq(t, out, `{
	  "emails": ["a@x.io", "b@x.io", "c@x.io"],
	  "shaped": [{"name": "ANN"}, {"name": "BOB"}, {"name": "CY"}],
	  "parts": {"true": [{"name":"Bob","gender":"m","email":"b@x.io"}, {"name":"Cy","gender":"m","email":"c@x.io"}], "false": [{"name":"Ann","gender":"f","email":"a@x.io"}]},
	  "groups": {"f": [{"name":"Ann","gender":"f","email":"a@x.io"}], "m": [{"name":"Bob","gender":"m","email":"b@x.io"}, {"name":"Cy","gender":"m","email":"c@x.io"}]},
	  "union": [1, 2, 3, 4, 5, 6, 7, 8, 9],
	  "difference": [1, 3, 5, 7, 9],
	  "intersection": [2, 4, 6],
	  "by_email": ["Ann", "Bob", "Cy", "Dee"],
	  "text": [true, true, false, true, true, true, true, false],
	  "pad": "  padded  ", "lpad": "left", "rpad": "xxright",
	  "bits": [8, 5, 6],
	  "keys": ["a", "b"], "values": [1, 2], "entries": [{"key": "a", "value": 1}]
	}`)

	bad := newEnv(t, map[string]string{
		"api/t/bad_get.xs": endpointSrc("bad", "GET", `  stack {
    var $x { value = "a" }
    math.bitwise.and $x { value = 1 }
  }`),
		"api/t/badobj_get.xs": endpointSrc("badobj", "GET", `  stack {
    object.keys { value = [1] } as $k
  }`),
	})
	_, err := bad.call("GET", "bad", "")
	if re := wantError(t, err, relaybase.CodeFatal); !strings.Contains(re.Message, "math.bitwise.and needs whole numbers") {
		t.Errorf("bitwise on text: %s", re.Message)
	}
	_, err = bad.call("GET", "badobj", "")
	if re := wantError(t, err, relaybase.CodeFatal); !strings.Contains(re.Message, "object.keys needs an object") {
		t.Errorf("keys of an array: %s", re.Message)
	}
}

func TestReduceAndTransform(t *testing.T) {
	e := newEnv(t, map[string]string{
		"api/t/fold_get.xs": endpointSrc("fold", "GET", `  stack {
    var $sum { value = [1, 2, 3, 4]|reduce:$$ + $result:0 }
    var $names { value = [{n: "a"}, {n: "b"}]|reduce:($result ~ $$.n):"" }
    var $five { value = 2|transform:$$ + 3 }
    var $result { value = "mine" }
    var $again { value = [1, 2]|reduce:$$ * 10 + $result:0 }
  }
  response = {sum: $sum, names: $names, five: $five, result: $result, again: $again}`),
	})
	jsonEq(t, e.mustCall("GET", "fold", ""), `{"sum":10,"names":"ab","five":5,"result":"mine","again":30}`)
}
