package relaybase_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"relaybase"
)

// TestErrorCode: every way an error reaches a client is classified by one table, and
// AsError keeps a client-facing error whose code that table agrees with.
func TestErrorCode(t *testing.T) {
	denied := &relaybase.Error{Code: relaybase.CodeAccessDenied, Message: "No."}
	downTx := &relaybase.Error{Code: relaybase.CodeServiceUnavailable, Message: "The database is down.",
		Err: fmt.Errorf("begin: %w", relaybase.ErrUnavailable)}
	fatalOverDown := &relaybase.Error{Code: relaybase.CodeFatal, Message: "Ran too long.",
		Err: fmt.Errorf("query: %w", relaybase.ErrUnavailable)}
	for _, tc := range []struct {
		name     string
		err      error
		code     relaybase.Code
		kept     *relaybase.Error // AsError returns this very *Error; nil: a new one
		wantText string           // the message of a new one
	}{
		{"nil", nil, "", nil, ""},
		{"an *Error", denied, relaybase.CodeAccessDenied, denied, ""},
		{"a wrapped *Error", fmt.Errorf("run: %w", denied), relaybase.CodeAccessDenied, denied, ""},
		{"an *Error that already says unavailable", downTx, relaybase.CodeServiceUnavailable, downTx, ""},
		{"ErrUnavailable under an *Error of another code", fatalOverDown, relaybase.CodeServiceUnavailable, nil, "The service is unavailable; try again shortly."},
		{"ErrUnavailable", fmt.Errorf("ping: %w", relaybase.ErrUnavailable), relaybase.CodeServiceUnavailable, nil, "The service is unavailable; try again shortly."},
		{"deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), relaybase.CodeServiceUnavailable, nil, "The service is unavailable; try again shortly."},
		{"unique index", fmt.Errorf("insert: %w", relaybase.ErrConflict), relaybase.CodeInputError, nil, "Duplicate record detected."},
		{"token refused", fmt.Errorf("verify: %w", relaybase.ErrUnauthorized), relaybase.CodeUnauthorized, nil, "A valid auth token is required."},
		{"unknown table", fmt.Errorf("get: %w", relaybase.ErrNotFound), relaybase.CodeFatal, nil, "Internal server error."},
		{"cancelled", context.Canceled, relaybase.CodeFatal, nil, "Internal server error."},
		{"anything else", errors.New("disk on fire"), relaybase.CodeFatal, nil, "Internal server error."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := relaybase.ErrorCode(tc.err); got != tc.code {
				t.Fatalf("ErrorCode = %q, want %q", got, tc.code)
			}
			if tc.err == nil {
				return
			}
			e := relaybase.AsError(tc.err)
			if e.Code != tc.code {
				t.Fatalf("AsError code %q, want %q", e.Code, tc.code)
			}
			switch {
			case tc.kept != nil && e != tc.kept:
				t.Fatalf("AsError = %v, want the *Error in the chain", e)
			case tc.kept == nil && (e.Message != tc.wantText || !errors.Is(e, tc.err)):
				t.Fatalf("AsError = %q (cause %v), want %q with the error as its cause", e.Message, e.Err, tc.wantText)
			}
		})
	}
}
