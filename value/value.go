package value

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Object is an ordered map from text keys to values. The zero value is an empty object
// ready to use. It is not safe for concurrent mutation.
type Object struct {
	keys []string
	vals map[string]any
}

// NewObject returns an empty object with room for n members.
func NewObject(n int) *Object {
	return &Object{keys: make([]string, 0, n), vals: make(map[string]any, n)}
}

// ObjectOf builds an object from alternating keys and values: ObjectOf("a", 1, "b", 2).
func ObjectOf(kv ...any) *Object {
	o := NewObject(len(kv) / 2)
	for i := 0; i+1 < len(kv); i += 2 {
		o.Set(kv[i].(string), kv[i+1])
	}
	return o
}

// Len reports the number of members.
func (o *Object) Len() int {
	if o == nil {
		return 0
	}
	return len(o.keys)
}

// Keys returns the keys in order. The slice must not be modified.
func (o *Object) Keys() []string {
	if o == nil {
		return nil
	}
	return o.keys
}

// Get returns the member's value and whether it is present.
func (o *Object) Get(key string) (any, bool) {
	if o == nil || o.vals == nil {
		return nil, false
	}
	v, ok := o.vals[key]
	return v, ok
}

// Has reports whether key is a member.
func (o *Object) Has(key string) bool {
	_, ok := o.Get(key)
	return ok
}

// Set adds or replaces a member; a new key goes to the end.
func (o *Object) Set(key string, v any) {
	if o.vals == nil {
		o.vals = make(map[string]any)
	}
	if _, ok := o.vals[key]; !ok {
		o.keys = append(o.keys, key)
	}
	o.vals[key] = v
}

// Delete removes a member if present.
func (o *Object) Delete(key string) {
	if o == nil || o.vals == nil {
		return
	}
	if _, ok := o.vals[key]; !ok {
		return
	}
	delete(o.vals, key)
	for i, k := range o.keys {
		if k == key {
			o.keys = append(o.keys[:i:i], o.keys[i+1:]...)
			break
		}
	}
}

// Clone returns a shallow copy: the object is new, member values are shared.
func (o *Object) Clone() *Object {
	if o == nil {
		return NewObject(0)
	}
	c := NewObject(len(o.keys))
	for _, k := range o.keys {
		c.Set(k, o.vals[k])
	}
	return c
}

// MarshalJSON encodes the object with its keys in order.
func (o *Object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	if err := encode(&b, o); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// UnmarshalJSON decodes a JSON object, keeping key order and integer-ness.
func (o *Object) UnmarshalJSON(data []byte) error {
	v, err := DecodeJSON(data)
	if err != nil {
		return err
	}
	obj, ok := v.(*Object)
	if !ok {
		return errors.New("value: JSON is not an object")
	}
	*o = *obj
	return nil
}

// Clone deep-copies a value, so a stack can change its copy without touching the original.
func Clone(v any) any {
	switch t := v.(type) {
	case *Object:
		c := NewObject(t.Len())
		for _, k := range t.Keys() {
			c.Set(k, Clone(t.vals[k]))
		}
		return c
	case []any:
		c := make([]any, len(t))
		for i, e := range t {
			c[i] = Clone(e)
		}
		return c
	default:
		return v
	}
}

// MaxDepth is how deeply arrays and objects may nest in JSON that DecodeJSON reads, the
// same limit as encoding/json's. DecodeJSON recurses once per level, and input comes from
// anyone: without a limit, 8 MiB of "[" would exhaust the goroutine's stack, which is a
// fatal error that no recover catches, taking the whole process down.
const MaxDepth = 10000

// DecodeJSON parses JSON text into a value: objects become *Object (key order kept),
// numbers without a fraction or exponent that fit in int64 become int64, others float64.
// Arrays and objects nested deeper than MaxDepth are an error.
func DecodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("invalid JSON: data after the value")
	}
	return v, nil
}

func decodeValue(dec *json.Decoder, depth int) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	switch t := tok.(type) {
	case json.Delim:
		if depth++; depth > MaxDepth {
			return nil, fmt.Errorf("invalid JSON: nested deeper than %d levels", MaxDepth)
		}
		switch t {
		case '{':
			o := NewObject(4)
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, fmt.Errorf("invalid JSON: %w", err)
				}
				k, _ := kt.(string)
				v, err := decodeValue(dec, depth)
				if err != nil {
					return nil, err
				}
				o.Set(k, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, fmt.Errorf("invalid JSON: %w", err)
			}
			return o, nil
		case '[':
			a := []any{}
			for dec.More() {
				v, err := decodeValue(dec, depth)
				if err != nil {
					return nil, err
				}
				a = append(a, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, fmt.Errorf("invalid JSON: %w", err)
			}
			return a, nil
		}
		return nil, errors.New("invalid JSON: unexpected delimiter")
	case json.Number:
		return ParseNumber(string(t))
	case string, bool, nil:
		return t, nil
	}
	return nil, fmt.Errorf("invalid JSON: unexpected token %v", tok)
}

