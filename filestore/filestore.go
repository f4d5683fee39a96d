package filestore

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"relaybase"
)

// Store is a relaybase.FileStore in one directory.
type Store struct {
	dir string
	key []byte
}

var _ relaybase.FileStore = (*Store)(nil)

// Open returns a Store in dir (created if missing) that signs with key (at least 16 bytes).
func Open(dir string, key []byte) (*Store, error) {
	if len(key) < 16 {
		return nil, errors.New("filestore: the signing key must have at least 16 bytes")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("filestore: %w", err)
	}
	return &Store{dir: dir, key: append([]byte(nil), key...)}, nil
}

// meta is what meta.json holds.
type meta struct {
	Name   string `json:"name"`
	MIME   string `json:"mime"`
	Access string `json:"access"`
	Size   int64  `json:"size"`
}

const (
	prefix  = "/vault/"
	idLen   = 26 // 16 bytes in unpadded base32
	maxName = 200
)

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return idEncoding.EncodeToString(b[:])
}

func validID(id string) bool {
	if len(id) != idLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// SafeName makes a file name safe to store and serve: its last path element, without
// control or invisible characters, quotes or backslashes, without leading dots or spaces,
// cut to 200 bytes (on a character boundary, keeping the extension when it can); "file"
// when nothing is left.
func SafeName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	var b strings.Builder
	for _, r := range name {
		switch {
		case r == utf8.RuneError, unicode.IsControl(r), r == '"', r == '\\', r == '/',
			unicode.Is(unicode.Cf, r): // bidi overrides and other invisible formatting
			continue
		}
		b.WriteRune(r)
	}
	name = strings.TrimLeft(strings.TrimSpace(b.String()), ". ")
	if len(name) > maxName {
		ext := filepath.Ext(name)
		if len(ext) > 20 {
			ext = ""
		}
		cut := maxName - len(ext)
		for cut > 0 && !utf8.RuneStart(name[cut]) {
			cut--
		}
		name = name[:cut] + ext
	}
	if name == "" {
		return "file"
	}
	return name
}

// split reads /vault/<id>/<name>; ok is false for anything else.
func split(path string) (id, name string, ok bool) {
	rest, found := strings.CutPrefix(path, prefix)
	if !found {
		return "", "", false
	}
	id, name, found = strings.Cut(rest, "/")
	if !found || !validID(id) || name == "" || strings.ContainsAny(name, "/\\") {
		return "", "", false
	}
	return id, name, true
}

// PutFile implements relaybase.FileStore. The file is written under a temporary name and
// renamed into place, so a reader never sees half a file.
func (s *Store) PutFile(ctx context.Context, f relaybase.NewFile, r io.Reader, limit int64) (relaybase.StoredFile, error) {
	name := SafeName(f.Name)
	access := f.Access
	if access != "public" {
		access = "private"
	}
	id := newID()
	dir := filepath.Join(s.dir, id)
	if err := os.Mkdir(dir, 0o700); err != nil {
		return relaybase.StoredFile{}, fmt.Errorf("filestore: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(dir)
		}
	}()
	tmp, err := os.CreateTemp(dir, ".upload-*")
	if err != nil {
		return relaybase.StoredFile{}, fmt.Errorf("filestore: %w", err)
	}
	defer tmp.Close()
	// The first bytes tell the content type when neither the caller nor the name does.
	head := make([]byte, 512)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return relaybase.StoredFile{}, fmt.Errorf("filestore: read: %w", err)
	}
	head = head[:n]
	size, err := io.Copy(tmp, io.MultiReader(bytes.NewReader(head), io.LimitReader(ctxReader{ctx, r}, limit-int64(n)+1)))
	if err != nil {
		return relaybase.StoredFile{}, fmt.Errorf("filestore: write: %w", err)
	}
	if size > limit {
		return relaybase.StoredFile{}, relaybase.ErrFileTooLarge
	}
	if err := tmp.Sync(); err != nil {
		return relaybase.StoredFile{}, fmt.Errorf("filestore: write: %w", err)
	}
	mt := f.MIME
	if mt == "" || mt == "application/octet-stream" {
		mt = DetectMIME(name, head)
	}
	m := meta{Name: name, MIME: mt, Access: access, Size: size}
	mb, _ := json.Marshal(m)
	if err := os.WriteFile(filepath.Join(dir, "meta.json"), mb, 0o600); err != nil {
		return relaybase.StoredFile{}, fmt.Errorf("filestore: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, "data")); err != nil {
		return relaybase.StoredFile{}, fmt.Errorf("filestore: %w", err)
	}
	ok = true
	return relaybase.StoredFile{Path: prefix + id + "/" + name, Name: name, MIME: mt, Access: access, Size: size}, nil
}

