package stack

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"image"
	_ "image/gif" // image sizes for storage.create_image
	_ "image/jpeg"
	_ "image/png"
	"io"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
	"unicode/utf8"

	"relaybase"
	"relaybase/value"
	"relaybase/xs"
)

// File resources: an upload taken by a file input, or the result of
// storage.create_file_resource, is an object {name, size, mime, type} that stands for
// content the run can read (run.files). storage.create_attachment and its siblings store
// that content with Options.Files and give the stored file's metadata, the object Xano
// returns and tables keep in attachment or image fields:
//
//	{access, path, name, type, size, mime, meta: {validated, width?, height?}}
//
// A stored file's metadata can stand for its content too (it is read back from the store).

func init() {
	registerStatements(map[string]func(c *compiler, n *xs.Node) execFn{
		"storage.create_attachment":    (*compiler).stmtStorageCreate,
		"storage.create_image":         (*compiler).stmtStorageCreate,
		"storage.create_video":         (*compiler).stmtStorageCreate,
		"storage.create_audio":         (*compiler).stmtStorageCreate,
		"storage.create_file_resource": (*compiler).stmtFileResource,
		"storage.read_file_resource":   (*compiler).stmtReadFileResource,
		"storage.delete_file":          (*compiler).stmtDeleteFile,
		"storage.sign_private_url":     (*compiler).stmtSignURL,
	})
}

// fileSource is the content behind a file resource.
type fileSource struct {
	name, mime string
	size       int64
	open       func() (io.ReadCloser, error)
}

// maxFile is the largest file stored or read by default.
const maxFile = 64 << 20

func (p *Program) maxFile() int64 {
	if p.opts.MaxFile > 0 {
		return p.opts.MaxFile
	}
	return maxFile
}

// fileKind is the type Xano gives a file from its content type.
func fileKind(mt string) string {
	base, _, _ := mime.ParseMediaType(mt)
	switch {
	case strings.HasPrefix(base, "image/"):
		return "image"
	case strings.HasPrefix(base, "video/"):
		return "video"
	case strings.HasPrefix(base, "audio/"):
		return "audio"
	case base == "application/pdf":
		return "pdf"
	}
	return "attachment"
}

// resource makes a file resource object for src and records it in the run.
func (r *run) resource(src fileSource) *value.Object {
	o := value.ObjectOf("name", src.name, "size", src.size, "mime", src.mime, "type", fileKind(src.mime))
	if r.files == nil {
		r.files = map[*value.Object]fileSource{}
	}
	r.files[o] = src
	return o
}

// fileInput coerces a file input: an upload of the request becomes a file resource; a
// resource or a stored file's metadata passes as it is.
func (r *run) fileInput(v any, param string) (any, error) {
	if o, ok := v.(*value.Object); ok {
		if _, ok := r.files[o]; ok {
			return o, nil
		}
		if r.req != nil {
			if up, ok := r.req.Uploads[o]; ok {
				mt := up.MIME
				if mt == "" || mt == "application/octet-stream" {
					if t := mime.TypeByExtension(strings.ToLower(path.Ext(up.Name))); t != "" {
						mt = t
					}
				}
				if mt == "" {
					mt = "application/octet-stream"
				}
				return r.resource(fileSource{name: up.Name, mime: mt, size: up.Size, open: up.Open}), nil
			}
		}
		if p, _ := o.Get("path"); isVaultPath(p) {
			return o, nil
		}
	}
	return nil, relaybase.InputError(param, "Invalid value for param %s: expected an uploaded file (a part of a multipart/form-data body).", param)
}

func isVaultPath(v any) bool {
	s, ok := v.(string)
	return ok && strings.HasPrefix(s, "/vault/")
}

// source finds the content a value stands for: a file resource of the run, or a stored
// file's metadata (or its path).
func (r *run) source(v any, pos xs.Pos, kw string) (fileSource, error) {
	if o, ok := v.(*value.Object); ok {
		if src, ok := r.files[o]; ok {
			return src, nil
		}
		v, _ = o.Get("path")
	}
	if p, ok := v.(string); ok && isVaultPath(p) {
		files := r.p.opts.Files
		if files == nil {
			return fileSource{}, errorAt(pos, "%s: no file storage is configured", kw)
		}
		f, info, err := files.OpenFile(r.ctx, p)
		if errors.Is(err, relaybase.ErrNotFound) {
			return fileSource{}, errorAt(pos, "%s: no stored file %s", kw, p)
		}
		if err != nil {
			return fileSource{}, wrapAt(pos, kw, err)
		}
		f.Close()
		return fileSource{name: info.Name, mime: info.MIME, size: info.Size, open: func() (io.ReadCloser, error) {
			rc, _, err := files.OpenFile(r.ctx, p)
			return rc, err
		}}, nil
	}
	return fileSource{}, errorAt(pos, "%s: value must be a file (an uploaded file input, a file resource or a stored file), got %s", kw, value.TypeName(v))
}

