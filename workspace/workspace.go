package workspace

import (
	"strconv"

	"relaybase"
	"relaybase/value"
	"relaybase/xs"
)

// Workspace is a loaded workspace directory.
type Workspace struct {
	Dir       string
	Name      string         // from workspace/<name>.xs, else the directory's name
	Env       map[string]any // the workspace's env = {...}, values of package value
	Canonical string         // realtime = {canonical: "..."}, "" when absent

	Tables        []*relaybase.Table
	TableTriggers []*Object
	Groups        []*Group
	Endpoints     []*Endpoint
	// Unrouted are the queries whose api_group is missing (an error Load reports). They
	// are never served, but package stack still compiles them, so that a check reports
	// every other problem of their stacks too.
	Unrouted         []*Endpoint
	Functions        []*Object // Name is the function's full name ("auth/hash" or "my_function")
	Channels         []relaybase.ChannelRule
	RealtimeTriggers []*Object
	Tasks            []*Task
	Addons           []*Object
	WorkflowTests    []*Object
	Jobs             []*Job // run.job objects, as a multi-document bundle holds them
	// Items are the seed rows tables declare (items = [...]), by table name.
	Items map[string][]*value.Object
	// Middlewares are the middleware objects, attached to queries, groups and functions
	// by their middleware = {pre: [{name}], post: [{name}]} attribute (package stack).
	Middlewares []*Object

	// Xano's current realtime: servers (with their channels and messages' definitions),
	// the message handlers' nodes, and channel_trigger / realtime_server_trigger objects.
	RealtimeServers   []*relaybase.RealtimeServer
	RealtimeMessages  []*RealtimeMessage
	LifecycleTriggers []*RealtimeTrigger

	// TableIDs fixes table ids to Xano's (relaybase.yaml table_ids); numeric table
	// references ("37") resolve through it.
	TableIDs map[string]int64
	// Config is relaybase.yaml as read (keys of product.md's configuration), nil if absent.
	Config map[string]any
	// StaticDir is DIR/static when it exists, else "".
	StaticDir string
}

// Object is a parsed top-level object with the file it came from.
type Object struct {
	Name string
	File string
	Node *xs.Node
}

// Group is an API group (api/<group>/api_group.xs).
type Group struct {
	Name      string
	Canonical string
	File      string
	Node      *xs.Node
}

// Endpoint is a query: its group, path, verb and the node holding its input and stack.
type Endpoint struct {
	Group *Group
	Path  string // as written, without a leading "/": "messages/{id}"
	Verb  string // GET, POST, PUT, PATCH, DELETE
	Auth  string // the auth table's name, "" when the endpoint is public
	File  string
	Node  *xs.Node
}

// Table returns the table a reference names: its name, or Xano's numeric id in quotes
// ("37") mapped through TableIDs.
func (w *Workspace) Table(ref string) (*relaybase.Table, bool) {
	for _, t := range w.Tables {
		if t.Name == ref {
			return t, true
		}
	}
	for name, id := range w.TableIDs {
		if ref == strconv.FormatInt(id, 10) {
			return w.Table(name)
		}
	}
	return nil, false
}
