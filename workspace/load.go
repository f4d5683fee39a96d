package workspace

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"relaybase"
	"relaybase/value"
	"relaybase/xs"
)

// ConfigFile is the name of relaybase's own settings file inside a workspace.
const ConfigFile = "relaybase.yaml"

// Load reads the workspace in dir. It returns every diagnostic it finds, not just the
// first; the workspace can be served only when none has Severity xs.Error. A directory
// that cannot be read is an error.
func Load(dir string) (*Workspace, []xs.Diagnostic, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("open workspace: %w", err)
	}
	if !info.IsDir() {
		return nil, nil, fmt.Errorf("open workspace: %s is not a directory", dir)
	}
	l := &loader{ws: &Workspace{Dir: dir, Name: filepath.Base(dir), Env: map[string]any{}}}
	if err := l.readConfig(); err != nil {
		return nil, nil, err
	}
	files, err := sourceFiles(dir)
	if err != nil {
		return nil, nil, err
	}
	return l.load(files)
}

// LoadFile reads one .xs file as a whole workspace: a multi-document bundle, such as Xano
// writes for a run.job, whose objects are separated by "---" lines. Its Dir is the file's
// directory; no relaybase.yaml and no static folder are read.
func LoadFile(path string) (*Workspace, []xs.Diagnostic, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, nil, fmt.Errorf("open workspace file: %w", err)
	}
	if info.IsDir() {
		return nil, nil, fmt.Errorf("open workspace file: %s is a directory", path)
	}
	dir := filepath.Dir(path)
	l := &loader{ws: &Workspace{Dir: dir, Name: strings.TrimSuffix(filepath.Base(path), ".xs"), Env: map[string]any{}}, single: true}
	return l.load([]string{path})
}

func (l *loader) load(files []string) (*Workspace, []xs.Diagnostic, error) {
	dir := l.ws.Dir
	var queries []*pendingQuery
	for _, path := range files {
		src, err := os.ReadFile(path)
		if err != nil {
			return nil, nil, fmt.Errorf("read %s: %w", path, err)
		}
		rel, _ := filepath.Rel(dir, path)
		f, diags := xs.Parse(filepath.ToSlash(rel), src)
		l.diags = append(l.diags, diags...)
		if f == nil {
			continue
		}
		for _, n := range f.Objects {
			if n.Disabled {
				continue
			}
			if q := l.object(f.Path, n); q != nil {
				queries = append(queries, q)
			}
		}
	}
	l.resolveQueries(queries)
	l.resolveRealtime()
	l.checkTables()
	l.checkRoutes()
	if st, err := os.Stat(filepath.Join(dir, "static")); !l.single && err == nil && st.IsDir() {
		l.ws.StaticDir = filepath.Join(dir, "static")
	}
	sortDiagnostics(l.diags)
	return l.ws, l.diags, nil
}

// HasErrors reports whether any diagnostic stops the workspace from being served.
func HasErrors(diags []xs.Diagnostic) bool {
	for _, d := range diags {
		if d.Severity == xs.Error {
			return true
		}
	}
	return false
}

