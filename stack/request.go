package stack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime/multipart"
	"net/url"
	"strconv"
	"strings"
	"time"

	"relaybase"
	"relaybase/value"
	"relaybase/xs"
)

// stmtAPIRequest compiles api.request, the outbound HTTP client:
//
//	api.request {
//	  url = "https://api.example.com/users"
//	  method = "POST"                                  (default GET)
//	  params = {name: $input.name}                     (GET, HEAD: the query string; else the body)
//	  headers = ["Content-Type: application/json"]     ("Name: value" texts)
//	  timeout = 10                                     (seconds; default 30)
//	  follow_location = false                          (default true)
//	} as $api
//
// $api is Xano's shape: {request: {url, method, headers, params}, response: {headers,
// result, status}}, where result is the body decoded as JSON when the response says it
// is JSON, else the body as text. A 4xx or 5xx answer is a response, not an error; a
// request that cannot be made (refused by the outbound policy, no answer in time, no
// such host) is a runtime error of the stack, which try_catch may catch.
func (c *compiler) stmtAPIRequest(n *xs.Node) execFn {
	if attrOf(n, "url") == nil {
		c.errorf(n.Pos, "api.request needs url = \"https://...\"")
		return nop
	}
	urlE, method, params := c.expr(attrOf(n, "url")), c.expr(attrOf(n, "method")), c.expr(attrOf(n, "params"))
	headers, timeout := c.expr(attrOf(n, "headers")), c.expr(attrOf(n, "timeout"))
	follow := c.expr(attrOf(n, "follow_location"))
	pos := n.Pos
	return c.result(n, func(f *frame) (any, error) {
		r := f.r
		if r.p.opts.Outbound == nil {
			return nil, errorAt(pos, "api.request cannot send requests: outbound HTTP is not configured")
		}
		var vals [6]any
		for i, ev := range []evalFn{urlE, method, params, headers, timeout, follow} {
			v, err := ev(f)
			if err != nil {
				return nil, err
			}
			vals[i] = v
		}
		req, record, err := composeRequest(vals, pos)
		if err != nil {
			return nil, err
		}
		res, err := r.p.opts.Outbound.Do(r.ctx, req)
		if err != nil {
			return nil, requestError(r.ctx, req, err, pos)
		}
		out := value.ObjectOf("request", record, "response", value.ObjectOf(
			"headers", textArray(res.Headers),
			"result", decodeResult(res),
			"status", int64(res.Status),
		))
		return out, nil
	})
}

// composeRequest turns api.request's evaluated attributes (url, method, params, headers,
// timeout, follow_location) into the request to send and the "request" member of the result.
func composeRequest(v [6]any, pos xs.Pos) (*relaybase.OutboundRequest, *value.Object, error) {
	rawURL, ok := v[0].(string)
	if !ok || rawURL == "" {
		return nil, nil, errorAt(pos, "api.request url must be a text, got %s", value.TypeName(v[0]))
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, nil, errorAt(pos, "api.request url must be an absolute http:// or https:// URL, got %q", rawURL)
	}
	method := "GET"
	if v[1] != nil {
		m, ok := v[1].(string)
		if !ok || !validMethod(m) {
			return nil, nil, errorAt(pos, "api.request method must be GET, POST, PUT, PATCH, DELETE or HEAD, got %s", describe(v[1]))
		}
		method = strings.ToUpper(m)
	}
	hdrs, err := headerLines(v[3], pos)
	if err != nil {
		return nil, nil, err
	}
	req := &relaybase.OutboundRequest{Method: method}
	params := v[2]
	switch {
	case params == nil || isEmptyParams(params):
	case method == "GET" || method == "HEAD":
		// Query parameters, added to those the URL already has.
		q, ok := params.(*value.Object)
		if !ok {
			return nil, nil, errorAt(pos, "api.request params of a %s must be an object, got %s", method, value.TypeName(params))
		}
		extra := buildQuery(q)
		if u.RawQuery != "" {
			extra = u.RawQuery + "&" + extra
		}
		u.RawQuery = extra
	default:
		body, ctype, err := encodeBody(params, contentType(hdrs), pos)
		if err != nil {
			return nil, nil, err
		}
		req.Body = body
		if ctype != "" {
			hdrs = setContentType(hdrs, ctype)
		}
	}
	req.URL = u.String()
	req.Headers = hdrs
	if v[4] != nil {
		secs, ok := value.AsFloat(v[4])
		if !ok {
			if n, isInt := v[4].(int64); isInt {
				secs, ok = float64(n), true
			}
		}
		if !ok || secs < 0 || secs > 24*3600 {
			return nil, nil, errorAt(pos, "api.request timeout must be a number of seconds, got %s", describe(v[4]))
		}
		req.Timeout = time.Duration(secs * float64(time.Second))
	}
	if v[5] != nil {
		b, ok := v[5].(bool)
		if !ok {
			return nil, nil, errorAt(pos, "api.request follow_location must be true or false, got %s", describe(v[5]))
		}
		req.NoRedirects = !b
	}
	record := value.ObjectOf("url", req.URL, "method", method, "headers", textArray(hdrs), "params", params)
	return req, record, nil
}

