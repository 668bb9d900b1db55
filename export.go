package herald

import "time"

// Record is one line of "herald export": exactly one of its fields is set.
// Records come in dependency order, so that an import can store them in
// that order: tenants, the event catalogue (each type with its versions),
// webhooks (each followed by its previous secrets, when it has any), API
// keys, events, then deliveries with their attempts, then each agent
// followed by its log lines and its metric points (in chunks of at most
// ExportChunk), then deployments with their
// history, then alert rules with their state, then named inbound webhooks
// (with their secrets), the built-in inbound secrets, invocations (oldest
// first), the inbound request log (oldest first) and the unexpired claimed
// delivery ids.
type Record struct {
	Tenant *Tenant `json:"tenant,omitempty"`
	// EventType carries the type's whole version history.
	EventType *EventType `json:"event_type,omitempty"`
	Webhook   *Webhook   `json:"webhook,omitempty"`
	// WebhookSecrets are the previous secrets of the webhook before it.
	WebhookSecrets *ExportedWebhookSecrets `json:"webhook_secrets,omitempty"`
	APIKey         *ExportedAPIKey         `json:"api_key,omitempty"`
	Event          *Event                  `json:"event,omitempty"`
	Delivery       *ExportedDelivery       `json:"delivery,omitempty"`
	Agent          *Agent                  `json:"agent,omitempty"`
	AgentLogs      *ExportedLogs           `json:"agent_logs,omitempty"`
	MetricPoints   *ExportedPoints         `json:"metric_points,omitempty"`
	// Deployment carries the deployment's whole status history.
	Deployment *Deployment `json:"deployment,omitempty"`
	Alert      *AlertRule  `json:"alert,omitempty"`
	// InboundWebhook carries the named webhook's secret.
	InboundWebhook *InboundWebhook        `json:"inbound_webhook,omitempty"`
	InboundSecret  *ExportedInboundSecret `json:"inbound_secret,omitempty"`
	// Invocation carries the invocation's reply target.
	Invocation     *ExportedInvocation `json:"invocation,omitempty"`
	InboundRequest *InboundRequest     `json:"inbound_request,omitempty"`
	InboundClaim   *InboundClaim       `json:"inbound_claim,omitempty"`
}

// ExportedWebhookSecrets are the previous secrets of a webhook, those a
// rotation replaced (Webhook.PreviousSecrets, which the API never shows),
// with their expiry. An import stores them on a webhook that has none.
type ExportedWebhookSecrets struct {
	TenantID  TenantID         `json:"tenant_id,omitempty"`
	WebhookID string           `json:"webhook_id"`
	Previous  []PreviousSecret `json:"previous"`
}

// ExportedInboundSecret is the secret of a built-in inbound endpoint
// ("generic"), see Store.InboundSecret.
type ExportedInboundSecret struct {
	Name   string `json:"name"`
	Secret string `json:"secret"`
}

// InboundClaim is a delivery id claimed within Scope (a webhook name) until
// ExpiresAt, see Store.ClaimRequestID.
type InboundClaim struct {
	Scope     string    `json:"scope"`
	ID        string    `json:"id"`
	ExpiresAt time.Time `json:"expires_at"`
}

// ExportChunk is the most log lines or metric points one record of an
// export holds, so that an agent with millions of them is written (and
// read back) a bounded chunk at a time; it is also the default chunk of
// rows Store.ExportInbound hands over at once.
const ExportChunk = 1000

// ExportedAPIKey is an API key with its hash, which the API never shows.
type ExportedAPIKey struct {
	APIKey
	Hash string `json:"hash"`
}

// ExportedDelivery is a delivery with its attempts (in AttemptList), the
// webhook name its body carries, and the tenant of its event.
type ExportedDelivery struct {
	Delivery
	WebhookName string `json:"webhook_name"`
	// EventTenantID owns the delivery's event (DeliveryTask's
	// Event.TenantID): the delivery's own TenantID is its webhook's, and
	// differs for the deliveries of an all_tenants webhook. Empty, an
	// import takes the delivery's TenantID.
	EventTenantID TenantID `json:"event_tenant_id,omitempty"`
}

// ExportedInvocation is an invocation with its reply target, which the API
// never shows. The embedded Invocation's own ReplyTo is not exported: an
// import stores this ReplyTo.
type ExportedInvocation struct {
	Invocation
	ReplyTo *ReplyTarget `json:"reply_to,omitempty"`
}

// ExportInvocation returns inv as an export record carries it, with its
// reply target.
func ExportInvocation(inv *Invocation) *ExportedInvocation {
	return &ExportedInvocation{Invocation: *inv, ReplyTo: inv.ReplyTo}
}

// Stored returns the invocation an import stores: the embedded one with
// ReplyTo as its reply target.
func (e *ExportedInvocation) Stored() *Invocation {
	inv := e.Invocation
	inv.ReplyTo = e.ReplyTo
	return &inv
}

// PendingReply reports whether the invocation's reply was still to be sent
// when it was exported: it is finished (completed, failed or timeout), has
// a reply target and reply_status "pending". runAt is when the reply is
// due, as FinishInvocation queues it: the target's Delay after the
// invocation was created, or the zero time for now.
func (e *ExportedInvocation) PendingReply() (runAt time.Time, ok bool) {
	if !e.Finished() || e.ReplyTo == nil || e.ReplyStatus != ReplyPending {
		return time.Time{}, false
	}
	if d := time.Duration(e.ReplyTo.Delay); d > 0 {
		runAt = e.CreatedAt.Add(d)
	}
	return runAt, true
}

