package httpapi

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"relaybase"
	"relaybase/stack"
	"relaybase/value"
)

// readInputs gathers an endpoint's raw inputs: the query string for GET, the body (JSON,
// form or multipart) for the other verbs with the query string filling what the body leaves
// out, then the path parameters, which win. DELETE reads both because the SDK's
// delete(endpoint, params) sends its params as a JSON body, while other clients put them in
// the query string. Values from the query string and forms arrive as text (or arrays and
// objects of text); the stack coerces them to the declared input types.
func readInputs(r *http.Request, maxBody int64, params map[string]string) (*value.Object, error) {
	var in *value.Object
	query, err := parseForm(r.URL.RawQuery)
	if err != nil {
		return nil, &relaybase.Error{Code: relaybase.CodeInputError, Message: "The query string is not valid URL-encoded data.", Err: err}
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		in = formValues(query)
	default:
		in, err = readBody(r, maxBody)
		if err != nil {
			return nil, err
		}
		// Query-string values fill what the body leaves out (the SDK may send both).
		q := formValues(query)
		for _, k := range q.Keys() {
			if !in.Has(k) {
				v, _ := q.Get(k)
				in.Set(k, v)
			}
		}
	}
	for name, v := range params {
		in.Set(name, v)
	}
	return in, nil
}

