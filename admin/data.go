package admin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"relaybase"
	"relaybase/value"
	"relaybase/workspace"
	"relaybase/xs"
)

// --- tables and rows ---

type fieldJSON struct {
	Name      string   `json:"name"`
	Type      string   `json:"type"`
	Array     bool     `json:"array,omitempty"`
	Nullable  bool     `json:"nullable"`
	Required  bool     `json:"required"`
	Sensitive bool     `json:"sensitive"`
	Default   any      `json:"default,omitempty"`
	Values    []string `json:"values,omitempty"`
	Table     string   `json:"table,omitempty"`
}

type indexJSON struct {
	Type   string   `json:"type"`
	Unique bool     `json:"unique"`
	Fields []string `json:"fields"`
}

type tableJSON struct {
	Name     string      `json:"name"`
	Auth     bool        `json:"auth"`
	File     string      `json:"file"`
	Fields   []fieldJSON `json:"fields"`
	Indexes  []indexJSON `json:"indexes"`
	Triggers []string    `json:"triggers"`
}

func (h *Handler) handleTables(w http.ResponseWriter, r *http.Request) {
	out := []tableJSON{}
	for _, t := range h.cfg.Workspace.Tables {
		tj := tableJSON{Name: t.Name, Auth: t.Auth, File: h.relFile(t.File), Fields: []fieldJSON{{Name: "id", Type: "int", Required: false}},
			Indexes: []indexJSON{}, Triggers: h.cfg.Program.TableTriggers(t.Name)}
		if tj.Triggers == nil {
			tj.Triggers = []string{}
		}
		for i := range t.Fields {
			f := &t.Fields[i]
			fj := fieldJSON{Name: f.Name, Type: string(f.Type), Array: f.Array, Nullable: f.Nullable,
				Required: !f.Optional && f.Default == nil && !f.Nullable, Sensitive: f.Sensitive(),
				Values: f.Values, Table: f.RefTable}
			if !f.Sensitive() {
				fj.Default = value.Normalize(f.Default)
			}
			tj.Fields = append(tj.Fields, fj)
		}
		for _, ix := range t.Index {
			tj.Indexes = append(tj.Indexes, indexJSON{Type: ix.Type, Unique: ix.Unique, Fields: append([]string{}, ix.Fields...)})
		}
		out = append(out, tj)
	}
	h.writeJSON(w, r, http.StatusOK, out)
}

// table is the request's {table}, or a 404.
func (h *Handler) table(r *http.Request) (*relaybase.Table, error) {
	name := r.PathValue("table")
	for _, t := range h.cfg.Workspace.Tables {
		if t.Name == name {
			return t, nil
		}
	}
	return nil, notFound(fmt.Sprintf("No table %q in the workspace.", name))
}

// hideSecrets drops a row's sensitive fields: the console never shows a password hash.
func hideSecrets(t *relaybase.Table, row *value.Object) *value.Object {
	if row == nil {
		return nil
	}
	for i := range t.Fields {
		if t.Fields[i].Sensitive() {
			row.Delete(t.Fields[i].Name)
		}
	}
	return row
}

