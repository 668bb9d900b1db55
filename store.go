package herald

import (
	"context"
	"time"
)

// Store persists webhooks, events, deliveries and API keys, and queues
// deliveries durably. Both the embedded SQLite store and the PostgreSQL one
// implement it, and one conformance suite (storetest) checks them alike.
//
// Every method takes a context and at most one params or filter struct.
// Missing rows give an ENOTFOUND *Error.
type Store interface {
	// CreateWebhook stores a validated webhook; it sets nothing but ID and
	// the timestamps when they are empty.
	CreateWebhook(ctx context.Context, w *Webhook) error
	// Webhook returns one webhook, with its secret.
	Webhook(ctx context.Context, id string) (*Webhook, error)
	// ListWebhooks returns a page of webhooks, newest first, and the total.
	ListWebhooks(ctx context.Context, f WebhookFilter) ([]*Webhook, int, error)
	// UpdateWebhook replaces the stored fields of w.ID with those of w.
	UpdateWebhook(ctx context.Context, w *Webhook) error
	// DeleteWebhook removes a webhook with its deliveries and attempts.
	DeleteWebhook(ctx context.Context, id string) error

	// PublishEvent stores an event and, in the same transaction, one
	// pending delivery per matching active webhook and one queued job per
	// delivery. A repeated ID returns the first event with Created false.
	PublishEvent(ctx context.Context, p PublishParams) (*PublishResult, error)
	// Event returns one event with its deliveries.
	Event(ctx context.Context, id string) (*Event, error)
	// ListEvents returns a page of events, newest first, and the total.
	ListEvents(ctx context.Context, f EventFilter) ([]*Event, int, error)

	// Delivery returns one delivery with its attempts.
	Delivery(ctx context.Context, id string) (*Delivery, error)
	// ListDeliveries returns a page of deliveries, newest first, and the total.
	ListDeliveries(ctx context.Context, f DeliveryFilter) ([]*Delivery, int, error)
	// DeliveryTask loads what a worker needs to attempt a delivery.
	DeliveryTask(ctx context.Context, deliveryID string) (*DeliveryTask, error)
	// RecordAttempt stores an attempt, the delivery's new status, and the
	// webhook's last_* timestamps, in one transaction.
	RecordAttempt(ctx context.Context, r AttemptResult) (*Delivery, error)
	// RetryDelivery makes a delivery pending again and queues an attempt now.
	RetryDelivery(ctx context.Context, p RetryParams) (*Delivery, error)

	// CreateAPIKey stores a key (by its hash).
	CreateAPIKey(ctx context.Context, k *APIKey) error
	// CreateFirstAPIKey stores k only when no key exists yet, and reports
	// whether it did; concurrent first starts create one key between them.
	CreateFirstAPIKey(ctx context.Context, k *APIKey) (bool, error)
	// APIKeyByHash returns the unrevoked key with that hash.
	APIKeyByHash(ctx context.Context, hash string) (*APIKey, error)
	// ListAPIKeys returns every key, revoked ones too, oldest first.
	ListAPIKeys(ctx context.Context) ([]*APIKey, error)
	// RevokeAPIKey marks a key revoked.
	RevokeAPIKey(ctx context.Context, id string) error

	// Import stores exported records in one transaction and queues a job
	// for every pending delivery among them.
	Import(ctx context.Context, p ImportParams) error

	// Ready returns nil when the database answers and is fully migrated.
	Ready(ctx context.Context) error
	// QueueDepth counts the jobs waiting to run (available, scheduled or
	// retryable).
	QueueDepth(ctx context.Context) (int, error)
}

// Clock tells the time. Tests pass a fixed or stepped one.
type Clock interface {
	Now() time.Time
}

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }
