package ui_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// BenchmarkDeliveriesPage100k measures the deliveries page, the webhooks
// list (with its 24h figures) and a filtered deliveries page over 100,000
// deliveries of one webhook on SQLite, through the UI's handlers with a
// signed-in session.
func BenchmarkDeliveriesPage100k(b *testing.B) {
	e := newEnvTB(b)
	ctx := context.Background()
	wh := e.webhook("", "", "busy")
	base := e.clock.Now().Add(-7 * 24 * time.Hour)
	const n, batch = 100_000, 5_000
	code := 200
	for i := 0; i < n; i += batch {
		recs := make([]*herald.Record, 0, 2*batch)
		for j := i; j < i+batch; j++ {
			at := base.Add(time.Duration(j) * 6 * time.Second)
			ev := &herald.Event{ID: fmt.Sprintf("evt_%07d", j), Type: []string{"agent.message", "agent.status"}[j%2], Data: []byte(`{}`), Created: at}
			status := herald.DeliverySuccess
			if j%10 == 0 {
				status = herald.DeliveryFailed
			}
			d := &herald.ExportedDelivery{WebhookName: wh.Name, Delivery: herald.Delivery{
				ID: fmt.Sprintf("dlv_%07d", j), WebhookID: wh.ID, EventID: ev.ID, Event: ev.Type, Status: status,
				Success: status == herald.DeliverySuccess, Attempts: 1, ResponseStatusCode: &code, CreatedAt: at, LastAttemptAt: &at,
			}}
			recs = append(recs, &herald.Record{Event: ev}, &herald.Record{Delivery: d})
		}
		if _, err := e.store.Import(ctx, herald.ImportParams{Records: recs}); err != nil {
			b.Fatal(err)
		}
	}
	c := e.client()
	e.signIn(c, e.key)
	for _, bc := range []struct{ name, page string }{
		{"webhook", "/ui/deliveries?webhook=" + wh.ID},
		{"webhook-filtered", "/ui/deliveries?webhook=" + wh.ID + "&status=failed&range=24h&skip=50"},
		{"all", "/ui/deliveries"},
		{"webhooks-list", "/ui/webhooks"},
	} {
		page := bc.page
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				resp, err := c.Get(e.srv.URL + page)
				if err != nil {
					b.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("%s: %d", page, resp.StatusCode)
				}
			}
		})
	}
}

// BenchmarkDeliveryStats100k measures DeliveryStats over 100,000
// deliveries of one webhook, each with one attempt, spread over the last
// 7 days on SQLite: every window, of the webhook and of every webhook,
// and the webhook's page that draws it.
func BenchmarkDeliveryStats100k(b *testing.B) {
	e := newEnvTB(b)
	ctx := context.Background()
	wh := e.webhook("", "", "busy")
	now := e.clock.Now()
	week, err := herald.StatsParams(herald.AnyTenant(), "", "7d", now)
	if err != nil {
		b.Fatal(err)
	}
	const n, batch = 100_000, 5_000
	for i := 0; i < n; i += batch {
		recs := make([]*herald.Record, 0, 2*batch)
		for j := i; j < i+batch; j++ {
			at := week.Since.Add(time.Duration(j) * 6 * time.Second)
			ev := &herald.Event{ID: fmt.Sprintf("evt_%07d", j), Type: "agent.status", Data: []byte(`{}`), Created: at}
			status, code := herald.DeliverySuccess, 200
			if j%10 == 0 {
				status, code = herald.DeliveryFailed, 500
			}
			id := fmt.Sprintf("dlv_%07d", j)
			d := &herald.ExportedDelivery{WebhookName: wh.Name, Delivery: herald.Delivery{
				ID: id, WebhookID: wh.ID, EventID: ev.ID, Event: ev.Type, Status: status,
				Success: status == herald.DeliverySuccess, Attempts: 1, ResponseStatusCode: &code, CreatedAt: at, LastAttemptAt: &at,
				AttemptList: []*herald.Attempt{{ID: "att_" + id, DeliveryID: id, Number: 1, StartedAt: at, DurationMS: int64(j % 997),
					StatusCode: &code, Success: status == herald.DeliverySuccess}},
			}}
			recs = append(recs, &herald.Record{Event: ev}, &herald.Record{Delivery: d})
		}
		if _, err := e.store.Import(ctx, herald.ImportParams{Records: recs}); err != nil {
			b.Fatal(err)
		}
	}
	for _, window := range []string{"1h", "24h", "7d"} {
		for _, scope := range []string{"webhook", "all"} {
			id := wh.ID
			if scope == "all" {
				id = ""
			}
			p, err := herald.StatsParams(herald.AnyTenant(), id, window, now)
			if err != nil {
				b.Fatal(err)
			}
			b.Run(window+"-"+scope, func(b *testing.B) {
				for b.Loop() {
					st, err := e.store.DeliveryStats(ctx, p)
					if err != nil {
						b.Fatal(err)
					}
					if window == "7d" {
						total := 0
						for _, bk := range st.Buckets {
							total += bk.Total()
						}
						if total != n {
							b.Fatalf("7d counts %d deliveries, want %d", total, n)
						}
					}
				}
			})
		}
	}
	c := e.client()
	e.signIn(c, e.key)
	b.Run("webhook-page-7d", func(b *testing.B) {
		for b.Loop() {
			resp, err := c.Get(e.srv.URL + "/ui/webhooks/" + wh.ID + "?chart=7d")
			if err != nil {
				b.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Fatalf("webhook page: %d", resp.StatusCode)
			}
		}
	})
}
