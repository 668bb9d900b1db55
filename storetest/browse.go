package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// browseTests check the reads the dashboard's browsing pages make: the
// delivery counts of a page of events and a page of an agent's log lines,
// newest first, each confined by its Tenancy.
var browseTests = map[string]func(t *testing.T, s herald.Store){
	"CountEventDeliveries": testCountEventDeliveries,
	"ListAgentLogs":        testListAgentLogs,
}

func testCountEventDeliveries(t *testing.T, s herald.Store) {
	ctx := context.Background()
	w := newWorld(t, s)
	var keys []herald.EventKey
	for _, o := range owners {
		keys = append(keys, w.by[o].same.Event.Key())
	}
	unknown := herald.EventKey{TenantID: tenantA, ID: "evt_unknown"}
	keys = append(keys, unknown, keys[0])
	// evt_same of each owner went to the owner's hook and to the
	// platform's firehose, so each viewer counts the deliveries it owns.
	want := map[string]map[herald.EventKey]int{
		only(tenantA).String():      {keys[0]: 1},
		only(tenantB).String():      {keys[1]: 1},
		herald.Platform().String():  {keys[0]: 1, keys[1]: 1, keys[2]: 2},
		herald.AnyTenant().String(): {keys[0]: 2, keys[1]: 2, keys[2]: 2},
		(herald.Tenancy{}).String(): {},
	}
	for _, v := range viewers {
		got, err := s.CountEventDeliveries(ctx, herald.DeliveryCountParams{Tenancy: v, Events: keys})
		if err != nil {
			t.Fatalf("count by %s: %v", v, err)
		}
		if fmt.Sprint(got) != fmt.Sprint(want[v.String()]) {
			t.Errorf("count by %s: %v, want %v", v, got, want[v.String()])
		}
	}
	got, err := s.CountEventDeliveries(ctx, herald.DeliveryCountParams{Tenancy: herald.AnyTenant()})
	if err != nil || got == nil || len(got) != 0 {
		t.Errorf("count of no events: %v %v, want an empty map", got, err)
	}
	_, err = s.CountEventDeliveries(ctx, herald.DeliveryCountParams{Tenancy: herald.AnyTenant(),
		Events: make([]herald.EventKey, herald.MaxCountEvents+1)})
	wantCode(t, "count of too many events", err, herald.EINVALID)
}

func testListAgentLogs(t *testing.T, s herald.Store) {
	ctx := context.Background()
	newWorld(t, s)
	// Each owner's agent "default" has "log of <owner>" then "again", both
	// at tenantT0; A's gets three more, a second apart.
	for i := 1; i <= 3; i++ {
		reportStatus(t, s, herald.AgentReport{TenantID: tenantA, AgentID: "default", Status: herald.AgentRunning,
			Now: tenantT0.Add(time.Duration(i) * time.Second), Logs: []herald.LogEntry{{Level: "warn", Message: fmt.Sprint("line ", i)}}})
	}
	messages := func(ls []*herald.LogEntry) []string {
		out := []string{}
		for _, l := range ls {
			out = append(out, l.Level+" "+l.Message)
		}
		return out
	}
	logs, total, err := s.ListAgentLogs(ctx, herald.LogPage{Tenancy: only(tenantA), AgentID: "default", Limit: 2})
	if err != nil || total != 5 || fmt.Sprint(messages(logs)) != "[warn line 3 warn line 2]" {
		t.Fatalf("first page of A's logs: %v of %d, %v", messages(logs), total, err)
	}
	logs, total, err = s.ListAgentLogs(ctx, herald.LogPage{Tenancy: only(tenantA), AgentID: "default", Skip: 2, Limit: 2})
	if err != nil || total != 5 || fmt.Sprint(messages(logs)) != "[warn line 1 info again]" {
		t.Fatalf("second page of A's logs: %v of %d, %v", messages(logs), total, err)
	}
	logs, total, err = s.ListAgentLogs(ctx, herald.LogPage{Tenancy: only(tenantA), AgentID: "default", Skip: 4, Limit: 2})
	if err != nil || total != 5 || fmt.Sprint(messages(logs)) != "[info log of acme]" {
		t.Fatalf("last page of A's logs: %v of %d, %v", messages(logs), total, err)
	}
	for _, v := range viewers {
		logs, total, err := s.ListAgentLogs(ctx, herald.LogPage{Tenancy: v, AgentID: "default"})
		owner, ok := v.Owner()
		if !ok {
			wantCode(t, "logs read by "+v.String(), err, herald.ENOTFOUND)
			continue
		}
		n := 2
		if owner == tenantA {
			n = 5
		}
		if err != nil || total != n || len(logs) != n || logs[n-1].Message != "log of "+label(owner) {
			t.Errorf("logs read by %s: %v of %d, %v; want %s's", v, messages(logs), total, err, label(owner))
		}
	}
	_, _, err = s.ListAgentLogs(ctx, herald.LogPage{Tenancy: only(tenantB), AgentID: "nobody"})
	wantCode(t, "logs of an unknown agent", err, herald.ENOTFOUND)
}
