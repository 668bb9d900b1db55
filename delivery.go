package herald

import (
	"context"
	"net/http"
	"time"
)

// Delivery statuses.
const (
	DeliveryPending = "pending" // waiting for its first attempt or a retry
	DeliverySuccess = "success" // an attempt got a 2xx in time
	DeliveryFailed  = "failed"  // every allowed attempt failed
)

// Limits on what an attempt keeps of the response.
const (
	MaxResponseBodyBytes = 4096
	MaxErrorMessageLen   = 1024
	// MaxStoredHeaderBytes caps an attempt's stored response headers, each
	// counted as its name, value and 4 bytes: 8 KiB.
	MaxStoredHeaderBytes = 8 << 10
	// MaxResponseHeaderBytes caps the response headers Herald's outgoing
	// requests read: 64 KiB. An answer with more is a failed attempt.
	MaxResponseHeaderBytes = 64 << 10
)

// Delivery is one event on its way to one webhook, with the outcome of its
// latest attempt. Attempts is filled by the single-delivery read.
type Delivery struct {
	ID                 string     `json:"id"`
	TenantID           TenantID   `json:"tenant_id"`
	WebhookID          string     `json:"webhook_id"`
	EventID            string     `json:"event_id"`
	Event              string     `json:"event"`
	Status             string     `json:"status"`
	Success            bool       `json:"success"`
	Attempts           int        `json:"attempts"`
	ResponseStatusCode *int       `json:"response_status_code"`
	ErrorMessage       string     `json:"error_message"`
	CreatedAt          time.Time  `json:"created_at"`
	LastAttemptAt      *time.Time `json:"last_attempt_at"`
	NextAttemptAt      *time.Time `json:"next_attempt_at"`
	DeliveredAt        *time.Time `json:"delivered_at"`
	AttemptList        []*Attempt `json:"attempt_list,omitempty"`
}

// Attempt is one HTTP request of a delivery.
type Attempt struct {
	ID              string      `json:"id"`
	DeliveryID      string      `json:"delivery_id"`
	Number          int         `json:"number"`
	StartedAt       time.Time   `json:"started_at"`
	DurationMS      int64       `json:"duration_ms"`
	StatusCode      *int        `json:"status_code"`
	ResponseHeaders http.Header `json:"response_headers"`
	ResponseBody    string      `json:"response_body"`
	Error           string      `json:"error"`
	Success         bool        `json:"success"`
}

// DeliveryFilter selects deliveries in a list. Success, when set, keeps only
// deliveries whose success flag equals it.
type DeliveryFilter struct {
	Tenancy   Tenancy
	WebhookID string
	EventID   string
	Event     string
	Success   *bool
	// Status, when set, keeps only deliveries of that status
	// (DeliveryPending, DeliverySuccess or DeliveryFailed); "" keeps all.
	Status string
	// Since and Until, when not zero, keep only deliveries created at or
	// after Since and before Until.
	Since time.Time
	Until time.Time
	Skip  int
	Limit int
}

// DeliveryTask is everything a worker needs to make one attempt.
type DeliveryTask struct {
	Delivery *Delivery
	Webhook  *Webhook
	Event    *Event
	// WebhookName is the webhook's name when the delivery was created, so
	// that the body is the same bytes on every retry.
	WebhookName string
	// Turn is the delivery's place in its line when it is ordered (see
	// OrderingStore), nil when it is not.
	Turn *TurnParams
}

// TasksParams names the deliveries DeliveryTasks loads.
type TasksParams struct {
	Tenancy Tenancy
	IDs     []string
}

// JoinTasks is the last step of a store's DeliveryTasks: it gives each
// task of byID (holding its Delivery, and its Event's TenantID and ID) its
// webhook from hooks and its event from events, in the order of ids, and
// leaves out those whose delivery, webhook or event is missing.
func JoinTasks(ids []string, byID map[string]*DeliveryTask, hooks map[string]*Webhook, events map[EventKey]*Event) []*DeliveryTask {
	out := make([]*DeliveryTask, 0, len(byID))
	for _, id := range ids {
		t := byID[id]
		if t == nil {
			continue
		}
		delete(byID, id) // an id asked twice is answered once
		w, ev := hooks[t.Delivery.WebhookID], events[t.Event.Key()]
		if w == nil || ev == nil {
			continue // deleted meanwhile
		}
		t.Webhook, t.Event = w, ev
		t.Delivery.Event = ev.Type
		out = append(out, t)
	}
	return out
}

