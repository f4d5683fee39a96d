package twig

import (
	"testing"
)

// FuzzTemplate: Parse never panics, and a template it accepts runs without panicking
// (errors are fine).
func FuzzTemplate(f *testing.F) {
	for _, s := range []string{
		"Hello {{ $var.name|capitalize }}!",
		"{% for item in $var.items %}{{ loop.index }}. {{ item.name }}{% else %}none{% endfor %}",
		"{% if a > 1 and not b %}x{% elseif c in [1, 2] %}y{% else %}z{% endif %}",
		"{% set t = 0 %}{{ t + 1 ~ 'a' ?? 'b' }}{{- x|default('d')|upper -}}",
		"{{ {a: [1, 2.5, 'x', \"y\"]}.a[1]|round(1)|number_format(2, ',', '.') }}",
		"{# c #}{{ x ? y : z }}{{ -1|abs }}{{ 'a'|slice(-1) }}",
		"{{", "{%", "{#", "}}", "{{ }}", "{% if %}", "{{ x|", "{{ 'a",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		tp, err := Parse(src)
		if err != nil {
			return
		}
		_, _ = tp.Execute(func(name string) any { return []any{int64(1), "two", nil} })
	})
}
