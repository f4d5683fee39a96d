package stack

import (
	"errors"
	"math"
	"slices"
	"strings"

	"relaybase"
	"relaybase/stack/twig"
	"relaybase/value"
	"relaybase/xs"
)

// The util.* statements that need no outside service. (util.sleep, util.get_env and the
// util.get_*_input statements are in builtin.go.)

func init() {
	registerStatements(map[string]func(c *compiler, n *xs.Node) execFn{
		"util.set_header":      (*compiler).stmtSetHeader,
		"util.get_vars":        (*compiler).stmtGetVars,
		"util.geo_distance":    (*compiler).stmtGeoDistance,
		"util.template_engine": (*compiler).stmtTemplateEngine,
	})
}

// reservedHeaders are the response headers a stack may not set: they belong to the
// connection and the framing of the response, which the server writes itself.
var reservedHeaders = []string{"connection", "content-length", "keep-alive", "proxy-authenticate",
	"proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"}

// stmtSetHeader compiles util.set_header { value = "Name: value" duplicates = "replace" }:
// a header of the endpoint's response. duplicates "replace" (the default) drops what an
// earlier util.set_header set under the same name; "append" (or "add") adds another line,
// as Set-Cookie needs. Headers go out with a successful response only.
func (c *compiler) stmtSetHeader(n *xs.Node) execFn {
	val, dup := c.expr(attrOf(n, "value")), c.expr(attrOf(n, "duplicates"))
	pos := n.Pos
	return func(f *frame) (ctl, error) {
		v, err := val(f)
		if err != nil {
			return ctlNext, err
		}
		d, err := dup(f)
		if err != nil {
			return ctlNext, err
		}
		line, ok := v.(string)
		name, hv, hasColon := strings.Cut(line, ":")
		name, hv = strings.TrimSpace(name), strings.TrimSpace(hv)
		if !ok || !hasColon || !validHeaderName(name) || strings.ContainsAny(hv, "\r\n\x00") {
			return ctlNext, errorAt(pos, "util.set_header value must be a text \"Name: value\" on one line, got %s", describe(v))
		}
		if slices.Contains(reservedHeaders, strings.ToLower(name)) {
			return ctlNext, errorAt(pos, "util.set_header cannot set %s: the server writes it", name)
		}
		replace := true
		switch mode := value.ToText(d); mode {
		case "", "replace":
		case "append", "add":
			replace = false
		default:
			return ctlNext, errorAt(pos, "util.set_header duplicates must be replace or append, got %q", mode)
		}
		r := f.r
		if replace {
			r.headers = slices.DeleteFunc(r.headers, func(h [2]string) bool { return strings.EqualFold(h[0], name) })
		}
		r.headers = append(r.headers, [2]string{name, hv})
		return ctlNext, nil
	}
}

// validHeaderName reports whether s is an HTTP token (RFC 9110 field-name).
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// stmtGetVars compiles util.get_vars as $vars: every variable of the stack so far, as an
// object (what $var reads, in the order the variables were first seen).
func (c *compiler) stmtGetVars(n *xs.Node) execFn {
	as := c.as(n)
	if as == nil {
		return nop
	}
	all := c.expr(&xs.Var{Pos: n.Pos, Name: "$var"})
	return func(f *frame) (ctl, error) {
		v, err := all(f)
		if err != nil {
			return ctlNext, err
		}
		as(f, v)
		return ctlNext, nil
	}
}

// earthRadius is the mean radius of the Earth in metres (IUGG).
const earthRadius = 6371008.8

// stmtGeoDistance compiles util.geo_distance { latitude_1 longitude_1 latitude_2
// longitude_2 } as $metres: the great-circle distance between two points, in metres, by
// the haversine formula on a sphere of the Earth's mean radius.
func (c *compiler) stmtGeoDistance(n *xs.Node) execFn {
	keys := []string{"latitude_1", "longitude_1", "latitude_2", "longitude_2"}
	var ev [4]evalFn
	for i, k := range keys {
		if attrOf(n, k) == nil {
			c.errorf(n.Pos, "util.geo_distance needs %s", k)
		}
		ev[i] = c.expr(attrOf(n, k))
	}
	pos := n.Pos
	return c.result(n, func(f *frame) (any, error) {
		var deg [4]float64
		for i, e := range ev {
			v, err := e(f)
			if err != nil {
				return nil, err
			}
			x, ok := value.AsFloat(v)
			limit := 180.0
			if i%2 == 0 {
				limit = 90
			}
			if !ok || math.IsNaN(x) || math.Abs(x) > limit {
				return nil, errorAt(pos, "util.geo_distance %s must be a number of degrees within ±%g, got %s", keys[i], limit, describe(v))
			}
			deg[i] = x * math.Pi / 180
		}
		lat1, lon1, lat2, lon2 := deg[0], deg[1], deg[2], deg[3]
		h := math.Pow(math.Sin((lat2-lat1)/2), 2) + math.Cos(lat1)*math.Cos(lat2)*math.Pow(math.Sin((lon2-lon1)/2), 2)
		d := 2 * earthRadius * math.Asin(math.Min(1, math.Sqrt(h)))
		return d, nil
	})
}

// stmtTemplateEngine compiles util.template_engine { value = """...""" } as $text: the
// template (a subset of Twig, package twig) rendered with the stack's variables: $var,
// $input, $env, $auth, and bare names for stack variables. A constant template is parsed
// once, here, so its syntax errors are load errors. Values reach the template with
// their secrets (password fields) removed, as when they leave the stack.
func (c *compiler) stmtTemplateEngine(n *xs.Node) execFn {
	e := attrOf(n, "value")
	if e == nil {
		c.errorf(n.Pos, "util.template_engine needs value = \"\"\"...\"\"\"")
		return nop
	}
	var fixed *twig.Template
	if src, ok := c.constText(e); ok {
		t, err := twig.Parse(src)
		if err != nil {
			c.errorf(e.Position(), "util.template_engine: %v", err)
			return nop
		}
		fixed = t
	}
	val := c.expr(e)
	varAll := c.expr(&xs.Var{Pos: n.Pos, Name: "$var"})
	pos := n.Pos
	return c.result(n, func(f *frame) (any, error) {
		t := fixed
		if t == nil {
			v, err := val(f)
			if err != nil {
				return nil, err
			}
			src, ok := v.(string)
			if !ok {
				return nil, errorAt(pos, "util.template_engine value must be a text, got %s", value.TypeName(v))
			}
			if t, err = twig.Parse(src); err != nil {
				return nil, errorAt(pos, "util.template_engine: %v", err)
			}
		}
		seen := map[string]any{}
		var failed error
		resolve := func(name string) any {
			if v, ok := seen[name]; ok {
				return v
			}
			var v any
			switch name {
			case "$var":
				v, failed = varAll(f)
			case "$input":
				v = f.input
			case "$env":
				v = f.r.envValue()
			case "$auth":
				v = authValue(f)
			default:
				if i, ok := f.u.slots[name]; ok {
					v = f.slots[i]
				}
			}
			v = f.r.strip(v, false)
			seen[name] = v
			return v
		}
		out, err := t.Execute(resolve)
		if err == nil {
			err = failed
		}
		if err != nil {
			if errors.Is(err, twig.ErrTooLarge) {
				return nil, errorAt(pos, "util.template_engine: the text would pass %d MiB", twig.MaxOutput>>20)
			}
			var re *relaybase.Error
			if errors.As(err, &re) {
				return nil, err
			}
			return nil, errorAt(pos, "util.template_engine: %v", err)
		}
		return out, nil
	})
}