func (c *compiler) stmtStorageCreate(n *xs.Node) execFn {
	val, access, filename := c.expr(attrOf(n, "value")), c.expr(attrOf(n, "access")), c.expr(attrOf(n, "filename"))
	if attrOf(n, "value") == nil {
		c.errorf(n.Pos, "%s needs value = <a file>", n.Keyword)
		return nop
	}
	kw, pos := n.Keyword, n.Pos
	want := strings.TrimPrefix(kw, "storage.create_")
	return c.result(n, func(f *frame) (any, error) {
		r := f.r
		files := r.p.opts.Files
		if files == nil {
			return nil, errorAt(pos, "%s: no file storage is configured", kw)
		}
		v, err := val(f)
		if err != nil {
			return nil, err
		}
		src, err := r.source(v, pos, kw)
		if err != nil {
			return nil, err
		}
		av, err := access(f)
		if err != nil {
			return nil, err
		}
		acc := value.ToText(av)
		switch acc {
		case "":
			acc = "public"
		case "public", "private":
		default:
			return nil, errorAt(pos, "%s: access must be \"public\" or \"private\", got %q", kw, acc)
		}
		nv, err := filename(f)
		if err != nil {
			return nil, err
		}
		name := value.ToText(nv)
		if name == "" {
			name = src.name
		}
		rc, err := src.open()
		if err != nil {
			return nil, wrapAt(pos, kw, err)
		}
		defer rc.Close()
		limit := r.p.maxFile()
		head := make([]byte, 512)
		hn, err := io.ReadFull(rc, head)
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, wrapAt(pos, kw, err)
		}
		head = head[:hn]
		mt := src.mime
		if mt == "" || mt == "application/octet-stream" {
			if t := mime.TypeByExtension(strings.ToLower(path.Ext(name))); t != "" {
				mt = t
			} else {
				mt = http.DetectContentType(head)
			}
		}
		meta := value.ObjectOf("validated", false)
		var body io.Reader = io.MultiReader(bytes.NewReader(head), rc)
		switch want {
		case "image":
			sniffed := http.DetectContentType(head)
			switch sniffed {
			case "image/jpeg", "image/png", "image/gif", "image/webp":
			default:
				return nil, errorAt(pos, "%s: Invalid file extension. An image must be a JPEG, PNG, GIF or WebP file", kw)
			}
			mt = sniffed
			// The size is in the first bytes for every one of these formats but JPEG, whose
			// header can come after metadata: read the whole image (within the limit).
			data, err := io.ReadAll(io.LimitReader(body, limit+1))
			if err != nil {
				return nil, wrapAt(pos, kw, err)
			}
			if w, h, ok := imageSize(data); ok {
				meta.Set("width", int64(w))
				meta.Set("height", int64(h))
			}
			body = bytes.NewReader(data)
		case "video", "audio":
			if fileKind(mt) != want && fileKind(http.DetectContentType(head)) != want {
				return nil, errorAt(pos, "%s: Invalid file extension. The file is not %s", kw, map[string]string{"video": "a video", "audio": "audio"}[want])
			}
		}
		stored, err := files.PutFile(r.ctx, relaybase.NewFile{Name: name, MIME: mt, Access: acc}, body, limit)
		if errors.Is(err, relaybase.ErrFileTooLarge) {
			return nil, errorAt(pos, "%s: the file is larger than %d bytes", kw, limit)
		}
		if err != nil {
			return nil, wrapAt(pos, kw, err)
		}
		out := value.ObjectOf("access", stored.Access, "path", stored.Path, "name", stored.Name,
			"type", fileKind(stored.MIME), "size", stored.Size, "mime", stored.MIME, "meta", meta)
		return out, nil
	})
}

// imageSize reads the width and height of a JPEG, PNG, GIF or WebP image.
func imageSize(data []byte) (int, int, bool) {
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(data)); err == nil {
		return cfg.Width, cfg.Height, true
	}
	return webpSize(data)
}

// webpSize reads the canvas size of a WebP image (lossy VP8, lossless VP8L, or VP8X),
// which the standard library does not decode.
func webpSize(b []byte) (int, int, bool) {
	if len(b) < 30 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WEBP" {
		return 0, 0, false
	}
	switch string(b[12:16]) {
	case "VP8 ":
		if b[23] != 0x9d || b[24] != 0x01 || b[25] != 0x2a {
			return 0, 0, false
		}
		return int(binary.LittleEndian.Uint16(b[26:28]) & 0x3fff), int(binary.LittleEndian.Uint16(b[28:30]) & 0x3fff), true
	case "VP8L":
		if b[20] != 0x2f {
			return 0, 0, false
		}
		v := binary.LittleEndian.Uint32(b[21:25])
		return int(v&0x3fff) + 1, int((v>>14)&0x3fff) + 1, true
	case "VP8X":
		w := int(b[24]) | int(b[25])<<8 | int(b[26])<<16
		h := int(b[27]) | int(b[28])<<8 | int(b[29])<<16
		return w + 1, h + 1, true
	}
	return 0, 0, false
}