// ParseNumber turns number text into int64 when it is integral and fits, else float64.
func ParseNumber(s string) (any, error) {
	if !strings.ContainsAny(s, ".eE") {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i, nil
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, fmt.Errorf("invalid number %q", s)
	}
	return f, nil
}

// MaxEncoded is the largest JSON encoding EncodeJSON and AppendJSON produce: past it they
// stop with ErrTooLarge. A stack can build, in a few cheap steps, a value whose encoding is
// astronomically large (an array holding itself twice, forty times over, is 2^40 leaves
// sharing one slice); without a bound, encoding the response would take all memory.
const MaxEncoded = 64 << 20

// ErrTooLarge is returned by EncodeJSON and AppendJSON for a value whose encoding would
// exceed MaxEncoded.
var ErrTooLarge = errors.New("value: the JSON encoding is larger than 64 MiB")

// EncodeJSON encodes a value as compact JSON. HTML characters are not escaped: the output is
// data for programs, and pages must escape what they render.
func EncodeJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	if err := encode(&b, v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// AppendJSON appends the JSON encoding of v to dst.
func AppendJSON(dst []byte, v any) ([]byte, error) {
	b := bytes.NewBuffer(dst)
	err := encode(b, v)
	return b.Bytes(), err
}

func encode(b *bytes.Buffer, v any) error { return encodeMax(b, v, MaxEncoded) }

// encodeMax encodes v, failing with ErrTooLarge once b holds more than max bytes.
func encodeMax(b *bytes.Buffer, v any, max int) error {
	if b.Len() > max {
		return ErrTooLarge
	}
	switch t := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if t {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case int64:
		b.WriteString(strconv.FormatInt(t, 10))
	case int:
		b.WriteString(strconv.Itoa(t))
	case float64:
		if math.IsNaN(t) || math.IsInf(t, 0) {
			b.WriteString("null")
			return nil
		}
		b.WriteString(FormatFloat(t))
	case string:
		encodeString(b, t)
		if b.Len() > max {
			return ErrTooLarge
		}
	case []any:
		b.WriteByte('[')
		for i, e := range t {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := encodeMax(b, e, max); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case *Object:
		if t == nil {
			b.WriteString("null")
			return nil
		}
		b.WriteByte('{')
		for i, k := range t.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			encodeString(b, k)
			b.WriteByte(':')
			if err := encodeMax(b, t.vals[k], max); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	case json.RawMessage:
		b.Write(t)
	default:
		data, err := json.Marshal(t)
		if err != nil {
			return err
		}
		b.Write(data)
	}
	return nil
}

const hexDigits = "0123456789abcdef"

func encodeString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c != 0x7f {
			continue
		}
		b.WriteString(s[start:i])
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			b.WriteString(`\u00`)
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&0xf])
		}
		start = i + 1
	}
	// Invalid UTF-8 and U+2028/2029 pass through strings.ToValidUTF8 so output is always valid JSON text.
	rest := s[start:]
	if !isValidUTF8(rest) {
		rest = strings.ToValidUTF8(rest, "\uFFFD")
	}
	b.WriteString(rest)
	b.WriteByte('"')
}

func isValidUTF8(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return strings.ToValidUTF8(s, "\uFFFD") == s
		}
	}
	return true
}

// FormatFloat writes a decimal in its shortest form; integral decimals keep no fraction ("2", not "2.0").
func FormatFloat(f float64) string {
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// TypeName names a value's type the way error messages speak of it.
func TypeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "bool"
	case int64, int:
		return "int"
	case float64:
		return "decimal"
	case string:
		return "text"
	case []any:
		return "array"
	case *Object:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// Normalize converts Go values from outside the model (int, float32, map[string]any,
// []string, json.Number ...) into model values. Maps get their keys sorted.
func Normalize(v any) any {
	switch t := v.(type) {
	case nil, bool, int64, float64, string, *Object:
		return t
	case int:
		return int64(t)
	case int32:
		return int64(t)
	case uint32:
		return int64(t)
	case float32:
		return float64(t)
	case json.Number:
		n, err := ParseNumber(string(t))
		if err != nil {
			return string(t)
		}
		return n
	case []any:
		for i := range t {
			t[i] = Normalize(t[i])
		}
		return t
	case []string:
		a := make([]any, len(t))
		for i, s := range t {
			a[i] = s
		}
		return a
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		o := NewObject(len(keys))
		for _, k := range keys {
			o.Set(k, Normalize(t[k]))
		}
		return o
	}
	return v
}
