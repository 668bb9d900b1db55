package main

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
)

// tenantBenchHooks is how many webhooks each tenant of the tenants case
// has, one per event type.
const tenantBenchHooks = 3

// tenantBenchID is the id of the tenants case's tenant n.
func tenantBenchID(n int) string { return fmt.Sprintf("bench-tenant-%04d", n) }

// tenantBenchEvent is the tenant and type of the tenants case's event i:
// events go round the tenants, and round the types of each, so that every
// tenant and every webhook gets its share.
func tenantBenchEvent(i, tenants int) (tenant, typ string) {
	return tenantBenchID(i % tenants), fmt.Sprintf("bench.type%d", (i/tenants)%tenantBenchHooks)
}

// setupBenchTenants creates tenants tenants, each with tenantBenchHooks
// webhooks to url, one for each event type, with workers concurrent
// requests.
func setupBenchTenants(ctx context.Context, client *http.Client, base, key, url string, tenants, workers int) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range max(workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				n := int(next.Add(1)) - 1
				if n >= tenants {
					return
				}
				id := tenantBenchID(n)
				if err := put(client, base+"/v1/tenants/"+id, key, map[string]any{"name": "Bench tenant " + id}); err != nil {
					errs <- err
					return
				}
				for k := range tenantBenchHooks {
					body := map[string]any{"tenant_id": id, "url": url, "events": []string{fmt.Sprintf("bench.type%d", k)}, "timeout_seconds": 30}
					if _, err := post(client, base+"/v1/webhooks", key, body); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		return fmt.Errorf("set up tenants: %w", err)
	default:
		return ctx.Err()
	}
}