// ctxReader stops a copy when its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// DetectMIME gives a content type from a file's name, else from its first bytes.
func DetectMIME(name string, head []byte) string {
	if t := mime.TypeByExtension(strings.ToLower(filepath.Ext(name))); t != "" {
		return t
	}
	return http.DetectContentType(head)
}

func (s *Store) meta(id string) (meta, error) {
	var m meta
	b, err := os.ReadFile(filepath.Join(s.dir, id, "meta.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return m, relaybase.ErrNotFound
	}
	if err != nil {
		return m, fmt.Errorf("filestore: %w", err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("filestore: %s: %w", id, err)
	}
	return m, nil
}

// OpenFile implements relaybase.FileStore.
func (s *Store) OpenFile(ctx context.Context, path string) (io.ReadSeekCloser, relaybase.StoredFile, error) {
	id, name, ok := split(path)
	if !ok {
		return nil, relaybase.StoredFile{}, relaybase.ErrNotFound
	}
	m, err := s.meta(id)
	if err != nil {
		return nil, relaybase.StoredFile{}, err
	}
	if m.Name != name {
		return nil, relaybase.StoredFile{}, relaybase.ErrNotFound
	}
	f, err := os.Open(filepath.Join(s.dir, id, "data"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, relaybase.StoredFile{}, relaybase.ErrNotFound
	}
	if err != nil {
		return nil, relaybase.StoredFile{}, fmt.Errorf("filestore: %w", err)
	}
	return f, relaybase.StoredFile{Path: path, Name: m.Name, MIME: m.MIME, Access: m.Access, Size: m.Size}, nil
}

// DeleteFile implements relaybase.FileStore.
func (s *Store) DeleteFile(ctx context.Context, path string) error {
	id, name, ok := split(path)
	if !ok {
		return nil
	}
	m, err := s.meta(id)
	if errors.Is(err, relaybase.ErrNotFound) || (err == nil && m.Name != name) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := os.RemoveAll(filepath.Join(s.dir, id)); err != nil {
		return fmt.Errorf("filestore: %w", err)
	}
	return nil
}

func (s *Store) mac(path string, expires int64) []byte {
	h := hmac.New(sha256.New, s.key)
	h.Write([]byte(path))
	h.Write([]byte{0})
	h.Write([]byte(strconv.FormatInt(expires, 10)))
	return h.Sum(nil)
}

// SignFile implements relaybase.FileStore. expires is in seconds since the epoch.
func (s *Store) SignFile(path string, expires time.Time) string {
	e := expires.Unix()
	return "expires=" + strconv.FormatInt(e, 10) + "&signature=" + base64.RawURLEncoding.EncodeToString(s.mac(path, e))
}

// VerifyFile implements relaybase.FileStore.
func (s *Store) VerifyFile(path string, expires int64, signature string, now time.Time) bool {
	sig, err := base64.RawURLEncoding.DecodeString(signature)
	if err != nil || now.Unix() >= expires {
		return false
	}
	return hmac.Equal(sig, s.mac(path, expires))
}
