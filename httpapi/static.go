package httpapi

import (
	"bytes"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path"
	"strings"
)

// staticFiles serves the workspace's static/ directory at /. Unlike http.FileServer over
// http.Dir it stays inside the directory: files are opened through os.Root, so a symlink
// that leads out of static/ is refused like ".."; names beginning with a dot (.env, .git)
// are not served; a directory is served only through its index.html, never listed; and
// what is not found gets the JSON error body of docs/http.md.
type staticFiles struct {
	dir string
	log *slog.Logger
}

func (s staticFiles) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := path.Clean("/" + r.URL.Path)
	for _, seg := range strings.Split(name, "/") {
		if strings.HasPrefix(seg, ".") {
			writeError(w, r, s.log, errNotFound)
			return
		}
	}
	root, err := os.OpenRoot(s.dir)
	if err != nil {
		writeError(w, r, s.log, errNotFound)
		return
	}
	defer root.Close()
	fsys := root.FS()
	rel := strings.TrimPrefix(name, "/")
	if rel == "" {
		rel = "."
	}
	f, info, ok := openRegular(fsys, rel)
	if !ok && info != nil && info.IsDir() {
		if !strings.HasSuffix(r.URL.Path, "/") {
			// Relative links in the directory's index.html need the trailing slash.
			target := path.Base(name) + "/"
			if r.URL.RawQuery != "" {
				target += "?" + r.URL.RawQuery
			}
			http.Redirect(w, r, target, http.StatusMovedPermanently)
			return
		}
		f, info, ok = openRegular(fsys, path.Join(rel, "index.html"))
	}
	if !ok {
		writeError(w, r, s.log, errNotFound)
		return
	}
	defer f.Close()
	content, seekable := f.(io.ReadSeeker)
	if !seekable {
		data, err := io.ReadAll(f)
		if err != nil {
			writeError(w, r, s.log, errNotFound)
			return
		}
		content = bytes.NewReader(data)
	}
	http.ServeContent(w, r, info.Name(), info.ModTime(), content)
}

// openRegular opens name if it is a regular file. Otherwise ok is false, and info is what
// name is (a directory, say) when it exists inside the root.
func openRegular(fsys fs.FS, name string) (f fs.File, info fs.FileInfo, ok bool) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, nil, false
	}
	info, err = f.Stat()
	if err != nil || !info.Mode().IsRegular() {
		f.Close()
		return nil, info, false
	}
	return f, info, true
}
