package relaybase

import (
	"context"
	"errors"
	"io"
	"time"
)

// FileStore keeps the files that storage.create_attachment, create_image, create_video and
// create_audio store (filestore implements it on local disk, under the data directory).
// A stored file has a path of the form /vault/<id>/<name>, where <id> is random and
// unguessable; relaybase serves it at that path (httpapi): a public file to anyone, a
// private one only with a signature from SignFile that has not expired.
type FileStore interface {
	// PutFile stores the content read from r (at most limit bytes; more is
	// ErrFileTooLarge) as a new file.
	PutFile(ctx context.Context, f NewFile, r io.Reader, limit int64) (StoredFile, error)
	// OpenFile opens a stored file by its path; ErrNotFound when there is none.
	OpenFile(ctx context.Context, path string) (io.ReadSeekCloser, StoredFile, error)
	// DeleteFile removes a stored file (nothing when there is none).
	DeleteFile(ctx context.Context, path string) error
	// SignFile returns the query string ("expires=...&signature=...") that lets a
	// private file be read until expires.
	SignFile(path string, expires time.Time) string
	// VerifyFile reports whether a signature made by SignFile for path and expires holds
	// and has not expired at now.
	VerifyFile(path string, expires int64, signature string, now time.Time) bool
}

// NewFile describes a file to store.
type NewFile struct {
	Name   string // the file's name as given (it is made safe: no folders, no control characters)
	MIME   string // its content type; "" to detect it from the name and the content
	Access string // "public" or "private"
}

// StoredFile is what a FileStore knows of a stored file.
type StoredFile struct {
	Path   string // /vault/<id>/<name>
	Name   string
	MIME   string
	Access string
	Size   int64
}

// ErrFileTooLarge is PutFile's error for content past its limit.
var ErrFileTooLarge = errors.New("the file is too large")
