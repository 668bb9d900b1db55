package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heraldhq/herald/signature"
)

// benchLimitSecret signs the limit case's bodies.
const benchLimitSecret = "whsec_YmVuY2gtbGltaXQtc2VjcmV0LWJlbmNoLWxpbWl0"

// benchLimit is the limit case: no Herald at all, but a bare Go client
// posting o.events signed JSON bodies of about 400 bytes, with the headers
// Herald sends, to the same receiver, from o.concurrency workers. It is
// what this machine can do, the ceiling the other cases are measured
// against.
func benchLimit(ctx context.Context, o benchOptions) (*benchResult, error) {
	rc, addr, err := startBenchReceiver(int64(o.events), o.slowDelay)
	if err != nil {
		return nil, err
	}
	defer rc.close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.concurrency * 2}, Timeout: 30 * time.Second}
	url := "http://" + addr + "/ok"
	pad := bytes.Repeat([]byte("x"), 300)
	sent := make([]time.Time, o.events)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, o.concurrency)
	start := time.Now()
	for range max(o.concurrency, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= o.events {
					return
				}
				id := "bench-limit-" + strconv.Itoa(i)
				body := fmt.Appendf(nil, `{"event":"bench.event","id":%q,"data":{"i":%d,"agent_id":"bench","pad":%q}}`, id, i, pad)
				ts := time.Now().Unix()
				req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
				if err != nil {
					errs <- err
					return
				}
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Webhook-Signature", signature.Sign("sha256=hex", benchLimitSecret, body))
				req.Header.Set("webhook-id", id)
				req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
				req.Header.Set("webhook-signature", signature.StandardSign(benchLimitSecret, id, ts, body))
				sent[i] = time.Now()
				resp, err := client.Do(req)
				if err != nil {
					errs <- err
					return
				}
				resp.Body.Close()
			}
		}()
	}
	published, elapsed, err := rc.wait(ctx, &wg, errs, start, 0)
	if err != nil {
		return nil, err
	}
	lat := make([]time.Duration, 0, o.events)
	rc.mu.Lock()
	for i := range o.events {
		if at, ok := rc.arrived["bench-limit-"+strconv.Itoa(i)]; ok {
			lat = append(lat, at.Sub(sent[i]))
		}
	}
	rc.mu.Unlock()
	p50, p95, p99 := percentiles(lat)
	return &benchResult{
		name: "limit", events: o.events, deliveries: o.events,
		acceptedPerS: float64(o.events) / published.Seconds(), deliveredPerS: float64(o.events) / elapsed.Seconds(),
		p50: p50, p95: p95, p99: p99,
	}, nil
}
