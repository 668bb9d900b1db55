package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// benchIngest runs the ingest case: o.agents agents post o.events reports
// in all, alternating agent-status (a heartbeat after the first) and
// metrics, while one webhook receives the one subscribed event of each
// report. Latencies are those of the HTTP answers; delivered/s counts the
// webhook's deliveries end to end.
func benchIngest(ctx context.Context, exe string, o benchOptions) (*benchResult, error) {
	if o.agents < 1 {
		return nil, fmt.Errorf("agents: must be at least 1, got %d", o.agents)
	}
	dir, err := os.MkdirTemp("", "herald-bench-")
	if err != nil {
		return nil, err
	}
	if !o.keep {
		defer os.RemoveAll(dir)
	}
	rc, receiverAddr, err := startBenchReceiver(int64(o.events), 0)
	if err != nil {
		return nil, err
	}
	defer rc.close()
	nodes, err := startBenchNodes(ctx, exe, o, dir)
	if err != nil {
		return nil, err
	}
	defer nodes.stop()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.agents * 2}}
	// Each report emits exactly one of these: agent.status on an agent's
	// first report, agent.heartbeat on the next ones, metrics.report.
	if _, err := post(client, nodes.bases[0]+"/v1/webhooks", nodes.key, map[string]any{
		"url": "http://" + receiverAddr + "/ok", "events": []string{"agent.status", "agent.heartbeat", "metrics.report"},
	}); err != nil {
		return nil, err
	}

	lat := make([]time.Duration, o.events)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, o.agents)
	start := time.Now()
	for a := 0; a < o.agents; a++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			agent := fmt.Sprintf("bench-agent-%03d", a)
			for n := 0; ; n++ {
				i := int(next.Add(1)) - 1
				if i >= o.events {
					return
				}
				base := nodes.bases[i%len(nodes.bases)]
				path, body := "/ingest/agent-status", map[string]any{
					"agent_id": agent, "status": "running", "node_id": "bench-node",
					"logs": []string{fmt.Sprintf("report %d", n)},
				}
				if n%2 == 1 {
					path, body = "/ingest/metrics", map[string]any{
						"agent_id": agent, "metrics": map[string]float64{"cpu": float64(i % 100), "memory_mb": 512 + float64(n)},
					}
				}
				t0 := time.Now()
				if _, err := post(client, base+path, nodes.key, body); err != nil {
					errs <- err
					return
				}
				lat[i] = time.Since(t0)
			}
		}()
	}
	ingested, elapsed, err := rc.wait(ctx, &wg, errs, start, 5*time.Minute)
	if err != nil {
		return nil, err
	}
	var rss int64
	for _, c := range nodes.cmds {
		rss += peakRSS(c.Process.Pid)
	}
	p50, p95, p99 := percentiles(lat)
	return (&benchResult{
		name: "ingest", events: o.events, deliveries: int(rc.expected),
		acceptedPerS:  float64(o.events) / ingested.Seconds(),
		deliveredPerS: float64(rc.expected) / elapsed.Seconds(),
		p50:           p50, p95: p95, p99: p99, peakRSSKiB: rss,
	}).kept(o, dir, nodes), nil
}
