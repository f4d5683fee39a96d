package stack

import (
	"math"
	"math/rand/v2"
	"strings"

	"relaybase"
	"relaybase/value"
	"relaybase/xs"
)

// dbTable resolves the table a db.* statement names (by name, or Xano's numeric id).
func (c *compiler) dbTable(n *xs.Node) *relaybase.Table {
	ref := n.Name
	if ref == "" {
		ref, _ = c.constText(attrOf(n, "table"))
	}
	if ref == "" {
		// Xano exports a statement whose table was never picked as `db.get "" { ... }`.
		c.errorf(n.Pos, "%s: no table chosen", n.Keyword)
		c.checkAttrs(n)
		return nil
	}
	t, ok := c.ws.Table(ref)
	if !ok {
		c.errorf(n.Pos, "%s: table %q does not exist", n.Keyword, ref)
		c.checkAttrs(n)
		return nil
	}
	return t
}

// checkAttrs compiles the attributes of a statement that cannot run, only to report the
// problems their expressions hold as well. A where or sort refers to the missing table's
// fields, so those are left out.
func (c *compiler) checkAttrs(n *xs.Node) {
	if n.Body == nil {
		return
	}
	for _, a := range n.Body.Attrs {
		if !a.Disabled && a.Key != "where" && a.Key != "sort" {
			c.expr(a.Value)
		}
	}
}

// hasField reports whether t has field (id always exists).
func hasField(t *relaybase.Table, field string) bool {
	if field == "id" {
		return true
	}
	_, ok := t.Field(field)
	return ok
}

// lookupField reads field_name (default "id") and checks that the table has it.
func (c *compiler) lookupField(n *xs.Node, t *relaybase.Table) string {
	e := attrOf(n, "field_name")
	if e == nil {
		return "id"
	}
	field, ok := c.constText(e)
	if !ok {
		c.errorf(e.Position(), "%s: field_name must be a text", n.Keyword)
		return "id"
	}
	if !hasField(t, field) {
		c.errorf(e.Position(), "%s: table %q has no field %q", n.Keyword, t.Name, field)
	}
	return field
}

// lookupValue coerces a value compared with a field to the field's type where that is
// possible ("5" from a query string finds id 5); otherwise the value stays as it is.
func lookupValue(t *relaybase.Table, field string, v any) any {
	if field == "id" {
		if n, err := coerceScalar("int", v); err == nil {
			return n
		}
		return v
	}
	fd, ok := t.Field(field)
	if !ok || fd.Array {
		return v
	}
	if cv, err := coerceScalar(string(fd.Type), v); err == nil {
		return cv
	}
	return v
}

func (c *compiler) wrote(t *relaybase.Table) {
	c.u.writes = true
	c.u.writesTo[t] = true
}

// writtenTable is dbTable for a statement that writes to the table it names.
func (c *compiler) writtenTable(n *xs.Node) *relaybase.Table {
	t := c.dbTable(n)
	if t != nil {
		c.wrote(t)
	}
	return t
}

func (c *compiler) stmtDBGet(n *xs.Node) execFn {
	t := c.dbTable(n)
	if t == nil {
		return nop
	}
	field := c.lookupField(n, t)
	fv := c.expr(attrOf(n, "field_value"))
	has := n.Keyword == "db.has"
	pos := n.Pos
	return c.result(n, func(f *frame) (any, error) {
		v, err := fv(f)
		if err != nil {
			return nil, err
		}
		row, err := f.r.tx.Get(f.r.ctx, t.Name, field, lookupValue(t, field, v))
		switch {
		case err != nil:
			return nil, wrapAt(pos, "db.get "+t.Name, err)
		case has:
			return row != nil, nil
		case row == nil:
			return nil, nil
		}
		f.r.trackRow(t, row)
		return row, nil
	})
}

func (c *compiler) stmtDBAdd(n *xs.Node) execFn {
	t := c.writtenTable(n)
	if t == nil {
		return nop
	}
	c.checkData(n, t)
	data := c.expr(attrOf(n, "data"))
	pos := n.Pos
	return c.result(n, func(f *frame) (any, error) {
		d, err := data(f)
		if err != nil {
			return nil, err
		}
		row, err := f.r.rowData(t, d, pos, true)
		if err != nil {
			return nil, err
		}
		return f.r.insert(t, row, pos, f.auth)
	})
}

