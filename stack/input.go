package stack

import (
	"errors"
	"fmt"
	"math"
	"net/mail"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"relaybase"
	"relaybase/value"
	"relaybase/xs"
)

// inputDecl is one compiled input declaration.
type inputDecl struct {
	name     string
	typ      string
	nullable bool
	optional bool
	array    bool
	arrayMin int
	arrayMax int // -1: none
	def      evalFn
	defConst any
	values   []string     // enum
	table    string       // foreign key
	schema   []*inputDecl // object
	filters  []inputFilter
	secret   bool // password type, or sensitive = true
}

// inputFilter is one of `filters=trim|min:1|...`. Transforms change the value; checks
// return an error message ("" when the value passes).
type inputFilter struct {
	name      string
	transform func(s string) string
	check     func(v any) string
	countable bool // min/max: applies to an array's count, not its elements
}

var inputTypes = map[string]bool{
	"text": true, "int": true, "decimal": true, "bool": true, "email": true, "password": true,
	"timestamp": true, "date": true, "uuid": true, "json": true, "enum": true, "object": true,
	"file": true, "image": true, "video": true, "audio": true, "attachment": true,
}

// inputs compiles the field declarations of an input block (or an object's schema).
// prefix names nested params in errors ("address.city").
func (c *compiler) inputs(b *xs.Block, prefix string) []*inputDecl {
	if b == nil {
		return nil
	}
	var out []*inputDecl
	for _, n := range b.Nodes {
		if n.Disabled {
			continue
		}
		if n.Field == nil {
			if n.Keyword == "dblink" {
				c.unsupported(n.Pos, "input dblink")
			} else {
				c.errorf(n.Pos, "an input block holds field declarations, not %s", n.Keyword)
			}
			continue
		}
		if d := c.inputDecl(n, prefix); d != nil {
			out = append(out, d)
		}
	}
	return out
}

// xanoOnlyTypes are Xano's input types that relaybase does not run (files and geometry):
// a workspace using them is valid XanoScript, reported as unsupported; any other unknown
// type is an error.
var xanoOnlyTypes = map[string]bool{
	"vector":    true,
	"geo_point": true, "geo_multipoint": true, "geo_linestring": true, "geo_multilinestring": true,
	"geo_polygon": true, "geo_multipolygon": true,
}

func (c *compiler) inputDecl(n *xs.Node, prefix string) *inputDecl {
	fd := n.Field
	typ := strings.ToLower(fd.Type)
	if typ == "string" || typ == "integer" || typ == "boolean" {
		c.errorf(n.Pos, "input %s: XanoScript has no type %q", fd.Name, fd.Type)
		return nil
	}
	if !inputTypes[typ] {
		if xanoOnlyTypes[typ] {
			c.unsupported(n.Pos, "input type "+fd.Type)
		} else {
			c.errorf(n.Pos, "input %s: unknown type %q (want text, int, decimal, bool, email, password, timestamp, date, uuid, json, enum, object, file, image, video, audio or attachment)", fd.Name, fd.Type)
		}
		return nil
	}
	d := &inputDecl{
		name: fd.Name, typ: typ, nullable: fd.Nullable, optional: fd.Optional, array: fd.Array,
		arrayMin: fd.ArrayMin, arrayMax: fd.ArrayMax, secret: typ == "password",
	}
	if !fd.Array {
		d.arrayMax = -1
	}
	if fd.Default != nil {
		d.optional = true
		if v, ok := c.constValue(fd.Default); ok {
			d.defConst = v
		}
		if hasVar(fd.Default) {
			// Inputs are checked before the stack runs: no variable exists yet.
			c.errorf(fd.Default.Position(), "input %s: a default cannot use variables", fd.Name)
		} else {
			d.def = c.expr(fd.Default)
		}
	}
	if v, ok := c.constValue(attrOf(n, "sensitive")); ok && value.Truthy(v) {
		d.secret = true
	}
	if ref, ok := c.constText(attrOf(n, "table")); ok && ref != "" {
		if t, ok := c.ws.Table(ref); ok {
			d.table = t.Name
		} else {
			c.errorf(n.Pos, "input %s: table %q does not exist", fd.Name, ref)
		}
	}
	if typ == "enum" {
		v, _ := c.constValue(attrOf(n, "values"))
		list, ok := v.([]any)
		if !ok || len(list) == 0 {
			c.errorf(n.Pos, "enum input %s needs values = [...]", fd.Name)
		}
		for _, e := range list {
			d.values = append(d.values, value.ToText(e))
		}
	}
	if typ == "object" && n.Body != nil {
		if s := n.Body.Node("schema"); s != nil {
			d.schema = c.inputs(s.Body, prefix+fd.Name+".")
		}
	}
	for _, fc := range fd.Filters {
		if f, ok := c.inputFilter(fc, typ); ok {
			d.filters = append(d.filters, f)
		}
	}
	return d
}

