package stack

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"errors"
	"io"
	"path"
	"strings"
	"unicode/utf8"

	"relaybase/value"
	"relaybase/xs"
)

// zip.* builds, reads and changes ZIP archives held as file resources (an archive is a
// file like any other: storage.create_attachment stores it); stream.from_csv and
// stream.from_jsonl read a file's rows. Xano documents two spellings of the zip
// statements, both read here: archive = ... with files = [{path, content}] and paths = [...],
// and zip = ... with file = <a file> and filename = "...".

func init() {
	registerStatements(map[string]func(c *compiler, n *xs.Node) execFn{
		"zip.create_archive":      (*compiler).stmtZip,
		"zip.add_to_archive":      (*compiler).stmtZip,
		"zip.delete_from_archive": (*compiler).stmtZip,
		"zip.extract":             (*compiler).stmtZip,
		"zip.view_contents":       (*compiler).stmtZip,
		"stream.from_csv":         (*compiler).stmtStreamFile,
		"stream.from_jsonl":       (*compiler).stmtStreamFile,
	})
}

// maxArchiveEntries bounds what an archive may hold, so that a small hostile archive
// cannot make a stack read millions of entries.
const maxArchiveEntries = 10000

func (c *compiler) stmtZip(n *xs.Node) execFn {
	opt := func(keys ...string) evalFn {
		for _, k := range keys {
			if e := attrOf(n, k); e != nil {
				return c.expr(e)
			}
		}
		return nil
	}
	archive, filename := opt("archive", "zip"), opt("filename")
	files, file, paths := opt("files"), opt("file"), opt("paths")
	as := c.as(n)
	kw, pos := n.Keyword, n.Pos
	if kw != "zip.create_archive" && archive == nil {
		c.errorf(n.Pos, "%s needs archive = <a zip file>", kw)
		return nop
	}
	return func(f *frame) (ctl, error) {
		r := f.r
		eval := func(fn evalFn) (any, error) {
			if fn == nil {
				return nil, nil
			}
			return fn(f)
		}
		if kw == "zip.create_archive" {
			nv, err := eval(filename)
			if err != nil {
				return ctlNext, err
			}
			name := value.ToText(nv)
			if name == "" {
				name = "archive.zip"
			}
			var buf bytes.Buffer
			if err := zip.NewWriter(&buf).Close(); err != nil {
				return ctlNext, wrapAt(pos, kw, err)
			}
			out := r.memResource(name, "application/zip", buf.Bytes())
			if as != nil {
				as(f, out)
			}
			return ctlNext, nil
		}
		av, err := eval(archive)
		if err != nil {
			return ctlNext, err
		}
		src, err := r.source(av, pos, kw)
		if err != nil {
			return ctlNext, err
		}
		data, err := r.readAll(src, pos, kw)
		if err != nil {
			return ctlNext, err
		}
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return ctlNext, errorAt(pos, "%s: not a ZIP archive", kw)
		}
		if len(zr.File) > maxArchiveEntries {
			return ctlNext, errorAt(pos, "%s: the archive holds more than %d entries", kw, maxArchiveEntries)
		}
		var out any
		switch kw {
		case "zip.view_contents":
			list := []any{}
			for _, e := range zr.File {
				list = append(list, value.ObjectOf("path", e.Name, "size", int64(e.UncompressedSize64),
					"compressed_size", int64(e.CompressedSize64)))
			}
			out = list
		case "zip.extract":
			list := []any{}
			total := int64(0)
			for _, e := range zr.File {
				if strings.HasSuffix(e.Name, "/") {
					continue
				}
				b, err := readEntry(e, r.p.maxFile()-total)
				if err != nil {
					return ctlNext, errorAt(pos, "%s: %s: %v", kw, e.Name, err)
				}
				total += int64(len(b))
				res := r.memResource(path.Base(e.Name), "", b)
				res.Set("path", e.Name)
				if utf8.Valid(b) {
					res.Set("content", string(b))
				} else {
					res.Set("content", base64.StdEncoding.EncodeToString(b))
					res.Set("encoding", "base64")
				}
				list = append(list, res)
			}
			out = list
		default: // add_to_archive, delete_from_archive: the archive changes
			var adds []zipEntry
			drop := map[string]bool{}
			if kw == "zip.add_to_archive" {
				if adds, err = r.zipAdditions(f, files, file, filename, pos, kw); err != nil {
					return ctlNext, err
				}
			} else {
				pv, err := eval(paths)
				if err != nil {
					return ctlNext, err
				}
				if pv == nil {
					if pv, err = eval(filename); err != nil {
						return ctlNext, err
					}
				}
				if list, ok := pv.([]any); ok {
					for _, p := range list {
						drop[value.ToText(p)] = true
					}
				} else if p := pathOf(pv); p != "" {
					drop[p] = true
				} else if o, ok := pv.(*value.Object); ok {
					drop[value.ToText(member(o, "name"))] = true
				}
			}
			for _, a := range adds {
				drop[a.path] = true // an added path replaces the entry of that path
			}
			var buf bytes.Buffer
			zw := zip.NewWriter(&buf)
			for _, e := range zr.File {
				if drop[e.Name] || dropsFolder(drop, e.Name) {
					continue
				}
				if err := zw.Copy(e); err != nil {
					return ctlNext, wrapAt(pos, kw, err)
				}
			}
			for _, a := range adds {
				w, err := zw.Create(a.path)
				if err != nil {
					return ctlNext, wrapAt(pos, kw, err)
				}
				if _, err := w.Write(a.data); err != nil {
					return ctlNext, wrapAt(pos, kw, err)
				}
			}
			if err := zw.Close(); err != nil {
				return ctlNext, wrapAt(pos, kw, err)
			}
			if int64(buf.Len()) > r.p.maxFile() {
				return ctlNext, errorAt(pos, "%s: the archive would be larger than %d bytes", kw, r.p.maxFile())
			}
			// The archive is changed in place when it is a resource of this run (as Xano's
			// statement, which gives nothing back, changes it); the new one is also the result.
			content := buf.Bytes()
			if o, ok := av.(*value.Object); ok {
				if _, mine := r.files[o]; mine {
					r.files[o] = memSource(src.name, "application/zip", content)
					o.Set("size", int64(len(content)))
					out = o
				}
			}
			if out == nil {
				out = r.memResource(src.name, "application/zip", content)
			}
		}
		if as != nil {
			as(f, out)
		}
		return ctlNext, nil
	}
}

