package herald

import (
	"context"
	"time"
)

// Store persists everything Herald keeps and queues deliveries durably.
// Both the embedded SQLite store and the PostgreSQL one implement it, and
// one conformance suite (storetest) checks them alike. It is made of one
// interface per noun, each beside its file; a consumer takes the narrow
// one it needs.
//
// Every method takes a context and at most one params or filter struct.
// Missing rows give an ENOTFOUND *Error. Every method that reads or writes
// rows owned by a tenant is confined by the Tenancy of its params (a Ref,
// a filter), or by the TenantID of the row it creates or updates: a row
// outside it is ENOTFOUND, the same as a missing one, and the zero Tenancy
// reaches nothing. The methods the workers call with a job's globally
// unique id (DeliveryTask, DeliveryTasks and TakeTurn with AnyTenant,
// RecordAttempt, QueueDeliveries, StartInvocation, FinishInvocation,
// RecordReply, SetAlertState, MarkUnresponsive) act for the row's own
// tenant.
type Store interface {
	TenantStore
	WebhookStore
	RateLimitStore
	EventStore
	DeliveryStore
	OrderingStore
	APIKeyStore
	AgentStore
	AlertStore
	InvocationStore
	InboundStore
	ServerKeyStore
	EventTypeStore
	OperationStore
	HistoryStore

	// Import stores exported records in one transaction and queues a job
	// for every pending delivery and every queued invocation among them;
	// see ImportParams for what an import run again does.
	Import(ctx context.Context, p ImportParams) (ImportResult, error)

	// Ready returns nil when the database answers and is fully migrated.
	Ready(ctx context.Context) error
	// QueueDepth counts the work waiting to run (jobs available, scheduled
	// or retryable): one for each job, and for a job that carries several
	// deliveries, one for each of them.
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
