package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// TestDeliveryHistoryFilters: a webhook's delivery history is filtered by
// status and by a time window, and a bad filter is a 400 naming it.
func TestDeliveryHistoryFilters(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db func(*Config)) {
		ts := startServer(t, db)
		rc := newReceiver(t, statuses(200, 500))
		wh := ts.createWebhook(map[string]any{"url": rc.URL, "events": []string{"agent.*"}, "max_retries": 0})
		ok, _ := ts.publish("agent.status", map[string]any{"n": 1})
		ts.waitDelivery(wh.ID, ts.deliveryOf(ok).ID, 20*time.Second)
		failed, _ := ts.publish("agent.status", map[string]any{"n": 2})
		fd := ts.waitDelivery(wh.ID, ts.deliveryOf(failed).ID, 20*time.Second)
		if fd.Status != herald.DeliveryFailed {
			t.Fatalf("second delivery: %+v", fd)
		}

		list := func(query string) []*herald.Delivery {
			t.Helper()
			var page struct {
				Items []*herald.Delivery `json:"items"`
				Total int                `json:"total"`
			}
			ts.must(200, "GET", "/v1/webhooks/"+wh.ID+"/deliveries?"+query, nil, &page)
			if page.Total != len(page.Items) {
				t.Fatalf("%s: total %d for %d items", query, page.Total, len(page.Items))
			}
			return page.Items
		}
		if got := list("status=failed"); len(got) != 1 || got[0].ID != fd.ID {
			t.Errorf("status=failed: %+v", got)
		}
		if got := list("status=success"); len(got) != 1 || got[0].EventID != ok {
			t.Errorf("status=success: %+v", got)
		}
		if got := list("status=pending"); len(got) != 0 {
			t.Errorf("status=pending: %+v", got)
		}
		if got := list("since=1h&status=failed"); len(got) != 1 {
			t.Errorf("since=1h: %+v", got)
		}
		before := url.QueryEscape(fd.CreatedAt.Add(-time.Hour).Format(time.RFC3339))
		if got := list("until=" + before); len(got) != 0 {
			t.Errorf("until an hour before: %+v", got)
		}
		for query, field := range map[string]string{"status=bogus": "status", "since=yesterday": "since", "until=x": "until"} {
			status, body := ts.do("GET", "/v1/webhooks/"+wh.ID+"/deliveries?"+query, nil)
			if _, msg := errorOf(t, body); status != http.StatusBadRequest || !strings.HasPrefix(msg, field+":") {
				t.Errorf("%s: %d %s", query, status, body)
			}
		}
	})
}
