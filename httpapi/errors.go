package httpapi

import (
	"errors"
	"log/slog"
	"net/http"

	"relaybase"
	"relaybase/value"
)

// writeError answers with the error body of docs/http.md. The cause of a 5xx goes to the
// log, with the request id; the client sees only the code and a message written for it.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	e := relaybase.AsError(err)
	status := httpStatus(e)
	if status >= 500 && log != nil {
		log.ErrorContext(r.Context(), "request failed", "request_id", requestID(r), "method", r.Method, "path", r.URL.Path, "status", status, "code", string(e.Code), "err", e.Err)
	}
	var payload any = ""
	if e.Payload != nil {
		payload = value.Normalize(e.Payload)
	}
	body, encErr := value.EncodeJSON(value.ObjectOf("code", string(e.Code), "message", e.Message, "payload", payload))
	if encErr != nil {
		body = []byte(`{"code":"ERROR_FATAL","message":"Internal server error.","payload":""}`)
		status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// notFound is Xano's answer to an unknown route (and to a known path with the wrong verb).
var errNotFound = &relaybase.Error{Code: relaybase.CodeNotFound, Message: "Unable to locate request."}

// errBodyTooLarge is the cause of the input error that answers a body past the limit: its
// code is ERROR_CODE_INPUT_ERROR, its status 413.
var errBodyTooLarge = errors.New("request body too large")

// httpStatus is the status an error is answered with: the status of its code (the table
// of docs/http.md), except 413 for a body past the limit.
func httpStatus(e *relaybase.Error) int {
	if errors.Is(e, errBodyTooLarge) {
		return http.StatusRequestEntityTooLarge
	}
	return CodeStatus(e.Code)
}

// CodeStatus maps an error code to its HTTP status; an unknown code is a 500. It is the one
// table (docs/http.md's): the admin console answers through it too.
func CodeStatus(c relaybase.Code) int {
	switch c {
	case relaybase.CodeInputError:
		return http.StatusBadRequest
	case relaybase.CodeUnauthorized:
		return http.StatusUnauthorized
	case relaybase.CodeAccessDenied:
		return http.StatusForbidden
	case relaybase.CodeNotFound:
		return http.StatusNotFound
	case relaybase.CodeTooManyRequests:
		return http.StatusTooManyRequests
	case relaybase.CodeServiceUnavailable:
		return http.StatusServiceUnavailable
	case relaybase.CodeNotImplemented:
		return http.StatusNotImplemented
	}
	return http.StatusInternalServerError
}