// checkData warns about members of a literal data object that the table does not have:
// they are ignored, as Xano does.
func (c *compiler) checkData(n *xs.Node, t *relaybase.Table) {
	o, ok := attrOf(n, "data").(*xs.ObjectLit)
	if !ok {
		return
	}
	for i, k := range o.Keys {
		if k != "id" && !hasField(t, k) {
			c.warnf(o.Values[i].Position(), "%s: table %q has no field %q; it is ignored", n.Keyword, t.Name, k)
		}
	}
}

// stmtDBEdit compiles db.edit, db.patch (the same, with data usually a variable) and
// db.add_or_edit (insert when no row has field_value).
func (c *compiler) stmtDBEdit(n *xs.Node) execFn {
	t := c.writtenTable(n)
	if t == nil {
		return nop
	}
	c.checkData(n, t)
	field := c.lookupField(n, t)
	fv := c.expr(attrOf(n, "field_value"))
	data := c.expr(attrOf(n, "data"))
	upsert := n.Keyword == "db.add_or_edit"
	pos := n.Pos
	what := n.Keyword + " " + t.Name
	return c.result(n, func(f *frame) (any, error) {
		r := f.r
		v, d, err := eval2(f, fv, data)
		if err != nil {
			return nil, err
		}
		v = lookupValue(t, field, v)
		changes, err := r.rowData(t, d, pos, upsert)
		if err != nil {
			return nil, err
		}
		var old *value.Object
		if upsert || r.p.hasTriggers(t, "update") || changes.Len() == 0 {
			if old, err = r.tx.Get(r.ctx, t.Name, field, v); err != nil {
				return nil, wrapAt(pos, what, err)
			}
		}
		var res *value.Object
		switch {
		case upsert && old == nil:
			if field != "id" && !changes.Has(field) {
				changes.Set(field, v)
			}
			res, err = r.insert(t, changes, pos, f.auth)
			if err != nil {
				return nil, err
			}
		case changes.Len() == 0:
			res = old
		default:
			if res, err = r.update(t, field, v, changes, old, what, pos, f.auth); err != nil {
				return nil, err
			}
		}
		if res == nil {
			return nil, relaybase.Errorf(relaybase.CodeNotFound, "Unable to locate record.")
		}
		r.trackRow(t, res)
		return res, nil
	})
}

// stmtDBDel compiles db.del; its `as` variable, if any, is set to null.
func (c *compiler) stmtDBDel(n *xs.Node) execFn {
	t := c.writtenTable(n)
	if t == nil {
		return nop
	}
	field := c.lookupField(n, t)
	fv := c.expr(attrOf(n, "field_value"))
	pos := n.Pos
	return c.result(n, func(f *frame) (any, error) {
		r := f.r
		v, err := fv(f)
		if err != nil {
			return nil, err
		}
		_, err = r.remove(t, field, lookupValue(t, field, v), pos, f.auth)
		return nil, err
	})
}

