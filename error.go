package relaybase

import (
	"context"
	"errors"
	"fmt"
)

// Code is an error code a client sees (docs/http.md, "Errors"). Which HTTP status answers
// each code is httpapi's business; which realtime error code, realtime's.
type Code string

// The error codes of the HTTP API.
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
	Err     error // the cause, for logs only
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// ErrorCode classifies err: the one place that decides which code a client is answered
// with, whoever answers (httpapi, the realtime server, a try_catch's $error).
//
//  1. CodeServiceUnavailable when err wraps ErrUnavailable, whatever else wraps it: the
//     database or the engine is down, and waiting is the client's remedy, not a fix;
//  2. else the Code of the first *Error in err's chain;
//  3. else CodeServiceUnavailable for context.DeadlineExceeded (a bound on a call to the
//     database or the engine ran out), CodeInputError for ErrConflict (the client sent a
//     value a unique index already holds), CodeUnauthorized for ErrUnauthorized;
//  4. else CodeFatal. ErrNotFound is among these: a store says it of a table, and a table
//     the compiled program expects but the store lacks is the server's fault.
//
// ErrorCode(nil) is "".
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	if errors.Is(err, ErrUnavailable) {
		return CodeServiceUnavailable
	}
	var e *Error
	switch {
	case errors.As(err, &e):
		return e.Code
	case errors.Is(err, context.DeadlineExceeded):
		return CodeServiceUnavailable
	case errors.Is(err, ErrConflict):
		return CodeInputError
	case errors.Is(err, ErrUnauthorized):
		return CodeUnauthorized
	}
	return CodeFatal
}

// AsError returns err as the *Error a client is shown: the first *Error in err's chain when
// its Code is ErrorCode(err); otherwise a new one with that code and a generic message for
// it, keeping err as the cause for the log.
func AsError(err error) *Error {
	code := ErrorCode(err)
	var e *Error
	if errors.As(err, &e) && e.Code == code {
		return e
	}
	return &Error{Code: code, Message: genericMessage(code), Err: err}
}

// genericMessage is what a client is told of an error that brought no message of its own.
func genericMessage(c Code) string {
	switch c {
	case CodeServiceUnavailable:
		return "The service is unavailable; try again shortly."
	case CodeInputError:
		return "Duplicate record detected."
	case CodeUnauthorized:
		return "A valid auth token is required."
	}
	return "Internal server error."
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
