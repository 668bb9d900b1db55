package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestBenchJSONAndKeep runs "herald bench" with a tiny case, built from this
// package, with -o json and --keep, then as a table with the tenants case
// too, on a few tenants.
func TestBenchJSONAndKeep(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH to build the herald binary that bench runs")
	}
	exe := filepath.Join(t.TempDir(), "herald")
	if out, err := exec.Command(gobin, "build", "-o", exe, ".").CombinedOutput(); err != nil {
		t.Fatalf("build herald: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	o := benchOptions{events: 20, concurrency: 2, cases: "single", keep: true, nodes: 1, output: "json", exe: exe}
	var out bytes.Buffer
	if err := runBench(ctx, &out, o); err != nil {
		t.Fatalf("bench: %v\n%s", err, out.String())
	}
	var report struct {
		Engine string          `json:"engine"`
		Cases  []benchCaseJSON `json:"cases"`
	}
	if err := json.Unmarshal(out.Bytes(), &report); err != nil {
		t.Fatalf("bench -o json wrote no JSON object: %v\n%s", err, out.String())
	}
	if report.Engine != "SQLite" || len(report.Cases) != 1 {
		t.Fatalf("report: %+v", report)
	}
	c := report.Cases[0]
	if c.Case != "single" || c.Events != 20 || c.Deliveries != 20 || c.AcceptedPerS <= 0 || c.P99MS <= 0 {
		t.Errorf("case: %+v", c)
	}
	if c.DataDir == "" {
		t.Fatalf("--keep: no data_dir in %+v", c)
	}
	t.Cleanup(func() { os.RemoveAll(c.DataDir) })
	if _, err := os.Stat(filepath.Join(c.DataDir, "node0", "herald.db")); err != nil {
		t.Errorf("--keep: the kept data dir has no database: %v", err)
	}

	o.output, o.keep, o.cases, o.tenants, o.events = "table", false, "limit,single,tenants,fifo,key", 4, 24
	out.Reset()
	if err := runBench(ctx, &out, o); err != nil {
		t.Fatalf("bench: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "single") || strings.Contains(out.String(), "kept:") {
		t.Errorf("table without --keep:\n%s", out.String())
	}
	// The limit case posts the 24 bodies itself.
	if !regexp.MustCompile(`(?m)^limit\s+24\s+24\s.*bare client`).MatchString(out.String()) {
		t.Errorf("no limit row with 24 posts:\n%s", out.String())
	}
	// Each of the 24 events is delivered once, to one webhook of its
	// tenant.
	if !regexp.MustCompile(`(?m)^tenants\s+24\s+24\s`).MatchString(out.String()) {
		t.Errorf("no tenants row with 24 events and 24 deliveries:\n%s", out.String())
	}
	// The ordered cases deliver every event once, to their one webhook.
	for _, name := range []string{"fifo", "key"} {
		if !regexp.MustCompile(`(?m)^` + name + `\s+24\s+24\s`).MatchString(out.String()) {
			t.Errorf("no %s row with 24 events and 24 deliveries:\n%s", name, out.String())
		}
	}
}

// TestTenantBenchEventsSpread: the tenants case's events go to every
// tenant and every one of its webhooks (one per type) alike.
func TestTenantBenchEventsSpread(t *testing.T) {
	const tenants, rounds = 7, 4
	seen := map[[2]string]int{}
	for i := range tenants * tenantBenchHooks * rounds {
		tenant, typ := tenantBenchEvent(i, tenants)
		seen[[2]string{tenant, typ}]++
	}
	if len(seen) != tenants*tenantBenchHooks {
		t.Fatalf("%d tenant and type pairs, want %d: %v", len(seen), tenants*tenantBenchHooks, seen)
	}
	for pair, n := range seen {
		if n != rounds {
			t.Errorf("%v got %d events, want %d", pair, n, rounds)
		}
	}
}
