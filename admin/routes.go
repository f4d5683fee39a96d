package admin

import "net/http"

// route is one route of the console's API.
type route struct {
	method  string
	pattern string // a ServeMux pattern under /_/api/
	handler http.HandlerFunc
	public  bool // reachable without a session: only login
}

// routes lists every route of the console's API (docs/admin.md). Every one but login
// needs a session, and every one that is not GET its CSRF token; the security tests walk
// this table, so a route added here is covered by them.
func (h *Handler) routes() []route {
	return []route{
		{method: "POST", pattern: "/_/api/login", handler: h.handleLogin, public: true},
		{method: "POST", pattern: "/_/api/logout", handler: h.handleLogout},
		{method: "GET", pattern: "/_/api/session", handler: h.handleSession},
		{method: "GET", pattern: "/_/api/workspace", handler: h.handleWorkspace},
		{method: "GET", pattern: "/_/api/tables", handler: h.handleTables},
		{method: "GET", pattern: "/_/api/tables/{table}/rows", handler: h.handleRows},
		{method: "POST", pattern: "/_/api/tables/{table}/rows", handler: h.handleRowCreate},
		{method: "PATCH", pattern: "/_/api/tables/{table}/rows/{id}", handler: h.handleRowEdit},
		{method: "DELETE", pattern: "/_/api/tables/{table}/rows/{id}", handler: h.handleRowDelete},
		{method: "GET", pattern: "/_/api/endpoints", handler: h.handleEndpoints},
		{method: "POST", pattern: "/_/api/endpoints/run", handler: h.handleRun},
		{method: "GET", pattern: "/_/api/realtime", handler: h.handleRealtime},
		{method: "GET", pattern: "/_/api/realtime/presence", handler: h.handlePresence},
		{method: "GET", pattern: "/_/api/realtime/history", handler: h.handleHistory},
		{method: "GET", pattern: "/_/api/realtime/tail", handler: h.handleTail},
		{method: "GET", pattern: "/_/api/realtime/stats", handler: h.handleStatsStream},
		{method: "POST", pattern: "/_/api/realtime/publish", handler: h.handlePublish},
		{method: "GET", pattern: "/_/api/tasks", handler: h.handleTasks},
	}
}