// ExportedLogs is a chunk of one agent's log lines, in the order
// Store.ExportAgentData reads them.
type ExportedLogs struct {
	TenantID TenantID `json:"tenant_id,omitempty"`
	AgentID  string   `json:"agent_id"`
	// Offset is how many of the agent's lines the export wrote before
	// this chunk; it makes a repeated import idempotent (see ImportParams).
	Offset int        `json:"offset"`
	Lines  []LogEntry `json:"lines"`
}

// ExportedPoints is a chunk of one agent's metric points, in the order
// Store.ExportAgentData reads them.
type ExportedPoints struct {
	TenantID TenantID `json:"tenant_id,omitempty"`
	AgentID  string   `json:"agent_id"`
	// Offset is how many of the agent's points the export wrote before
	// this chunk; it makes a repeated import idempotent (see ImportParams).
	Offset int           `json:"offset"`
	Points []MetricPoint `json:"points"`
}

// ImportParams is a batch of records to store as they are, keeping their
// IDs, timestamps, statuses and states. An import can be run again:
//
//   - Records with an ID or name (event types, webhooks, keys, events,
//     deliveries, agents, deployments, alert rules, named inbound
//     webhooks, built-in inbound secrets, invocations, logged inbound
//     requests) already present are left alone, with what hangs off them
//     (an event type's versions, attempts, a deployment's history); so
//     are claims, by scope and id. A webhook's previous secrets are
//     stored only when it has none.
//   - A newly stored invocation with status "queued" gets a queued job
//     that runs it, as a pending delivery does; one "running" is stored
//     as it is. A newly stored finished one whose reply is pending (see
//     ExportedInvocation.PendingReply) gets a queued job that sends its
//     reply.
//   - Log lines and metric points have no ID. They are appended per agent
//     in export order, so a chunk stores only its rows past those the
//     agent holds already: with n stored, rows at positions Offset+i < n
//     are skipped. Importing the same export again, or again after an
//     import that stopped halfway (each batch is one transaction), stores
//     every row once. An agent that held lines or points of its own
//     before the import gets only the exported ones beyond their number.
//
// An agent's chunks must follow its agent record, in a later batch or the
// same one.
type ImportParams struct {
	Records []*Record
}

// ImportResult counts the records of an import batch: Stored were new and
// stored (for a chunk of log lines or metric points: at least one of its
// rows), Present were there already and left alone.
type ImportResult struct {
	Stored  int
	Present int
}

// ExportParams asks Store.ExportAgentData for one agent's log lines and
// metric points, which have no ID of their own to page by: the store
// streams them from one query each instead.
type ExportParams struct {
	// TenantID owns the agent.
	TenantID string
	AgentID  string
	// ChunkSize is the most rows one call of Logs or Points gets; zero
	// means ExportChunk.
	ChunkSize int
	// Logs gets the agent's log lines in chunks, oldest first (by
	// timestamp, then by arrival), as AgentLogs orders them; nil skips
	// them.
	Logs func(lines []LogEntry) error
	// Points then gets the agent's metric points in chunks, by name, then
	// time; nil skips them.
	Points func(points []MetricPoint) error
}

// Chunk returns ChunkSize, or ExportChunk when it is not set.
func (p *ExportParams) Chunk() int {
	if p.ChunkSize <= 0 {
		return ExportChunk
	}
	return p.ChunkSize
}

// InboundExportParams asks Store.ExportInbound for the rows of the inbound
// tables that grow with traffic: invocations, the inbound request log and
// the claimed delivery ids. The store streams each kind from one query, in
// chunks of Chunk(), so that an export holds a bounded number of rows
// however many there are. A nil callback skips its kind.
type InboundExportParams struct {
	// ChunkSize is the most rows one call of a callback gets; zero means
	// ExportChunk.
	ChunkSize int
	// Now is the time claims must be unexpired at; zero means the store's
	// clock.
	Now time.Time
	// Invocations gets every invocation, oldest first (by created_at, then
	// ID).
	Invocations func(invs []*Invocation) error
	// Requests then gets the whole inbound request log, of every webhook,
	// oldest first (by at, then ID).
	Requests func(reqs []*InboundRequest) error
	// Claims then gets the claims that expire after Now, by scope, then
	// id.
	Claims func(claims []InboundClaim) error
}

// Chunk returns ChunkSize, or ExportChunk when it is not set.
func (p *InboundExportParams) Chunk() int {
	if p.ChunkSize <= 0 {
		return ExportChunk
	}
	return p.ChunkSize
}

// TenantID is the tenant that owns the row of r: "" for the platform's,
// and for the records that have no tenant (a tenant, an event type, a
// built-in inbound secret, a claim).
func (r *Record) TenantID() TenantID {
	switch {
	case r.Webhook != nil:
		return r.Webhook.TenantID
	case r.WebhookSecrets != nil:
		return r.WebhookSecrets.TenantID
	case r.APIKey != nil:
		return r.APIKey.TenantID
	case r.Event != nil:
		return r.Event.TenantID
	case r.Delivery != nil:
		return r.Delivery.TenantID
	case r.Agent != nil:
		return r.Agent.TenantID
	case r.AgentLogs != nil:
		return r.AgentLogs.TenantID
	case r.MetricPoints != nil:
		return r.MetricPoints.TenantID
	case r.Deployment != nil:
		return r.Deployment.TenantID
	case r.Alert != nil:
		return r.Alert.TenantID
	case r.InboundWebhook != nil:
		return r.InboundWebhook.TenantID
	case r.Invocation != nil:
		return r.Invocation.TenantID
	case r.InboundRequest != nil:
		return r.InboundRequest.TenantID
	}
	return ""
}
