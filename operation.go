package herald

import (
	"context"
	"strings"
	"time"
)

// Operation kinds: the bulk re-sends a durable job runs in batches.
const (
	// OperationRecover queues a new attempt of every delivery of a
	// webhook that ended failed in a window.
	OperationRecover = "recover"
	// OperationReplay sends a past event again, as new deliveries.
	OperationReplay = "replay"
	// OperationReplayMissing sends a webhook the events of a window that
	// match it now but never went to it.
	OperationReplayMissing = "replay_missing"
)

// Operation statuses.
const (
	OperationQueued    = "queued"    // its job has not started yet
	OperationRunning   = "running"   // its job is working through batches
	OperationSucceeded = "succeeded" // every batch is done
	OperationFailed    = "failed"    // it stopped; Error says why
)

// PrefixOperation starts every operation id.
const PrefixOperation = "op_"

// MaxOperationRows is the most deliveries one operation may queue:
// 100,000. A window holding more is refused before anything is queued.
const MaxOperationRows = 100_000

// DefaultOperationBatch is how many rows one batch of an operation reads
// and writes in one transaction: 500.
const DefaultOperationBatch = 500

// Operation is a bulk re-send (recover, replay or replay-missing) and its
// progress. A durable job works through it in batches of bounded size,
// each in a transaction of its own, and resumes after the last batch that
// committed when it is run again.
type Operation struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
	// Status is OperationQueued, OperationRunning, OperationSucceeded or
	// OperationFailed.
	Status string `json:"status"`
	// TenantID owns the operation: the tenant of its webhook (recover,
	// replay_missing) or of its event (replay).
	TenantID  TenantID `json:"tenant_id"`
	WebhookID string   `json:"webhook_id,omitempty"`
	EventID   string   `json:"event_id,omitempty"`
	// WebhookIDs are the webhooks a replay goes to; empty sends it to
	// every webhook that matches the event now.
	WebhookIDs []string `json:"webhook_ids,omitempty"`
	// Since and Until bound the window of a recover (by when each delivery
	// last ended) or a replay_missing (by when each event was published).
	Since *time.Time `json:"since,omitempty"`
	Until *time.Time `json:"until,omitempty"`
	// Total is how many deliveries the operation was counted to queue
	// when it was created.
	Total *int `json:"total,omitempty"`
	// Done is how many deliveries it has queued so far.
	Done       int        `json:"done"`
	Error      string     `json:"error,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	// Cursor is where the next batch starts (the last row a batch read);
	// kept by the store, never shown.
	Cursor string `json:"-"`
}

// Finished reports whether o has succeeded or failed.
func (o *Operation) Finished() bool {
	return o.Status == OperationSucceeded || o.Status == OperationFailed
}

// JobArgs is a durable job's arguments, as the queue takes them (River's
// JobArgs): the store inserts it without knowing its type.
type JobArgs interface {
	Kind() string
}

// CreateOperationParams is an operation to create. The caller has checked
// that the webhook or event exists within its tenancy and is owned by
// TenantID.
type CreateOperationParams struct {
	TenantID   TenantID
	Kind       string
	WebhookID  string
	EventID    string
	WebhookIDs []string
	// Since and Until bound the window; a zero Until is Now.
	Since time.Time
	Until time.Time
	// Max caps the deliveries it may queue, counted first: more is an
	// EINVALID error naming since. 0 means MaxOperationRows.
	Max int
	// Job makes the job that runs the operation from its id; it is queued
	// in the transaction that creates the operation.
	Job func(id string) JobArgs
	Now time.Time
}

// OperationFilter selects a page of operations, newest first.
type OperationFilter struct {
	Tenancy Tenancy
	Skip    int
	Limit   int
}

// OperationBatchParams runs the next batch of the operation Ref names.
type OperationBatchParams struct {
	Ref Ref
	// Limit is how many rows the batch reads; 0 means
	// DefaultOperationBatch.
	Limit int
	Now   time.Time
}

// FailOperationParams ends the operation Ref names as failed, with Error.
type FailOperationParams struct {
	Ref   Ref
	Error string
	Now   time.Time
}

// OperationStore keeps operations and runs their batches.
type OperationStore interface {
	// CreateOperation counts what the operation would queue (refusing
	// more than p.Max), stores it as queued with that Total, and queues
	// p.Job, in one transaction.
	CreateOperation(ctx context.Context, p CreateOperationParams) (*Operation, error)
	// Operation returns one operation.
	Operation(ctx context.Context, ref Ref) (*Operation, error)
	// ListOperations returns a page of operations, newest first, and the
	// total.
	ListOperations(ctx context.Context, f OperationFilter) ([]*Operation, int, error)
	// RunOperationBatch runs, in one transaction, the next batch of an
	// operation that has not finished: it reads at most p.Limit rows
	// after the cursor, queues their deliveries, moves the cursor and
	// Done on, and marks the operation running, or succeeded after its
	// last batch. A recover or replay_missing whose webhook is now off
	// or gone ends failed. A finished operation is returned as it is.
	RunOperationBatch(ctx context.Context, p OperationBatchParams) (*Operation, error)
	// FailOperation ends an operation that has not finished as failed,
	// with p.Error (its job gave up); a finished one is returned as it is.
	FailOperation(ctx context.Context, p FailOperationParams) (*Operation, error)
}

// MaxReplayWebhooks is the most webhooks one replay may name: 100.
const MaxReplayWebhooks = 100

// WindowInput is the body of POST /v1/webhooks/{id}/recover and
// /replay-missing: Since is required, Until defaults to now. Each is an
// RFC 3339 time, "now", or a duration back from now such as "2h".
type WindowInput struct {
	Since string `json:"since"`
	Until string `json:"until"`
}

// Resolve returns the window's bounds at now, or an EINVALID error naming
// the field.
func (in WindowInput) Resolve(now time.Time) (since, until time.Time, err error) {
	if strings.TrimSpace(in.Since) == "" {
		return since, until, Errorf(EINVALID, "since: is required")
	}
	if since, err = ParseTimeBack("since", in.Since, now); err != nil {
		return since, until, err
	}
	until = now
	if strings.TrimSpace(in.Until) != "" {
		if until, err = ParseTimeBack("until", in.Until, now); err != nil {
			return since, until, err
		}
	}
	if !since.Before(until) {
		return since, until, Errorf(EINVALID, "until: must be after since")
	}
	return since, until, nil
}

// ParseTimeBack reads a time named field: an RFC 3339 time, "now", or a
// duration back from now ("2h" or "-2h" both mean two hours ago).
func ParseTimeBack(field, v string, now time.Time) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "now" {
		return now, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(strings.TrimPrefix(v, "-")); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, Errorf(EINVALID, "%s: must be an RFC 3339 time such as 2026-01-02T15:04:05Z, now, or a duration back from now such as 2h, got %q", field, v)
}

// ReplayInput is the body of POST /v1/events/{id}/replay: WebhookIDs, when
// set, are the webhooks to send the event to (at most MaxReplayWebhooks);
// otherwise it goes to every webhook that matches it now.
type ReplayInput struct {
	WebhookIDs []string `json:"webhook_ids"`
}

// OperationAnswer is the 202 answer of the routes that start an
// operation: how many deliveries it will queue (under the name of the
// route: recovered, replayed) and the operation to follow.
type OperationAnswer struct {
	Recovered *int       `json:"recovered,omitempty"`
	Replayed  *int       `json:"replayed,omitempty"`
	Operation *Operation `json:"operation"`
}
