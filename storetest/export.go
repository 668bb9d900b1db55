package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// testExportImport checks the records of agents, their logs and metric
// points, deployments and alert rules: Import stores them as they are,
// importing again (whole, in other batches, or after a batch that was
// stored alone) changes nothing, and ExportAgentData reads every row back
// in chunks, ties included.
func testExportImport(t *testing.T, s herald.Store) {
	ctx := context.Background()
	t0 := time.Date(2025, 7, 1, 10, 0, 0, 123456000, time.UTC)
	t1, t2 := t0.Add(time.Minute), t0.Add(2*time.Minute)
	agent := &herald.Agent{ID: "exp-agent", Status: "running", NodeID: "n1", Error: "boom once",
		Metadata: json.RawMessage(`{"region":"eu","v":2}`), LastMetrics: map[string]float64{"cpu": 91.5, "mem": 0.25},
		LastMetricsAt: &t1, LastSeen: t2, StatusChangedAt: t1, CreatedAt: t0, UpdatedAt: t2}
	quiet := &herald.Agent{ID: "exp-quiet", Status: "unknown", LastMetrics: map[string]float64{},
		LastSeen: t0, StatusChangedAt: t0, CreatedAt: t0, UpdatedAt: t0}
	lines := []herald.LogEntry{ // oldest first, three at t1
		{Level: "info", Message: "a", Timestamp: t0}, {Level: "warn", Message: "b", Timestamp: t1},
		{Level: "info", Message: "c", Timestamp: t1}, {Level: "info", Message: "c", Timestamp: t1},
		{Level: "error", Message: "e <&> é", Timestamp: t2},
	}
	points := []herald.MetricPoint{ // by name, then time; one point twice
		{Name: "cpu", Value: 1, Timestamp: t0}, {Name: "cpu", Value: 91.5, Timestamp: t1},
		{Name: "cpu", Value: 91.5, Timestamp: t1}, {Name: "mem", Value: 0.5, Timestamp: t0},
		{Name: "mem", Value: 0.25, Timestamp: t1},
	}
	dep := &herald.Deployment{ID: "exp-dep", AgentID: agent.ID, Status: "completed", Version: "1.2.0",
		Changes: json.RawMessage(`{"replicas":3}`), CreatedAt: t0, UpdatedAt: t2, History: []herald.DeploymentChange{
			{Status: "created", Version: "1.2.0", At: t0},
			{Status: "updated", Changes: json.RawMessage(`{"replicas":3}`), At: t1},
			{Status: "completed", Version: "1.2.0", At: t2},
		}}
	value := 91.5
	alert := &herald.AlertRule{ID: "alr_exported", Name: "cpu high", Description: "d", Metric: "cpu", Agg: "max",
		Op: ">", Threshold: 90, Window: herald.Duration(90 * time.Second), AgentID: agent.ID, IsActive: true,
		State: herald.AlertTriggered, Value: &value, EvaluatedAt: &t2, TriggeredAt: &t1, CreatedAt: t0, UpdatedAt: t1}
	first := []*herald.Record{{Agent: agent},
		{AgentLogs: &herald.ExportedLogs{AgentID: agent.ID, Offset: 0, Lines: lines[:3]}},
		{MetricPoints: &herald.ExportedPoints{AgentID: agent.ID, Offset: 0, Points: points[:3]}},
		{Agent: quiet}}
	second := []*herald.Record{
		{AgentLogs: &herald.ExportedLogs{AgentID: agent.ID, Offset: 3, Lines: lines[3:]}},
		{MetricPoints: &herald.ExportedPoints{AgentID: agent.ID, Offset: 3, Points: points[3:]}},
		{Deployment: dep}, {Alert: alert}}
	imports := [][][]*herald.Record{
		{first},         // an import that stopped after its first batch,
		{first, second}, // run again,
		{append(append([]*herald.Record{}, first...), second...)}, // and again in one batch,
		{second}, // and a second batch alone.
	}
	// Every record is stored by the first import that has it, and found
	// present by the others.
	wantCounts := []herald.ImportResult{{Stored: len(first)}, {Stored: len(second), Present: len(first)},
		{Present: len(first) + len(second)}, {Present: len(second)}}
	for i, batches := range imports {
		var got herald.ImportResult
		for _, b := range batches {
			res, err := s.Import(ctx, herald.ImportParams{Records: b})
			if err != nil {
				t.Fatalf("import %d: %v", i+1, err)
			}
			got.Stored, got.Present = got.Stored+res.Stored, got.Present+res.Present
		}
		if got != wantCounts[i] {
			t.Errorf("import %d: %+v, want %+v", i+1, got, wantCounts[i])
		}
	}
	// Present records are left alone, with their history.
	changed, changedDep := *agent, *dep
	changed.Status, changedDep.Status = "stopped", "failed"
	changedDep.History = append(changedDep.History, herald.DeploymentChange{Status: "failed", At: t2})
	if res, err := s.Import(ctx, herald.ImportParams{Records: []*herald.Record{{Agent: &changed}, {Deployment: &changedDep}}}); err != nil || res != (herald.ImportResult{Present: 2}) {
		t.Fatalf("import changed records: %+v %v", res, err)
	}

	got, err := s.Agent(ctx, anyRef(agent.ID))
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "agent", got, agent)
	if got, err := s.Agent(ctx, anyRef(quiet.ID)); err != nil || got.Metadata != nil || got.LastMetricsAt != nil {
		t.Fatalf("quiet agent: %+v %v", got, err)
	}
	gotDep, err := s.Deployment(ctx, anyRef(dep.ID))
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "deployment", gotDep, dep)
	gotAlert, err := s.Alert(ctx, anyRef(alert.ID))
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "alert", gotAlert, alert)
	logs, err := s.AgentLogs(ctx, herald.LogFilter{Tenancy: anyTenant, AgentID: agent.ID, Limit: herald.MaxLimit})
	if err != nil || len(logs) != len(lines) {
		t.Fatalf("AgentLogs: %d lines (%v), want %d", len(logs), err, len(lines))
	}
	gotLines, gotPoints := exportAgent(t, s, agent.ID, 2)
	sameJSON(t, "exported lines", gotLines, lines)
	sameJSON(t, "exported points", gotPoints, points)
	if l, p := exportAgent(t, s, quiet.ID, 0); len(l) != 0 || len(p) != 0 {
		t.Fatalf("quiet agent exported %d lines and %d points", len(l), len(p))
	}

	testExportReported(t, s)
}

// testExportReported checks ExportAgentData on rows stored by reports, with
// more rows at one timestamp than a chunk holds, and that importing them
// into the store that holds them stores nothing.
func testExportReported(t *testing.T, s herald.Store) {
	ctx := context.Background()
	t0 := time.Date(2025, 7, 2, 10, 0, 0, 0, time.UTC)
	var sent []herald.LogEntry
	for i := range 7 {
		sent = append(sent, herald.LogEntry{Message: fmt.Sprintf("line %d", i), Timestamp: t0})
	}
	if _, err := s.ReportAgentStatus(ctx, &herald.AgentReport{AgentID: "exp-reported", Status: "running", Now: t0, Logs: sent}); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the same values at the same time, twice
		if _, err := s.ReportMetrics(ctx, &herald.MetricsReport{AgentID: "exp-reported", Metrics: map[string]float64{"cpu": 3, "mem": 4},
			Timestamp: t0, Now: t0}); err != nil {
			t.Fatal(err)
		}
	}
	var chunks []int
	err := s.ExportAgentData(ctx, herald.ExportParams{AgentID: "exp-reported", ChunkSize: 3,
		Logs:   func(l []herald.LogEntry) error { chunks = append(chunks, len(l)); return nil },
		Points: func(p []herald.MetricPoint) error { chunks = append(chunks, -len(p)); return nil }})
	if err != nil || fmt.Sprint(chunks) != "[3 3 1 -3 -1]" {
		t.Fatalf("chunks of 3: %v %v, want 7 lines in [3 3 1] and 4 points in [3 1]", chunks, err)
	}
	lines, points := exportAgent(t, s, "exp-reported", 0)
	logs, err := s.AgentLogs(ctx, herald.LogFilter{Tenancy: anyTenant, AgentID: "exp-reported", Limit: herald.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	want := make([]herald.LogEntry, len(logs))
	for i, l := range logs {
		want[i] = *l
	}
	sameJSON(t, "reported lines", lines, want)
	for i, l := range lines {
		if l.Message != fmt.Sprintf("line %d", i) || l.Level != "info" {
			t.Fatalf("line %d is %+v, want the lines in the order sent", i, l)
		}
	}
	wantPoints := []herald.MetricPoint{{Name: "cpu", Value: 3, Timestamp: t0}, {Name: "cpu", Value: 3, Timestamp: t0},
		{Name: "mem", Value: 4, Timestamp: t0}, {Name: "mem", Value: 4, Timestamp: t0}}
	sameJSON(t, "reported points", points, wantPoints)

	a, err := s.Agent(ctx, anyRef("exp-reported"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Import(ctx, herald.ImportParams{Records: []*herald.Record{{Agent: a},
		{AgentLogs: &herald.ExportedLogs{AgentID: a.ID, Lines: lines}},
		{MetricPoints: &herald.ExportedPoints{AgentID: a.ID, Points: points}}}})
	if err != nil {
		t.Fatal(err)
	}
	again, againPoints := exportAgent(t, s, a.ID, 0)
	if len(again) != len(lines) || len(againPoints) != len(points) {
		t.Fatalf("importing held rows again: %d lines and %d points, want %d and %d", len(again), len(againPoints), len(lines), len(points))
	}

	stop := errors.New("stop")
	err = s.ExportAgentData(ctx, herald.ExportParams{AgentID: a.ID, Logs: func([]herald.LogEntry) error { return stop }})
	if err != stop {
		t.Fatalf("a callback's error came back as %v", err)
	}
	err = s.ExportAgentData(ctx, herald.ExportParams{AgentID: "nobody", Logs: func([]herald.LogEntry) error { return nil }})
	if herald.ErrorCode(err) != herald.ENOTFOUND {
		t.Fatalf("unknown agent: %v, want ENOTFOUND", err)
	}
}

// exportAgent returns every log line and metric point ExportAgentData
// reads for an agent in chunks of size (0 for the default), checking that
// every chunk but the last of each kind is full.
func exportAgent(t *testing.T, s herald.Store, agentID string, size int) ([]herald.LogEntry, []herald.MetricPoint) {
	t.Helper()
	full := size
	if full <= 0 {
		full = herald.ExportChunk
	}
	var (
		lines         []herald.LogEntry
		points        []herald.MetricPoint
		short, shortP bool
	)
	err := s.ExportAgentData(context.Background(), herald.ExportParams{AgentID: agentID, ChunkSize: size,
		Logs: func(l []herald.LogEntry) error {
			if short || len(l) == 0 || len(l) > full || points != nil {
				return fmt.Errorf("log chunk of %d after %d lines and %d points", len(l), len(lines), len(points))
			}
			short, lines = len(l) < full, append(lines, l...)
			return nil
		},
		Points: func(p []herald.MetricPoint) error {
			if shortP || len(p) == 0 || len(p) > full {
				return fmt.Errorf("point chunk of %d after %d points", len(p), len(points))
			}
			shortP, points = len(p) < full, append(points, p...)
			return nil
		}})
	if err != nil {
		t.Fatalf("export agent %s: %v", agentID, err)
	}
	return lines, points
}

// sameJSON fails the test unless got and want encode alike (times in UTC).
func sameJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	g, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	w, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	if string(g) != string(w) {
		t.Fatalf("%s:\n got %s\nwant %s", what, g, w)
	}
}
