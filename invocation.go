package herald

import (
	"context"
	"encoding/json"
	"time"
)

// PrefixInvocation prefixes invocation IDs (the request_id of seed 002).
const PrefixInvocation = "inv_"

// DefaultAgentID is the agent that exists from the first start, with the
// echo runtime, so that seed 002's examples work out of the box.
const DefaultAgentID = "default"

// Response modes of an inbound call.
const (
	ResponseSync  = "sync"  // the caller waits for the agent's answer (the default)
	ResponseAsync = "async" // the caller gets 202 and the invocation runs from the queue
)

// Invocation statuses.
const (
	InvocationQueued    = "queued"
	InvocationRunning   = "running"
	InvocationCompleted = "completed"
	InvocationFailed    = "failed"
	InvocationTimeout   = "timeout"
)

// AgentInput is the body of POST /v1/agents and PATCH /v1/agents/{id}:
// registers an agent, or sets its name and runtime. Fields left out keep
// their value.
type AgentInput struct {
	ID      *string  `json:"id"`
	Name    *string  `json:"name"`
	Runtime *Runtime `json:"runtime"`
}

// AgentRuntime is an agent's name and runtime, what an invocation needs.
type AgentRuntime struct {
	AgentID string
	Name    string
	Runtime *Runtime // nil: the agent cannot be invoked
}

// Invocation is one message handed to an agent's runtime, and its outcome.
type Invocation struct {
	ID string `json:"id"`
	// TenantID owns the invocation: its agent's tenant.
	TenantID TenantID        `json:"tenant_id"`
	Agent    string          `json:"agent"`
	Source   string          `json:"source"` // "generic", "webhook:<name>" or "trigger:<name>"
	Mode     string          `json:"response_mode"`
	Status   string          `json:"status"`
	Message  string          `json:"message"`
	Context  json.RawMessage `json:"context"`
	// User and Room come from the source when it knows them (seed 004).
	User       json.RawMessage `json:"user,omitempty"`
	Room       json.RawMessage `json:"room,omitempty"`
	Response   string          `json:"response,omitempty"`
	Actions    []Action        `json:"actions,omitempty"`
	Error      string          `json:"error,omitempty"`
	DurationMS int64           `json:"duration_ms"`
	CreatedAt  time.Time       `json:"created_at"`
	StartedAt  *time.Time      `json:"started_at"`
	FinishedAt *time.Time      `json:"finished_at"`
	// ReplyTo is where the response goes back to the platform the
	// message came from; nil when it goes nowhere. Kept, never shown.
	ReplyTo *ReplyTarget `json:"-"`
	// ReplyStatus is "" (no reply), "pending", "sent" or "failed".
	ReplyStatus string `json:"reply_status,omitempty"`
	// ReplyError is the last failure to send the reply.
	ReplyError string `json:"reply_error,omitempty"`
}

// Reply statuses of an invocation.
const (
	ReplyPending = "pending"
	ReplySent    = "sent"
	ReplyFailed  = "failed"
)

// ReplyTarget is where an invocation's response is sent back to its
// platform. It holds no bot token: the reply worker looks Webhook's up.
type ReplyTarget struct {
	// Provider is ProviderSlack, ProviderDiscord or ProviderTelegram.
	Provider string `json:"provider"`
	// Webhook is the named inbound webhook the message came to.
	Webhook string `json:"webhook"`
	// URL is Slack's response_url, "" for the others.
	URL string `json:"url,omitempty"`
	// Channel is the Slack channel (chat.postMessage) or Telegram chat id
	// (sendMessage).
	Channel string `json:"channel,omitempty"`
	// ApplicationID and Token identify a Discord interaction, whose
	// deferred answer is edited (PATCH .../messages/@original).
	ApplicationID string `json:"application_id,omitempty"`
	Token         string `json:"token,omitempty"`
	// Delay holds the reply back that long after the invocation was
	// created (Discord: the interaction may be answered in time instead).
	Delay Duration `json:"delay,omitempty"`
}

