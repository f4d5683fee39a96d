package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"relaybase"
)

// TestWriteError: each error is answered with the status of its code (docs/http.md's
// table) and a body {code, message, payload} that shows no cause.
func TestWriteError(t *testing.T) {
	for _, tc := range []struct {
		name   string
		err    error
		status int
		code   relaybase.Code
	}{
		{"input", relaybase.InputError("name", "Missing name."), http.StatusBadRequest, relaybase.CodeInputError},
		{"body too large", tooLarge(64), http.StatusRequestEntityTooLarge, relaybase.CodeInputError},
		{"unauthorized", errUnauthorized, http.StatusUnauthorized, relaybase.CodeUnauthorized},
		{"access denied", relaybase.Errorf(relaybase.CodeAccessDenied, "No."), http.StatusForbidden, relaybase.CodeAccessDenied},
		{"not found", errNotFound, http.StatusNotFound, relaybase.CodeNotFound},
		{"too many", errTooManyRequests, http.StatusTooManyRequests, relaybase.CodeTooManyRequests},
		{"fatal", relaybase.Errorf(relaybase.CodeFatal, "Broke."), http.StatusInternalServerError, relaybase.CodeFatal},
		{"not implemented", relaybase.Errorf(relaybase.CodeNotImplemented, "Not run."), http.StatusNotImplemented, relaybase.CodeNotImplemented},
		{"unavailable", fmt.Errorf("readiness: %w", relaybase.ErrUnavailable), http.StatusServiceUnavailable, relaybase.CodeServiceUnavailable},
		{"a code nobody knows", relaybase.Errorf("ERROR_NEW", "?"), http.StatusInternalServerError, "ERROR_NEW"},
		{"plain error", errors.New("secret path /var/x"), http.StatusInternalServerError, relaybase.CodeFatal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			writeError(w, httptest.NewRequest("GET", "/api:x/y", nil), nil, tc.err)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d", w.Code, tc.status)
			}
			var body struct {
				Code    relaybase.Code `json:"code"`
				Message string         `json:"message"`
				Payload any            `json:"payload"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %s: %v", w.Body, err)
			}
			if body.Code != tc.code || body.Message == "" || strings.Contains(body.Message, "secret") {
				t.Fatalf("body %s, want code %s and a message for a person", w.Body, tc.code)
			}
		})
	}
}
