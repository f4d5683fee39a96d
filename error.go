package relaybase

import (
	"errors"
	"fmt"
	"net/http"
)

// Code is an error code a client sees (HTTP.md, "Errors").
type Code string

// The error codes of HTTP.md.
const (
	CodeInputError         Code = "ERROR_CODE_INPUT_ERROR"
	CodeUnauthorized       Code = "ERROR_CODE_UNAUTHORIZED"
	CodeAccessDenied       Code = "ERROR_CODE_ACCESS_DENIED"
	CodeNotFound           Code = "ERROR_CODE_NOT_FOUND"
	CodeTooManyRequests    Code = "ERROR_CODE_TOO_MANY_REQUESTS"
	CodeFatal              Code = "ERROR_FATAL"
	CodeServiceUnavailable Code = "ERROR_CODE_SERVICE_UNAVAILABLE"
	CodeNotImplemented     Code = "ERROR_CODE_NOT_IMPLEMENTED"
)

// Error is an error meant for a client: a code, a message written for a person, and an
// optional payload (for input errors, {"param": name}). Causes that clients must not see
// (SQL, paths) stay in Err, which is logged but never sent.
type Error struct {
	Code    Code
	Message string
	Payload any   // a value (relaybase/value); nil is sent as ""
	Status  int   // overrides the status of Code when non-zero (413 for an oversize body)
	Err     error // the cause, for logs only
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// HTTPStatus is the status code an error is answered with.
func (e *Error) HTTPStatus() int {
	if e.Status != 0 {
		return e.Status
	}
	return CodeStatus(e.Code)
}

// CodeStatus maps a code to its HTTP status (HTTP.md's table).
func CodeStatus(c Code) int {
	switch c {
	case CodeInputError:
		return http.StatusBadRequest
	case CodeUnauthorized:
		return http.StatusUnauthorized
	case CodeAccessDenied:
		return http.StatusForbidden
	case CodeNotFound:
		return http.StatusNotFound
	case CodeTooManyRequests:
		return http.StatusTooManyRequests
	case CodeServiceUnavailable:
		return http.StatusServiceUnavailable
	case CodeNotImplemented:
		return http.StatusNotImplemented
	}
	return http.StatusInternalServerError
}

// Errorf returns an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// InputError reports a bad input named param.
func InputError(param, format string, args ...any) *Error {
	e := Errorf(CodeInputError, format, args...)
	e.Payload = map[string]any{"param": param}
	return e
}

// AsError returns err as an *Error; anything else becomes ERROR_FATAL with a generic
// message, keeping err as the cause for the log.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: CodeFatal, Message: "Internal server error.", Err: err}
}

// Sentinel errors that callers branch on.
var (
	// ErrNotFound: the row, table or channel does not exist.
	ErrNotFound = errors.New("not found")
	// ErrUnauthorized: a token is missing, malformed, forged, expired or for another table.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrUnavailable: the database or the realtime engine cannot be reached.
	ErrUnavailable = errors.New("service unavailable")
	// ErrConflict: a write broke a unique index.
	ErrConflict = errors.New("conflict")
)