// ReplyJob asks FinishInvocation to queue the reply of the invocation
// (ReplyArgs), due at RunAt, and set its reply_status pending.
type ReplyJob struct {
	RunAt time.Time
}

// RecordReplyParams records the outcome of sending an invocation's reply.
type RecordReplyParams struct {
	InvocationID string
	// Status is ReplyPending (a failed attempt to retry), ReplySent or
	// ReplyFailed.
	Status string
	// Error is the failure, "" when sent.
	Error string
}

// InvocationFilter selects invocations, newest first.
type InvocationFilter struct {
	Tenancy Tenancy
	Agent   string
	Status  string
	// Sources, when set, selects the invocations of these sources only,
	// such as "webhook:alerts" and "trigger:alerts" for one inbound
	// webhook's. Default: every source.
	Sources []string
	Skip    int
	Limit   int
}

// InvocationOutcome finishes an invocation: its final status, response or
// error, and the events to publish with it, in one transaction.
type InvocationOutcome struct {
	ID         string
	Status     string // completed, failed or timeout
	Response   *InvocationResponse
	Error      string
	DurationMS int64
	Now        time.Time
	Events     []EventSpec
	// Reply, when set, queues the reply job in the same transaction.
	Reply *ReplyJob
}

// InvokeParams is one message for an agent, from an inbound webhook or the
// API.
type InvokeParams struct {
	// TenantID is the tenant whose agent is invoked ("" for the
	// platform's); the invocation and its events are that tenant's.
	TenantID string
	Agent    string
	Message  string
	Context  map[string]any
	// Source is "generic", "webhook:<name>" or "trigger:<name>".
	Source string
	// Mode is ResponseSync (default) or ResponseAsync.
	Mode string
	// User and Room describe who sent the message and where, when the
	// source knows (seed 004's {id, name}); nil otherwise.
	User map[string]any
	Room map[string]any
	// ReplyTo is where the response goes back to, nil when nowhere.
	ReplyTo *ReplyTarget
}

// CreateInvocationParams stores a new invocation with the events it emits
// on arrival (user.message, agent.invoked), and, when Queue is set, a
// queued job that runs it (async mode), all in one transaction.
type CreateInvocationParams struct {
	Invocation *Invocation
	Events     []EventSpec
	Queue      bool
}

// PrefixInboundRequest prefixes inbound request log IDs.
const PrefixInboundRequest = "req_"

// Inbound request verdicts.
const (
	VerdictAccepted = "accepted"
	VerdictFiltered = "filtered"
	VerdictRejected = "rejected"
)

// InboundWebhook is a named inbound webhook (seed 002): the URL an external
// service posts to, and how its requests become messages for an agent.
type InboundWebhook struct {
	// TenantID owns the webhook; names are unique within a tenant.
	TenantID    TenantID `json:"tenant_id"`
	Name        string   `json:"name"`
	Agent       string   `json:"agent"`
	Secret      string   `json:"secret,omitempty"` // write-only; never returned
	Description string   `json:"description"`
	// Enabled accepts requests; in JSON it is is_active, with enabled as
	// its alias (see MarshalJSON).
	Enabled bool `json:"enabled"`
	// Provider is "generic" (the default), "github", "slack", "discord",
	// "telegram", "stripe" or "standard"; see InboundWebhookInput.
	Provider     string     `json:"provider"`
	Transform    Transform  `json:"transform"`
	Filters      Filters    `json:"filters"`
	ResponseMode string     `json:"response_mode"`
	AllowedIPs   []string   `json:"allowed_ips,omitempty"`
	RateLimit    *RateLimit `json:"rate_limit,omitempty"`
	// BotToken sends replies (Slack chat.postMessage, Telegram
	// sendMessage); write-only, never returned by the API.
	BotToken string `json:"bot_token,omitempty"`

	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
	LastTriggeredAt *time.Time `json:"last_triggered_at"`
}

// RateLimit is a token bucket: Requests per Per, refilled continuously.
type RateLimit struct {
	Requests int      `json:"requests"`
	Per      Duration `json:"per"`
}

