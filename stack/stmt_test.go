package stack

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"relaybase"
)

// stmtCase is a stack and a response expression, run as a POST endpoint with the given
// JSON body.
type stmtCase struct {
	name  string
	stack string
	resp  string
	input string
	want  string
	err   relaybase.Code
	msg   string
}

var stmtCases = []stmtCase{
	{name: "var", stack: `var $x { value = 1 }`, resp: `$x`, want: `1`},
	{name: "var prefix form", stack: `var $x { value = 1 }`, resp: `$var.x`, want: `1`},
	{name: "var.update", stack: `var $x { value = 1 }
    var.update $x { value = $x + 1 }`, resp: `$x`, want: `2`},
	{name: "var.update path", stack: `var $x { value = {a: {b: 1}} }
    var.update $x.a.c { value = 2 }`, resp: `$x`, want: `{"a":{"b":1,"c":2}}`},
	{name: "var.update path leaves copies alone", stack: `var $x { value = {a: 1} }
    var $y { value = $x }
    var.update $x.a { value = 2 }`, resp: `[$x, $y]`, want: `[{"a":2},{"a":1}]`},
	{name: "one-line block", stack: `var $x { value = false }
    var.update $x { value = true }`, resp: `$x`, want: `true`},
	{name: "disabled statement is skipped", stack: `var $x { value = 1 }
    !var $x { value = 2 }`, resp: `$x`, want: `1`},
	{name: "variable declared in a branch is visible after", stack: `conditional {
      if (true) { var $z { value = "in" } }
    }`, resp: `$z`, want: `"in"`},

	{name: "conditional if", stack: `conditional {
      if ($input.n > 10) { var $r { value = "big" } }
      elseif ($input.n > 5) { var $r { value = "mid" } }
      else { var $r { value = "small" } }
    }`, resp: `$r`, input: `{"n": 20}`, want: `"big"`},
	{name: "conditional elseif", stack: `conditional {
      if ($input.n > 10) { var $r { value = "big" } }
      elseif ($input.n > 5) { var $r { value = "mid" } }
      else { var $r { value = "small" } }
    }`, resp: `$r`, input: `{"n": 7}`, want: `"mid"`},
	{name: "conditional else", stack: `conditional {
      if ($input.n > 10) { var $r { value = "big" } }
      elseif ($input.n > 5) { var $r { value = "mid" } }
      else { var $r { value = "small" } }
    }`, resp: `$r`, input: `{"n": 1}`, want: `"small"`},

	{name: "switch case", stack: `switch ($input.s) {
      case ("a") { var $r { value = 1 } } break
      case ("b") { var $r { value = 2 } } break
      default { var $r { value = 0 } }
    }`, resp: `$r`, input: `{"s": "b"}`, want: `2`},
	{name: "switch default", stack: `switch ($input.s) {
      case ("a") { var $r { value = 1 } } break
      default { var $r { value = 0 } }
    }`, resp: `$r`, input: `{"s": "zz"}`, want: `0`},
	{name: "switch compares int and decimal by value", stack: `switch ($input.n) {
      case (2.0) { var $r { value = "two" } } break
      default { var $r { value = "other" } }
    }`, resp: `$r`, input: `{"n": 2}`, want: `"two"`},

	{name: "foreach", stack: `var $sum { value = 0 }
    foreach ([1, 2, 3]) {
      each as $n { math.add $sum { value = $n } }
    }`, resp: `$sum`, want: `6`},
	{name: "foreach break and continue", stack: `var $seen { value = [] }
    foreach ([1, 2, 3, 4, 5]) {
      each as $n {
        conditional { if ($n == 2) { continue } }
        conditional { if ($n == 4) { break } }
        array.push $seen { value = $n }
      }
    }`, resp: `$seen`, want: `[1,3]`},
	{name: "foreach_break and foreach_continue", stack: `var $seen { value = [] }
    foreach ([1, 2, 3, 4, 5]) {
      each as $n {
        conditional { if ($n == 1) { foreach_continue } }
        conditional { if ($n == 3) { foreach_break } }
        array.push $seen { value = $n }
      }
    }`, resp: `$seen`, want: `[2]`},
	{name: "foreach over null runs nothing", stack: `var $c { value = 0 }
    foreach ($input.missing) { each as $x { math.add $c { value = 1 } } }`, resp: `$c`, want: `0`},
	{name: "foreach over text fails", stack: `foreach ("abc") { each as $x { } }`, resp: `null`,
		err: relaybase.CodeFatal, msg: "foreach needs an array"},
	{name: "for", stack: `var $seen { value = [] }
    for (3) { each as $i { array.push $seen { value = $i } } }`, resp: `$seen`, want: `[0,1,2]`},
	{name: "while", stack: `var $n { value = 0 }
    while ($n < 5) { each { math.add $n { value = 2 } } }`, resp: `$n`, want: `6`},
	{name: "return ends the stack", stack: `var $x { value = 1 }
    conditional { if (true) { return { value = "early" } } }
    var $x { value = 2 }`, resp: `$x`, want: `"early"`},
	{name: "return inside a loop", stack: `foreach ([1, 2, 3]) {
      each as $n { conditional { if ($n == 2) { return { value = $n * 10 } } } }
    }`, resp: `null`, want: `20`},
	{name: "group", stack: `group {
      stack {
        var $a { value = 1 }
        var $b { value = 2 }
      }
    }`, resp: `$a + $b`, want: `3`},

	{name: "precondition holds", stack: `precondition ($input.n > 0) { error = "positive" }`, resp: `"ok"`, input: `{"n": 1}`, want: `"ok"`},
	{name: "precondition inputerror", stack: `precondition ($input.n > 0) {
      error_type = "inputerror"
      error = "n must be positive"
    }`, resp: `null`, input: `{"n": 0}`, err: relaybase.CodeInputError, msg: "n must be positive"},
	{name: "precondition accessdenied", stack: `precondition (false) {
      error_type = "accessdenied"
      error = "no"
    }`, resp: `null`, err: relaybase.CodeAccessDenied, msg: "no"},
	{name: "precondition notfound", stack: `precondition (null) {
      error_type = "notfound"
      error = "Not here"
    }`, resp: `null`, err: relaybase.CodeNotFound, msg: "Not here"},
	{name: "precondition unauthorized", stack: `precondition ($auth.id != null) {
      error_type = "unauthorized"
      error = "Log in"
    }`, resp: `null`, err: relaybase.CodeUnauthorized, msg: "Log in"},
	{name: "precondition standard", stack: `precondition (false) {
      error_type = "standard"
      error = "broken"
    }`, resp: `null`, err: relaybase.CodeFatal, msg: "broken"},
	{name: "precondition without error_type", stack: `precondition (1 == 2) { error = "Nope: " ~ 2 }`, resp: `null`,
		err: relaybase.CodeFatal, msg: "Nope: 2"},
	{name: "throw", stack: `throw {
      name = "ValidationError"
      value = "Bad thing"
    }`, resp: `null`, err: relaybase.CodeFatal, msg: "Bad thing"},
	{name: "try_catch catches throw", stack: `try_catch {
      try {
        throw {
          name = "Oops"
          value = "it broke"
        }
      }
      catch {
        var $e { value = $error }
      }
    }`, resp: `$e`, want: `{"name":"Oops","code":"ERROR_FATAL","message":"it broke","result":"it broke"}`},
	{name: "try_catch catches precondition", stack: `try_catch {
      try {
        precondition (false) {
          error_type = "notfound"
          error = "gone"
        }
      }
      catch {
        var $e { value = [$error.code, $error.message] }
      }
    }`, resp: `$e`, want: `["ERROR_CODE_NOT_FOUND","gone"]`},
	{name: "try_catch catches runtime error", stack: `try_catch {
      try { var $x { value = 1 / 0 } }
      catch { var $x { value = "caught" } }
    }`, resp: `$x`, want: `"caught"`},
	{name: "try_catch finally runs", stack: `var $log { value = [] }
    try_catch {
      try { array.push $log { value = "try" } }
      catch { array.push $log { value = "catch" } }
      finally { array.push $log { value = "finally" } }
    }`, resp: `$log`, want: `["try","finally"]`},
	{name: "try_catch finally after catch", stack: `var $log { value = [] }
    try_catch {
      try { throw { name = "x" value = "y" } }
      catch { array.push $log { value = "catch" } }
      finally { array.push $log { value = "finally" } }
    }`, resp: `$log`, want: `["catch","finally"]`},

	{name: "math.add", stack: `var $x { value = 1 }
    math.add $x { value = 2.5 }`, resp: `$x`, want: `3.5`},
	{name: "math.sub", stack: `var $x { value = 10 }
    math.sub $x { value = 3 }`, resp: `$x`, want: `7`},
	{name: "math.mul", stack: `var $x { value = 4 }
    math.mul $x { value = 3 }`, resp: `$x`, want: `12`},
	{name: "math.div", stack: `var $x { value = 9 }
    math.div $x { value = 2 }`, resp: `$x`, want: `4.5`},
	{name: "math.div by zero", stack: `var $x { value = 9 }
    math.div $x { value = 0 }`, resp: `$x`, err: relaybase.CodeFatal, msg: "Division by zero"},
	{name: "math.add on null", stack: `math.add $nothing { value = 1 }`, resp: `null`, err: relaybase.CodeFatal, msg: "null"},
	{name: "text.append", stack: `var $s { value = "Hello" }
    text.append $s { value = ", world" }`, resp: `$s`, want: `"Hello, world"`},
	{name: "text.prepend", stack: `var $s { value = "world" }
    text.prepend $s { value = "Hello " }`, resp: `$s`, want: `"Hello world"`},
	{name: "array.push", stack: `var $a { value = [1] }
    array.push $a { value = 2 }`, resp: `$a`, want: `[1,2]`},
	{name: "array.push does not change a copy", stack: `var $a { value = [1] }
    var $b { value = $a }
    array.push $a { value = 2 }
    array.push $b { value = 3 }`, resp: `[$a, $b]`, want: `[[1,2],[1,3]]`},
	{name: "array.pop", stack: `var $a { value = [1, 2, 3] }
    array.pop $a as $last`, resp: `[$a, $last]`, want: `[[1,2],3]`},
	{name: "array.pop empty", stack: `var $a { value = [] }
    array.pop $a as $last`, resp: `[$a, $last]`, want: `[[],null]`},
	{name: "array.merge", stack: `var $a { value = [1] }
    array.merge $a { value = [2, 3] }`, resp: `$a`, want: `[1,2,3]`},
	{name: "array.unshift and shift", stack: `var $a { value = [2] }
    array.unshift $a { value = 1 }
    array.shift $a as $first`, resp: `[$a, $first]`, want: `[[2],1]`},

	{name: "create_uuid", stack: `security.create_uuid as $u`, resp: `$u|strlen`, want: `36`},
	{name: "array.find", stack: `var $l { value = [{id: 1}, {id: 7}, {id: 9}] }
    array.find $l if ($this.id > 5) as $r`, resp: `$r`, want: `{"id":7}`},
	{name: "array.find with the list in parentheses", stack: `var $l { value = [3, 12, 20] }
    array.find ($l) if ($this > 10) as $r`, resp: `$r`, want: `12`},
	{name: "array.filter", stack: `var $l { value = [1, 2, 3, 4] }
    array.filter $l if ($this % 2 == 0) as $r`, resp: `$r`, want: `[2,4]`},
	{name: "array.every and array.has", stack: `var $l { value = [70, 85] }
    array.every $l if ($this >= 70) as $all
    array.has ($l) if ($this == 85) as $any`, resp: `[$all, $any]`, want: `[true,true]`},
	{name: "random_number in range", stack: `security.random_number {
      min = 5
      max = 5
    } as $r`, resp: `$r`, want: `5`},
	{name: "random_number over all of int64", stack: `security.random_number {
      min = -9223372036854775807 - 1
      max = 9223372036854775807
    } as $r`, resp: `$r|is_int`, want: `true`},
	{name: "random_number over more than int64's positive half", stack: `security.random_number {
      min = -1
      max = 9223372036854775807
    } as $r`, resp: `$r >= -1`, want: `true`},
	{name: "random_number at the top of int64", stack: `security.random_number {
      min = 9223372036854775807
      max = 9223372036854775807
    } as $r`, resp: `$r`, want: `9223372036854775807`},
	{name: "for past int64 is an error", stack: `for (1e300) {
      each as $i {}
    }`, resp: `1`, err: relaybase.CodeFatal, msg: "for needs a number of times"},
	{name: "create_secret_key", stack: `security.create_secret_key {
      bits = 256
      format = "base64"
    } as $k`, resp: `$k|strlen`, want: `43`},
	{name: "get_env", stack: `util.get_env as $e`, resp: `[$e.GREETING, $e.$request_method]`, want: `["hello","POST"]`},
	{name: "get_raw_input keeps extras", stack: `util.get_raw_input as $raw`, resp: `$raw`, input: `{"n": 1, "extra": "x"}`, want: `{"n":1,"extra":"x"}`},
	{name: "sleep zero", stack: `util.sleep { value = 0 }`, resp: `"slept"`, want: `"slept"`},
	{name: "unknown extra inputs are ignored", stack: ``, resp: `$input`, input: `{"n": 1, "extra": "x"}`, want: `{"n":1,"s":null,"missing":null}`},
}