func (h *Handler) handleRows(w http.ResponseWriter, r *http.Request) {
	t, err := h.table(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	page, perPage := 1, 25
	if s := q.Get("page"); s != "" {
		if page, err = strconv.Atoi(s); err != nil || page < 1 {
			h.writeError(w, r, inputError("page must be a whole number from 1."))
			return
		}
	}
	if s := q.Get("per_page"); s != "" {
		if perPage, err = strconv.Atoi(s); err != nil || perPage < 1 || perPage > 100 {
			h.writeError(w, r, inputError("per_page must be a whole number from 1 to 100."))
			return
		}
	}
	query := &relaybase.Query{Table: t.Name, Limit: perPage, Offset: (page - 1) * perPage, Total: true}
	sortField := q.Get("sort")
	if sortField == "" {
		sortField = "id"
	}
	if f, ok := t.Field(sortField); sortField != "id" && (!ok || f.Sensitive()) {
		h.writeError(w, r, inputError(fmt.Sprintf("Cannot sort by %q: the table has no such field.", sortField)))
		return
	}
	switch q.Get("order") {
	case "", "asc":
		query.Sort = []relaybase.SortKey{{Field: sortField}}
	case "desc":
		query.Sort = []relaybase.SortKey{{Field: sortField, Desc: true}}
	default:
		h.writeError(w, r, inputError("order must be asc or desc."))
		return
	}
	if name := q.Get("field"); name != "" {
		cond, err := filterCond(t, name, q.Get("value"))
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		query.Where = cond
	}
	tx, err := h.cfg.Store.Begin(r.Context(), false)
	if err != nil {
		h.writeError(w, r, fmt.Errorf("rows of %s: %w", t.Name, err))
		return
	}
	defer tx.Rollback()
	res, err := tx.Query(r.Context(), query)
	if err != nil {
		h.writeError(w, r, fmt.Errorf("rows of %s: %w", t.Name, err))
		return
	}
	items := make([]any, 0, len(res.Rows))
	for _, row := range res.Rows {
		items = append(items, hideSecrets(t, row))
	}
	h.writeJSON(w, r, http.StatusOK, value.ObjectOf("items", items, "page", int64(page), "per_page", int64(perPage), "total", res.Total))
}

// filterCond is field == value, the value coerced to the field's type as a query string
// value is for an endpoint's input.
func filterCond(t *relaybase.Table, name, raw string) (relaybase.Cond, error) {
	if name == "id" {
		id, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return nil, inputError("id must be a whole number.")
		}
		return &relaybase.Cmp{Field: "id", Op: relaybase.OpEq, Value: id}, nil
	}
	f, ok := t.Field(name)
	if !ok || f.Sensitive() {
		return nil, inputError(fmt.Sprintf("Cannot filter by %q: the table has no such field.", name))
	}
	var v any = raw
	if raw == "null" {
		v = nil
	} else if f.Array {
		return &relaybase.Cmp{Field: name, Op: relaybase.OpContains, Value: raw}, nil
	}
	if v != nil {
		cv, err := t.Coerce(f, filterText(f, raw), relaybase.StoreLimits{})
		if err != nil {
			return nil, inputError(fmt.Sprintf("%s: %v", name, err))
		}
		v = cv
	}
	return &relaybase.Cmp{Field: name, Op: relaybase.OpEq, Value: v}, nil
}

// filterText reads a filter's value, which arrives as query-string text, as the field's
// type would hold it (numbers for int, decimal and timestamp fields, true/false for bools),
// so that Coerce checks it as it would a row's value. Text that is not such a value stays
// text, and Coerce's answer names the field and the type it expected.
func filterText(f *relaybase.Field, raw string) any {
	switch f.Type {
	case relaybase.TypeInt, relaybase.TypeTimestamp, relaybase.TypeDecimal:
		if n, err := value.ParseNumber(raw); err == nil {
			return n
		}
	case relaybase.TypeBool:
		if b, err := strconv.ParseBool(raw); err == nil {
			return b
		}
	}
	return raw
}