// InboundRequest is one logged inbound request.
type InboundRequest struct {
	// TenantID is the tenant of the named webhook it came to.
	TenantID     TenantID          `json:"tenant_id"`
	ID           string            `json:"id"`
	Webhook      string            `json:"webhook"` // the named webhook, or "generic"
	At           time.Time         `json:"at"`
	SourceIP     string            `json:"source_ip"`
	Headers      map[string]string `json:"headers"`
	Body         string            `json:"body"` // the first 64 KiB
	EventType    string            `json:"event_type,omitempty"`
	Verdict      string            `json:"verdict"`
	Reason       string            `json:"reason,omitempty"`
	Status       int               `json:"status"` // the HTTP status answered
	InvocationID string            `json:"invocation_id,omitempty"`
}

// InboundRequestFilter selects logged requests of one webhook, newest first.
type InboundRequestFilter struct {
	// Tenancy must reach the webhook (see Tenancy.Owner).
	Tenancy Tenancy
	Webhook string
	Verdict string
	// Skip is how many of the newest requests to pass over (paging);
	// default 0.
	Skip  int
	Limit int
}

// PruneInboundParams says what Store.PruneInboundRequests deletes:
// requests logged before Before, then the oldest requests (by time, then
// id) beyond the newest MaxRows. A zero Before deletes nothing by age; a
// MaxRows of 0 or less sets no cap.
type PruneInboundParams struct {
	Before  time.Time
	MaxRows int
}

// ClaimParams claims a delivery id of an inbound sender within Scope (the
// webhook name) for TTL: the first claim succeeds, later ones within TTL
// report a duplicate.
type ClaimParams struct {
	Scope string
	ID    string
	Now   time.Time
	TTL   time.Duration
}

// SaveAgentParams registers or updates an agent's name and runtime.
type SaveAgentParams struct {
	// Tenancy must name one tenant: the one that owns, or will own, the
	// agent (a zero or AnyTenant Tenancy is refused).
	Tenancy Tenancy
	ID      string
	Input   AgentInput
	Create  bool
	Now     time.Time
}

// Invoker hands messages to agents' runtimes; package invoke implements
// it.
type Invoker interface {
	// Invoke records an invocation and runs it. In sync mode it returns
	// once the runtime answered or gave up (status completed, failed or
	// timeout); in async mode once the invocation is queued. An unknown
	// agent is ENOTFOUND, one without a runtime EINVALID, and a sync call
	// that waited its timeout for a free slot EUNAVAILABLE.
	Invoke(ctx context.Context, p InvokeParams) (*Invocation, error)
}

// Finished reports whether the invocation's status is final: completed,
// failed or timeout.
func (inv *Invocation) Finished() bool {
	switch inv.Status {
	case InvocationCompleted, InvocationFailed, InvocationTimeout:
		return true
	}
	return false
}

// ApplyOutcome sets the invocation's status, response, error and duration
// from o, finished at now (and started then too, when it never started).
func (inv *Invocation) ApplyOutcome(o InvocationOutcome, now time.Time) {
	inv.Status, inv.Error, inv.DurationMS = o.Status, o.Error, o.DurationMS
	inv.Response, inv.Actions = "", nil
	if o.Response != nil {
		inv.Response, inv.Actions = o.Response.Response, o.Response.Actions
	}
	if inv.StartedAt == nil {
		inv.StartedAt = &now
	}
	inv.FinishedAt = &now
}

