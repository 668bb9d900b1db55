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
	// RecordAttempt stores an attempt, the delivery's new status, and the
	// webhook's last_* timestamps, in one transaction.
	RecordAttempt(ctx context.Context, r AttemptResult) (*Delivery, error)
	// RetryDelivery makes a delivery pending again and queues an attempt now.
	RetryDelivery(ctx context.Context, p RetryParams) (*Delivery, error)
}
