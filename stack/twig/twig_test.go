package twig

import (
	"strings"
	"testing"

	"relaybase/value"
)

func vars() func(string) any {
	v, _ := value.DecodeJSON([]byte(`{
	  "name": "ann lee", "items": [{"name": "Tea", "price": 4.5}, {"name": "<Cake>", "price": 12}],
	  "empty": [], "tags": {"a": 1, "b": 2}, "n": 1234567.891, "zero": 0, "html": "<b>bold</b>",
	  "text": "line1\nline2", "num_text": "10"}`))
	o := v.(*value.Object)
	return func(name string) any {
		switch name {
		case "$var":
			return o
		case "$input":
			return value.ObjectOf("q", "x&y")
		}
		r, _ := o.Get(name)
		return r
	}
}

func TestExecute(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"text", "plain <text> stays", "plain <text> stays"},
		{"print and escape", "{{ $var.html }} {{ $var.html|raw }} {{ $input.q }}", "&lt;b&gt;bold&lt;/b&gt; <b>bold</b> x&amp;y"},
		{"bare names are stack variables", "{{ name|title }}, {{ name|capitalize }}, {{ name|upper }}", "Ann Lee, Ann lee, ANN LEE"},
		{"undefined is empty", "[{{ nothing }}][{{ nothing.deeper[3] }}]", "[][]"},
		{"for with loop", "{% for item in $var.items %}{{ loop.index }}/{{ loop.length }} {{ item.name }}{% if not loop.last %}, {% endif %}{% endfor %}",
			"1/2 Tea, 2/2 &lt;Cake&gt;"},
		{"for else", "{% for x in empty %}{{ x }}{% else %}none{% endfor %}", "none"},
		{"for key, value", "{% for k, v in tags %}{{ k }}={{ v }};{% endfor %}", "a=1;b=2;"},
		{"if elseif else", "{% for item in items %}{% if item.price > 10 %}dear{% elseif item.price > 4 %}fair{% else %}cheap{% endif %} {% endfor %}", "fair dear "},
		{"whitespace control", "a  {{- 'b' -}}  c {%- if true -%}   d   {%- endif %}", "abcd"},
		{"comments", "a{# a comment {{ x }} #}b", "ab"},
		// As in Twig, a loop has its own scope: what it sets is gone after it.
		{"set", "{% set total = 0 %}{% for i in items %}{% set total = total + i.price %}{{ total }};{% endfor %}{{ total }}", "4.5;16.5;0"},
		{"operators", "{{ 1 + 2 * 3 }} {{ 7 % 3 }} {{ 7 / 2 }} {{ -zero }} {{ 'a' ~ 1 ~ true }} {{ 2 > 1 and 1 > 2 or 'x' == 'x' }}", "7 1 3.5 0 a11 1"},
		{"in", "{{ 'Tea' in ['Tea', 'Milk'] ? 'yes' : 'no' }} {{ 'c' not in 'abc' ? 'yes' : 'no' }}", "yes no"},
		{"nullish", "{{ nothing ?? 'fallback' }} {{ zero ?? 9 }}", "fallback 0"},
		{"loose numbers", "{{ num_text == 10 ? 'eq' : 'ne' }} {{ num_text + 1 }}", "eq 11"},
		{"filters", "{{ items|length }} {{ name|length }} {{ empty|default('none') }} {{ ['a','b']|join(', ') }} {{ items|first|json_encode|raw }} {{ [3,1,2]|sort|join }} {{ 'abcdef'|slice(1, 3) }} {{ [1,2,3,4]|slice(-2)|join }}",
			`2 7 none a, b {"name":"Tea","price":4.5} 123 bcd 34`},
		{"more filters", "{{ n|number_format(2) }} {{ n|number_format(1, ',', '.') }} {{ (-2.5)|abs }} {{ -2.5|abs }} {{ 2.567|round(2) }} {{ 'a,b'|split(',')|last }} {{ 'Hi NAME'|replace({'NAME': name}) }} {{ '<p>x</p>'|striptags }} {{ 'a b'|url_encode }}",
			"1,234,567.89 1.234.567,9 2.5 -2.5 2.57 b Hi ann lee x a+b"},
		{"nl2br escapes first", "{{ text|nl2br }} {{ html|e }}", "line1<br />\nline2 &lt;b&gt;bold&lt;/b&gt;"},
		{"hash and index", "{{ {a: {b: 'deep'}}.a['b'] }} {{ items[1]['price'] }} {{ items.0.name }}", "deep 12 Tea"},
		{"printing values", "[{{ null }}][{{ false }}][{{ true }}][{{ tags|json_encode }}][{{ tags }}]", `[][][1][{&#34;a&#34;:1,&#34;b&#34;:2}][{&#34;a&#34;:1,&#34;b&#34;:2}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tp, err := Parse(tt.src)
			if err != nil {
				t.Fatal(err)
			}
			got, err := tp.Execute(vars())
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for src, want := range map[string]string{
		"{{ x ":                           "template 1:6: expected }}, found end of template",
		"{% if x %}a":                     "expected {% endif %}, found end of template",
		"{% for x in y %}{% endif %}":     "template 1:17: expected {% endfor %}, found {% endif %}",
		"{% endif %}":                     "template 1:1: {% endif %} without its opening tag",
		"a\n  {% include 'x' %}":          "template 2:3: the tag {% include %} is not supported",
		"{{ x|date('Y') }}":               `template 1:6: the filter "date" is not supported`,
		"{{ range(1, 3) }}":               "the function range() is not supported",
		"{{ 'abc }}":                      "unterminated string",
		"{# never closed":                 "unterminated comment",
		"{{ x|join(1, 2) }}":              "the filter join takes 0 to 1 arguments, got 2",
		"{% set x %}":                     "expected = after set x",
		"{{ " + strings.Repeat("(", 300):  "too deeply",
		strings.Repeat("{% if 1 %}", 300): "too deeply",
	} {
		_, err := Parse(src)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%.40q: %v, want %q", src, err, want)
		}
	}
}

func TestRuntimeErrors(t *testing.T) {
	for src, want := range map[string]string{
		"{{ 1 / zero }}":       "template 1:6: division by zero",
		"{{ items + 1 }}":      "+ needs numbers",
		"{{ 'x'|round }}":      "round: needs a number",
		"{{ tags < items }}":   "cannot compare",
		"{{ x|escape('js') }}": "only the html strategy",
	} {
		tp, err := Parse(src)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if _, err := tp.Execute(vars()); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", src, err, want)
		}
	}
}

func TestOutputIsBounded(t *testing.T) {
	big := strings.Repeat("x", 1<<20)
	tp, err := Parse("{% for a in l %}{% for b in l %}{{ big }}{% endfor %}{% endfor %}")
	if err != nil {
		t.Fatal(err)
	}
	l := make([]any, 10)
	_, err = tp.Execute(func(name string) any {
		if name == "big" {
			return big
		}
		return l
	})
	if err != ErrTooLarge {
		t.Fatalf("err %v", err)
	}
}
