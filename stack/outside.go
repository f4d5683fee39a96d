package stack

import "strings"

// outsideServices are the statement families that exist to call a service outside
// relaybase: an AI model provider, a cloud provider's API, an email provider, a geo-IP
// database, Xano's JavaScript lambda runtime. relaybase connects to none of them, so they
// stay unsupported, and say why (what a workspace would need in their place is the
// operator's choice: api.request can reach most of these services over HTTP). The last
// entries are not outside services but constructs relaybase does not run for a reason of
// its own, which their message gives the same way.
var outsideServices = []struct{ prefix, why string }{
	{"ai.", "it needs an outside AI service (a model provider or an agent runtime), which relaybase does not connect to"},
	{"mcp.", "it needs an MCP server session, which relaybase does not host"},
	{"tool.", "it needs Xano's AI tool runtime, which relaybase does not have"},
	{"cloud.", "it needs a cloud provider's API (storage, search), which relaybase does not connect to; api.request can call it over HTTP"},
	{"datadog.", "it needs Datadog, which relaybase does not connect to; api.request can call its HTTP API"},
	{"db.external.", "it needs an external database connection, which relaybase does not make"},
	{"util.send_email", "it needs an email provider, which relaybase does not connect to; api.request can call one's HTTP API"},
	{"util.ip_lookup", "it needs a geo-IP database, which relaybase does not have"},
	{"api.lambda", "it needs Xano's JavaScript lambda runtime, which relaybase does not have"},
	{"lambda", "it needs Xano's JavaScript lambda runtime, which relaybase does not have"},
	{"microservice.", "it needs Xano's microservice runtime, which relaybase does not have"},
	{"webflow.", "it needs Webflow, which relaybase does not connect to; api.request can call its HTTP API"},
	{"action.call", "it needs an action imported from Xano's marketplace, which relaybase does not have"},
	{"db.direct_query", "relaybase runs no raw SQL: Xano's SQL names its own internal tables and columns, which relaybase's database does not have; use db.query"},
	{"db.set_datasource", "relaybase has one datasource, the database it runs on; tests run on an empty one of their own"},
	{"api.stream", "relaybase does not stream responses; an endpoint answers once, with its response"},
	{"stream.from_request", "relaybase does not stream outbound requests; api.request reads the whole response"},
}

// outsideService returns why a statement needs a service outside relaybase, "" when it
// needs none.
func outsideService(keyword string) string {
	for _, s := range outsideServices {
		if keyword == s.prefix || strings.HasSuffix(s.prefix, ".") && strings.HasPrefix(keyword, s.prefix) {
			return s.why
		}
	}
	return ""
}
