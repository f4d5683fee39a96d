// Package admin is the server side of the console at /_/: the embedded page (admin/ui/),
// admin accounts and their sessions, and the JSON API under /_/api/ the page uses
// (docs/admin.md). It reads a running node's parts (the compiled workspace, the store, the
// realtime servers, the task ledger) and acts through the same paths a stack does, so what
// the console does to the data is what an endpoint would do.
//
// It must not know SQL, which store or engine runs underneath, or the wire protocol of
// realtime: it asks the contracts of the root and the realtime packages.
package admin