func TestStatements(t *testing.T) {
	files := map[string]string{}
	for i, c := range stmtCases {
		files[fmt.Sprintf("api/t/s%d_post.xs", i)] = endpointSrc(fmt.Sprintf("s%d", i), "POST", `
  input {
    int n?
    text s?
    json missing?
  }
  stack {
    `+c.stack+`
  }
  response = `+c.resp)
	}
	e := newEnv(t, files)
	for i, c := range stmtCases {
		t.Run(c.name, func(t *testing.T) {
			out, err := e.call("POST", fmt.Sprintf("s%d", i), c.input)
			if c.err != "" {
				re := wantError(t, err, c.err)
				if !strings.Contains(re.Message, c.msg) {
					t.Fatalf("message %q does not contain %q", re.Message, c.msg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			jsonEq(t, out, c.want)
		})
	}
}

func TestFunctionRun(t *testing.T) {
	e := newEnv(t, map[string]string{
		"function/math/add.xs": `function "math/add" {
  input {
    int a
    int b?=10
  }
  stack {
    var $sum { value = $input.a + $input.b }
  }
  response = $sum
}`,
		"function/fact.xs": `function fact {
  input { int n }
  stack {
    conditional {
      if ($input.n <= 1) { return { value = 1 } }
    }
    function.run fact { input = {n: $input.n - 1} } as $r
  }
  response = $input.n * $r
}`,
		"function/forever.xs": `function forever {
  input {}
  stack {
    function.run forever as $r
  }
  response = $r
}`,
		endpointFile("add", "GET"): endpointSrc("add", "GET", `
  input { text a }
  stack {
    function.run "math/add" { input = {a: $input.a} } as $r
  }
  response = $r`),
		endpointFile("fact", "GET"): endpointSrc("fact", "GET", `
  stack {
    function.run fact { input = {n: 5} } as $r
  }
  response = $r`),
		endpointFile("forever", "GET"): endpointSrc("forever", "GET", `
  stack {
    function.run forever as $r
  }
  response = $r`),
		endpointFile("badinput", "GET"): endpointSrc("badinput", "GET", `
  stack {
    function.run "math/add" { input = {a: "x"} } as $r
  }
  response = $r`),
	})
	t.Run("input coerced and defaulted", func(t *testing.T) {
		jsonEq(t, e.mustCall("GET", "add", `{"a": "5"}`), `15`)
	})
	t.Run("recursion", func(t *testing.T) {
		jsonEq(t, e.mustCall("GET", "fact", ""), `120`)
	})
	t.Run("unbounded recursion fails", func(t *testing.T) {
		_, err := e.call("GET", "forever", "")
		wantError(t, err, relaybase.CodeFatal)
	})
	t.Run("bad function input is an input error", func(t *testing.T) {
		_, err := e.call("GET", "badinput", "")
		re := wantError(t, err, relaybase.CodeInputError)
		jsonEq(t, mustJSON(t, re.Payload), `{"param":"a"}`)
	})
}

func TestDebugLog(t *testing.T) {
	e := newEnv(t, map[string]string{
		endpointFile("log", "POST"): endpointSrc("log", "POST", `
  input { text note }
  stack {
    debug.log { value = {note: $input.note, n: 1} }
  }
  response = "ok"`),
	})
	e.mustCall("POST", "log", `{"note": "remember me"}`)
	logs := e.logs.String()
	if !strings.Contains(logs, `"msg":"debug.log"`) || !strings.Contains(logs, `remember me`) ||
		!regexp.MustCompile(`"at":"api/t/log_post.xs:\d+:\d+"`).MatchString(logs) || !strings.Contains(logs, `"request_id":"req-1"`) {
		t.Fatalf("debug.log line missing or incomplete: %s", logs)
	}
}