// update changes the row whose field is v and fires the table's update triggers with the
// row before (old, which the caller read when the table has such triggers) and after. The
// result is nil when no row matched.
func (r *run) update(t *relaybase.Table, field string, v any, changes, old *value.Object, what string, pos xs.Pos, auth relaybase.Identity) (*value.Object, error) {
	res, err := r.tx.Update(r.ctx, t.Name, field, v, changes)
	if err != nil {
		return nil, wrapAt(pos, what, err)
	}
	if res != nil {
		r.trackRow(t, res)
		if err := r.fire(t, "update", res, old, auth); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// remove deletes the row whose field is v and fires the table's delete triggers with the
// row as it was. It reports whether a row was deleted.
func (r *run) remove(t *relaybase.Table, field string, v any, pos xs.Pos, auth relaybase.Identity) (bool, error) {
	var old *value.Object
	var err error
	if r.p.hasTriggers(t, "delete") {
		if old, err = r.tx.Get(r.ctx, t.Name, field, v); err != nil {
			return false, wrapAt(pos, "db.del "+t.Name, err)
		}
	}
	n, err := r.tx.Delete(r.ctx, t.Name, field, v)
	if err != nil {
		return false, wrapAt(pos, "db.del "+t.Name, err)
	}
	if old == nil {
		return n > 0, nil
	}
	r.trackRow(t, old)
	return n > 0, r.fire(t, "delete", nil, old, auth)
}

func (c *compiler) stmtDBTruncate(n *xs.Node) execFn {
	t := c.writtenTable(n)
	if t == nil {
		return nop
	}
	reset := c.expr(attrOf(n, "reset"))
	pos := n.Pos
	return func(f *frame) (ctl, error) {
		rv, err := reset(f)
		if err != nil {
			return ctlNext, err
		}
		if err := f.r.tx.Truncate(f.r.ctx, t.Name, value.Truthy(rv)); err != nil {
			return ctlNext, wrapAt(pos, "db.truncate "+t.Name, err)
		}
		return ctlNext, f.r.fire(t, "truncate", nil, nil, f.auth)
	}
}

// stmtDBTransaction runs its stack in a savepoint: on failure its writes and the events it
// staged are undone, and the failure goes on (a try_catch around it may handle it).
func (c *compiler) stmtDBTransaction(n *xs.Node) execFn {
	body := c.block(stackOf(n))
	pos := n.Pos
	return func(f *frame) (ctl, error) {
		r := f.r
		sp, err := r.tx.Savepoint(r.ctx)
		if err != nil {
			return ctlNext, wrapAt(pos, "db.transaction", err)
		}
		staged := len(r.staged)
		k, err := body(f)
		if err != nil {
			if rerr := sp.Rollback(); rerr != nil {
				return ctlNext, wrapAt(pos, "db.transaction", rerr)
			}
			r.staged = r.staged[:staged]
			return k, err
		}
		if err := sp.Release(); err != nil {
			return ctlNext, wrapAt(pos, "db.transaction", err)
		}
		return k, nil
	}
}

// rowData turns a data object into the row a store writes: members the table does not
// have (and id, which the store assigns) are dropped, values are coerced to their field's
// type, and passwords are hashed unless they already are a hash.
func (r *run) rowData(t *relaybase.Table, d any, pos xs.Pos, insert bool) (*value.Object, error) {
	var src *value.Object
	switch x := d.(type) {
	case nil:
		src = value.NewObject(0)
	case *value.Object:
		src = x
	default:
		return nil, errorAt(pos, "data must be an object, got %s", value.TypeName(d))
	}
	out := value.NewObject(src.Len())
	for _, k := range src.Keys() {
		fd, ok := t.Field(k)
		if !ok {
			continue
		}
		v, _ := src.Get(k)
		if v == nil && insert && !fd.Nullable && fd.Default != nil {
			continue // null for a field that is not nullable: the store fills the default
		}
		cv, err := coerceField(fd, v)
		if err != nil {
			return nil, errorAt(pos, "%s.%s: %v", t.Name, k, err)
		}
		if s, ok := cv.(string); ok && fd.Sensitive() && s != "" && !isPasswordHash(s) {
			if r.p.opts.Passwords == nil {
				return nil, errorAt(pos, "Cannot store password field %s.%s: password hashing is not configured", t.Name, k)
			}
			h, err := r.p.opts.Passwords.Hash(s)
			if err != nil {
				return nil, wrapAt(pos, "hash password", err)
			}
			cv = h
		}
		out.Set(k, cv)
	}
	return out, nil
}

func (r *run) insert(t *relaybase.Table, row *value.Object, pos xs.Pos, auth relaybase.Identity) (*value.Object, error) {
	res, err := r.tx.Insert(r.ctx, t.Name, row)
	if err != nil {
		return nil, wrapAt(pos, "db.add "+t.Name, err)
	}
	r.trackRow(t, res)
	if err := r.fire(t, "insert", res, nil, auth); err != nil {
		return nil, err
	}
	return res, nil
}

// trackRow remembers that row belongs to t, so its password fields never leave the stack.
func (r *run) trackRow(t *relaybase.Table, row *value.Object) {
	if keys := r.p.secretFields(t); len(keys) > 0 {
		r.markSecret(row, keys)
	}
}

func (p *Program) secretFields(t *relaybase.Table) []string {
	var keys []string
	for i := range t.Fields {
		if t.Fields[i].Sensitive() {
			keys = append(keys, t.Fields[i].Name)
		}
	}
	return keys
}

func (p *Program) hasTriggers(t *relaybase.Table, action string) bool {
	for _, tt := range p.tableTriggers[t] {
		if tt.actions[action] {
			return true
		}
	}
	return false
}

// fire runs the table triggers of t for action inside the current transaction; a failing
// trigger fails the statement that changed the row (and so rolls it back).
func (r *run) fire(t *relaybase.Table, action string, newRow, oldRow *value.Object, auth relaybase.Identity) error {
	for _, tt := range r.p.tableTriggers[t] {
		if !tt.actions[action] {
			continue
		}
		in := value.ObjectOf("new", objOrNil(newRow), "old", objOrNil(oldRow), "action", action, "datasource", "live")
		if _, err := r.exec(tt.u, in, auth); err != nil {
			return err
		}
	}
	return nil
}

func objOrNil(o *value.Object) any {
	if o == nil {
		return nil
	}
	return o
}

// query is a compiled db.query.
type query struct {
	t      *relaybase.Table
	where  condFn
	sort   evalFn
	ret    evalFn
	output evalFn
	addons []queryAddon
	pos    xs.Pos
}

var queryIgnored = map[string]bool{"description": true, "guid": true, "tags": true, "history": true,
	"disabled": true, "mock": true, "where": true, "sort": true, "return": true, "output": true, "table": true, "addon": true}

func (c *compiler) stmtDBQuery(n *xs.Node) execFn {
	t := c.dbTable(n)
	if t == nil {
		return nop
	}
	q := &query{t: t, pos: n.Pos}
	if n.Body != nil {
		for _, a := range n.Body.Attrs {
			if !a.Disabled && !queryIgnored[a.Key] {
				c.unsupported(a.Pos, "db.query "+a.Key)
			}
		}
	}
	if e := attrOf(n, "where"); e != nil {
		q.where = c.where(e, t)
	}
	if e := attrOf(n, "sort"); e != nil {
		q.sort = c.expr(e)
	}
	if e := attrOf(n, "return"); e != nil {
		q.ret = c.expr(e)
	}
	if e := attrOf(n, "output"); e != nil {
		q.output = c.expr(e)
	}
	if e := attrOf(n, "addon"); e != nil {
		q.addons = c.queryAddons(e)
	}
	return c.result(n, func(f *frame) (any, error) {
		v, err := q.run(f)
		if err != nil || len(q.addons) == 0 {
			return v, err
		}
		if err := applyAddons(f, q.addons, v); err != nil {
			return nil, err
		}
		return v, nil
	})
}

func (q *query) run(f *frame) (any, error) {
	r := f.r
	sq := &relaybase.Query{Table: q.t.Name}
	if q.where != nil {
		cond, err := q.where(f)
		if err != nil {
			return nil, err
		}
		sq.Where = cond
	}
	random := false
	if q.sort != nil {
		sv, err := q.sort(f)
		if err != nil {
			return nil, err
		}
		if sq.Sort, random, err = sortKeys(q.t, sv, q.pos); err != nil {
			return nil, err
		}
	}
	typ, page, perPage, totals, metadata, paged := "list", int64(1), int64(0), false, true, false
	if q.ret != nil {
		rv, err := q.ret(f)
		if err != nil {
			return nil, err
		}
		if ro, ok := rv.(*value.Object); ok {
			if t, ok := ro.Get("type"); ok && t != nil {
				typ = value.ToText(t)
			}
			if pg, ok := ro.Get("paging"); ok && pg != nil {
				po, ok := pg.(*value.Object)
				if !ok {
					return nil, errorAt(q.pos, "db.query paging must be an object")
				}
				paged = true
				if v, ok := po.Get("page"); ok && v != nil {
					page, _ = toInt(v)
				}
				if v, ok := po.Get("per_page"); ok && v != nil {
					perPage, _ = toInt(v)
				}
				if v, ok := po.Get("totals"); ok {
					totals = value.Truthy(v)
				}
				if v, ok := po.Get("metadata"); ok && v != nil {
					metadata = value.Truthy(v)
				}
			}
		}
	}
	if page < 1 {
		page = 1
	}
	switch typ {
	case "count":
		sq.Limit, sq.Total = 1, true
	case "exists", "single":
		sq.Limit = 1
	case "list":
		if paged && perPage > 0 {
			sq.Offset = int(mulSat(page-1, perPage))
			sq.Limit = int(perPage)
			if totals {
				sq.Total = true
			} else if perPage < math.MaxInt64 {
				sq.Limit++ // one more row tells whether a next page exists
			}
		}
	default:
		return nil, errorAt(q.pos, "db.query return type %q is not one of list, single, count, exists", typ)
	}
	res, err := r.tx.Query(r.ctx, sq)
	if err != nil {
		return nil, wrapAt(q.pos, "db.query "+q.t.Name, err)
	}
	for _, row := range res.Rows {
		r.trackRow(q.t, row)
	}
	rows := res.Rows
	if q.output != nil {
		ov, err := q.output(f)
		if err != nil {
			return nil, err
		}
		rows = pickFields(rows, ov)
		for _, row := range rows {
			r.trackRow(q.t, row)
		}
	}
	switch typ {
	case "count":
		return res.Total, nil
	case "exists":
		return len(rows) > 0, nil
	case "single":
		if len(rows) == 0 {
			return nil, nil
		}
		return rows[0], nil
	}
	more := false
	if paged && perPage > 0 && !totals && int64(len(rows)) > perPage {
		rows, more = rows[:perPage], true
	}
	items := make([]any, len(rows))
	for i, row := range rows {
		items[i] = row
	}
	if random {
		rand.Shuffle(len(items), func(i, j int) { items[i], items[j] = items[j], items[i] })
	}
	if !paged || perPage <= 0 || !metadata {
		return items, nil
	}
	if totals {
		more = mulSat(page, perPage) < res.Total
	}
	out := value.NewObject(9)
	out.Set("itemsReceived", int64(len(items)))
	out.Set("curPage", page)
	if more {
		out.Set("nextPage", page+1)
	} else {
		out.Set("nextPage", nil)
	}
	if page > 1 {
		out.Set("prevPage", page-1)
	} else {
		out.Set("prevPage", nil)
	}
	out.Set("offset", mulSat(page-1, perPage))
	out.Set("perPage", perPage)
	if totals {
		out.Set("itemsTotal", res.Total)
		pages := res.Total / perPage
		if res.Total%perPage != 0 {
			pages++
		}
		out.Set("pageTotal", pages)
	}
	out.Set("items", items)
	return out, nil
}

// mulSat multiplies two numbers that are not negative, saturating at math.MaxInt64: page
// and per_page come from the client, and their product must not wrap to a negative offset
// (which read as offset 0, answering a far page with the first page's rows).
func mulSat(a, b int64) int64 {
	if a != 0 && b > math.MaxInt64/a {
		return math.MaxInt64
	}
	return a * b
}

func toInt(v any) (int64, bool) {
	n, err := coerceScalar("int", v)
	if err != nil {
		return 0, false
	}
	return n.(int64), true
}

// sortKeys reads `sort = {created_at: "desc"}` (keys may be "table.field") or a list of
// {field, direction} objects. "rand" orders randomly.
func sortKeys(t *relaybase.Table, v any, pos xs.Pos) ([]relaybase.SortKey, bool, error) {
	var keys []relaybase.SortKey
	random := false
	add := func(field string, dir any) error {
		field = strings.TrimPrefix(field, t.Name+".")
		d := strings.ToLower(value.ToText(dir))
		if d == "rand" || d == "random" {
			random = true
			return nil
		}
		if !hasField(t, field) {
			return errorAt(pos, "db.query sort: table %q has no field %q", t.Name, field)
		}
		keys = append(keys, relaybase.SortKey{Field: field, Desc: d == "desc"})
		return nil
	}
	switch s := v.(type) {
	case nil:
	case *value.Object:
		for _, k := range s.Keys() {
			d, _ := s.Get(k)
			if err := add(k, d); err != nil {
				return nil, false, err
			}
		}
	case []any:
		for _, e := range s {
			o, ok := e.(*value.Object)
			if !ok {
				return nil, false, errorAt(pos, "db.query sort entries must be objects")
			}
			field := member(o, "field")
			if field == nil {
				field = member(o, "sortBy")
			}
			dir := member(o, "direction")
			if dir == nil {
				dir = member(o, "orderBy")
			}
			if err := add(value.ToText(field), dir); err != nil {
				return nil, false, err
			}
		}
	default:
		return nil, false, errorAt(pos, "db.query sort must be an object")
	}
	return keys, random, nil
}

// pickFields keeps only the listed fields of each row (db.query output = [...]).
func pickFields(rows []*value.Object, fields any) []*value.Object {
	list, ok := fields.([]any)
	if !ok || len(list) == 0 {
		return rows
	}
	out := make([]*value.Object, len(rows))
	for i, row := range rows {
		o := value.NewObject(len(list))
		for _, f := range list {
			k := value.ToText(f)
			if v, ok := row.Get(k); ok {
				o.Set(k, v)
			}
		}
		out[i] = o
	}
	return out
}
