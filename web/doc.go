// Package web holds the files every relaybase serves itself, embedded in the binary:
// relaybase.js, the project's own dependency-free JavaScript client (docs/protocol.md, "The project's own client").
package web

import _ "embed"

// ClientJS is /relaybase.js.
//
//go:embed relaybase.js
var ClientJS []byte