func validMethod(m string) bool {
	switch strings.ToUpper(m) {
	case "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD":
		return true
	}
	return false
}

func isEmptyParams(v any) bool {
	switch t := v.(type) {
	case *value.Object:
		return t.Len() == 0
	case []any:
		return len(t) == 0
	}
	return false
}

// headerLines reads headers: an array of "Name: value" texts, as Xano writes them, or an
// object {Name: value}.
func headerLines(v any, pos xs.Pos) ([]string, error) {
	var out []string
	add := func(line string) error {
		name, val, ok := strings.Cut(line, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "" || strings.ContainsAny(name, " \t\r\n") || strings.ContainsAny(val, "\r\n") {
			return errorAt(pos, "api.request header %q must read \"Name: value\"", line)
		}
		out = append(out, name+": "+strings.TrimSpace(val))
		return nil
	}
	switch t := v.(type) {
	case nil:
	case []any:
		for _, e := range t {
			s, ok := e.(string)
			if !ok {
				return nil, errorAt(pos, "api.request headers must be texts such as \"Accept: application/json\", got %s", value.TypeName(e))
			}
			if strings.TrimSpace(s) == "" {
				continue
			}
			if err := add(s); err != nil {
				return nil, err
			}
		}
	case *value.Object:
		for _, k := range t.Keys() {
			hv, _ := t.Get(k)
			if err := add(k + ": " + value.ToText(hv)); err != nil {
				return nil, err
			}
		}
	default:
		return nil, errorAt(pos, "api.request headers must be an array of \"Name: value\" texts, got %s", value.TypeName(v))
	}
	return out, nil
}

// contentType is the media type the headers name, lower case without parameters.
func contentType(hdrs []string) string {
	for _, h := range hdrs {
		name, val, _ := strings.Cut(h, ":")
		if strings.EqualFold(strings.TrimSpace(name), "Content-Type") {
			mt, _, _ := strings.Cut(val, ";")
			return strings.ToLower(strings.TrimSpace(mt))
		}
	}
	return ""
}

// setContentType replaces (or adds) the Content-Type header.
func setContentType(hdrs []string, ctype string) []string {
	out := make([]string, 0, len(hdrs)+1)
	for _, h := range hdrs {
		name, _, _ := strings.Cut(h, ":")
		if !strings.EqualFold(strings.TrimSpace(name), "Content-Type") {
			out = append(out, h)
		}
	}
	return append(out, "Content-Type: "+ctype)
}

// encodeBody encodes params for the Content-Type the headers name: JSON for a JSON type,
// multipart for multipart/form-data, else (and by default, as PHP's http_build_query,
// which Xano's requests follow) application/x-www-form-urlencoded. Text params are sent
// as they are. It returns the Content-Type to send, "" to keep the headers' own.
func encodeBody(params any, ctype string, pos xs.Pos) ([]byte, string, error) {
	if s, ok := params.(string); ok {
		return []byte(s), "", nil
	}
	switch {
	case strings.Contains(ctype, "json"):
		b, err := value.EncodeJSON(params)
		if err != nil {
			return nil, "", errorAt(pos, "api.request params cannot be sent as JSON: %v", err)
		}
		return b, "", nil
	case ctype == "multipart/form-data":
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		for _, kv := range flatten(params, "") {
			if err := w.WriteField(kv[0], kv[1]); err != nil {
				return nil, "", errorAt(pos, "api.request params cannot be sent as multipart: %v", err)
			}
		}
		if err := w.Close(); err != nil {
			return nil, "", errorAt(pos, "api.request params cannot be sent as multipart: %v", err)
		}
		return buf.Bytes(), w.FormDataContentType(), nil
	case ctype == "" || ctype == "application/x-www-form-urlencoded":
		o, ok := params.(*value.Object)
		if !ok {
			if a, isArr := params.([]any); isArr {
				return []byte(buildQueryPairs(flatten(a, ""))), "application/x-www-form-urlencoded", nil
			}
			return []byte(value.ToText(params)), "", nil
		}
		return []byte(buildQuery(o)), "application/x-www-form-urlencoded", nil
	}
	// Any other type: the params' text (JSON for an object or array).
	return []byte(value.ToText(params)), "", nil
}

// buildQuery encodes an object the way PHP's http_build_query does: nested members in
// brackets (a[b]=1, list[0]=x), true as 1, false as 0, null left out.
func buildQuery(o *value.Object) string { return buildQueryPairs(flatten(o, "")) }

func buildQueryPairs(pairs [][2]string) string {
	var b strings.Builder
	for i, kv := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(kv[0]))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(kv[1]))
	}
	return b.String()
}