func sortDiagnostics(d []xs.Diagnostic) {
	sort.SliceStable(d, func(i, j int) bool {
		a, b := d[i].Pos, d[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
}

// sourceFiles lists every .xs file under dir, in a stable order, skipping the data dir,
// static files, node_modules and hidden folders.
func sourceFiles(dir string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != dir && (strings.HasPrefix(name, ".") || name == "node_modules" || (name == "static" && filepath.Dir(path) == dir)) {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(d.Name(), ".xs") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read workspace: %w", err)
	}
	sort.Strings(files)
	return files, nil
}

type loader struct {
	ws     *Workspace
	diags  []xs.Diagnostic
	rt     realtime
	single bool // LoadFile: one file, not a directory
}

type pendingQuery struct {
	ep        *Endpoint
	groupName string // api_group = "..." inside the query, "" when absent
	groupPos  xs.Pos
}

func (l *loader) errorf(pos xs.Pos, format string, args ...any) {
	l.diags = append(l.diags, xs.Diagnostic{Pos: pos, Severity: xs.Error, Message: fmt.Sprintf(format, args...)})
}

func (l *loader) warnf(pos xs.Pos, format string, args ...any) {
	l.diags = append(l.diags, xs.Diagnostic{Pos: pos, Severity: xs.Warning, Message: fmt.Sprintf(format, args...)})
}

func (l *loader) readConfig() error {
	path := filepath.Join(l.ws.Dir, ConfigFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	cfg := map[string]any{}
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		return fmt.Errorf("%s: %w", ConfigFile, err)
	}
	l.ws.Config = cfg
	if ids, ok := cfg["table_ids"]; ok {
		m, ok := ids.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: table_ids must map table names to ids", ConfigFile)
		}
		l.ws.TableIDs = map[string]int64{}
		for name, v := range m {
			id, ok := v.(int)
			if !ok || id <= 0 {
				return fmt.Errorf("%s: table_ids.%s must be a positive integer", ConfigFile, name)
			}
			l.ws.TableIDs[name] = int64(id)
		}
	}
	return nil
}

// object files one top-level object into the workspace.
func (l *loader) object(file string, n *xs.Node) *pendingQuery {
	switch n.Keyword {
	case "workspace":
		l.workspaceSettings(n)
	case "table":
		if t := l.table(file, n); t != nil {
			l.ws.Tables = append(l.ws.Tables, t)
		}
	case "table_trigger":
		l.ws.TableTriggers = append(l.ws.TableTriggers, &Object{Name: n.Name, File: file, Node: n})
	case "function":
		if n.Name == "" {
			l.errorf(n.Pos, "function needs a name")
			return nil
		}
		l.ws.Functions = append(l.ws.Functions, &Object{Name: n.Name, File: file, Node: n})
	case "api_group":
		g := &Group{Name: n.Name, File: file, Node: n}
		if a := n.Body.Attr("canonical"); a != nil {
			g.Canonical, _ = l.text(a.Value, "canonical")
		}
		if g.Canonical == "" {
			g.Canonical = n.Name
			l.warnf(n.Pos, "api_group %q has no canonical; using its name", n.Name)
		}
		l.ws.Groups = append(l.ws.Groups, g)
	case "query":
		return l.query(file, n)
	case "realtime_channel":
		if r, ok := l.channel(file, n); ok {
			l.ws.Channels = append(l.ws.Channels, r)
		}
	case "realtime_trigger":
		l.ws.RealtimeTriggers = append(l.ws.RealtimeTriggers, &Object{Name: n.Name, File: file, Node: n})
	case "middleware":
		if n.Name == "" {
			l.errorf(n.Pos, "middleware needs a name")
			return nil
		}
		l.ws.Middlewares = append(l.ws.Middlewares, &Object{Name: n.Name, File: file, Node: n})
	case "realtime_server":
		l.realtimeServer(file, n)
	case "channel":
		l.realtimeChannel(file, n)
	case "message":
		l.realtimeMessage(file, n)
	case "channel_trigger":
		l.realtimeTrigger(file, n, true)
	case "realtime_server_trigger":
		l.realtimeTrigger(file, n, false)
	case "task":
		l.task(file, n)
	case "addon":
		l.addon(file, n)
	case "workflow_test":
		l.workflowTest(file, n)
	case "run", "run.job", "run.service":
		l.run(file, n)
	default:
		why := ""
		switch n.Keyword {
		case "agent", "tool", "mcp_server":
			why = " (it needs an outside AI service, which relaybase does not connect to)"
		}
		l.diags = append(l.diags, xs.Diagnostic{Pos: n.Pos, Severity: xs.Unsupported,
			Message: fmt.Sprintf("%s: object kind not run by relaybase%s; it is not served", n.Keyword, why)})
	}
	return nil
}

func (l *loader) workspaceSettings(n *xs.Node) {
	if n.Name != "" {
		l.ws.Name = n.Name
	}
	if a := n.Body.Attr("env"); a != nil {
		v, err := Const(a.Value)
		obj, ok := v.(*value.Object)
		if err != nil || !ok {
			l.errorf(a.Pos, "env must be an object of constant values")
		} else {
			for _, k := range obj.Keys() {
				l.ws.Env[k], _ = obj.Get(k)
			}
		}
	}
	if a := n.Body.Attr("realtime"); a != nil {
		v, err := Const(a.Value)
		obj, ok := v.(*value.Object)
		if err != nil || !ok {
			l.errorf(a.Pos, "realtime must be an object such as {canonical: \"...\"}")
			return
		}
		if c, ok := obj.Get("canonical"); ok {
			s, ok := c.(string)
			if !ok || !validCanonical(s) {
				l.errorf(a.Pos, "realtime canonical must be text of letters, digits, '-' and '_'")
				return
			}
			l.ws.Canonical = s
		}
	}
}

func validCanonical(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, r := range s {
		if !(r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// text reads a constant text attribute.
func (l *loader) text(e xs.Expr, what string) (string, bool) {
	v, err := Const(e)
	if err != nil {
		l.errorf(e.Position(), "%s: %v", what, err)
		return "", false
	}
	if id, ok := e.(*xs.Ident); ok {
		return id.Name, true
	}
	s, ok := v.(string)
	if !ok {
		l.errorf(e.Position(), "%s must be text, found %s", what, value.TypeName(v))
		return "", false
	}
	return s, true
}

func (l *loader) boolAttr(b *xs.Block, key string, def bool) bool {
	a := b.Attr(key)
	if a == nil {
		return def
	}
	v, err := Const(a.Value)
	bv, ok := v.(bool)
	if err != nil || !ok {
		l.errorf(a.Pos, "%s must be true or false", key)
		return def
	}
	return bv
}

var fieldTypes = map[string]relaybase.FieldType{
	"int": relaybase.TypeInt, "integer": relaybase.TypeInt,
	"decimal": relaybase.TypeDecimal, "text": relaybase.TypeText, "bool": relaybase.TypeBool,
	"timestamp": relaybase.TypeTimestamp, "date": relaybase.TypeDate, "email": relaybase.TypeEmail,
	"password": relaybase.TypePassword, "uuid": relaybase.TypeUUID, "json": relaybase.TypeJSON,
	"enum": relaybase.TypeEnum, "object": relaybase.TypeObject,
	// A stored file's metadata (storage.create_attachment's result) is an object, kept as one.
	"attachment": relaybase.TypeObject, "image": relaybase.TypeObject, "video": relaybase.TypeObject,
	"audio": relaybase.TypeObject, "file": relaybase.TypeObject,
}

func (l *loader) table(file string, n *xs.Node) *relaybase.Table {
	if n.Name == "" {
		l.errorf(n.Pos, "table needs a name")
		return nil
	}
	t := &relaybase.Table{Name: n.Name, File: file}
	t.Auth = l.boolAttr(n.Body, "auth", false)
	schema := n.Body.Node("schema")
	if schema == nil || schema.Body == nil {
		l.errorf(n.Pos, "table %s has no schema { ... }", n.Name)
		return nil
	}
	seen := map[string]bool{}
	for _, fn := range schema.Body.Nodes {
		if fn.Disabled {
			continue
		}
		fd := fn.Field
		if fd == nil {
			l.errorf(fn.Pos, "expected a field declaration such as `text name`, found %s", fn.Keyword)
			continue
		}
		if seen[fd.Name] {
			l.errorf(fn.Pos, "table %s: field %s is declared twice", t.Name, fd.Name)
			continue
		}
		seen[fd.Name] = true
		if fd.Name == "id" {
			continue
		}
		ft, ok := fieldTypes[fd.Type]
		if !ok {
			l.diags = append(l.diags, xs.Diagnostic{Pos: fn.Pos, Severity: xs.Unsupported,
				Message: fmt.Sprintf("table %s: field %s has type %s, which relaybase does not store; the field is left out", t.Name, fd.Name, fd.Type)})
			continue
		}
		f := relaybase.Field{Name: fd.Name, Type: ft, Array: fd.Array, Nullable: fd.Nullable, Optional: fd.Optional}
		if fd.Default != nil {
			if id, ok := fd.Default.(*xs.Ident); ok {
				f.Default = id.Name // now, or an unquoted word
			} else if v, err := Const(fd.Default); err == nil {
				f.Default = v
			} else {
				l.errorf(fd.Default.Position(), "default of %s must be a constant: %v", fd.Name, err)
			}
		}
		if fn.Body != nil {
			if a := fn.Body.Attr("table"); a != nil {
				f.RefTable, _ = l.text(a.Value, "table")
			}
			if a := fn.Body.Attr("values"); a != nil {
				v, _ := Const(a.Value)
				arr, ok := v.([]any)
				if !ok {
					l.errorf(a.Pos, "values must be an array of text")
				}
				for _, e := range arr {
					f.Values = append(f.Values, value.ToText(e))
				}
			}
		}
		if ft == relaybase.TypeEnum && len(f.Values) == 0 {
			l.errorf(fn.Pos, "enum %s needs values = [...]", fd.Name)
		}
		t.Fields = append(t.Fields, f)
	}
	if a := n.Body.Attr("index"); a != nil {
		t.Index = l.indexes(t, a)
	}
	if a := n.Body.Attr("items"); a != nil {
		l.items(t, a)
	}
	if id, ok := l.ws.TableIDs[t.Name]; ok {
		t.ID = id
	}
	return t
}

func (l *loader) indexes(t *relaybase.Table, a *xs.Attr) []relaybase.Index {
	v, err := Const(a.Value)
	list, ok := v.([]any)
	if err != nil || !ok {
		l.errorf(a.Pos, "index must be an array of {type, field: [{name}]}")
		return nil
	}
	var out []relaybase.Index
	for _, e := range list {
		obj, ok := e.(*value.Object)
		if !ok {
			l.errorf(a.Pos, "index entries must be objects")
			continue
		}
		typ, _ := obj.Get("type")
		ix := relaybase.Index{Type: value.ToText(typ)}
		ix.Unique = strings.Contains(ix.Type, "unique")
		fields, _ := obj.Get("field")
		fl, _ := fields.([]any)
		for _, fe := range fl {
			fo, _ := fe.(*value.Object)
			name, _ := fo.Get("name")
			ix.Fields = append(ix.Fields, value.ToText(name))
		}
		if ix.Type == "primary" {
			continue // every table's primary key is id
		}
		if slices.Contains(ix.Fields, xanoRowColumn) {
			if _, declared := t.Field(xanoRowColumn); !declared {
				// Xano adds {type: "gin", field: [{name: "xdo", op: "jsonb_path_op"}]} to many
				// exported tables: an index over its internal column holding the whole row as
				// JSON. relaybase stores each field in its own column and keeps no such
				// column, so there is nothing to index, on SQLite or PostgreSQL.
				l.warnf(a.Pos, "table %s: index over Xano's internal row column %s skipped: relaybase keeps no such column", t.Name, xanoRowColumn)
				continue
			}
		}
		for _, f := range ix.Fields {
			if _, ok := t.Field(f); !ok && f != "id" {
				l.errorf(a.Pos, "table %s: index names unknown field %s", t.Name, f)
			}
		}
		out = append(out, ix)
	}
	return out
}

// xanoRowColumn is the column in which Xano keeps each row as JSON; its exports index it.
const xanoRowColumn = "xdo"

var verbs = map[string]bool{"GET": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true}

func (l *loader) query(file string, n *xs.Node) *pendingQuery {
	ep := &Endpoint{Path: strings.Trim(n.Name, "/"), File: file, Node: n}
	if a := n.InlineAttr("verb"); a != nil {
		ep.Verb, _ = l.text(a.Value, "verb")
		ep.Verb = strings.ToUpper(ep.Verb)
	}
	if !verbs[ep.Verb] {
		l.errorf(n.Pos, "query %q needs verb=GET, POST, PUT, PATCH or DELETE", n.Name)
		return nil
	}
	if a := n.Body.Attr("auth"); a != nil {
		if lit, ok := a.Value.(*xs.Lit); !ok || lit.Value != nil {
			ep.Auth, _ = l.text(a.Value, "auth")
		}
		if strings.EqualFold(ep.Auth, "none") {
			ep.Auth = "" // Xano's spelling of a public endpoint
		}
	}
	q := &pendingQuery{ep: ep}
	if a := n.Body.Attr("api_group"); a != nil {
		q.groupName, _ = l.text(a.Value, "api_group")
		q.groupPos = a.Pos
	}
	return q
}

// resolveQueries attaches every query to its group: the one named by api_group = "...",
// else the api_group.xs of its folder or the nearest folder above it.
func (l *loader) resolveQueries(qs []*pendingQuery) {
	byFolder := map[string]*Group{}
	for _, g := range l.ws.Groups {
		byFolder[filepath.Dir(g.File)] = g
	}
	for _, q := range qs {
		if q.groupName != "" {
			for _, g := range l.ws.Groups {
				if g.Name == q.groupName || g.Canonical == q.groupName {
					q.ep.Group = g
					break
				}
			}
			if q.ep.Group == nil {
				l.errorf(q.groupPos, "api_group %q is not defined (no api_group.xs has that name)", q.groupName)
				l.ws.Unrouted = append(l.ws.Unrouted, q.ep)
				continue
			}
		} else {
			for dir := filepath.Dir(q.ep.File); ; dir = filepath.Dir(dir) {
				if g, ok := byFolder[dir]; ok {
					q.ep.Group = g
					break
				}
				if dir == "." || dir == "/" || dir == "" {
					break
				}
			}
			if q.ep.Group == nil {
				l.errorf(q.ep.Node.Pos, "query %q belongs to no api_group: add api_group = \"...\" or an api_group.xs in its folder", q.ep.Path)
				l.ws.Unrouted = append(l.ws.Unrouted, q.ep)
				continue
			}
		}
		l.ws.Endpoints = append(l.ws.Endpoints, q.ep)
	}
}

// checkTables reports what can be wrong between tables: names used twice, references to
// tables that don't exist, unmapped numeric references.
func (l *loader) checkTables() {
	seen := map[string]string{}
	for _, t := range l.ws.Tables {
		if prev, ok := seen[t.Name]; ok {
			l.errorf(xs.Pos{File: t.File, Line: 1, Col: 1}, "table %s is also defined in %s", t.Name, prev)
		}
		seen[t.Name] = t.File
	}
	for _, ep := range slices.Concat(l.ws.Endpoints, l.ws.Unrouted) {
		if ep.Auth == "" {
			continue
		}
		t, ok := l.ws.Table(ep.Auth)
		switch {
		case !ok && isNumber(ep.Auth):
			l.errorf(ep.Node.Pos, "auth = %q is a numeric table id that table_ids in relaybase.yaml does not map", ep.Auth)
		case !ok:
			l.errorf(ep.Node.Pos, "auth = %q: no such table", ep.Auth)
		case !t.Auth:
			l.errorf(ep.Node.Pos, "auth = %q: table %s is not an auth table (auth = true)", ep.Auth, t.Name)
		default:
			ep.Auth = t.Name
		}
	}
	for name := range l.ws.TableIDs {
		if _, ok := seen[name]; !ok {
			l.warnf(xs.Pos{File: ConfigFile, Line: 1, Col: 1}, "table_ids names %s, which is not a table of this workspace", name)
		}
	}
}

func isNumber(s string) bool {
	_, err := strconv.ParseInt(s, 10, 64)
	return err == nil
}

// checkRoutes reports endpoints that collide under Xano's rule (docs/http.md, "Endpoints"): same group and
// verb, same number of segments, every segment pair equal or a {param} on either side.
func (l *loader) checkRoutes() {
	for i, a := range l.ws.Endpoints {
		for _, b := range l.ws.Endpoints[i+1:] {
			if a.Group != b.Group || a.Verb != b.Verb || !Collide(a.Path, b.Path) {
				continue
			}
			l.errorf(b.Node.Pos, "%s %s collides with %s %s in %s", b.Verb, b.Path, a.Verb, a.Path, a.File)
		}
	}
	canon := map[string]*Group{}
	for _, g := range l.ws.Groups {
		if prev, ok := canon[g.Canonical]; ok {
			l.errorf(g.Node.Pos, "api_group canonical %q is also used by %s", g.Canonical, prev.File)
		}
		canon[g.Canonical] = g
	}
}

// Collide reports whether two endpoint paths of one group and verb would match the same
// requests.
func Collide(a, b string) bool {
	as, bs := splitPath(a), splitPath(b)
	if len(as) != len(bs) {
		return false
	}
	for i := range as {
		if as[i] != bs[i] && !IsParam(as[i]) && !IsParam(bs[i]) {
			return false
		}
	}
	return true
}

// IsParam reports whether a path segment is a {param}.
func IsParam(seg string) bool { return relaybase.IsPathParam(seg) }

func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

var historySizes = map[int64]bool{0: true, 25: true, 50: true, 100: true, 250: true, 1000: true}

func (l *loader) channel(file string, n *xs.Node) (relaybase.ChannelRule, bool) {
	r := relaybase.ChannelRule{Pattern: n.Name, File: file}
	if r.Pattern == "" || len(r.Pattern) > 256 {
		l.errorf(n.Pos, "realtime_channel needs a pattern of 1 to 256 bytes")
		return r, false
	}
	if i := strings.IndexByte(r.Pattern, '*'); i >= 0 && i != len(r.Pattern)-1 {
		l.errorf(n.NamePos, "realtime_channel %q: '*' may only end a pattern", r.Pattern)
		return r, false
	}
	r.Active = l.boolAttr(n.Body, "active", true)
	settings := l.objectAttr(n.Body, "settings")
	r.AnonymousClients = boolMember(settings, "anonymous_clients")
	r.Presence = boolMember(settings, "presence")
	r.AuthChannel = boolMember(settings, "auth_channel")
	r.NestedChannels = boolMember(settings, "nested_channels")
	if h, ok := settings.Get("message_history"); ok {
		hv, isInt := h.(int64)
		if !isInt || !historySizes[hv] {
			l.errorf(n.Pos, "realtime_channel %q: message_history must be 0, 25, 50, 100, 250 or 1000", r.Pattern)
		}
		r.History = int(hv)
	}
	if strings.HasSuffix(r.Pattern, "*") && !r.NestedChannels {
		l.warnf(n.NamePos, "realtime_channel %q ends in '*' but nested_channels is off; it is treated as nested", r.Pattern)
	}
	pub := l.objectAttr(n.Body, "public_messaging")
	r.PublicMessaging, r.PublicMessagingAuth = boolMember(pub, "active"), boolMember(pub, "auth")
	priv := l.objectAttr(n.Body, "private_messaging")
	r.PrivateMessaging, r.PrivateMessagingAuth = boolMember(priv, "active"), boolMember(priv, "auth")
	if a := n.Body.Attr("event"); a != nil {
		l.warnf(a.Pos, "event has no effect in this protocol")
	}
	return r, true
}

func (l *loader) objectAttr(b *xs.Block, key string) *value.Object {
	a := b.Attr(key)
	if a == nil {
		return value.NewObject(0)
	}
	v, err := Const(a.Value)
	obj, ok := v.(*value.Object)
	if err != nil || !ok {
		l.errorf(a.Pos, "%s must be an object of constant values", key)
		return value.NewObject(0)
	}
	return obj
}

func boolMember(o *value.Object, key string) bool {
	v, _ := o.Get(key)
	b, _ := v.(bool)
	return b
}

// Const evaluates an expression made only of literals, objects, arrays and unary minus,
// as settings are written. Bare words evaluate to their text.
func Const(e xs.Expr) (any, error) {
	switch t := e.(type) {
	case *xs.Lit:
		return t.Value, nil
	case *xs.Ident:
		return t.Name, nil
	case *xs.Paren:
		return Const(t.X)
	case *xs.Unary:
		if t.Op == "-" {
			v, err := Const(t.X)
			if err != nil {
				return nil, err
			}
			switch n := v.(type) {
			case int64:
				return -n, nil
			case float64:
				return -n, nil
			}
		}
	case *xs.ArrayLit:
		out := make([]any, 0, len(t.Elems))
		for _, el := range t.Elems {
			v, err := Const(el)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case *xs.ObjectLit:
		o := value.NewObject(len(t.Keys))
		for i, k := range t.Keys {
			v, err := Const(t.Values[i])
			if err != nil {
				return nil, err
			}
			o.Set(k, v)
		}
		return o, nil
	case *xs.Filter:
		// "btree|unique" written without quotes would be a filter; keep it as text.
		if id, ok := t.X.(*xs.Ident); ok && len(t.Call.Args) == 0 {
			return id.Name + "|" + t.Call.Name, nil
		}
	}
	return nil, fmt.Errorf("%s is not a constant", describe(e))
}

func describe(e xs.Expr) string {
	switch e.(type) {
	case *xs.Var, *xs.Member, *xs.Index:
		return "a variable"
	case *xs.Filter:
		return "a filter"
	}
	return "an expression"
}