// AttemptResult is the outcome of one attempt, to be recorded with
// Store.RecordAttempt.
type AttemptResult struct {
	DeliveryID string
	Attempt    *Attempt
	// Status is the delivery's status after this attempt.
	Status string
	// NextAttemptAt is when the retry runs, for a pending status.
	NextAttemptAt *time.Time
	// Line is the delivery's line when it is ordered: a success or a final
	// failure releases the first delivery held behind it (OrderingStore).
	Line *Line
}

// QueueParams are the deliveries QueueDeliveries hands to jobs of their
// own, each with the time its job is due (the zero time for now).
type QueueParams struct {
	Deliveries []QueuedDelivery
}

// IDs returns the IDs of p.Deliveries, in order.
func (p QueueParams) IDs() []string {
	ids := make([]string, len(p.Deliveries))
	for i, d := range p.Deliveries {
		ids[i] = d.ID
	}
	return ids
}

// QueuedDelivery is one delivery of QueueParams.
type QueuedDelivery struct {
	ID string
	At time.Time
}

// RetryParams asks for a delivery to be attempted again now.
type RetryParams struct {
	Tenancy    Tenancy
	WebhookID  string
	DeliveryID string
	Now        time.Time
}

// WebhookTestResult is the answer of POST /v1/webhooks/{id}/test: the first
// attempt of a "webhook.test" event sent to that webhook alone. StatusCode
// is nil when no HTTP answer came (see Error).
type WebhookTestResult struct {
	DeliveryID string `json:"delivery_id"`
	Success    bool   `json:"success"`
	StatusCode *int   `json:"status_code"`
	DurationMS int64  `json:"duration_ms"`
	Error      string `json:"error"`
}

// DeliveryStore reads deliveries and records their attempts.
type DeliveryStore interface {
	// Delivery returns one delivery with its attempts.
	Delivery(ctx context.Context, ref Ref) (*Delivery, error)
	// ListDeliveries returns a page of deliveries, newest first, and the total.
	ListDeliveries(ctx context.Context, f DeliveryFilter) ([]*Delivery, int, error)
	// DeliveryTask loads what a worker needs to attempt a delivery; a
	// delivery deleted meanwhile (with its webhook or tenant) is ENOTFOUND.
	DeliveryTask(ctx context.Context, ref Ref) (*DeliveryTask, error)
	// DeliveryTasks loads the tasks of several deliveries at once, each
	// webhook and event read once however many of the deliveries share
	// it (their tasks share it too, to be read only). A delivery missing,
	// or outside p.Tenancy, has no task in the answer, which keeps the
	// order of p.IDs.
	DeliveryTasks(ctx context.Context, p TasksParams) ([]*DeliveryTask, error)
	// RecordAttempt stores an attempt, the delivery's new status, and the
	// webhook's last_* timestamps, in one transaction.
	RecordAttempt(ctx context.Context, r AttemptResult) (*Delivery, error)
	// QueueDeliveries queues a job of its own for each of p.Deliveries
	// that is still pending, due at its At, unless it has a delivery job
	// waiting or running already.
	QueueDeliveries(ctx context.Context, p QueueParams) error
	// RetryDelivery makes a delivery pending again and queues an attempt now.
	RetryDelivery(ctx context.Context, p RetryParams) (*Delivery, error)
	// DeliveryStats counts deliveries by outcome and the latency of their
	// attempts in buckets of p.Bucket over [p.Since, p.Until).
	DeliveryStats(ctx context.Context, p DeliveryStatsParams) (*DeliveryStats, error)
}

// MaxStatsBuckets bounds how many buckets one DeliveryStats answers: 1000.
const MaxStatsBuckets = 1000

// StatsWindows are the spans GET /v1/deliveries/stats and the dashboard's
// charts cover, by name, each with the width of its buckets: a minute over
// 1h, 15 minutes over 24h and 2 hours over 7d.
var StatsWindows = map[string]struct{ Span, Bucket time.Duration }{
	"1h":  {time.Hour, time.Minute},
	"24h": {24 * time.Hour, 15 * time.Minute},
	"7d":  {7 * 24 * time.Hour, 2 * time.Hour},
}