func (h *Handler) handleRowCreate(w http.ResponseWriter, r *http.Request) {
	t, err := h.table(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	var data *value.Object
	if err := readJSON(r, &data); err != nil {
		h.writeError(w, r, err)
		return
	}
	data.Delete("id")
	row, err := h.cfg.Program.AddRow(r.Context(), t.Name, data)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	h.log.Info("admin added a row", "admin", current(r).admin.Email, "table", t.Name)
	h.writeJSON(w, r, http.StatusCreated, rowOrNull(t, row))
}

func (h *Handler) handleRowEdit(w http.ResponseWriter, r *http.Request) {
	t, id, err := h.tableAndID(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	var data *value.Object
	if err := readJSON(r, &data); err != nil {
		h.writeError(w, r, err)
		return
	}
	data.Delete("id")
	row, err := h.cfg.Program.EditRow(r.Context(), t.Name, id, data)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	h.log.Info("admin edited a row", "admin", current(r).admin.Email, "table", t.Name, "id", id)
	h.writeJSON(w, r, http.StatusOK, rowOrNull(t, row))
}

func (h *Handler) handleRowDelete(w http.ResponseWriter, r *http.Request) {
	t, id, err := h.tableAndID(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	if err := h.cfg.Program.DeleteRow(r.Context(), t.Name, id); err != nil {
		h.writeError(w, r, err)
		return
	}
	h.log.Info("admin deleted a row", "admin", current(r).admin.Email, "table", t.Name, "id", id)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) tableAndID(r *http.Request) (*relaybase.Table, int64, error) {
	t, err := h.table(r)
	if err != nil {
		return nil, 0, err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return nil, 0, inputError("A row id is a whole number.")
	}
	return t, id, nil
}

// rowOrNull is the row for the answer (a trigger may have deleted it: null).
func rowOrNull(t *relaybase.Table, row *value.Object) any {
	if row == nil {
		return json.RawMessage("null")
	}
	return hideSecrets(t, row)
}

// --- endpoints ---

type inputJSON struct {
	Name     string   `json:"name"`
	Type     string   `json:"type"`
	Required bool     `json:"required"`
	Nullable bool     `json:"nullable"`
	Array    bool     `json:"array,omitempty"`
	Values   []string `json:"values,omitempty"`
	Default  any      `json:"default,omitempty"`
}

type endpointJSON struct {
	Group  string      `json:"group"`
	Method string      `json:"method"`
	Path   string      `json:"path"`
	URL    string      `json:"url"`
	Auth   *string     `json:"auth"`
	File   string      `json:"file"`
	Inputs []inputJSON `json:"inputs"`
}

func (h *Handler) handleEndpoints(w http.ResponseWriter, r *http.Request) {
	out := []endpointJSON{}
	for _, ep := range h.cfg.Program.Endpoints() {
		e := endpointJSON{Group: ep.Group, Method: ep.Verb, Path: ep.Path, URL: "/api:" + ep.Canonical + "/" + ep.Path,
			File: h.relFile(ep.File), Inputs: []inputJSON{}}
		if ep.Auth != "" {
			a := ep.Auth
			e.Auth = &a
		}
		for _, in := range ep.Inputs {
			ij := inputJSON{Name: in.Name, Type: in.Type, Required: in.Required, Nullable: in.Nullable, Array: in.Array, Values: in.Values}
			if in.Type != "password" {
				ij.Default = value.Normalize(in.Default)
			}
			e.Inputs = append(e.Inputs, ij)
		}
		out = append(out, e)
	}
	h.writeJSON(w, r, http.StatusOK, out)
}

// handleRun runs an endpoint through the node's own HTTP handler, in process: the same
// routing, auth, inputs, rate limits and error bodies a client gets.
func (h *Handler) handleRun(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Method string          `json:"method"`
		URL    string          `json:"url"`
		Inputs json.RawMessage `json:"inputs"`
		Token  string          `json:"token"`
	}
	if err := readJSON(r, &in); err != nil {
		h.writeError(w, r, err)
		return
	}
	method := strings.ToUpper(in.Method)
	switch method {
	case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE":
	default:
		h.writeError(w, r, inputError("method must be GET, POST, PUT, PATCH or DELETE."))
		return
	}
	u, err := url.Parse(in.URL)
	if err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(u.Path, "/api:") {
		h.writeError(w, r, inputError("url must be a path of the workspace's API, like /api:chat/messages."))
		return
	}
	if strings.ContainsAny(in.Token, "\r\n") {
		h.writeError(w, r, inputError("The token is not a token."))
		return
	}
	var inputs *value.Object
	if len(bytes.TrimSpace(in.Inputs)) > 0 && string(bytes.TrimSpace(in.Inputs)) != "null" {
		v, err := value.DecodeJSON(in.Inputs)
		o, ok := v.(*value.Object)
		if err != nil || !ok {
			h.writeError(w, r, inputError("inputs must be an object."))
			return
		}
		inputs = o
	}
	var body io.Reader
	if inputs != nil && inputs.Len() > 0 {
		if method == "GET" || method == "HEAD" || method == "DELETE" {
			qs := u.Query()
			for _, k := range inputs.Keys() {
				v, _ := inputs.Get(k)
				addQuery(qs, k, v)
			}
			u.RawQuery = qs.Encode()
		} else {
			b, err := value.EncodeJSON(inputs)
			if err != nil {
				h.writeError(w, r, inputError("inputs cannot be sent as JSON."))
				return
			}
			body = bytes.NewReader(b)
		}
	}
	req := httptest.NewRequestWithContext(r.Context(), method, u.RequestURI(), body)
	req.RemoteAddr = r.RemoteAddr // the admin's address counts against the endpoint limits
	req.Host = r.Host
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if in.Token != "" {
		req.Header.Set("Authorization", "Bearer "+in.Token)
	}
	rec := httptest.NewRecorder()
	start := time.Now()
	h.cfg.API.ServeHTTP(rec, req)
	elapsed := time.Since(start)

	headers := map[string]string{}
	for k, vs := range rec.Header() {
		headers[k] = strings.Join(vs, ", ")
	}
	raw := rec.Body.Bytes()
	var out any = string(raw)
	if strings.Contains(rec.Header().Get("Content-Type"), "json") {
		if v, err := value.DecodeJSON(raw); err == nil {
			out = v
		}
	}
	h.writeJSON(w, r, http.StatusOK, value.ObjectOf("status", int64(rec.Code), "headers", headersObject(headers),
		"body", out, "duration_ms", float64(elapsed.Microseconds())/1000))
}

func headersObject(m map[string]string) *value.Object {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	o := value.NewObject(len(keys))
	for _, k := range keys {
		o.Set(k, m[k])
	}
	return o
}

// addQuery writes an input into a query string as axios would: arrays as name[]=v.
func addQuery(qs url.Values, k string, v any) {
	switch x := v.(type) {
	case nil:
		qs.Add(k, "")
	case string:
		qs.Add(k, x)
	case []any:
		for _, e := range x {
			addQuery(qs, k+"[]", e)
		}
	case *value.Object:
		for _, kk := range x.Keys() {
			vv, _ := x.Get(kk)
			addQuery(qs, k+"["+kk+"]", vv)
		}
	default:
		b, _ := value.EncodeJSON(x)
		qs.Add(k, string(b))
	}
}

// --- workspace ---

func (h *Handler) relFile(p string) string {
	if p == "" {
		return ""
	}
	if rel, err := filepath.Rel(h.cfg.Workspace.Dir, p); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(rel)
	}
	return filepath.ToSlash(p)
}

type objectJSON struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
	File string `json:"file"`
	Line int    `json:"line"`
}

