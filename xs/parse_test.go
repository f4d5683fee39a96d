package xs

import (
	"strings"
	"testing"
)

// parseStack parses src as the statements of a function's stack and dumps them.
func parseStack(t *testing.T, src string) string {
	t.Helper()
	f, diags := Parse("t.xs", []byte("function f {\n  stack {\n"+src+"\n  }\n}\n"))
	if len(diags) > 0 {
		t.Fatalf("parse:\n%s\n%v", src, diags)
	}
	if len(f.Objects) != 1 || f.Objects[0].Body.Node("stack") == nil {
		t.Fatalf("parse:\n%s\nno function stack: %s", src, dump(f.Objects))
	}
	return dump(f.Objects[0].Body.Node("stack").Body.Nodes)
}

func trimDump(s string) string {
	lines := strings.Split(strings.Trim(s, "\n"), "\n")
	ind := len(lines[0]) - len(strings.TrimLeft(lines[0], " \t"))
	for i, l := range lines {
		if len(l) >= ind {
			lines[i] = l[ind:]
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

func TestStatements(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"var", `var $x { value = 1 }`, `
			var $x
			  value = 1`},
		{"var multi-line", "var $x {\n  value = {\n    a: 1\n  }\n}", `
			var $x
			  value = {a:1}`},
		{"var.update one line", `var.update $x { value = true }`, `
			var.update $x
			  value = true`},
		{"var.update member", `var.update $updates.name { value = $input.name }`, `
			var.update $updates.name
			  value = var($input).name`},
		{"empty block on one line", `db.transaction {}`, `
			db.transaction`},
		{"db.get with as after body", "db.get user {\n  field_name = \"id\"\n  field_value = $input.id\n} as $u", `
			db.get user as u
			  field_name = "id"
			  field_value = var($input).id`},
		{"commas between attributes", `db.del "user" { field_name = "id", field_value = 1 }`, `
			db.del "user"
			  field_name = "id"
			  field_value = 1`},
		{"attributes side by side", `throw { name = "E" value = "m" }`, `
			throw
			  name = "E"
			  value = "m"`},
		{"db.query", "db.query message {\n  where = $db.message.room == $input.room && $db.message.body includes $input.q\n  sort = {created_at: \"desc\"}\n  return = {type: \"list\", paging: {page: 1, per_page: 25, totals: true}}\n} as $list", `
			db.query message as list
			  where = (&& (== var($db).message.room var($input).room) (includes var($db).message.body var($input).q))
			  sort = {created_at:"desc"}
			  return = {type:"list" paging:{page:1 per_page:25 totals:true}}`},
		{"where over several lines", "db.query n {\n  where = $db.n.user_id == $user.id\n    && $db.n.sent == false\n} as $ns", `
			db.query n as ns
			  where = (&& (== var($db).n.user_id var(user).id) (== var($db).n.sent false))`},
		{"function.run", `function.run "cart/log" { input = {total: 1} } as $r`, `
			function.run "cart/log" as r
			  input = {total:1}`},
		{"as without body", `security.create_uuid as $id`, `
			security.create_uuid as id`},
		{"dotted keywords", "security.create_auth_token {\n  table = \"user\"\n  id = $u.id\n} as $token\napi.realtime_event { channel = \"c\" data = 1 }\nmath.add $total { value = 1 }\ntext.append $s { value = \"x\" }\narray.push $l { value = 1 }", `
			security.create_auth_token as token
			  table = "user"
			  id = var(u).id
			api.realtime_event
			  channel = "c"
			  data = 1
			math.add $total
			  value = 1
			text.append $s
			  value = "x"
			array.push $l
			  value = 1`},
		{"conditional", "conditional {\n  if ($a) {\n    var $x { value = 1 }\n  }\n  elseif ($b) {\n    var $x { value = 2 }\n  }\n  else {\n    var $x { value = 3 }\n  }\n}", `
			conditional
			  if (var(a))
			    var $x
			      value = 1
			  elseif (var(b))
			    var $x
			      value = 2
			  else
			    var $x
			      value = 3`},
		{"conditional on shared lines", "conditional {\n  if ($a) { return { value = 1 } } elseif ($b) { return { value = 2 } } else { return { value = 3 } }\n}", `
			conditional
			  if (var(a))
			    return
			      value = 1
			  elseif (var(b))
			    return
			      value = 2
			  else
			    return
			      value = 3`},
		{"switch with break after case", "switch ($x) {\n  case (\"a\") {\n    var $y { value = 1 }\n  } break\n  case (1) {\n    var $y { value = 2 }\n    break\n  }\n  default {\n    var $y { value = 3 }\n  }\n}", `
			switch (var(x))
			  case ("a")
			    var $y
			      value = 1
			  break
			  case (1)
			    var $y
			      value = 2
			    break
			  default
			    var $y
			      value = 3`},
		{"switch on one line", `switch ($x) { case ("a") { var $y { value = 1 } } break  case (1) { var $y { value = 2 } } break default { var $y { value = 3 } } }`, `
			switch (var(x))
			  case ("a")
			    var $y
			      value = 1
			  break
			  case (1)
			    var $y
			      value = 2
			  break
			  default
			    var $y
			      value = 3`},
		{"foreach each as", "foreach ($input.items) {\n  each as $item {\n    debug.log { value = $item }\n  }\n}", `
			foreach (var($input).items)
			  each as item
			    debug.log
			      value = var(item)`},
		{"each with index", "foreach ($items) {\n  each as $item, $index {\n    debug.log { value = $index }\n  }\n}", `
			foreach (var(items))
			  each as item, index
			    debug.log
			      value = var(index)`},
		{"await and remove", "await $request as $result\nforeach ($items) {\n  each as $item {\n    conditional {\n      if ($item.expired == true) {\n        remove\n      }\n    }\n  }\n}", `
			await $request as result
			foreach (var(items))
			  each as item
			    conditional
			      if ((== var(item).expired true))
			        remove`},
		{"each with list and as", "each ($list as $item) {\n  debug.log { value = $item }\n}", `
			each (var(list)) as item
			  debug.log
			    value = var(item)`},
		{"for", "for (10) {\n  each as $i {\n    debug.log { value = $i }\n  }\n}", `
			for (10)
			  each as i
			    debug.log
			      value = var(i)`},
		{"while", "while ($n < 3) {\n  each {\n    var.update $n { value = $n + 1 }\n  }\n}", `
			while ((< var(n) 3))
			  each
			    var.update $n
			      value = (+ var(n) 1)`},
		{"break and continue", "foreach ($l) {\n  each as $i {\n    break\n    continue\n    foreach_break\n    foreach_continue\n  }\n}", `
			foreach (var(l))
			  each as i
			    break
			    continue
			    foreach_break
			    foreach_continue`},
		{"try_catch", "try_catch {\n  try {\n    function.run \"x\" as $r\n  }\n  catch {\n    debug.log { value = $error.message }\n  }\n  finally {\n    debug.log { value = \"done\" }\n  }\n}", `
			try_catch
			  try
			    function.run "x" as r
			  catch
			    debug.log
			      value = var(error).message
			  finally
			    debug.log
			      value = "done"`},
		{"group", "group {\n  stack {\n    var $a { value = 1 }\n  }\n}", `
			group
			  stack
			    var $a
			      value = 1`},
		{"precondition", "precondition ($input.amount > 0) {\n  error_type = \"inputerror\"\n  error = \"Amount must be positive\"\n}", `
			precondition ((> var($input).amount 0))
			  error_type = "inputerror"
			  error = "Amount must be positive"`},
		{"condition over lines", "precondition (\n  $a &&\n  $b\n) {\n  error = \"x\"\n}", `
			precondition ((&& var(a) var(b)))
			  error = "x"`},
		{"return", `return { value = $x }`, `
			return
			  value = var(x)`},
		{"db.transaction", "db.transaction {\n  stack {\n    db.truncate log\n  }\n}", `
			db.transaction
			  stack
			    db.truncate log`},
		{"throw", "throw {\n  name = \"ValidationError\"\n  value = \"bad\"\n}", `
			throw
			  name = "ValidationError"
			  value = "bad"`},
		{"util and debug", "util.sleep { value = 1 }\nutil.get_raw_input { encoding = \"json\" } as $raw\nutil.get_env as $env_all\ndebug.log { value = $raw }", `
			util.sleep
			  value = 1
			util.get_raw_input as raw
			  encoding = "json"
			util.get_env as env_all
			debug.log
			  value = var(raw)`},
		{"disabled statement", "!var $x { value = 1 }\nvar $y { value = 2 }", `
			!var $x
			  value = 1
			var $y
			  value = 2`},
		{"disabled attribute", "db.get user {\n  !field_name = \"email\"\n  field_name = \"id\"\n} as $u", `
			db.get user as u
			  !field_name = "email"
			  field_name = "id"`},
		{"comments everywhere", "// leading\nvar $x { // trailing\n  value = 1 // after value\n  /* block */\n}\n// closing", `
			var $x
			  value = 1`},
		{"hash comment lines", "# Equality\nvar $x { value = 1 }\n  # indented note\nvar $y { value = \"#not a comment\" }", `
			var $x
			  value = 1
			var $y
			  value = "#not a comment"`},
		{"backtick value", "var $x { value = `$a + 1` }", `
			var $x
			  value = (+ var(a) 1)`},
		{"triple backtick value", "var $x {\n  value = ```\n    $a|trim\n  ```\n}", `
			var $x
			  value = (|trim var(a))`},
		{"triple quoted value", "util.template_engine {\n  value = \"\"\"\n<h1 class=\"t\">{{ $var.title }}</h1>\n\"\"\"\n} as $html", `
			util.template_engine as html
			  value = "\n<h1 class=\"t\">{{ $var.title }}</h1>\n"`},
		{"unsupported statements still parse", "api.request {\n  url = \"https://example.com\"\n  method = \"GET\"\n} as $res\nstorage.create_image { value = 1 }", `
			api.request as res
			  url = "https://example.com"
			  method = "GET"
			storage.create_image
			  value = 1`},
		{"name with emoji", `db.get "🍕 orders" { field_name = "id" } as $o`, `
			db.get "🍕 orders" as o
			  field_name = "id"`},
		{"non-ASCII names", "var $città { value = 1 }\ndb.add 注文 { data = {名前: $città} }", `
			var $città
			  value = 1
			db.add 注文
			  data = {名前:var(città)}`},
		{"header access", `var $k { value = $env.$http_headers.X-Api-Key ~ $env.$http_headers["x-other"] }`, `
			var $k
			  value = (~ var($env).$http_headers.X-Api-Key var($env).$http_headers["x-other"])`},
		{"filter comparison without parentheses", `conditional { if ($x|get:"status":"" == "paid") { return { value = 1 } } }`, `
			conditional
			  if ((== (|get var(x) "status" "") "paid"))
			    return
			      value = 1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseStack(t, tt.src)
			if want := trimDump(tt.want); got != want {
				t.Errorf("parse:\n%s\n got:\n%s\nwant:\n%s", tt.src, got, want)
			}
		})
	}
}
