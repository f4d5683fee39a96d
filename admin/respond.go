package admin

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"relaybase"
	"relaybase/httpapi"
	"relaybase/value"
)

// maxBody bounds what the console reads of a request body: rows and endpoint inputs are
// small; an upload is not the console's business.
const maxBody = 1 << 20

var (
	errNoSession = &relaybase.Error{Code: relaybase.CodeUnauthorized, Message: "Log in to the console first."}
	errCSRF      = &relaybase.Error{Code: relaybase.CodeAccessDenied, Message: "Missing or wrong X-CSRF-Token header."}
	errNotFound  = &relaybase.Error{Code: relaybase.CodeNotFound, Message: "Unable to locate request."}
)

// inputError is a 400 with a message written for the person at the console.
func inputError(msg string) error {
	return &relaybase.Error{Code: relaybase.CodeInputError, Message: msg}
}

// notFound is a 404 naming what was not found.
func notFound(msg string) error {
	return &relaybase.Error{Code: relaybase.CodeNotFound, Message: msg}
}

// writeError answers with relaybase's error body. A 5xx's cause goes to the log only.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := relaybase.AsError(err)
	code := httpapi.CodeStatus(e.Code)
	if code >= 500 {
		h.log.ErrorContext(r.Context(), "admin request failed", "method", r.Method, "path", r.URL.Path, "status", code, "err", err)
	}
	var payload any = ""
	if e.Payload != nil {
		payload = value.Normalize(e.Payload)
	}
	body, encErr := value.EncodeJSON(value.ObjectOf("code", string(e.Code), "message", e.Message, "payload", payload))
	if encErr != nil {
		body, code = []byte(`{"code":"ERROR_FATAL","message":"Internal server error.","payload":""}`), 500
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write(body)
}

// writeJSON answers with v as JSON: a value of package value (rows keep their field order)
// or anything encoding/json takes.
func (h *Handler) writeJSON(w http.ResponseWriter, r *http.Request, code int, v any) {
	var body []byte
	var err error
	switch v := v.(type) {
	case *value.Object, []any:
		body, err = value.EncodeJSON(v)
	default:
		body, err = json.Marshal(v)
	}
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write(body)
}

// readJSON reads a JSON object body into dst (a struct, or *value.Object via value's
// decoder).
func readJSON(r *http.Request, dst any) error {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return inputError("The request body could not be read.")
	}
	if len(b) > maxBody {
		return inputError("The request body is larger than 1 MiB.")
	}
	if len(b) == 0 {
		b = []byte("{}")
	}
	if o, ok := dst.(**value.Object); ok {
		v, err := value.DecodeJSON(b)
		if err != nil {
			return inputError("The body is not valid JSON: " + err.Error())
		}
		obj, ok := v.(*value.Object)
		if !ok {
			return inputError("The body must be a JSON object.")
		}
		*o = obj
		return nil
	}
	if err := json.Unmarshal(b, dst); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return inputError("The body is not valid JSON: " + err.Error())
		}
		return inputError("The body does not have the expected shape: " + err.Error())
	}
	return nil
}