// flatten lists the leaves of a value as (key, text) pairs, keys in bracket notation.
func flatten(v any, prefix string) [][2]string {
	key := func(k string) string {
		if prefix == "" {
			return k
		}
		return prefix + "[" + k + "]"
	}
	var out [][2]string
	switch t := v.(type) {
	case nil:
	case *value.Object:
		for _, k := range t.Keys() {
			e, _ := t.Get(k)
			out = append(out, flatten(e, key(k))...)
		}
	case []any:
		for i, e := range t {
			out = append(out, flatten(e, key(strconv.Itoa(i)))...)
		}
	case bool:
		s := "0"
		if t {
			s = "1"
		}
		out = append(out, [2]string{prefix, s})
	default:
		out = append(out, [2]string{prefix, value.ToText(t)})
	}
	return out
}

// decodeResult is the response body as the stack sees it: JSON decoded when the
// response is JSON (or names no type and holds JSON), else text.
func decodeResult(res *relaybase.OutboundResponse) any {
	ct := res.ContentType
	isJSON := ct == "application/json" || ct == "text/json" || strings.HasSuffix(ct, "+json")
	if isJSON || ct == "" {
		if t := bytes.TrimSpace(res.Body); len(t) > 0 {
			if v, err := value.DecodeJSON(t); err == nil {
				return v
			}
		}
	}
	return string(res.Body)
}

func textArray(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// requestError turns a failed request into the stack's error. The client learns which
// host could not be reached and why in general terms; the cause (which may name internal
// addresses a host resolved to) goes to the log only.
func requestError(ctx context.Context, req *relaybase.OutboundRequest, err error, pos xs.Pos) error {
	if ctx.Err() != nil {
		return ctx.Err() // the run itself ended (its time limit, or the client left)
	}
	host := req.URL
	if u, perr := url.Parse(req.URL); perr == nil {
		host = u.Host
	}
	var msg string
	switch {
	case errors.Is(err, relaybase.ErrRefused):
		msg = fmt.Sprintf("api.request to %s was refused by the outbound policy (outbound_allow, outbound_deny)", host)
	case errors.Is(err, context.DeadlineExceeded):
		msg = fmt.Sprintf("api.request to %s got no answer within %s", host, timeoutText(req.Timeout))
	case errors.Is(err, relaybase.ErrOutboundTooLarge):
		msg = fmt.Sprintf("api.request to %s: the response is too large", host)
	default:
		msg = fmt.Sprintf("api.request to %s failed", host)
	}
	return &relaybase.Error{Code: relaybase.CodeFatal, Message: msg + " (at " + pos.String() + ")",
		Err: fmt.Errorf("api.request %s %s: %w", req.Method, host, err)}
}

func timeoutText(d time.Duration) string {
	if d <= 0 {
		return "its time limit"
	}
	return d.String()
}

func init() {
	registerStatements(map[string]func(c *compiler, n *xs.Node) execFn{
		"api.request": (*compiler).stmtAPIRequest,
	})
}
