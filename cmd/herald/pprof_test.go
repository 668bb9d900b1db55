package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestPprof starts a server with --pprof 127.0.0.1:0, fetches the
// profiles' index from the separate listener (the API does not serve it),
// and finds the listener closed after Close.
func TestPprof(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.Pprof = "127.0.0.1:0" })
	addr := ts.PprofAddr()
	if addr == "" || addr == ts.Config.Addr {
		t.Fatalf("pprof address %q", addr)
	}
	resp, err := http.Get("http://" + addr + "/debug/pprof/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "goroutine") {
		t.Fatalf("GET /debug/pprof/: %d\n%s", resp.StatusCode, body)
	}
	if status, _ := ts.do("GET", "/debug/pprof/", nil); status == http.StatusOK {
		t.Fatal("the API's listener serves /debug/pprof/ too")
	}
	if err := ts.Close(); err != nil {
		t.Fatal(err)
	}
	if resp, err := http.Get("http://" + addr + "/debug/pprof/"); err == nil {
		resp.Body.Close()
		t.Fatalf("pprof still answers after Close: %d", resp.StatusCode)
	}
}

// TestPprofLoopbackOnly: Validate refuses a --pprof address that is not
// loopback, naming the flag, and accepts the loopback ones.
func TestPprofLoopbackOnly(t *testing.T) {
	for addr, ok := range map[string]bool{
		"": true, "127.0.0.1:6060": true, "[::1]:6060": true, "localhost:6060": true, "127.0.0.2:0": true,
		":6060": false, "0.0.0.0:6060": false, "[::]:6060": false, "10.0.0.5:6060": false, "example.com:6060": false, "6060": false,
	} {
		cfg := DefaultConfig()
		cfg.Pprof = addr
		err := cfg.Validate()
		if ok != (err == nil) || (err != nil && !strings.HasPrefix(err.Error(), "pprof: ")) {
			t.Errorf("--pprof %q: Validate = %v", addr, err)
		}
	}
}

// TestPprofConfig reads --pprof from HERALD_PPROF and the flag; it is off
// by default.
func TestPprofConfig(t *testing.T) {
	if cfg, err := loadServeConfig(t); err != nil || cfg.Pprof != "" {
		t.Fatalf("default pprof: %q %v, want off", cfg.Pprof, err)
	}
	t.Setenv("HERALD_PPROF", "127.0.0.1:6061")
	if cfg, err := loadServeConfig(t); err != nil || cfg.Pprof != "127.0.0.1:6061" {
		t.Fatalf("HERALD_PPROF: %q %v", cfg.Pprof, err)
	}
	if cfg, err := loadServeConfig(t, "--pprof", "[::1]:6062"); err != nil || cfg.Pprof != "[::1]:6062" {
		t.Fatalf("--pprof: %q %v", cfg.Pprof, err)
	}
}
