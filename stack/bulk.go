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
	t := c.writtenTable(n)
	if t == nil {
		return nop
	}
	e := attrOf(n, "data")
	if e == nil {
		e = attrOf(n, "items")
	}
	if e == nil {
		c.errorf(n.Pos, "db.bulk.add needs data = [{...}, ...]")
		return nop
	}
	data := c.expr(e)
	pos := n.Pos
	return c.result(n, func(f *frame) (any, error) {
		d, err := data(f)
		if err != nil {
			return nil, err
		}
		rows, ok := d.([]any)
		if !ok && d != nil {
			return nil, errorAt(pos, "db.bulk.add data must be an array of objects, got %s", value.TypeName(d))
		}
		for _, rd := range rows {
			row, err := f.r.rowData(t, rd, pos, true)
			if err != nil {
				return nil, err
			}
			if _, err := f.r.insert(t, row, pos, f.auth); err != nil {
				return nil, err
			}
		}
		return int64(len(rows)), nil
	})
}

// stmtBulkChange compiles db.bulk.update/patch { where = ... data = {...} } and
// db.bulk.delete { where = ... }. Without where, every row.
func (c *compiler) stmtBulkChange(n *xs.Node) execFn {
	t := c.writtenTable(n)
	if t == nil {
		return nop
	}
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
	pos := n.Pos
	what := n.Keyword + " " + t.Name
	return c.result(n, func(f *frame) (any, error) {
		r := f.r
		q := &relaybase.Query{Table: t.Name, Sort: []relaybase.SortKey{{Field: "id"}}}
		if where != nil {
			cond, err := where(f)
			if err != nil {
				return nil, err
			}
			q.Where = cond
		}
		var changes *value.Object
		if data != nil {
			d, err := data(f)
			if err != nil {
				return nil, err
			}
			if changes, err = r.rowData(t, d, pos, false); err != nil {
				return nil, err
			}
		}
		res, err := r.tx.Query(r.ctx, q)
		if err != nil {
			return nil, wrapAt(pos, what, err)
		}
		count := int64(0)
		for _, old := range res.Rows {
			id, _ := old.Get("id")
			r.trackRow(t, old)
			if del {
				n, err := r.tx.Delete(r.ctx, t.Name, "id", id)
				if err != nil {
					return nil, wrapAt(pos, what, err)
				}
				count += n
				if err := r.fire(t, "delete", nil, old, f.auth); err != nil {
					return nil, err
				}
				continue
			}
			if changes.Len() == 0 {
				count++
				continue
			}
			row, err := r.tx.Update(r.ctx, t.Name, "id", id, changes)
			if err != nil {
				return nil, wrapAt(pos, what, err)
			}
			if row == nil {
				continue
			}
			count++
			r.trackRow(t, row)
			if err := r.fire(t, "update", row, old, f.auth); err != nil {
				return nil, err
			}
		}
		return count, nil
	})
}

// stmtDBSchema compiles db.schema <table> { path = "field" } as $schema: the table's
// fields (relaybase's description of them), or one field's.
func (c *compiler) stmtDBSchema(n *xs.Node) execFn {
	t := c.dbTable(n)
	if t == nil {
		return nop
	}
	path := c.expr(attrOf(n, "path"))
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
	return c.result(n, func(f *frame) (any, error) {
		pv, err := path(f)
		if err != nil {
			return nil, err
		}
		p := value.ToText(pv)
		if p == "" {
			return schema, nil
		}
		o, ok := byName[p]
		if !ok {
			return nil, errorAt(pos, "db.schema: table %q has no field %q", t.Name, p)
		}
		return o, nil
	})
}

func (c *compiler) stmtDebugStop(n *xs.Node) execFn {
	return c.logValue(n, slog.LevelDebug, "debug.stop (Xano's debugger breakpoint; a request passes it)")
}
