package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// WriteFiles writes files (a slash-separated path under dir → its content) into dir, making
// the folders they need: a workspace, a static site, whatever a test reads from disk.
func WriteFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatalf("write %s: %v", name, err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatalf("write %s: %v", name, err)
		}
	}
}

// TempFiles writes files into a new temporary directory (removed when the test ends) and
// returns it.
func TempFiles(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	WriteFiles(t, dir, files)
	return dir
}
