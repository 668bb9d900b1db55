package ui

import (
	"encoding/json"
	"net/http"
	"sort"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/delivery"
)

// testWebhook sends a webhook.test event to one webhook, waits for its
// first attempt and shows its status code, duration and error.
func (u *UI) testWebhook(w http.ResponseWriter, r *http.Request) {
	s := sessionOf(r)
	wh, err := u.loadWebhook(r)
	if err != nil {
		u.fail(w, r, s, err)
		return
	}
	data, _ := json.Marshal(map[string]any{"webhook_id": wh.ID, "message": "This is a test event from Herald."})
	res, err := u.cfg.Store.PublishEvent(r.Context(), herald.PublishParams{
		TenantID: string(wh.TenantID), Type: "webhook.test", Data: data, WebhookID: wh.ID, Now: u.cfg.Clock.Now(),
	})
	if err != nil {
		u.fail(w, r, s, err)
		return
	}
	did := res.Deliveries[0].ID
	wait := time.Duration(wh.TimeoutSeconds)*time.Second + u.cfg.TestWait
	d, err := delivery.WaitFirstAttempt(r.Context(), u.cfg.Store, herald.Ref{Tenancy: s.tenancy(), ID: did}, wait)
	if err != nil {
		u.fail(w, r, s, err)
		return
	}
	out := &herald.WebhookTestResult{DeliveryID: did}
	if len(d.AttemptList) == 0 {
		out.Error = "no attempt was made in time; the delivery stays queued"
	} else {
		a := d.AttemptList[0]
		out.Success, out.StatusCode, out.DurationMS, out.Error = a.Success, a.StatusCode, a.DurationMS, a.Error
	}
	wh.Secret = ""
	p := &webhookPage{Webhook: wh, Test: out}
	for k, val := range wh.Headers {
		p.Headers = append(p.Headers, k+": "+val)
	}
	sort.Strings(p.Headers)
	if err := u.addFigures(r, p); err != nil {
		u.fail(w, r, s, err)
		return
	}
	u.render(w, r, http.StatusOK, "webhook", newView(r, wh.Name, p))
}

// deliveriesPage is a page of deliveries and its filters.
type deliveriesPage struct {
	Webhook *herald.Webhook
	Event   string
	Status  string
	// Range is "" (any time), "1h", "24h" or "7d".
	Range string
	Rows  []*herald.Delivery
	Pager pager
	// Chart shows the deliveries per bucket over ?chart= (default 24h).
	Chart *deliveryChart
}

// timeRanges are the time ranges the deliveries page filters by.
var timeRanges = map[string]time.Duration{"1h": time.Hour, "24h": 24 * time.Hour, "7d": 7 * 24 * time.Hour}

// listDeliveries shows deliveries, of one webhook with ?webhook=, newest
// first, filtered by event type, status (success, failed, pending) and
// time range (the last 1h, 24h or 7d).
func (u *UI) listDeliveries(w http.ResponseWriter, r *http.Request) {
	s := sessionOf(r)
	q := r.URL.Query()
	p := &deliveriesPage{Event: q.Get("event"), Status: q.Get("status"), Range: q.Get("range")}
	f := herald.DeliveryFilter{Tenancy: s.tenancy(), Event: p.Event, Skip: pageSkip(r), Limit: pageSize}
	if id := q.Get("webhook"); id != "" {
		r.SetPathValue("id", id)
		wh, err := u.loadWebhook(r)
		if err != nil {
			u.fail(w, r, s, err)
			return
		}
		wh.Secret = ""
		p.Webhook, f.WebhookID = wh, wh.ID
	} else if s.Agent != "" {
		u.fail(w, r, s, herald.Errorf(herald.EFORBIDDEN, "this link shows the deliveries of one webhook at a time; open them from its page"))
		return
	}
	switch p.Status {
	case "", herald.DeliverySuccess, herald.DeliveryFailed, herald.DeliveryPending:
		f.Status = p.Status
	default:
		u.fail(w, r, s, herald.Errorf(herald.EINVALID, "status: must be success, failed or pending, got %q", p.Status))
		return
	}
	if p.Range != "" {
		d, ok := timeRanges[p.Range]
		if !ok {
			u.fail(w, r, s, herald.Errorf(herald.EINVALID, "range: must be 1h, 24h or 7d, got %q", p.Range))
			return
		}
		f.Since = u.cfg.Clock.Now().Add(-d)
	}
	chart, err := u.loadChart(r, f.WebhookID, r.URL)
	if err != nil {
		u.fail(w, r, s, err)
		return
	}
	p.Chart = chart
	ds, total, err := u.cfg.Store.ListDeliveries(r.Context(), f)
	if err != nil {
		u.fail(w, r, s, err)
		return
	}
	p.Rows = ds
	p.Pager = newPager(r, f.Skip, total)
	u.render(w, r, http.StatusOK, "deliveries", newView(r, "Deliveries", p))
}

// deliveryPage is one delivery, its attempts and the body sent.
type deliveryPage struct {
	Delivery *herald.Delivery
	Webhook  *herald.Webhook
	Body     string
	Attempts []attemptRow
}

// attemptRow is an attempt with its response headers in order.
type attemptRow struct {
	*herald.Attempt
	Headers []string
}

// showDelivery shows a delivery's attempts and the request body sent.
func (u *UI) showDelivery(w http.ResponseWriter, r *http.Request) {
	s := sessionOf(r)
	wh, err := u.loadWebhook(r)
	if err != nil {
		u.fail(w, r, s, err)
		return
	}
	wh.Secret = ""
	ref := herald.Ref{Tenancy: s.tenancy(), ID: r.PathValue("delivery_id")}
	d, err := u.cfg.Store.Delivery(r.Context(), ref)
	if err == nil && d.WebhookID != wh.ID {
		err = herald.Errorf(herald.ENOTFOUND, "delivery %q of webhook %q not found", ref.ID, wh.ID)
	}
	if err != nil {
		u.fail(w, r, s, err)
		return
	}
	p := &deliveryPage{Delivery: d, Webhook: wh}
	if task, err := u.cfg.Store.DeliveryTask(r.Context(), ref); err == nil {
		p.Body = string(delivery.Body(task.Event, wh.ID, task.WebhookName))
	}
	for _, a := range d.AttemptList {
		row := attemptRow{Attempt: a}
		for k, vs := range a.ResponseHeaders {
			for _, v := range vs {
				row.Headers = append(row.Headers, k+": "+v)
			}
		}
		sort.Strings(row.Headers)
		p.Attempts = append(p.Attempts, row)
	}
	v := newView(r, "Delivery "+d.ID, p)
	v.Notice = r.URL.Query().Get("notice")
	u.render(w, r, http.StatusOK, "delivery", v)
}

// retryDelivery queues one delivery again now.
func (u *UI) retryDelivery(w http.ResponseWriter, r *http.Request) {
	s := sessionOf(r)
	wh, err := u.loadWebhook(r)
	if err != nil {
		u.fail(w, r, s, err)
		return
	}
	d, err := u.cfg.Store.RetryDelivery(r.Context(), herald.RetryParams{
		Tenancy: s.tenancy(), WebhookID: wh.ID, DeliveryID: r.PathValue("delivery_id"), Now: u.cfg.Clock.Now(),
	})
	if err != nil {
		u.fail(w, r, s, err)
		return
	}
	redirectNotice(w, r, "/ui/webhooks/"+wh.ID+"/deliveries/"+d.ID, "The delivery is queued again.")
}