// inputFilter compiles one input filter. min/max measure text by its length in
// characters, numbers by value, arrays by count.
func (c *compiler) inputFilter(fc *xs.FilterCall, typ string) (inputFilter, bool) {
	arg := func() (any, bool) {
		if len(fc.Args) != 1 {
			c.errorf(fc.Pos, "input filter %s takes one argument", fc.Name)
			return nil, false
		}
		v, ok := c.constValue(fc.Args[0])
		if !ok {
			c.errorf(fc.Pos, "input filter %s needs a constant argument", fc.Name)
		}
		return v, ok
	}
	num := func() (float64, bool) {
		v, ok := arg()
		if !ok {
			return 0, false
		}
		if s, isText := v.(string); isText {
			if n, err := strconv.ParseFloat(s, 64); err == nil {
				return n, true
			}
		}
		f, ok := value.AsFloat(v)
		if !ok {
			c.errorf(fc.Pos, "input filter %s needs a number", fc.Name)
		}
		return f, ok
	}
	text := func() (string, bool) {
		v, ok := arg()
		if !ok {
			return "", false
		}
		return value.ToText(v), true
	}
	charCount := func(pred func(rune) bool, what string) (inputFilter, bool) {
		n, ok := num()
		return inputFilter{name: fc.Name, check: func(v any) string {
			s, _ := v.(string)
			k := 0
			for _, r := range s {
				if pred(r) {
					k++
				}
			}
			if float64(k) < n {
				return fmt.Sprintf("needs at least %s %s", value.FormatFloat(n), what)
			}
			return ""
		}}, ok
	}
	onlyChars := func(allowed func(rune) bool, what string) (inputFilter, bool) {
		return inputFilter{name: fc.Name, check: func(v any) string {
			s, _ := v.(string)
			for _, r := range s {
				if !allowed(r) {
					return "may contain only " + what
				}
			}
			return ""
		}}, true
	}
	switch fc.Name {
	case "trim":
		return inputFilter{name: fc.Name, transform: strings.TrimSpace}, true
	case "ltrim":
		return inputFilter{name: fc.Name, transform: func(s string) string { return strings.TrimLeftFunc(s, unicode.IsSpace) }}, true
	case "rtrim":
		return inputFilter{name: fc.Name, transform: func(s string) string { return strings.TrimRightFunc(s, unicode.IsSpace) }}, true
	case "lower", "to_lower":
		return inputFilter{name: fc.Name, transform: strings.ToLower}, true
	case "upper", "to_upper":
		return inputFilter{name: fc.Name, transform: strings.ToUpper}, true
	case "min", "max":
		n, ok := num()
		isMin := fc.Name == "min"
		return inputFilter{name: fc.Name, countable: true, check: func(v any) string {
			var m float64
			what := ""
			switch t := v.(type) {
			case string:
				m, what = float64(utf8.RuneCountInString(t)), "length"
			case []any:
				m, what = float64(len(t)), "number of items"
			case int64, float64:
				m, _ = value.AsFloat(t)
				what = "value"
			default:
				return ""
			}
			if isMin && m < n {
				return fmt.Sprintf("%s must be at least %s", what, value.FormatFloat(n))
			}
			if !isMin && m > n {
				return fmt.Sprintf("%s must be at most %s", what, value.FormatFloat(n))
			}
			return ""
		}}, ok
	case "ok":
		set, ok := text()
		if !ok {
			return inputFilter{}, false
		}
		return onlyChars(func(r rune) bool { return strings.ContainsRune(set, r) }, "the characters "+strconv.Quote(set))
	case "alphaOk":
		return onlyChars(func(r rune) bool { return r < 128 && unicode.IsLetter(r) }, "letters")
	case "digitOk":
		return onlyChars(func(r rune) bool { return r >= '0' && r <= '9' }, "digits")
	case "alphaNumOk":
		return onlyChars(func(r rune) bool { return r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)) }, "letters and digits")
	case "prevent":
		bad, ok := text()
		return inputFilter{name: fc.Name, check: func(v any) string {
			if s, _ := v.(string); bad != "" && strings.Contains(s, bad) {
				return "may not contain " + strconv.Quote(bad)
			}
			return ""
		}}, ok
	case "startsWith":
		pre, ok := text()
		return inputFilter{name: fc.Name, check: func(v any) string {
			if s, _ := v.(string); !strings.HasPrefix(s, pre) {
				return "must start with " + strconv.Quote(pre)
			}
			return ""
		}}, ok
	case "pattern":
		p, ok := text()
		if !ok {
			return inputFilter{}, false
		}
		re, err := regexp.Compile(p)
		if err != nil {
			c.errorf(fc.Pos, "input filter pattern: %v", err)
			return inputFilter{}, false
		}
		return inputFilter{name: fc.Name, check: func(v any) string {
			if s, _ := v.(string); !re.MatchString(s) {
				return "does not match the expected pattern"
			}
			return ""
		}}, true
	case "minAlpha":
		return charCount(func(r rune) bool { return r < 128 && unicode.IsLetter(r) }, "letters")
	case "minLowerAlpha":
		return charCount(func(r rune) bool { return r >= 'a' && r <= 'z' }, "lowercase letters")
	case "minUpperAlpha":
		return charCount(func(r rune) bool { return r >= 'A' && r <= 'Z' }, "uppercase letters")
	case "minDigit":
		return charCount(func(r rune) bool { return r >= '0' && r <= '9' }, "digits")
	case "minSymbol":
		return charCount(func(r rune) bool {
			return r < 128 && !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsSpace(r)
		}, "symbols")
	}
	c.unsupported(fc.Pos, "input filter "+fc.Name)
	return inputFilter{}, false
}

// applyInputs checks and coerces raw inputs against their declarations and returns the
// $input object: declared names only (extra inputs are ignored), missing optional inputs
// as their default or null.
func (r *run) applyInputs(decls []*inputDecl, raw *value.Object, prefix string) (*value.Object, error) {
	in := value.NewObject(len(decls))
	for _, d := range decls {
		param := prefix + d.name
		v, present := raw.Get(d.name)
		if s, ok := v.(string); ok && s == "" && !isTextType(d.typ) {
			// An empty query or form value for a number, bool, ... means "not given".
			v, present = nil, false
		}
		if !present || (v == nil && !d.nullable) {
			switch {
			case d.def != nil:
				dv, err := r.defaultValue(d)
				if err != nil {
					return nil, err
				}
				in.Set(d.name, dv)
				continue
			case present && !d.optional:
				return nil, relaybase.InputError(param, "Invalid value for param %s: it cannot be null.", param)
			case d.optional:
				in.Set(d.name, nil)
				continue
			default:
				return nil, relaybase.InputError(param, "Missing param: %s", param)
			}
		}
		cv, err := r.inputValue(d, v, param)
		if err != nil {
			return nil, err
		}
		in.Set(d.name, cv)
	}
	return in, nil
}

func (r *run) defaultValue(d *inputDecl) (any, error) {
	if d.defConst != nil {
		return d.defConst, nil
	}
	v, err := d.def(&frame{r: r})
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, nil
	}
	return r.inputValue(d, v, d.name)
}

// inputValue coerces one present input value (and runs its filters).
func (r *run) inputValue(d *inputDecl, v any, param string) (any, error) {
	if v == nil {
		return nil, nil
	}
	if !d.array {
		return r.inputScalar(d, v, param)
	}
	var list []any
	switch t := v.(type) {
	case []any:
		list = t
	case string:
		// A query string may carry a JSON array.
		if dv, err := value.DecodeJSON([]byte(t)); err == nil {
			if a, ok := dv.([]any); ok {
				list = a
				break
			}
		}
		list = []any{t}
	case *value.Object:
		if l, ok := indexedList(t); ok {
			list = l
			break
		}
		list = []any{t}
	default:
		list = []any{t}
	}
	out := make([]any, len(list))
	for i, e := range list {
		ep := param + "." + strconv.Itoa(i)
		if e == nil {
			if !d.nullable {
				return nil, relaybase.InputError(param, "Invalid value for param %s: items cannot be null.", param)
			}
			continue
		}
		cv, err := r.inputScalar(d, e, ep)
		if err != nil {
			return nil, err
		}
		out[i] = cv
	}
	if len(out) < d.arrayMin {
		return nil, relaybase.InputError(param, "Invalid value for param %s: needs at least %d items.", param, d.arrayMin)
	}
	if d.arrayMax >= 0 && len(out) > d.arrayMax {
		return nil, relaybase.InputError(param, "Invalid value for param %s: takes at most %d items.", param, d.arrayMax)
	}
	for _, f := range d.filters {
		if f.countable {
			if msg := f.check(out); msg != "" {
				return nil, relaybase.InputError(param, "Invalid value for param %s: %s.", param, msg)
			}
		}
	}
	return out, nil
}

// indexedList reads an object whose keys are all array indexes ({"0": a, "1": b}, what a
// query string's o[0][k]=v gives) as the array of its members in index order.
func indexedList(o *value.Object) ([]any, bool) {
	if o.Len() == 0 {
		return nil, false
	}
	idx := make([]int, 0, o.Len())
	for _, k := range o.Keys() {
		i, err := strconv.Atoi(k)
		if err != nil || i < 0 || strconv.Itoa(i) != k {
			return nil, false
		}
		idx = append(idx, i)
	}
	sort.Ints(idx)
	list := make([]any, len(idx))
	for n, i := range idx {
		list[n], _ = o.Get(strconv.Itoa(i))
	}
	return list, true
}

func (r *run) inputScalar(d *inputDecl, v any, param string) (any, error) {
	var cv any
	var err error
	switch d.typ {
	case "object":
		o, isObj := v.(*value.Object)
		if s, isText := v.(string); isText {
			if dv, derr := value.DecodeJSON([]byte(s)); derr == nil {
				o, isObj = dv.(*value.Object)
			}
		}
		if !isObj {
			return nil, relaybase.InputError(param, "Invalid value for param %s: expected an object.", param)
		}
		if len(d.schema) == 0 {
			return o, nil
		}
		return r.applyInputs(d.schema, o, param+".")
	case "enum":
		s, isText := v.(string)
		if !isText {
			s = value.ToText(v)
		}
		s = applyTransforms(d.filters, s)
		for _, ok := range d.values {
			if s == ok {
				return s, nil
			}
		}
		return nil, relaybase.InputError(param, "Invalid value for param %s: must be one of %s.", param, strings.Join(d.values, ", "))
	case "json":
		if s, ok := v.(string); ok {
			if dv, derr := value.DecodeJSON([]byte(s)); derr == nil {
				return dv, nil
			}
		}
		return v, nil
	case "file", "image", "video", "audio", "attachment":
		return r.fileInput(v, param)
	}
	if s, ok := v.(string); ok && isTextType(d.typ) {
		v = applyTransforms(d.filters, s)
	}
	cv, err = coerceScalar(d.typ, v)
	if err != nil {
		return nil, relaybase.InputError(param, "Invalid value for param %s: %v.", param, err)
	}
	if s, ok := cv.(string); ok && s == "" && !d.optional && isTextType(d.typ) {
		return nil, relaybase.InputError(param, "Missing param: %s", param)
	}
	for _, f := range d.filters {
		if f.check == nil || (f.countable && d.array) {
			continue
		}
		if msg := f.check(cv); msg != "" {
			return nil, relaybase.InputError(param, "Invalid value for param %s: %s.", param, msg)
		}
	}
	return cv, nil
}

func isTextType(t string) bool {
	switch t {
	case "text", "email", "password", "uuid", "date":
		return true
	}
	return false
}

func applyTransforms(fs []inputFilter, s string) string {
	for _, f := range fs {
		if f.transform != nil {
			s = f.transform(s)
		}
	}
	return s
}

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// coerceScalar converts v to a scalar type: text, int, decimal, bool, email, password,
// timestamp, date, uuid (json, enum and object pass through). Text from a query string
// or a form converts ("5" → 5, "true"/"1" → true, ISO 8601 → ms).
func coerceScalar(typ string, v any) (any, error) {
	switch typ {
	case "text", "password":
		switch t := v.(type) {
		case string:
			return t, nil
		case int64, float64, bool:
			return value.ToText(t), nil
		}
		return nil, fmt.Errorf("expected text, got %s", value.TypeName(v))
	case "int":
		switch t := v.(type) {
		case int64:
			return t, nil
		case float64:
			if t == math.Trunc(t) && math.Abs(t) < 1<<63 {
				return int64(t), nil
			}
		case string:
			s := strings.TrimSpace(t)
			if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				return n, nil
			}
			if f, err := strconv.ParseFloat(s, 64); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<63 {
				return int64(f), nil
			}
		}
		return nil, fmt.Errorf("expected an integer, got %s", describe(v))
	case "decimal":
		switch t := v.(type) {
		case int64:
			return float64(t), nil
		case float64:
			return t, nil
		case string:
			if f, err := strconv.ParseFloat(strings.TrimSpace(t), 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
				return f, nil
			}
		}
		return nil, fmt.Errorf("expected a number, got %s", describe(v))
	case "bool":
		switch t := v.(type) {
		case bool:
			return t, nil
		case int64:
			if t == 0 || t == 1 {
				return t == 1, nil
			}
		case string:
			switch strings.ToLower(strings.TrimSpace(t)) {
			case "true", "1":
				return true, nil
			case "false", "0":
				return false, nil
			}
		}
		return nil, fmt.Errorf("expected true or false, got %s", describe(v))
	case "email":
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("expected an email address, got %s", value.TypeName(v))
		}
		if a, err := mail.ParseAddress(s); err != nil || a.Address != s || !strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".") {
			return nil, errors.New("not a valid email address")
		}
		return s, nil
	case "uuid":
		s, ok := v.(string)
		if !ok || !uuidRE.MatchString(s) {
			return nil, fmt.Errorf("expected a UUID, got %s", describe(v))
		}
		return strings.ToLower(s), nil
	case "timestamp":
		return toTimestamp(v)
	case "date":
		return toDate(v)
	}
	return v, nil
}

func describe(v any) string {
	if s, ok := v.(string); ok {
		if len(s) > 40 {
			s = s[:40] + "…"
		}
		return strconv.Quote(s)
	}
	return value.TypeName(v)
}

var timeLayouts = []string{
	time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05-0700", "2006-01-02T15:04:05-0700", "2006-01-02 15:04:05", "2006-01-02",
}

// toTimestamp reads milliseconds since the epoch, or ISO 8601 text (UTC unless it says).
func toTimestamp(v any) (any, error) {
	switch t := v.(type) {
	case int64:
		return t, nil
	case float64:
		// NaN, infinities and numbers past int64 have no int64: converting them anyway
		// gives an arbitrary number (on amd64, the smallest int64).
		if t >= -(1<<63) && t < 1<<63 {
			return int64(t), nil
		}
	case string:
		s := strings.TrimSpace(t)
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n, nil
		}
		for _, l := range timeLayouts {
			if tm, err := time.Parse(l, s); err == nil {
				return tm.UnixMilli(), nil
			}
		}
	}
	return nil, fmt.Errorf("expected a timestamp (milliseconds or ISO 8601), got %s", describe(v))
}

// toDate reads "YYYY-MM-DD", an ISO 8601 date-time, or milliseconds, as "YYYY-MM-DD".
func toDate(v any) (any, error) {
	if s, ok := v.(string); ok {
		s = strings.TrimSpace(s)
		if tm, err := time.Parse("2006-01-02", s); err == nil {
			return tm.Format("2006-01-02"), nil
		}
	}
	ms, err := toTimestamp(v)
	if err != nil {
		return nil, fmt.Errorf("expected a date (YYYY-MM-DD), got %s", describe(v))
	}
	tm := time.UnixMilli(ms.(int64)).UTC()
	if y := tm.Year(); y < 0 || y > 9999 {
		// Outside these years, Format writes no YYYY-MM-DD ("-3166904-02-24").
		return nil, fmt.Errorf("expected a date (YYYY-MM-DD) between the years 0 and 9999, got %s", describe(v))
	}
	return tm.Format("2006-01-02"), nil
}

// coerceField converts a value written to a table field to the field's type.
func coerceField(fd *relaybase.Field, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	if fd.Array {
		list, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("expected an array, got %s", value.TypeName(v))
		}
		out := make([]any, len(list))
		for i, e := range list {
			if e == nil {
				continue
			}
			cv, err := coerceField(&relaybase.Field{Name: fd.Name, Type: fd.Type, Values: fd.Values}, e)
			if err != nil {
				return nil, err
			}
			out[i] = cv
		}
		return out, nil
	}
	switch fd.Type {
	case relaybase.TypeJSON, relaybase.TypeObject:
		return v, nil
	case relaybase.TypeEnum:
		s := value.ToText(v)
		if len(fd.Values) == 0 {
			return s, nil
		}
		for _, ok := range fd.Values {
			if s == ok {
				return s, nil
			}
		}
		return nil, fmt.Errorf("%q is not one of %s", s, strings.Join(fd.Values, ", "))
	}
	return coerceScalar(string(fd.Type), v)
}

// isPasswordHash recognises the hashes Passwords produces (argon2) and the bcrypt hashes
// it still verifies, so a hash is never hashed again and never leaves the stack.
func isPasswordHash(s string) bool {
	switch {
	case strings.HasPrefix(s, "$argon2id$"), strings.HasPrefix(s, "$argon2i$"), strings.HasPrefix(s, "$argon2d$"):
		return len(s) > 30
	case strings.HasPrefix(s, "$2a$"), strings.HasPrefix(s, "$2b$"), strings.HasPrefix(s, "$2y$"):
		return len(s) == 60
	}
	return false
}

// describeInputs is the public form of the declarations.
func describeInputs(ds []*inputDecl) []Input {
	var out []Input
	for _, d := range ds {
		in := Input{
			Name: d.name, Type: d.typ, Required: !d.optional, Nullable: d.nullable, Array: d.array,
			Default: d.defConst, Values: d.values, Table: d.table, Fields: describeInputs(d.schema),
		}
		out = append(out, in)
	}
	return out
}

// hasVar reports whether an expression reads any variable.
func hasVar(e xs.Expr) bool {
	switch x := e.(type) {
	case *xs.Var:
		return true
	case *xs.Member:
		return hasVar(x.X)
	case *xs.Index:
		return hasVar(x.X) || hasVar(x.Index)
	case *xs.Unary:
		return hasVar(x.X)
	case *xs.Binary:
		return hasVar(x.X) || hasVar(x.Y)
	case *xs.Ternary:
		return hasVar(x.Cond) || hasVar(x.Then) || hasVar(x.Else)
	case *xs.Filter:
		if hasVar(x.X) {
			return true
		}
		for _, a := range x.Call.Args {
			if hasVar(a) {
				return true
			}
		}
	case *xs.Paren:
		return hasVar(x.X)
	case *xs.ObjectLit:
		for _, v := range x.Values {
			if hasVar(v) {
				return true
			}
		}
	case *xs.ArrayLit:
		for _, v := range x.Elems {
			if hasVar(v) {
				return true
			}
		}
	case *xs.Call:
		for _, a := range x.Args {
			if hasVar(a) {
				return true
			}
		}
	}
	return false
}
