// Package httpapi is relaybase's HTTP face: every route in routes.go, the router that maps
// /api:{canonical}/{path} to a compiled endpoint (docs/http.md), input decoding from the query
// string, JSON, form and multipart bodies, the error body and the code → status table,
// CORS, request ids, panic recovery, static files, and the mount point of the realtime
// WebSocket endpoint. Every request is counted (package metrics) and logged (the access log)
// under the route pattern it matched, never its raw path; /metrics is served here only
// behind its bearer token (Config.MetricsToken). It knows nothing of SQL or XanoScript syntax: endpoints come
// compiled from package stack, and the realtime server from package realtime.
//
// Server.Listener puts a listener in front of net/http that hands WebSocket upgrades for
// /rt/{canonical} to the realtime server straight from the socket (listener.go), skipping
// net/http for the connect; every other connection reaches net/http unchanged, except that
// the plain-text answers net/http writes itself to a request it cannot read (400, 431
// past Config.MaxHeaderBytes, 501) are rewritten on their way out to carry relaybase's
// JSON error body (conn.go): they are written before any handler runs, so no handler could.
package httpapi
