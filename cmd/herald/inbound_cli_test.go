package main

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
)

// herald runs the CLI against ts with stdin and returns its output and
// error.
func (ts *testServer) herald(stdin string, args ...string) (string, error) {
	var out bytes.Buffer
	cmd := newRootCmd()
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(normalizeBoolFlags(cmd, append([]string{"--server", ts.URL(), "--data-dir", ts.Config.DataDir}, args...)))
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

func TestInboundSecretSetReadsStdin(t *testing.T) {
	ts := startServer(t)
	generic := func(secret string) int {
		st, _, _ := ts.postRaw("/api/webhooks/generic", `{"agent": "default", "message": "hi"}`, "X-Webhook-Secret", secret)
		return st
	}
	// Without a value and with nothing on stdin, it says what is missing.
	out, err := ts.herald("", "inbound", "secret", "set", "generic")
	if err == nil || !strings.Contains(err.Error(), "missing SECRET") || !strings.Contains(err.Error(), "herald inbound secret set generic SECRET") {
		t.Fatalf("no secret: %v\n%s", err, out)
	}
	if out, err := ts.herald("from-stdin\nignored\n", "inbound", "secret", "set", "generic"); err != nil {
		t.Fatalf("secret from stdin: %v\n%s", err, out)
	}
	if st := generic("from-stdin"); st != http.StatusOK {
		t.Fatalf("generic with the secret read from stdin: %d", st)
	}
	if out, err := ts.herald("", "inbound", "secret", "set", "generic", "from-arg"); err != nil {
		t.Fatalf("secret as an argument: %v\n%s", err, out)
	}
	if st := generic("from-arg"); st != http.StatusOK {
		t.Fatalf("generic with the secret given as an argument: %d", st)
	}
}

func TestInboundAllowedIPsFlag(t *testing.T) {
	ts := startServer(t)
	if out, err := ts.herald("", "inbound", "create", "--name", "fenced", "--agent", "default", "--secret", "fenced-secret",
		"--allowed-ips", "10.0.0.0/8,192.168.1.1", "--allowed-ips", "172.16.0.0/12"); err != nil {
		t.Fatalf("create: %v\n%s", err, out)
	}
	out, err := ts.herald("", "inbound", "get", "fenced")
	if err != nil || !strings.Contains(out, "10.0.0.0/8,192.168.1.1/32,172.16.0.0/12") {
		t.Fatalf("get: %v\n%s", err, out)
	}
	if st, _, _ := ts.postRaw("/api/webhooks/fenced", `{}`, "X-Webhook-Secret", "fenced-secret"); st != http.StatusForbidden {
		t.Fatalf("from 127.0.0.1: %d, want 403", st)
	}
	// The old name, --allowed-ip, still works, and is not in the help.
	if out, err := ts.herald("", "inbound", "update", "fenced", "--allowed-ip", "127.0.0.1"); err != nil {
		t.Fatalf("update --allowed-ip: %v\n%s", err, out)
	}
	if st, _, _ := ts.postRaw("/api/webhooks/fenced", `{}`, "X-Webhook-Secret", "fenced-secret"); st != http.StatusOK {
		t.Fatalf("from 127.0.0.1 once allowed: %d", st)
	}
	help, _ := ts.herald("", "inbound", "update", "--help")
	if !strings.Contains(help, "--allowed-ips") || strings.Contains(help, "--allowed-ip ") {
		t.Fatalf("help:\n%s", help)
	}
	if out, err := ts.herald("", "inbound", "update", "fenced", "--allowed-ips", ""); err != nil {
		t.Fatalf("clear: %v\n%s", err, out)
	}
	if out, _ := ts.herald("", "inbound", "get", "fenced", "-o", "json"); strings.Contains(out, "127.0.0.1") {
		t.Fatalf("allowed_ips not cleared:\n%s", out)
	}
}