// dropsFolder reports whether name sits in a folder listed to delete ("deprecated/").
func dropsFolder(drop map[string]bool, name string) bool {
	for p := range drop {
		if strings.HasSuffix(p, "/") && strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

type zipEntry struct {
	path string
	data []byte
}

// zipAdditions reads what zip.add_to_archive adds: files = [{path, content}] (content a
// text, or a file), or file = <a file> (named by filename, else by the file's name).
func (r *run) zipAdditions(f *frame, files, file, filename evalFn, pos xs.Pos, kw string) ([]zipEntry, error) {
	var out []zipEntry
	if files != nil {
		v, err := files(f)
		if err != nil {
			return nil, err
		}
		list, ok := v.([]any)
		if !ok {
			return nil, errorAt(pos, "%s: files must be a list of {path, content}", kw)
		}
		for _, e := range list {
			o, ok := e.(*value.Object)
			if !ok {
				return nil, errorAt(pos, "%s: files must be a list of {path, content}", kw)
			}
			p := value.ToText(member(o, "path"))
			content := member(o, "content")
			var data []byte
			if co, ok := content.(*value.Object); ok {
				src, err := r.source(co, pos, kw)
				if err != nil {
					return nil, err
				}
				if data, err = r.readAll(src, pos, kw); err != nil {
					return nil, err
				}
				if p == "" {
					p = src.name
				}
			} else {
				text, err := textOf(content, pos)
				if err != nil {
					return nil, err
				}
				data = []byte(text)
			}
			out = append(out, zipEntry{path: cleanEntry(p), data: data})
		}
	}
	if file != nil {
		v, err := file(f)
		if err != nil {
			return nil, err
		}
		src, err := r.source(v, pos, kw)
		if err != nil {
			return nil, err
		}
		data, err := r.readAll(src, pos, kw)
		if err != nil {
			return nil, err
		}
		name := src.name
		if filename != nil {
			nv, err := filename(f)
			if err != nil {
				return nil, err
			}
			if s := value.ToText(nv); s != "" {
				name = s
			}
		}
		out = append(out, zipEntry{path: cleanEntry(name), data: data})
	}
	if len(out) == 0 {
		return nil, errorAt(pos, "%s needs files = [{path, content}] or file = <a file>", kw)
	}
	return out, nil
}

// cleanEntry makes an entry path relative and free of ".." (a path that climbs out of
// the archive would climb out of a folder it is extracted into).
func cleanEntry(p string) string {
	p = strings.TrimLeft(path.Clean("/"+strings.ReplaceAll(p, "\\", "/")), "/")
	if p == "" || p == "." {
		return "file"
	}
	return p
}

func readEntry(e *zip.File, limit int64) ([]byte, error) {
	rc, err := e.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, errTooLargeArchive
	}
	return b, nil
}

var errTooLargeArchive = errors.New("the archive's content is larger than the file limit")

func memSource(name, mt string, data []byte) fileSource {
	return fileSource{name: name, mime: mt, size: int64(len(data)), open: func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}}
}

