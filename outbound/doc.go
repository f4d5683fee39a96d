// Package outbound sends the HTTP requests of XanoScript's api.request: it implements
// relaybase.Outbound with net/http, under a policy of which targets may be reached.
//
// The policy (Policy) guards against server-side request forgery: a stack builds its URL
// from inputs, so without it any client could make the server fetch its own loopback
// services, the cloud metadata endpoint (169.254.169.254) or the private network. The
// check is made at dial time, on every IP address the connection is actually made to,
// after name resolution: a hostname that resolves to a private address is refused like
// the address itself (so a DNS answer that changes between a check and the connection
// cannot slip through), and every redirect is dialled, and so checked, the same way. No
// proxy from the environment is used, since a proxy would make the dial to the proxy the
// only one checked.
//
// Rules, for outbound_allow and outbound_deny (docs/configuration.md):
//
//	"*"                any public address
//	api.stripe.com     that host name (public addresses only)
//	*.example.com      any subdomain of example.com (public addresses only)
//	10.1.2.3           that address, public or not
//	10.0.0.0/8         addresses in that range, public or not
//
// A request is allowed when no deny rule matches its host name or address and an allow
// rule does. Private, loopback, link-local and other non-public addresses are allowed
// only by an address or range rule that contains them: a name cannot open them.
//
// The package knows nothing of XanoScript: the stack composes the request (URL, headers,
// body) and reads the response.
package outbound