func tooLarge(limit int64) error {
	return &relaybase.Error{Code: relaybase.CodeInputError, Err: errBodyTooLarge,
		Message: "The request body is larger than the limit of " + byteSize(limit) + "."}
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

func readBody(r *http.Request, maxBody int64) (*value.Object, error) {
	if r.ContentLength > maxBody {
		return nil, tooLarge(maxBody)
	}
	body := http.MaxBytesReader(nil, r.Body, maxBody)
	ctype, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ctype {
	case "application/x-www-form-urlencoded":
		data, err := io.ReadAll(body)
		if err != nil {
			return nil, bodyError(err, maxBody)
		}
		vals, err := parseForm(string(data))
		if err != nil {
			// Not err's text: the client gets a message written for it, not the parser's.
			return nil, &relaybase.Error{Code: relaybase.CodeInputError, Message: "The form body is not valid URL-encoded data.", Err: err}
		}
		return formValues(vals), nil
	case "multipart/form-data":
		r.Body = body
		if err := r.ParseMultipartForm(maxBody); err != nil {
			if _, ok := params["boundary"]; !ok {
				return nil, relaybase.Errorf(relaybase.CodeInputError, "The multipart body has no boundary.")
			}
			return nil, bodyError(err, maxBody)
		}
		// File parts are added by attachUploads, which hands their content to the stack.
		return formValues(r.MultipartForm.Value), nil
	}
	data, err := io.ReadAll(body)
	if err != nil {
		return nil, bodyError(err, maxBody)
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return value.NewObject(0), nil
	}
	v, err := value.DecodeJSON(data)
	if err != nil {
		return nil, relaybase.Errorf(relaybase.CodeInputError, "The request body is not valid JSON.")
	}
	obj, ok := v.(*value.Object)
	if !ok {
		return nil, relaybase.Errorf(relaybase.CodeInputError, "The request body must be a JSON object of inputs.")
	}
	return obj, nil
}

func bodyError(err error, maxBody int64) error {
	var mb *http.MaxBytesError
	if errors.As(err, &mb) || strings.Contains(err.Error(), "too large") {
		return tooLarge(maxBody)
	}
	return &relaybase.Error{Code: relaybase.CodeInputError, Message: "The request body could not be read.", Err: err}
}

// parseForm reads URL-encoded name=value pairs separated by "&". Unlike url.ParseQuery it
// takes ";" as data (as the WHATWG URL standard and browsers do): docs/http.md promises that a
// semicolon in a text input is stored byte for byte, while r.URL.Query() silently dropped
// any pair holding one, so the input arrived missing.
func parseForm(s string) (map[string][]string, error) {
	vals := map[string][]string{}
	for s != "" {
		var pair string
		pair, s, _ = strings.Cut(s, "&")
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		k, err := url.QueryUnescape(k)
		if err != nil {
			return nil, err
		}
		v, err = url.QueryUnescape(v)
		if err != nil {
			return nil, err
		}
		vals[k] = append(vals[k], v)
	}
	return vals, nil
}

// formValues turns query-string or form values into inputs, in the forms browsers and the
// SDK (axios) send: name=a (text); repeated name= or name[]=a&name[]=b (array);
// name[key]=v (object member), nested to any of maxFormDepth levels (o[a][b]=v,
// o[tags][]=x). axios writes an array of objects as o[0][k]=v: that is an object whose
// keys are indexes, which the stack reads as an array where the input is one.
func formValues(vals map[string][]string) *value.Object {
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	in := value.NewObject(len(keys))
	for _, k := range keys {
		name, path := splitFormKey(k)
		for _, v := range vals[k] {
			cur, _ := in.Get(name)
			in.Set(name, setFormValue(cur, path, v))
		}
	}
	return in
}

// maxFormDepth bounds the brackets of one key; a deeper key is taken as a plain name.
const maxFormDepth = 8

// splitFormKey splits "o[a][]" into "o" and ["a", ""]. A key that is not a name followed
// by bracketed parts is a plain name.
func splitFormKey(k string) (string, []string) {
	i := strings.IndexByte(k, '[')
	if i <= 0 || !strings.HasSuffix(k, "]") {
		return k, nil
	}
	var path []string
	for rest := k[i:]; rest != ""; {
		j := strings.IndexByte(rest, ']')
		if rest[0] != '[' || j < 0 || len(path) == maxFormDepth {
			return k, nil
		}
		seg := rest[1:j]
		if strings.ContainsAny(seg, "[") {
			return k, nil
		}
		path = append(path, seg)
		rest = rest[j+1:]
	}
	return k[:i], path
}

// setFormValue puts v at path below cur and returns the new value for cur's place. A value
// given twice for one place makes an array of both; "" in path appends to an array.
func setFormValue(cur any, path []string, v string) any {
	if len(path) == 0 {
		switch t := cur.(type) {
		case nil:
			return v
		case []any:
			return append(t, v)
		case string:
			return []any{t, v}
		}
		return v
	}
	seg, rest := path[0], path[1:]
	if seg == "" {
		var list []any
		switch t := cur.(type) {
		case []any:
			list = t
		case string:
			list = []any{t}
		case *value.Object:
			// o[0]=a&o[]=b: the object of indexes takes the next one.
			t.Set(strconv.Itoa(t.Len()), setFormValue(nil, rest, v))
			return t
		}
		return append(list, setFormValue(nil, rest, v))
	}
	obj, ok := cur.(*value.Object)
	if !ok {
		obj = value.NewObject(2)
	}
	member, _ := obj.Get(seg)
	obj.Set(seg, setFormValue(member, rest, v))
	return obj
}

// attachUploads adds the file parts of a multipart request to its inputs, each as an object
// {name, size, mime} that stands for the file, and returns the files by those objects for
// the stack (stack.Request.Uploads): a file input takes its content from there. A field
// sent several times, or named with [] (photos[]), is an array of files.
func attachUploads(r *http.Request, in *value.Object) map[*value.Object]stack.Upload {
	if r.MultipartForm == nil || len(r.MultipartForm.File) == 0 {
		return nil
	}
	names := make([]string, 0, len(r.MultipartForm.File))
	for k := range r.MultipartForm.File {
		names = append(names, k)
	}
	sort.Strings(names)
	uploads := map[*value.Object]stack.Upload{}
	for _, k := range names {
		files := r.MultipartForm.File[k]
		name, many := strings.CutSuffix(k, "[]")
		list := make([]any, 0, len(files))
		for _, fh := range files {
			o := value.ObjectOf("name", fh.Filename, "size", fh.Size, "mime", fh.Header.Get("Content-Type"))
			uploads[o] = stack.Upload{Name: fh.Filename, MIME: fh.Header.Get("Content-Type"), Size: fh.Size,
				Open: func() (io.ReadCloser, error) { return fh.Open() }}
			list = append(list, o)
		}
		if many || len(list) > 1 {
			in.Set(name, list)
		} else if len(list) == 1 {
			in.Set(name, list[0])
		}
	}
	return uploads
}