// DeliveryStatsParams are the arguments of DeliveryStats.
type DeliveryStatsParams struct {
	Tenancy Tenancy
	// WebhookID, when set, keeps only that webhook's deliveries.
	WebhookID string
	// Since and Until bound the span, Since included; it is a whole
	// number of buckets, at most MaxStatsBuckets.
	Since time.Time
	Until time.Time
	// Bucket is the width of one bucket, a whole number of seconds.
	Bucket time.Duration
}

// StatsParams returns the parameters of the stats window named window
// ("1h", "24h" or "7d", see StatsWindows) that ends with the bucket now
// falls in.
func StatsParams(t Tenancy, webhookID, window string, now time.Time) (DeliveryStatsParams, error) {
	w, ok := StatsWindows[window]
	if !ok {
		return DeliveryStatsParams{}, Errorf(EINVALID, "window: must be 1h, 24h or 7d, got %q", window)
	}
	until := now.UTC().Truncate(w.Bucket).Add(w.Bucket)
	return DeliveryStatsParams{Tenancy: t, WebhookID: webhookID, Since: until.Add(-w.Span), Until: until, Bucket: w.Bucket}, nil
}

// DeliveryStatsBucket is one bucket of DeliveryStats. The outcome counts
// are of the deliveries created in it, by their status now; the latency
// is of the attempts started in it.
type DeliveryStatsBucket struct {
	Start     time.Time `json:"start"`
	Succeeded int       `json:"succeeded"`
	Failed    int       `json:"failed"`
	Pending   int       `json:"pending"`
	// P50MS and P95MS are the median and 95th percentile of the attempts'
	// durations (nearest rank, as PercentileRank), in milliseconds; null
	// without attempts.
	P50MS *int64 `json:"p50_ms"`
	P95MS *int64 `json:"p95_ms"`
}

// Total is the number of deliveries created in b.
func (b *DeliveryStatsBucket) Total() int { return b.Succeeded + b.Failed + b.Pending }

// DeliveryStats is what GET /v1/deliveries/stats answers: every bucket of
// the span, oldest first, empty ones included.
type DeliveryStats struct {
	// Window is the span's name, such as "24h", when it is one of
	// StatsWindows.
	Window    string    `json:"window,omitempty"`
	WebhookID string    `json:"webhook_id,omitempty"`
	Since     time.Time `json:"since"`
	Until     time.Time `json:"until"`
	// BucketSeconds is the width of a bucket.
	BucketSeconds int64                 `json:"bucket_seconds"`
	Buckets       []DeliveryStatsBucket `json:"buckets"`
}

// NewDeliveryStats checks p and returns its stats with every bucket
// empty, for a store to fill; Bucket returns the index of a time.
func NewDeliveryStats(p DeliveryStatsParams) (*DeliveryStats, error) {
	switch {
	case p.Bucket < time.Second || p.Bucket%time.Second != 0:
		return nil, Errorf(EINVALID, "bucket: must be a whole number of seconds, got %s", p.Bucket)
	case !p.Until.After(p.Since):
		return nil, Errorf(EINVALID, "until: must be after since")
	case p.Until.Sub(p.Since)%p.Bucket != 0:
		return nil, Errorf(EINVALID, "since: the span must be a whole number of buckets")
	case p.Until.Sub(p.Since)/p.Bucket > MaxStatsBuckets:
		return nil, Errorf(EINVALID, "bucket: at most %d buckets, got %d", MaxStatsBuckets, p.Until.Sub(p.Since)/p.Bucket)
	}
	st := &DeliveryStats{WebhookID: p.WebhookID, Since: p.Since.UTC(), Until: p.Until.UTC(), BucketSeconds: int64(p.Bucket / time.Second)}
	for t := st.Since; t.Before(st.Until); t = t.Add(p.Bucket) {
		st.Buckets = append(st.Buckets, DeliveryStatsBucket{Start: t})
	}
	return st, nil
}

// Bucket returns the bucket t falls in, nil outside the span.
func (st *DeliveryStats) Bucket(t time.Time) *DeliveryStatsBucket {
	if t.Before(st.Since) || !t.Before(st.Until) {
		return nil
	}
	return &st.Buckets[int(t.Sub(st.Since)/(time.Duration(st.BucketSeconds)*time.Second))]
}

// Add counts n deliveries of status in b.
func (b *DeliveryStatsBucket) Add(status string, n int) {
	switch status {
	case DeliverySuccess:
		b.Succeeded += n
	case DeliveryFailed:
		b.Failed += n
	default:
		b.Pending += n
	}
}
