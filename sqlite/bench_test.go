package sqlite_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/sqlite"
	"github.com/heraldhq/herald/storetest"
)

// BenchmarkPublishEvent measures storing an event with one delivery and
// its queued job, the transaction behind every POST /v1/events.
func BenchmarkPublishEvent(b *testing.B) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "herald.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	storetest.NewWebhook(b, db, []string{"*"})
	data := json.RawMessage(`{"agent_id":"a1","new_status":"running"}`)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := db.PublishEvent(ctx, herald.PublishParams{Type: "agent.status", Data: data}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReportAgentStatus measures concurrent heartbeats from 100
// agents, each a transaction with the agent's state, a log line, an event,
// its delivery and its job (shared with concurrent writes by group commit).
func BenchmarkReportAgentStatus(b *testing.B) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "herald.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	storetest.NewWebhook(b, db, []string{"agent.heartbeat"})
	var next atomic.Int64
	b.SetParallelism(50) // 100 reporting agents on 2 cores
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		agent := fmt.Sprintf("agent-%d", next.Add(1))
		for pb.Next() {
			if _, err := db.ReportAgentStatus(ctx, &herald.AgentReport{
				AgentID: agent, Status: "running", Logs: []herald.LogEntry{{Message: "tick"}},
			}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkDeliveryWrites measures the store's writes behind the
// deliveries of one event, from 16 goroutines as under load: the publish
// (event, deliveries, jobs) and each delivery's recorded successful attempt,
// all shared with concurrent writes by group commit. With "fanout", the
// event goes to ten webhooks.
func BenchmarkDeliveryWrites(b *testing.B) {
	for _, webhooks := range []int{1, 10} {
		name := "single"
		if webhooks > 1 {
			name = "fanout"
		}
		b.Run(name, func(b *testing.B) { benchmarkDeliveryWrites(b, webhooks) })
	}
}

func benchmarkDeliveryWrites(b *testing.B, webhooks int) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "herald.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	for range webhooks {
		storetest.NewWebhook(b, db, []string{"*"})
	}
	data := json.RawMessage(`{"agent_id":"a1","new_status":"running"}`)
	code := 200
	b.SetParallelism(8) // 16 goroutines on 2 CPUs
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			res, err := db.PublishEvent(ctx, herald.PublishParams{Type: "agent.status", Data: data})
			if err != nil {
				b.Error(err)
				return
			}
			for _, d := range res.Deliveries {
				at := time.Now()
				if _, err := db.RecordAttempt(ctx, herald.AttemptResult{DeliveryID: d.ID, Status: herald.DeliverySuccess,
					Attempt: &herald.Attempt{StartedAt: at, DurationMS: 1, StatusCode: &code, Success: true}}); err != nil {
					b.Error(err)
					return
				}
			}
		}
	})
}
