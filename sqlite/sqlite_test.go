package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/sqlite"
	"github.com/heraldhq/herald/storetest"
)

func open(t *testing.T) herald.Store {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "herald.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestConformance(t *testing.T) {
	storetest.Run(t, open)
}

func TestParseURL(t *testing.T) {
	cases := map[string]string{
		"sqlite:///var/lib/herald.db": "/var/lib/herald.db",
		"sqlite://data/h.db":          "data/h.db",
		"sqlite:h.db":                 "h.db",
		"/abs/h.db":                   "/abs/h.db",
	}
	for in, want := range cases {
		if got, err := sqlite.ParseURL(in); err != nil || got != want {
			t.Errorf("ParseURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := sqlite.ParseURL("postgres://x"); err == nil {
		t.Error("postgres URL accepted")
	}
}

func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "herald.db")
	db, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := herald.NewWebhookDefaults()
	w.URL, w.Events, w.Secret = "https://example.com", []string{"*"}, herald.GenerateSecret()
	if err := db.CreateWebhook(ctx, w); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Webhook(ctx, w.ID); err != nil {
		t.Fatalf("after reopen: %v", err)
	}
}