// memResource makes a file resource of bytes held in memory.
func (r *run) memResource(name, mt string, data []byte) *value.Object {
	if mt == "" {
		mt = detectMIME(name, data)
	}
	return r.resource(memSource(name, mt, data))
}

// readAll reads a file source within the file limit.
func (r *run) readAll(src fileSource, pos xs.Pos, kw string) ([]byte, error) {
	rc, err := src.open()
	if err != nil {
		return nil, wrapAt(pos, kw, err)
	}
	defer rc.Close()
	limit := r.p.maxFile()
	b, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, wrapAt(pos, kw, err)
	}
	if int64(len(b)) > limit {
		return nil, errorAt(pos, "%s: the file is larger than %d bytes", kw, limit)
	}
	return b, nil
}

// stmtStreamFile compiles stream.from_csv { value separator enclosure escape_char } and
// stream.from_jsonl { value }: the file's rows, as a list (a foreach walks it as Xano's
// stream). A CSV row is a list of texts; a JSONL line is its JSON value.
func (c *compiler) stmtStreamFile(n *xs.Node) execFn {
	val := c.expr(attrOf(n, "value"))
	sep, encl := c.expr(attrOf(n, "separator")), c.expr(attrOf(n, "enclosure"))
	kw, pos := n.Keyword, n.Pos
	return c.result(n, func(f *frame) (any, error) {
		v, err := val(f)
		if err != nil {
			return nil, err
		}
		var data []byte
		if s, ok := v.(string); ok && !isVaultPath(s) {
			data = []byte(s) // the file's text itself
		} else {
			src, err := f.r.source(v, pos, kw)
			if err != nil {
				return nil, err
			}
			if data, err = f.r.readAll(src, pos, kw); err != nil {
				return nil, err
			}
		}
		rows := []any{}
		if kw == "stream.from_jsonl" {
			for i, line := range strings.Split(string(data), "\n") {
				line = strings.TrimSpace(line)
				if line == "" {
					continue
				}
				jv, err := value.DecodeJSON([]byte(line))
				if err != nil {
					return nil, errorAt(pos, "%s: line %d is not JSON", kw, i+1)
				}
				rows = append(rows, jv)
			}
		} else {
			sv, err := sep(f)
			if err != nil {
				return nil, err
			}
			ev, err := encl(f)
			if err != nil {
				return nil, err
			}
			cr := csv.NewReader(bytes.NewReader(data))
			cr.FieldsPerRecord = -1
			cr.LazyQuotes = true
			if s := value.ToText(sv); s != "" {
				r, _ := utf8.DecodeRuneInString(s)
				cr.Comma = r
			}
			if e := value.ToText(ev); e != "" && e != `"` {
				return nil, errorAt(pos, "%s: only \" encloses fields (got %q)", kw, e)
			}
			recs, err := cr.ReadAll()
			if err != nil {
				return nil, errorAt(pos, "%s: the CSV does not parse: %v", kw, err)
			}
			for _, rec := range recs {
				row := make([]any, len(rec))
				for i, x := range rec {
					row[i] = x
				}
				rows = append(rows, row)
			}
		}
		return rows, nil
	})
}
