package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/sqlite"
)

// A data dir whose name holds "?", "#" or "%" opens the file it names.
func TestOpenPathWithURICharacters(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "a?b#c%20d")
	path := filepath.Join(dir, "herald.db")
	db, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.PutTenant(context.Background(), &herald.Tenant{ID: "acme", Metadata: []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(path); err != nil || info.Size() == 0 {
		t.Fatalf("the database is not at %s: %v", path, err)
	}
	entries, err := os.ReadDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != "a?b#c%20d" {
			t.Errorf("a file was made beside the data dir: %s", e.Name())
		}
	}
}
