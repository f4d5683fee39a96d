package httpapi

import (
	"errors"
	"log/slog"
	"net/http"

	"relaybase"
	"relaybase/value"
)

// writeError answers with HTTP.md's error body. The cause of a 5xx goes to the log, with
// the request id; the client sees only the code and a message written for it.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	e := relaybase.AsError(err)
	if errors.Is(err, relaybase.ErrUnavailable) {
		e = &relaybase.Error{Code: relaybase.CodeServiceUnavailable, Message: "The service is unavailable; try again shortly.", Err: err}
	}
	status := e.HTTPStatus()
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