func (c *compiler) stmtFileResource(n *xs.Node) execFn {
	filename, data := c.expr(attrOf(n, "filename")), c.expr(attrOf(n, "filedata"))
	pos := n.Pos
	return c.result(n, func(f *frame) (any, error) {
		nv, err := filename(f)
		if err != nil {
			return nil, err
		}
		dv, err := data(f)
		if err != nil {
			return nil, err
		}
		var content []byte
		switch t := dv.(type) {
		case string:
			content = []byte(t)
		case nil:
		default:
			text, err := textOf(t, pos)
			if err != nil {
				return nil, err
			}
			content = []byte(text)
		}
		name := value.ToText(nv)
		if name == "" {
			name = "file"
		}
		mt := mime.TypeByExtension(strings.ToLower(path.Ext(name)))
		if mt == "" {
			mt = http.DetectContentType(content)
		}
		o := f.r.resource(fileSource{name: name, mime: mt, size: int64(len(content)), open: func() (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(content)), nil
		}})
		return o, nil
	})
}

func (c *compiler) stmtReadFileResource(n *xs.Node) execFn {
	val := c.expr(attrOf(n, "value"))
	kw, pos := n.Keyword, n.Pos
	return c.result(n, func(f *frame) (any, error) {
		v, err := val(f)
		if err != nil {
			return nil, err
		}
		src, err := f.r.source(v, pos, kw)
		if err != nil {
			return nil, err
		}
		rc, err := src.open()
		if err != nil {
			return nil, wrapAt(pos, kw, err)
		}
		defer rc.Close()
		limit := f.r.p.maxFile()
		data, err := io.ReadAll(io.LimitReader(rc, limit+1))
		if err != nil {
			return nil, wrapAt(pos, kw, err)
		}
		if int64(len(data)) > limit {
			return nil, errorAt(pos, "%s: the file is larger than %d bytes", kw, limit)
		}
		out := value.ObjectOf("name", src.name, "size", int64(len(data)), "mime", src.mime)
		// Text comes back as text; anything else as base64, saying so.
		if utf8.Valid(data) {
			out.Set("data", string(data))
		} else {
			out.Set("data", base64.StdEncoding.EncodeToString(data))
			out.Set("encoding", "base64")
		}
		return out, nil
	})
}

// pathOf reads a stored file's path from its metadata or from text.
func pathOf(v any) string {
	if o, ok := v.(*value.Object); ok {
		v, _ = o.Get("path")
	}
	s, _ := v.(string)
	return s
}

func (c *compiler) stmtDeleteFile(n *xs.Node) execFn {
	e := attrOf(n, "pathname")
	if e == nil {
		e = attrOf(n, "value")
	}
	if e == nil {
		c.errorf(n.Pos, "storage.delete_file needs pathname = <a stored file's path>")
		return nop
	}
	val := c.expr(e)
	pos := n.Pos
	return func(f *frame) (ctl, error) {
		files := f.r.p.opts.Files
		if files == nil {
			return ctlNext, errorAt(pos, "storage.delete_file: no file storage is configured")
		}
		v, err := val(f)
		if err != nil {
			return ctlNext, err
		}
		p := pathOf(v)
		if !isVaultPath(p) {
			return ctlNext, errorAt(pos, "storage.delete_file: %s is not a stored file's path (/vault/...)", show(v))
		}
		if err := files.DeleteFile(f.r.ctx, p); err != nil {
			return ctlNext, wrapAt(pos, "storage.delete_file", err)
		}
		return ctlNext, nil
	}
}

func (c *compiler) stmtSignURL(n *xs.Node) execFn {
	e := attrOf(n, "pathname")
	if e == nil {
		e = attrOf(n, "value")
	}
	val, ttl := c.expr(e), c.expr(attrOf(n, "ttl"))
	pos := n.Pos
	return c.result(n, func(f *frame) (any, error) {
		files := f.r.p.opts.Files
		if files == nil {
			return nil, errorAt(pos, "storage.sign_private_url: no file storage is configured")
		}
		v, err := val(f)
		if err != nil {
			return nil, err
		}
		p := pathOf(v)
		if !isVaultPath(p) {
			return nil, errorAt(pos, "storage.sign_private_url: %s is not a stored file's path (/vault/...)", show(v))
		}
		tv, err := ttl(f)
		if err != nil {
			return nil, err
		}
		secs := int64(3600)
		if tv != nil {
			var ok bool
			if secs, ok = toInt(tv); !ok || secs <= 0 {
				return nil, errorAt(pos, "storage.sign_private_url: ttl must be a number of seconds above 0")
			}
		}
		url := p + "?" + files.SignFile(p, f.r.p.now().Add(time.Duration(secs)*time.Second))
		return url, nil
	})
}

// detectMIME gives a content type from a file's name, else from its first bytes.
func detectMIME(name string, data []byte) string {
	if t := mime.TypeByExtension(strings.ToLower(path.Ext(name))); t != "" {
		return t
	}
	if len(data) > 512 {
		data = data[:512]
	}
	return http.DetectContentType(data)
}
