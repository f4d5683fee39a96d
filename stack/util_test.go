package stack

import (
	"context"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"

	"relaybase"
	"relaybase/value"
)

func TestSetHeader(t *testing.T) {
	e := newEnv(t, map[string]string{
		endpointFile("h", "GET"): endpointSrc("h", "GET", `  stack {
    util.set_header { value = "X-Custom: one" duplicates = "replace" }
    util.set_header { value = "x-custom:   two  " }
    util.set_header { value = "Set-Cookie: a=1; HttpOnly" duplicates = "append" }
    util.set_header { value = "Set-Cookie: b=2" duplicates = "add" }
    util.set_header { value = "Content-Type: text/html; charset=utf-8" }
  }
  response = "<h1>hi</h1>"`),
		endpointFile("bad", "POST"): endpointSrc("bad", "POST", `  input { text v }
  stack {
    util.set_header { value = $input.v }
  }
  response = 1`),
		endpointFile("fails", "GET"): endpointSrc("fails", "GET", `  stack {
    util.set_header { value = "X-Lost: 1" }
    throw { name = "E" value = "no" }
  }
  response = 1`),
	})
	res, err := e.endpoint("GET", "h").Run(context.Background(), &Request{Method: "GET"})
	if err != nil {
		t.Fatal(err)
	}
	got := ""
	for _, h := range res.Headers {
		got += h[0] + "=" + h[1] + "|"
	}
	if got != "x-custom=two|Set-Cookie=a=1; HttpOnly|Set-Cookie=b=2|Content-Type=text/html; charset=utf-8|" {
		t.Errorf("headers %s", got)
	}
	for _, v := range []string{"no colon", "Bad Name: x", "X-A: b\r\nX-Injected: 1", ": empty", "Content-Length: 5", "Transfer-Encoding: chunked"} {
		_, err := e.call("POST", "bad", `{"v": `+strconv.Quote(v)+`}`)
		if re := wantError(t, err, relaybase.CodeFatal); !strings.Contains(re.Message, "util.set_header") {
			t.Errorf("%q: %s", v, re.Message)
		}
	}
	_, err = e.call("GET", "fails", "")
	wantError(t, err, relaybase.CodeFatal)
}

func TestGetVars(t *testing.T) {
	e := newEnv(t, map[string]string{
		endpointFile("v", "GET"): endpointSrc("v", "GET", `  stack {
    var $a { value = 1 }
    var $b { value = {c: "x"} }
    util.get_vars as $vars
  }
  response = $vars`),
	})
	out := e.mustCall("GET", "v", "")
	v, _ := value.DecodeJSON([]byte(out))
	o := v.(*value.Object)
	if a, _ := o.Get("a"); a != int64(1) {
		t.Errorf("vars %s", out)
	}
	if b, _ := o.Get("b"); mustJSON(t, b) != `{"c":"x"}` {
		t.Errorf("vars %s", out)
	}
}

func TestGeoDistance(t *testing.T) {
	e := newEnv(t, map[string]string{
		endpointFile("d", "POST"): endpointSrc("d", "POST", `  input { json p }
  stack {
    util.geo_distance {
      latitude_1 = $input.p.0
      longitude_1 = $input.p.1
      latitude_2 = $input.p.2
      longitude_2 = $input.p.3
    } as $m
  }
  response = $m`),
	})
	for _, c := range []struct {
		p    string
		want float64 // metres, to 0.5%
	}{
		{"[40.71, -74.00, 34.05, -118.24]", 3_936_000},   // New York to Los Angeles
		{"[51.5074, -0.1278, 48.8566, 2.3522]", 343_500}, // London to Paris
		{"[10, 20, 10, 20]", 0},
		{"[0, 0, 0, 180]", math.Pi * earthRadius}, // half way round the equator
	} {
		out := e.mustCall("POST", "d", `{"p": `+c.p+`}`)
		got, err := strconv.ParseFloat(out, 64)
		if err != nil || math.Abs(got-c.want) > c.want*0.005+1e-6 {
			t.Errorf("%s: %s metres, want about %.0f", c.p, out, c.want)
		}
	}
	for _, p := range []string{`[91, 0, 0, 0]`, `[0, 181, 0, 0]`, `["a", 0, 0, 0]`, `[null, 0, 0, 0]`} {
		_, err := e.call("POST", "d", `{"p": `+p+`}`)
		if re := wantError(t, err, relaybase.CodeFatal); !strings.Contains(re.Message, "util.geo_distance") {
			t.Errorf("%s: %s", p, re.Message)
		}
	}
}

