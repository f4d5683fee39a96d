package relaybase

import (
	"context"
	"errors"
	"time"
)

// Outbound sends the HTTP requests a stack makes (api.request). The adapter that
// implements it (package outbound) owns the policy of which targets may be reached: a
// request to a target the policy refuses fails with an error wrapping ErrRefused, and
// nothing is sent. Do must honour ctx: a cancelled run abandons its request.
type Outbound interface {
	Do(ctx context.Context, req *OutboundRequest) (*OutboundResponse, error)
}

// OutboundRequest is one request, as the stack composed it.
type OutboundRequest struct {
	Method string // GET, POST, PUT, PATCH, DELETE, HEAD
	URL    string // absolute http:// or https:// URL, query string included
	// Headers are "Name: value" lines, in the order they are sent.
	Headers []string
	Body    []byte        // nil: no body
	Timeout time.Duration // the whole exchange, redirects included; 0: the adapter's default
	// NoRedirects: answer a redirect with itself instead of following it.
	NoRedirects bool
}

// OutboundResponse is what came back. A status of 4xx or 5xx is a response, not an error.
type OutboundResponse struct {
	Status int
	// Headers are "Name: value" lines, sorted by name (the wire order is not kept).
	Headers []string
	// ContentType is the media type of Body without parameters ("application/json"), "" when absent.
	ContentType string
	Body        []byte
}

// ErrRefused: the outbound policy refuses the request's target (a private or loopback
// address, or one the configuration denies). It is the operator's rule, not a failure of
// the peer.
var ErrRefused = errors.New("outbound request refused by policy")

// ErrOutboundTooLarge: a response body past the adapter's limit; the request fails.
var ErrOutboundTooLarge = errors.New("outbound response too large")