type diagnosticJSON struct {
	Severity string `json:"severity"`
	File     string `json:"file"`
	Line     int    `json:"line"`
	Col      int    `json:"col"`
	Message  string `json:"message"`
}

func (h *Handler) handleWorkspace(w http.ResponseWriter, r *http.Request) {
	ws := h.cfg.Workspace
	objs := []objectJSON{}
	add := func(kind, name, file string, n *xs.Node) {
		line := 1
		if n != nil && n.Pos.Line > 0 {
			line = n.Pos.Line
		}
		objs = append(objs, objectJSON{Kind: kind, Name: name, File: h.relFile(file), Line: line})
	}
	addAll := func(kind string, list []*workspace.Object) {
		for _, o := range list {
			add(kind, o.Name, o.File, o.Node)
		}
	}
	for _, t := range ws.Tables {
		add("table", t.Name, t.File, nil)
	}
	for _, g := range ws.Groups {
		add("api_group", g.Name, g.File, g.Node)
	}
	for _, e := range ws.Endpoints {
		add("query", e.Verb+" "+e.Path, e.File, nil)
	}
	addAll("function", ws.Functions)
	addAll("middleware", ws.Middlewares)
	addAll("table_trigger", ws.TableTriggers)
	addAll("realtime_trigger", ws.RealtimeTriggers)
	addAll("addon", ws.Addons)
	addAll("workflow_test", ws.WorkflowTests)
	for _, t := range ws.Tasks {
		add("task", t.Name, t.File, t.Node)
	}
	for _, c := range ws.Channels {
		add("realtime_channel", c.Pattern, c.File, nil)
	}
	for _, s := range ws.RealtimeServers {
		add("realtime_server", s.Name, s.File, nil)
	}
	diags := []diagnosticJSON{}
	for _, d := range h.cfg.Diagnostics {
		sev := "warning"
		switch d.Severity {
		case xs.Error:
			sev = "error"
		case xs.Unsupported:
			sev = "unsupported"
		}
		diags = append(diags, diagnosticJSON{Severity: sev, File: h.relFile(d.Pos.File), Line: d.Pos.Line, Col: d.Pos.Col, Message: d.Message})
	}
	config := map[string]any{}
	for k, v := range h.cfg.Settings {
		config[k] = v
	}
	for k := range ws.Env {
		config["env."+k] = Masked
	}
	h.writeJSON(w, r, http.StatusOK, map[string]any{"path": ws.Dir, "name": ws.Name, "objects": objs, "diagnostics": diags, "config": config})
}

