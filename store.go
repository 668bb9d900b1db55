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
	// TouchAPIKey sets a key's last_used_at to p.UsedAt unless it is later
	// already; an unknown key is no error.
	TouchAPIKey(ctx context.Context, p TouchAPIKeyParams) error

	// ReportAgentStatus applies one agent-status report in one transaction:
	// it registers or updates the agent (ApplyReport), appends its logs, and
	// publishes AgentEvents as PublishEvent does. Reports for one agent are
	// applied one at a time, so each sees the state the last one left.
	ReportAgentStatus(ctx context.Context, r *AgentReport) (*ReportResult, error)
	// ReportDeployment applies one deployment report in one transaction:
	// the deployment's state and history (ApplyDeployment), its
	// DeploymentEvent, and its agent's report (DeploymentReport.AgentReport)
	// with the agent events.
	ReportDeployment(ctx context.Context, r *DeploymentReport) (*ReportResult, error)
	// ReportMetrics stores the points of one report, updates the agent's
	// last metrics (registering an unknown agent with status "unknown"),
	// and publishes MetricsEvent, in one transaction.
	ReportMetrics(ctx context.Context, r *MetricsReport) (*ReportResult, error)
	// MarkUnresponsive marks every running agent last seen before p.Before
	// unresponsive and publishes its agent.status event, each agent in one
	// transaction, and returns what it did.
	MarkUnresponsive(ctx context.Context, p UnresponsiveParams) ([]*ReportResult, error)
	// Agent returns one agent.
	Agent(ctx context.Context, id string) (*Agent, error)
	// ListAgents returns a page of agents, most recently seen first, and
	// the total.
	ListAgents(ctx context.Context, f AgentFilter) ([]*Agent, int, error)
	// AgentLogs returns an agent's log lines, oldest first (ENOTFOUND for
	// an unknown agent).
	AgentLogs(ctx context.Context, f LogFilter) ([]*LogEntry, error)
	// AgentMetrics returns an agent's metric points, oldest first
	// (ENOTFOUND for an unknown agent).
	AgentMetrics(ctx context.Context, f MetricFilter) ([]MetricPoint, error)
	// ExportAgentData streams an agent's log lines, then its metric points,
	// to p.Logs and p.Points in chunks (ENOTFOUND for an unknown agent),
	// for "herald export": unlike AgentLogs and AgentMetrics, which page by
	// time and so may split rows with equal timestamps, it reads each kind
	// with one query, however many rows there are. A callback's error ends
	// it and is returned as is.
	ExportAgentData(ctx context.Context, p ExportParams) error
	// Deployment returns one deployment with its history.
	Deployment(ctx context.Context, id string) (*Deployment, error)
	// ListDeployments returns a page of deployments, most recently updated
	// first, and the total.
	ListDeployments(ctx context.Context, f DeploymentFilter) ([]*Deployment, int, error)

	// CreateAlert stores a validated alert rule, setting ID and timestamps
	// when empty.
	CreateAlert(ctx context.Context, r *AlertRule) error
	// Alert returns one alert rule with its state.
	Alert(ctx context.Context, id string) (*AlertRule, error)
	// ListAlerts returns a page of alert rules, newest first, and the total.
	ListAlerts(ctx context.Context, f AlertFilter) ([]*AlertRule, int, error)
	// UpdateAlert replaces the settings of r.ID (not its state).
	UpdateAlert(ctx context.Context, r *AlertRule) error
	// DeleteAlert removes an alert rule.
	DeleteAlert(ctx context.Context, id string) error
	// AlertValue computes a rule's metric over [q.Since, q.Now): nil when
	// an ingested metric has no points there.
	AlertValue(ctx context.Context, q AlertQuery) (*float64, error)
	// SetAlertState records an evaluation; see AlertStateParams.
	SetAlertState(ctx context.Context, p AlertStateParams) (*AlertStateResult, error)

	// SaveAgent registers an agent (status "unknown" when new) or updates
	// its name and runtime: the fields of in that are set. With create set,
	// an existing agent is a ECONFLICT; without it, a missing one is
	// ENOTFOUND.
	SaveAgent(ctx context.Context, p SaveAgentParams) (*Agent, error)

	// CreateInvocation stores a new invocation, publishes its arrival
	// events and, with p.Queue, queues the job that runs it, in one
	// transaction.
	CreateInvocation(ctx context.Context, p CreateInvocationParams) error
	// StartInvocation marks a queued invocation running at now and returns
	// it; one no longer queued is an ECONFLICT (it ran already).
	StartInvocation(ctx context.Context, id string, now time.Time) (*Invocation, error)
	// FinishInvocation records an outcome and publishes its events in one
	// transaction, with o.Reply queuing the reply job (delivery.ReplyArgs)
	// and setting reply_status pending.
	FinishInvocation(ctx context.Context, o InvocationOutcome) (*Invocation, error)
	// Invocation returns one invocation.
	Invocation(ctx context.Context, id string) (*Invocation, error)
	// RecordReply sets an invocation's reply_status and reply_error
	// (ENOTFOUND when there is none).
	RecordReply(ctx context.Context, p RecordReplyParams) error
	// ListInvocations returns a page of invocations, newest first, and the
	// total.
	ListInvocations(ctx context.Context, f InvocationFilter) ([]*Invocation, int, error)

	// CreateInboundWebhook stores a named inbound webhook (ECONFLICT when
	// the name is taken).
	CreateInboundWebhook(ctx context.Context, w *InboundWebhook) error
	// InboundWebhook returns one named inbound webhook, with its secret.
	InboundWebhook(ctx context.Context, name string) (*InboundWebhook, error)
	// ListInboundWebhooks returns every named inbound webhook, by name.
	ListInboundWebhooks(ctx context.Context) ([]*InboundWebhook, error)
	// UpdateInboundWebhook replaces the settings of w.Name.
	UpdateInboundWebhook(ctx context.Context, w *InboundWebhook) error
	// DeleteInboundWebhook removes a named inbound webhook and its log.
	DeleteInboundWebhook(ctx context.Context, name string) error
	// TouchInboundWebhook sets its last_triggered_at.
	TouchInboundWebhook(ctx context.Context, name string, at time.Time) error
	// RecordInboundRequest appends to the inbound request log.
	RecordInboundRequest(ctx context.Context, r *InboundRequest) error
	// ListInboundRequests returns logged requests, newest first.
	ListInboundRequests(ctx context.Context, f InboundRequestFilter) ([]*InboundRequest, error)
	// PruneInboundRequests deletes logged requests older than p.Before and
	// the oldest beyond p.MaxRows, and expired claims, and reports how many
	// requests it deleted.
	PruneInboundRequests(ctx context.Context, p PruneInboundParams) (int, error)
	// ClaimRequestID reports whether p.ID was unclaimed in p.Scope within
	// p.TTL, and claims it.
	ClaimRequestID(ctx context.Context, p ClaimParams) (bool, error)
	// SetInboundSecret sets the secret of a built-in inbound endpoint
	// ("generic"); "" removes it.
	SetInboundSecret(ctx context.Context, name, secret string) error
	// InboundSecret returns that secret, "" when none is set.
	InboundSecret(ctx context.Context, name string) (string, error)
	// ExportInbound streams every invocation, then the inbound request log
	// of all webhooks, then the unexpired claims, to the callbacks of p in
	// chunks, for "herald export": ListInvocations pages by offset and
	// ListInboundRequests reads one webhook's newest rows only, whereas
	// this reads each kind with one query, however many rows there are. A
	// callback's error ends it and is returned as is.
	ExportInbound(ctx context.Context, p InboundExportParams) error

	// Import stores exported records in one transaction and queues a job
	// for every pending delivery and every queued invocation among them;
	// see ImportParams for what an import run again does.
	Import(ctx context.Context, p ImportParams) (ImportResult, error)

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