// InvocationStore keeps invocations of agents.
type InvocationStore interface {
	// CreateInvocation stores a new invocation for its TenantID, publishes
	// its arrival events for that tenant and, with p.Queue, queues the job
	// that runs it, in one transaction.
	CreateInvocation(ctx context.Context, p CreateInvocationParams) error
	// StartInvocation marks a queued invocation running at now and returns
	// it; one no longer queued is an ECONFLICT (it ran already).
	StartInvocation(ctx context.Context, id string, now time.Time) (*Invocation, error)
	// FinishInvocation records an outcome and publishes its events in one
	// transaction, with o.Reply queuing the reply job (queue.ReplyArgs)
	// and setting reply_status pending.
	FinishInvocation(ctx context.Context, o InvocationOutcome) (*Invocation, error)
	// Invocation returns one invocation.
	Invocation(ctx context.Context, ref Ref) (*Invocation, error)
	// RecordReply sets an invocation's reply_status and reply_error
	// (ENOTFOUND when there is none).
	RecordReply(ctx context.Context, p RecordReplyParams) error
	// ListInvocations returns a page of invocations, newest first, and the
	// total.
	ListInvocations(ctx context.Context, f InvocationFilter) ([]*Invocation, int, error)
}

// InboundWebhookFilter selects named inbound webhooks, by name.
type InboundWebhookFilter struct {
	Tenancy Tenancy
}

// TouchInboundParams sets a named inbound webhook's last_triggered_at.
type TouchInboundParams struct {
	// Tenancy must reach the webhook (see Tenancy.Owner).
	Tenancy Tenancy
	Name    string
	At      time.Time
}

// InboundStore keeps named inbound webhooks, their request log and the
// delivery ids their senders claimed.
type InboundStore interface {
	// CreateInboundWebhook stores a named inbound webhook for w.TenantID
	// (ECONFLICT when the tenant has that name already).
	CreateInboundWebhook(ctx context.Context, w *InboundWebhook) error
	// InboundWebhook returns one named inbound webhook (Ref.ID is its
	// name), with its secret; see Tenancy.Owner for AnyTenant.
	InboundWebhook(ctx context.Context, ref Ref) (*InboundWebhook, error)
	// ListInboundWebhooks returns the named inbound webhooks within
	// f.Tenancy, by tenant, then name.
	ListInboundWebhooks(ctx context.Context, f InboundWebhookFilter) ([]*InboundWebhook, error)
	// UpdateInboundWebhook replaces the settings of w.Name of w.TenantID.
	UpdateInboundWebhook(ctx context.Context, w *InboundWebhook) error
	// DeleteInboundWebhook removes a named inbound webhook and its log.
	DeleteInboundWebhook(ctx context.Context, ref Ref) error
	// TouchInboundWebhook sets its last_triggered_at.
	TouchInboundWebhook(ctx context.Context, p TouchInboundParams) error
	// RecordInboundRequest appends to the inbound request log, for
	// r.TenantID.
	RecordInboundRequest(ctx context.Context, r *InboundRequest) error
	// ListInboundRequests returns one webhook's logged requests, newest
	// first.
	ListInboundRequests(ctx context.Context, f InboundRequestFilter) ([]*InboundRequest, error)
	// PruneInboundRequests deletes logged requests, of every tenant,
	// older than p.Before and the oldest beyond p.MaxRows, and expired
	// claims, and reports how many requests it deleted.
	PruneInboundRequests(ctx context.Context, p PruneInboundParams) (int, error)
	// ClaimRequestID reports whether p.ID was unclaimed in p.Scope within
	// p.TTL, and claims it. The caller puts the tenant in the scope.
	ClaimRequestID(ctx context.Context, p ClaimParams) (bool, error)
	// SetInboundSecret sets the secret of a built-in inbound endpoint
	// ("generic", the platform's); "" removes it.
	SetInboundSecret(ctx context.Context, name, secret string) error
	// InboundSecret returns that secret, "" when none is set.
	InboundSecret(ctx context.Context, name string) (string, error)
	// ExportInbound streams every invocation, then the inbound request log
	// of all webhooks, then the unexpired claims, of every tenant, to the
	// callbacks of p in chunks, for "herald export": ListInvocations pages
	// by offset and ListInboundRequests reads one webhook's newest rows
	// only, whereas this reads each kind with one query, however many
	// rows there are. A callback's error ends it and is returned as is.
	ExportInbound(ctx context.Context, p InboundExportParams) error
}