// Masked stands for a secret's value in what the console shows.
const Masked = "••••"

// --- tasks ---

type runJSON struct {
	StartedAt  string `json:"started_at"`
	FinishedAt string `json:"finished_at"`
	OK         bool   `json:"ok"`
	Error      string `json:"error"`
	Node       string `json:"node"`
	Trigger    string `json:"trigger"`
	Result     any    `json:"result"`
}

type taskJSON struct {
	Name     string    `json:"name"`
	File     string    `json:"file"`
	Schedule string    `json:"schedule"`
	Active   bool      `json:"active"`
	NextRun  *string   `json:"next_run"`
	Runs     []runJSON `json:"runs"`
}

func (h *Handler) handleTasks(w http.ResponseWriter, r *http.Request) {
	out := []taskJSON{}
	ledger, _ := h.cfg.Store.(relaybase.TaskLedger)
	now := h.cfg.Now()
	for _, t := range h.cfg.Program.Tasks() {
		var parts []string
		for _, e := range t.Schedule {
			s := "from " + e.Start.UTC().Format(time.RFC3339)
			if e.Every > 0 {
				s += ", every " + e.Every.String()
			} else {
				s += ", once"
			}
			if !e.End.IsZero() {
				s += ", until " + e.End.UTC().Format(time.RFC3339)
			}
			parts = append(parts, s)
		}
		tj := taskJSON{Name: t.Name, File: h.relFile(t.File), Schedule: strings.Join(parts, "; "), Active: t.Active, Runs: []runJSON{}}
		if next, ok := t.Schedule.Next(now); ok && t.Active {
			s := next.UTC().Format(time.RFC3339)
			tj.NextRun = &s
		}
		if ledger != nil {
			runs, err := ledger.TaskRuns(r.Context(), t.Name, 20)
			if err != nil {
				h.writeError(w, r, fmt.Errorf("runs of task %s: %w", t.Name, err))
				return
			}
			for _, run := range runs {
				var result any
				if run.Result != "" {
					result, _ = value.DecodeJSON([]byte(run.Result))
				}
				tj.Runs = append(tj.Runs, runJSON{StartedAt: time.UnixMilli(run.StartedAt).UTC().Format(time.RFC3339Nano),
					FinishedAt: time.UnixMilli(run.EndedAt).UTC().Format(time.RFC3339Nano), OK: run.OK, Error: run.Error,
					Node: run.Node, Trigger: run.Trigger, Result: value.Normalize(result)})
			}
		}
		out = append(out, tj)
	}
	h.writeJSON(w, r, http.StatusOK, out)
}
