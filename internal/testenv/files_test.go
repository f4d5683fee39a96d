package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

func TestTempFiles(t *testing.T) {
	dir := TempFiles(t, map[string]string{"a.xs": "one", "deep/er/b.xs": "two"})
	for name, want := range map[string]string{"a.xs": "one", "deep/er/b.xs": "two"} {
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil || string(got) != want {
			t.Errorf("%s = %q, %v; want %q", name, got, err, want)
		}
	}
}
