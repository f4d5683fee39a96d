package httpapi

import (
	"errors"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"relaybase"
)

// handleFile serves a stored file (storage.create_attachment and its siblings) at its
// path, /vault/<id>/<name>: a public one to anyone, a private one only with an unexpired
// signature (storage.sign_private_url adds ?expires=...&signature=...). The store resolves
// the path (nothing of it reaches the disk unchecked); the content type is the one
// recorded, never sniffed by the browser, and a file that a browser could run (HTML, SVG,
// scripts) is sent as a download, in a sandbox.
func (s *Server) handleFile(w http.ResponseWriter, r *http.Request) {
	path := "/vault/" + r.PathValue("id") + "/" + r.PathValue("name")
	f, info, err := s.cfg.Files.OpenFile(r.Context(), path)
	if errors.Is(err, relaybase.ErrNotFound) {
		writeError(w, r, s.log, relaybase.Errorf(relaybase.CodeNotFound, "No such file."))
		return
	}
	if err != nil {
		writeError(w, r, s.log, &relaybase.Error{Code: relaybase.CodeFatal, Message: "The file could not be read.", Err: err})
		return
	}
	defer f.Close()
	if info.Access != "public" {
		q := r.URL.Query()
		exp, _ := strconv.ParseInt(q.Get("expires"), 10, 64)
		if !s.cfg.Files.VerifyFile(path, exp, q.Get("signature"), s.cfg.Now()) {
			writeError(w, r, s.log, relaybase.Errorf(relaybase.CodeAccessDenied, "This file is private: it needs a signed URL that has not expired."))
			return
		}
		w.Header().Set("Cache-Control", "private, no-store")
	} else {
		// A stored file never changes: its path names one content for good.
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	}
	h := w.Header()
	h.Set("Content-Type", info.MIME)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'")
	disposition := "attachment"
	if inline(info.MIME) {
		disposition = "inline"
	}
	h.Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": info.Name}))
	http.ServeContent(w, r, "", time.Time{}, f)
}

// inline reports whether a browser may show a file of this type in place: images (not
// SVG, which runs scripts), audio, video, PDF and plain text.
func inline(mt string) bool {
	base, _, _ := mime.ParseMediaType(mt)
	switch {
	case base == "image/svg+xml":
		return false
	case strings.HasPrefix(base, "image/"), strings.HasPrefix(base, "audio/"), strings.HasPrefix(base, "video/"):
		return true
	}
	return base == "application/pdf" || base == "text/plain"
}
