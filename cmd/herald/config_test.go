package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

// loadServeConfig parses args for "herald serve" and loads its config
// without running the server.
func loadServeConfig(t *testing.T, args ...string) (Config, error) {
	t.Helper()
	cfg := DefaultConfig()
	root := &cobra.Command{Use: "herald"}
	(&cliOptions{}).register(root)
	var loaded error
	cmd := &cobra.Command{Use: "serve", RunE: func(cmd *cobra.Command, _ []string) error {
		loaded = cfg.load(cmd)
		return nil
	}}
	cfg.bindFlags(cmd.Flags())
	root.AddCommand(cmd)
	root.SetArgs(append([]string{"serve"}, args...))
	root.SetOut(&bytes.Buffer{})
	if err := root.Execute(); err != nil {
		return cfg, err
	}
	return cfg, loaded
}

func TestConfigPrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "herald.json")
	os.WriteFile(file, []byte(`{"addr": "127.0.0.1:9001", "workers": 7, "max-body-bytes": 2097152, "retry-schedule": ["1s", "2s"], "log-format": "json"}`), 0o600)
	t.Setenv("HERALD_WORKERS", "9")
	t.Setenv("HERALD_DATA_DIR", "/tmp/from-env")
	cfg, err := loadServeConfig(t, "--config", file, "--log-format", "text")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:9001" || cfg.Workers != 9 || cfg.MaxBodyBytes != 2097152 ||
		cfg.RetrySchedule != "1s,2s" || cfg.LogFormat != "text" || cfg.DataDir != "/tmp/from-env" {
		t.Fatalf("config: %+v", cfg)
	}
	if cfg.DatabasePath() != "/tmp/from-env/herald.db" {
		t.Fatalf("database path %q", cfg.DatabasePath())
	}
}

func TestConfigErrorsNameTheField(t *testing.T) {
	cases := map[string][]string{
		"role":                             {"--role", "boss"},
		"retry-schedule":                   {"--retry-schedule", "1s,soon"},
		"workers":                          {"--workers", "0"},
		"addr":                             {"--addr", "nope"},
		"database":                         {"--database", "mysql://x"},
		"log-format":                       {"--log-format", "xml"},
		"rescue-after":                     {"--rescue-after", "5m30s"}, // not above the longest webhook timeout and margins
		"node-dead-after":                  {"--node-heartbeat", "10s", "--node-dead-after", "10s"},
		"jwt-tenant-claim":                 {"--jwt-tenant-claim", "sub"}, // names the agent
		"public-url":                       {"--public-url", "https://herald.example.com/ui"},
		"retention":                        {"--retention", "30s"}, // under a minute
		"HERALD_RETENTION":                 nil,
		"HERALD_MAX_IN_FLIGHT_PER_WEBHOOK": nil,
	}
	for field, args := range cases {
		t.Run(field, func(t *testing.T) {
			if args == nil {
				t.Setenv(field, "many")
			}
			_, err := loadServeConfig(t, args...)
			if err == nil || !strings.Contains(err.Error(), field) {
				t.Errorf("got %v, want an error naming %s", err, field)
			}
		})
	}
}

// TestRetentionConfig reads --retention from its default (30d), the
// environment and the flag, in days or as a duration, and 0.
func TestRetentionConfig(t *testing.T) {
	if cfg, err := loadServeConfig(t); err != nil || cfg.Retention != 30*24*time.Hour {
		t.Fatalf("default retention: %s %v, want 30d", cfg.Retention, err)
	}
	t.Setenv("HERALD_RETENTION", "90d")
	if cfg, err := loadServeConfig(t); err != nil || cfg.Retention != 90*24*time.Hour {
		t.Fatalf("HERALD_RETENTION=90d: %s %v", cfg.Retention, err)
	}
	for arg, want := range map[string]time.Duration{"36h": 36 * time.Hour, "0": 0, "7d": 7 * 24 * time.Hour} {
		if cfg, err := loadServeConfig(t, "--retention", arg); err != nil || cfg.Retention != want {
			t.Errorf("--retention %s: %s %v, want %s", arg, cfg.Retention, err, want)
		}
	}
}

// TestJWTTenantClaimConfig reads --jwt-tenant-claim from its default, the
// environment and the flag, and refuses names that mean something else.
func TestJWTTenantClaimConfig(t *testing.T) {
	cfg, err := loadServeConfig(t)
	if err != nil || cfg.JWTTenantClaim != "tenant_id" {
		t.Fatalf("default: %q %v", cfg.JWTTenantClaim, err)
	}
	t.Setenv("HERALD_JWT_TENANT_CLAIM", "org")
	if cfg, err = loadServeConfig(t); err != nil || cfg.JWTTenantClaim != "org" {
		t.Fatalf("from HERALD_JWT_TENANT_CLAIM: %q %v", cfg.JWTTenantClaim, err)
	}
	if cfg, err = loadServeConfig(t, "--jwt-tenant-claim", "https://example.com/tenant"); err != nil || cfg.JWTTenantClaim != "https://example.com/tenant" {
		t.Fatalf("flag over the environment: %q %v", cfg.JWTTenantClaim, err)
	}
	for _, bad := range []string{"", "exp", "agent_id", "tenant id"} {
		if _, err := loadServeConfig(t, "--jwt-tenant-claim", bad); err == nil || !strings.Contains(err.Error(), "jwt-tenant-claim") {
			t.Errorf("--jwt-tenant-claim %q: %v", bad, err)
		}
	}
}

func TestMigrateCommand(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	cmd := newRootCmd()
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"migrate", "--data-dir", dir})
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "herald.db")); err != nil || !strings.Contains(out.String(), "migrated") {
		t.Fatalf("migrate: %v %q", err, out.String())
	}
	// A server on the migrated file starts and is ready at once.
	ts := startServer(t, func(c *Config) { c.DataDir = dir; c.ShutdownTimeout = time.Second })
	if err := ts.Store.Ready(context.Background()); err != nil {
		t.Fatal(err)
	}
}
