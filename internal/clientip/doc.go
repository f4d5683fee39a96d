// Package clientip finds the address of the client behind a request: the TCP peer's, or,
// when the peer is a proxy the operator trusts (the trusted_proxies setting), the address
// that the proxies recorded in X-Forwarded-For or Forwarded (RFC 7239). Rate limits, logs,
// $env.$remote_ip and realtime connections (through net/http or upgraded straight from the
// listener) all ask it, so they agree on who a client is.
//
// It must not know HTTP routing, realtime or anything of relaybase beyond this: it is a
// leaf that httpapi and realtime share.
package clientip
