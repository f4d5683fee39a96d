package stack

import (
	"log/slog"

	"relaybase"
	"relaybase/value"
	"relaybase/xs"
)

// db.bulk.add, db.bulk.update, db.bulk.patch and db.bulk.delete change many rows in one
// statement; each gives how many rows it changed. Every row goes through the same path as
// db.add, db.edit and db.del (its data checked, passwords hashed, table triggers fired), in
// the stack's transaction. db.schema describes a table; debug.stop is Xano's debugger
// breakpoint, which a request outside the debugger passes (relaybase logs its value).

func init() {
	registerStatements(map[string]func(c *compiler, n *xs.Node) execFn{
		"db.bulk.add":    (*compiler).stmtBulkAdd,
		"db.bulk.update": (*compiler).stmtBulkChange,
		"db.bulk.patch":  (*compiler).stmtBulkChange,
		"db.bulk.delete": (*compiler).stmtBulkChange,
		"db.schema":      (*compiler).stmtDBSchema,
		"debug.stop":     (*compiler).stmtDebugStop,
	})
}

func (c *compiler) stmtBulkAdd(n *xs.Node) execFn {
	t := c.dbTable(n)
	if t == nil {
		return nop
	}
	c.wrote(t)
	e := attrOf(n, "data")
	if e == nil {
		e = attrOf(n, "items")
	}
	if e == nil {
		c.errorf(n.Pos, "db.bulk.add needs data = [{...}, ...]")
		return nop
	}
	data := c.expr(e)
	as := c.as(n)
	pos := n.Pos
	return func(f *frame) (ctl, error) {
		d, err := data(f)
		if err != nil {
			return ctlNext, err
		}
		rows, ok := d.([]any)
		if !ok && d != nil {
			return ctlNext, errorAt(pos, "db.bulk.add data must be an array of objects, got %s", value.TypeName(d))
		}
		for _, rd := range rows {
			row, err := f.r.rowData(t, rd, pos, true)
			if err != nil {
				return ctlNext, err
			}
			if _, err := f.r.insert(t, row, pos, f.auth); err != nil {
				return ctlNext, err
			}
		}
		if as != nil {
			as(f, int64(len(rows)))
		}
		return ctlNext, nil
	}
}

// stmtBulkChange compiles db.bulk.update/patch { where = ... data = {...} } and
// db.bulk.delete { where = ... }. Without where, every row.
func (c *compiler) stmtBulkChange(n *xs.Node) execFn {
	t := c.dbTable(n)
	if t == nil {
		return nop
	}
	c.wrote(t)
	var where condFn
	if e := attrOf(n, "where"); e != nil {
		where = c.where(e, t)
	}
	del := n.Keyword == "db.bulk.delete"
	var data evalFn
	if !del {
		e := attrOf(n, "data")
		if e == nil {
			c.errorf(n.Pos, "%s needs data = {...}", n.Keyword)
			return nop
		}
		data = c.expr(e)
	}
	as := c.as(n)
	kw, pos := n.Keyword, n.Pos
	what := kw + " " + t.Name
	return func(f *frame) (ctl, error) {
		r := f.r
		q := &relaybase.Query{Table: t.Name, Sort: []relaybase.SortKey{{Field: "id"}}}
		if where != nil {
			cond, err := where(f)
			if err != nil {
				return ctlNext, err
			}
			q.Where = cond
		}
		var changes *value.Object
		if data != nil {
			d, err := data(f)
			if err != nil {
				return ctlNext, err
			}
			if changes, err = r.rowData(t, d, pos, false); err != nil {
				return ctlNext, err
			}
		}
		res, err := r.tx.Query(r.ctx, q)
		if err != nil {
			return ctlNext, wrapAt(pos, what, err)
		}
		count := int64(0)
		for _, old := range res.Rows {
			id, _ := old.Get("id")
			r.trackRow(t, old)
			if del {
				n, err := r.tx.Delete(r.ctx, t.Name, "id", id)
				if err != nil {
					return ctlNext, wrapAt(pos, what, err)
				}
				count += n
				if err := r.fire(t, "delete", nil, old, f.auth); err != nil {
					return ctlNext, err
				}
				continue
			}
			if changes.Len() == 0 {
				count++
				continue
			}
			row, err := r.tx.Update(r.ctx, t.Name, "id", id, changes)
			if err != nil {
				return ctlNext, wrapAt(pos, what, err)
			}
			if row == nil {
				continue
			}
			count++
			r.trackRow(t, row)
			if err := r.fire(t, "update", row, old, f.auth); err != nil {
				return ctlNext, err
			}
		}
		if as != nil {
			as(f, count)
		}
		return ctlNext, nil
	}
}

// stmtDBSchema compiles db.schema <table> { path = "field" } as $schema: the table's
// fields (relaybase's description of them), or one field's.
func (c *compiler) stmtDBSchema(n *xs.Node) execFn {
	t := c.dbTable(n)
	if t == nil {
		return nop
	}
	path := c.expr(attrOf(n, "path"))
	as := c.as(n)
	pos := n.Pos
	fields := make([]any, 0, len(t.Fields)+1)
	fields = append(fields, value.ObjectOf("name", "id", "type", "int", "nullable", false, "required", false, "array", false))
	byName := map[string]*value.Object{"id": fields[0].(*value.Object)}
	for i := range t.Fields {
		fd := &t.Fields[i]
		o := value.ObjectOf("name", fd.Name, "type", string(fd.Type), "nullable", fd.Nullable,
			"required", !fd.Optional && fd.Default == nil, "array", fd.Array)
		if fd.Default != nil {
			o.Set("default", value.Normalize(fd.Default))
		}
		if len(fd.Values) > 0 {
			vs := make([]any, len(fd.Values))
			for j, v := range fd.Values {
				vs[j] = v
			}
			o.Set("values", vs)
		}
		if fd.RefTable != "" {
			o.Set("table", fd.RefTable)
		}
		if fd.Sensitive() {
			o.Set("sensitive", true)
		}
		fields = append(fields, o)
		byName[fd.Name] = o
	}
	schema := value.ObjectOf("name", t.Name, "auth", t.Auth, "fields", fields)
	return func(f *frame) (ctl, error) {
		pv, err := path(f)
		if err != nil {
			return ctlNext, err
		}
		var out any = schema
		if p := value.ToText(pv); p != "" {
			o, ok := byName[p]
			if !ok {
				return ctlNext, errorAt(pos, "db.schema: table %q has no field %q", t.Name, p)
			}
			out = o
		}
		if as != nil {
			as(f, out)
		}
		return ctlNext, nil
	}
}

func (c *compiler) stmtDebugStop(n *xs.Node) execFn {
	val := c.expr(attrOf(n, "value"))
	at := n.Pos.String()
	return func(f *frame) (ctl, error) {
		v, err := val(f)
		if err != nil {
			return ctlNext, err
		}
		r := f.r
		text, err := value.EncodeJSON(r.strip(v, true))
		if err != nil {
			text = []byte(`"(unencodable)"`)
		}
		r.p.logger.LogAttrs(r.ctx, slog.LevelDebug, "debug.stop (Xano's debugger breakpoint; a request passes it)",
			slog.String("value", string(text)), slog.String("at", at))
		return ctlNext, nil
	}
}