// TestOutsideServices: statements that exist to call a service outside relaybase stay
// unsupported and say what they would need.
func TestOutsideServices(t *testing.T) {
	e := loadEnv(t, map[string]string{
		endpointFile("o", "POST"): endpointSrc("o", "POST", `  stack {
    cloud.aws.s3.upload_file { bucket = "b" region = "r" key = "k" secret = "s" file = null } as $f
    util.send_email { service_provider = "resend" to = "a@b.c" } as $m
    util.ip_lookup { value = $env.$remote_ip } as $where
    ai.external.mcp.tool.run { url = "https://mcp.example" tool = "x" } as $r
    api.lambda { code = "return 1;" } as $l
  }
  response = 1`),
	})
	var got []string
	for _, d := range e.diags {
		got = append(got, d.String())
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{
		"3:5: unsupported: statement cloud.aws.s3.upload_file is not supported by relaybase: it needs a cloud provider's API",
		"4:5: unsupported: statement util.send_email is not supported by relaybase: it needs an email provider",
		"5:5: unsupported: statement util.ip_lookup is not supported by relaybase: it needs a geo-IP database",
		"6:5: unsupported: statement ai.external.mcp.tool.run is not supported by relaybase: it needs an outside AI service",
		"7:5: unsupported: statement api.lambda is not supported by relaybase: it needs Xano's JavaScript lambda runtime",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("no %q in\n%s", want, all)
		}
	}
	_, err := e.call("POST", "o", "")
	if re := wantError(t, err, relaybase.CodeNotImplemented); !strings.Contains(re.Message, "cloud provider's API") {
		t.Errorf("501: %s", re.Message)
	}
}

func TestTemplateEngine(t *testing.T) {
	e := newEnv(t, map[string]string{
		endpointFile("page", "POST"): endpointSrc("page", "POST", `  input { text name }
  stack {
    db.add user { data = {name: $input.name, email: "a@b.c", password: "s3cret-pass"} } as $user
    var $items { value = [{name: "Tea", price: 4.5}, {name: "<Cake>", price: 12}] }
    util.template_engine {
      value = """
        <h1>Hello {{ $input.name|capitalize }}</h1>
        {% for item in $var.items %}<li>{{ loop.index }}. {{ item.name }}{% if item.price > 10 %} (dear){% endif %}</li>{% endfor %}
        <p>{{ user.email }}[{{ user.password }}] {{ $env.GREETING }}</p>
      """
    } as $html
  }
  response = $html|trim`),
		endpointFile("dyn", "POST"): endpointSrc("dyn", "POST", `  input { text tpl }
  stack {
    util.template_engine { value = $input.tpl } as $out
  }
  response = $out`),
	})
	out := e.mustCall("POST", "page", `{"name": "ann"}`)
	var got string
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<h1>Hello Ann</h1>", "<li>1. Tea</li><li>2. &lt;Cake&gt; (dear)</li>", "<p>a@b.c[] hello</p>"} {
		if !strings.Contains(got, want) {
			t.Errorf("no %q in %s", want, got)
		}
	}
	jsonEq(t, e.mustCall("POST", "dyn", `{"tpl": "{{ 2 * 21 }}"}`), `"42"`)
	_, err := e.call("POST", "dyn", `{"tpl": "{% include 'x' %}"}`)
	if re := wantError(t, err, relaybase.CodeFatal); !strings.Contains(re.Message, "the tag {% include %} is not supported") {
		t.Errorf("dynamic template: %s", re.Message)
	}

	bad := loadEnv(t, map[string]string{
		endpointFile("bad", "GET"): endpointSrc("bad", "GET", `  stack {
    util.template_engine { value = "{% for x in y %}" } as $out
  }
  response = $out`),
	})
	if len(bad.diags) != 1 || !strings.Contains(bad.diags[0].String(), "api/t/bad_get.xs:3:36: error: util.template_engine: template 1:17: expected {% endfor %}, found end of template") {
		t.Errorf("diagnostics %v", bad.diags)
	}
}
