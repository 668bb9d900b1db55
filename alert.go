package herald

import (
	"context"
	"encoding/json"
	"strings"
	"time"
)

// PrefixAlert prefixes alert rule IDs.
const PrefixAlert = "alr_"

// Built-in alert metrics, computed from Herald's own tables. Any other
// metric name is one of the ingested agent metrics.
const (
	// MetricWebhookFailures counts failed delivery attempts in the window
	// (of the rule's webhook when set, and of the webhooks whose agent_id is
	// the rule's agent when that is set).
	MetricWebhookFailures = "webhook-failures"
	// MetricWebhookFailureRate is failed attempts / all attempts in the
	// window, from 0 to 1 (0 without attempts), scoped as
	// MetricWebhookFailures.
	MetricWebhookFailureRate = "webhook-failure-rate"
	// MetricDeliveriesPending counts deliveries still pending now.
	MetricDeliveriesPending = "deliveries-pending"
	// MetricAgentUnresponsive counts agents now unresponsive (1 or 0 for the
	// rule's agent when set).
	MetricAgentUnresponsive = "agent-unresponsive"
)

// BuiltinAlertMetrics lists the built-in metrics.
var BuiltinAlertMetrics = []string{MetricWebhookFailures, MetricWebhookFailureRate, MetricDeliveriesPending, MetricAgentUnresponsive}

// IsBuiltinMetric reports whether m is a built-in alert metric.
func IsBuiltinMetric(m string) bool {
	for _, b := range BuiltinAlertMetrics {
		if b == m {
			return true
		}
	}
	return false
}

// Alert states.
const (
	AlertOK        = "ok"
	AlertTriggered = "triggered"
)

// Alert rule defaults.
const (
	DefaultAlertOp     = ">="
	DefaultAlertAgg    = "avg"
	DefaultAlertWindow = 5 * time.Minute
	MaxAlertWindow     = 30 * 24 * time.Hour
)

// AlertRule watches one metric over a sliding window and emits
// alert.triggered when "value op threshold" starts to hold, and
// alert.resolved when it stops. It never repeats while it stays triggered.
type AlertRule struct {
	ID string `json:"id"`
	// TenantID owns the rule, which counts only its tenant's rows.
	TenantID    TenantID `json:"tenant_id"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Metric      string   `json:"metric"`
	Agg         string   `json:"agg"` // avg, min, max, sum or count; ingested metrics only
	Op          string   `json:"op"`  // >, >=, <, <=, == or !=
	Threshold   float64  `json:"threshold"`
	Window      Duration `json:"window"`
	WebhookID   string   `json:"webhook_id,omitempty"`
	AgentID     string   `json:"agent_id,omitempty"`
	IsActive    bool     `json:"is_active"`

	// State is "ok" or "triggered"; Value is the last evaluated value (nil
	// before the first evaluation, or when an ingested metric had no
	// points in the window).
	State       string     `json:"state"`
	Value       *float64   `json:"value"`
	EvaluatedAt *time.Time `json:"evaluated_at"`
	TriggeredAt *time.Time `json:"triggered_at"`
	ResolvedAt  *time.Time `json:"resolved_at"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

// AlertInput is the body of POST /v1/alerts and PATCH /v1/alerts/{id}:
// fields left out keep their value (or default).
type AlertInput struct {
	// TenantID creates the rule for a tenant (admin keys); an update
	// cannot change it.
	TenantID    *TenantID `json:"tenant_id"`
	Name        *string   `json:"name"`
	Description *string   `json:"description"`
	Metric      *string   `json:"metric"`
	Agg         *string   `json:"agg"`
	Op          *string   `json:"op"`
	Threshold   *float64  `json:"threshold"`
	Window      *Duration `json:"window"`
	WebhookID   *string   `json:"webhook_id"`
	AgentID     *string   `json:"agent_id"`
	IsActive    *bool     `json:"is_active"`
}

// NewAlertDefaults returns a rule holding the defaults: active, op ">=",
// agg "avg", a 5-minute window, state "ok".
func NewAlertDefaults() *AlertRule {
	return &AlertRule{Op: DefaultAlertOp, Agg: DefaultAlertAgg, Window: Duration(DefaultAlertWindow), IsActive: true, State: AlertOK}
}

// Apply copies the fields set in in onto r.
func (in *AlertInput) Apply(r *AlertRule) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = strings.TrimSpace(*src)
		}
	}
	set(&r.Name, in.Name)
	set(&r.Description, in.Description)
	set(&r.Metric, in.Metric)
	set(&r.Agg, in.Agg)
	set(&r.Op, in.Op)
	set(&r.WebhookID, in.WebhookID)
	set(&r.AgentID, in.AgentID)
	if in.Threshold != nil {
		r.Threshold = *in.Threshold
	}
	if in.Window != nil {
		r.Window = *in.Window
	}
	if in.IsActive != nil {
		r.IsActive = *in.IsActive
	}
}

// Validate checks a rule and names the first bad field.
func (r *AlertRule) Validate() error {
	if r.Metric == "" {
		return Errorf(EINVALID, "metric: is required (%s, or an ingested metric name)", strings.Join(BuiltinAlertMetrics, ", "))
	}
	if !IsBuiltinMetric(r.Metric) {
		if err := ValidateMetricName(r.Metric); err != nil {
			return Errorf(EINVALID, "metric: %q is neither a built-in metric (%s) nor a metric name", r.Metric, strings.Join(BuiltinAlertMetrics, ", "))
		}
	}
	if err := ValidateNames("name", r.Name, "description", r.Description, "agent_id", r.AgentID); err != nil {
		return err
	}
	if len(r.Name) > 200 {
		return Errorf(EINVALID, "name: must be at most 200 characters")
	}
	if len(r.Description) > 2000 {
		return Errorf(EINVALID, "description: must be at most 2000 characters")
	}
	switch r.Agg {
	case "avg", "min", "max", "sum", "count":
	default:
		return Errorf(EINVALID, "agg: %q is not one of avg, min, max, sum, count", r.Agg)
	}
	if _, err := Compare(r.Op, 0, 0); err != nil {
		return err
	}
	if w := time.Duration(r.Window); w < time.Second || w > MaxAlertWindow {
		return Errorf(EINVALID, "window: must be from 1s to %s", MaxAlertWindow)
	}
	if r.AgentID != "" {
		if err := ValidateAgentID("agent_id", r.AgentID); err != nil {
			return err
		}
	}
	if r.WebhookID != "" && !strings.HasPrefix(r.WebhookID, PrefixWebhook) {
		return Errorf(EINVALID, "webhook_id: %q is not a webhook id (wh_...)", r.WebhookID)
	}
	if r.Name == "" {
		r.Name = r.Metric
	}
	return nil
}

// ValidateWith checks a rule (Validate), and that its webhook, when set,
// exists within the rule's tenant; its agent_id names an agent of that
// tenant too, which need not have reported yet. The API and the dashboard
// check a rule so before they store it.
func (r *AlertRule) ValidateWith(ctx context.Context, webhooks WebhookStore) error {
	if err := r.Validate(); err != nil {
		return err
	}
	if r.WebhookID == "" {
		return nil
	}
	_, err := webhooks.Webhook(ctx, Ref{Tenancy: OnlyTenant(string(r.TenantID)), ID: r.WebhookID})
	if ErrorCode(err) == ENOTFOUND {
		return Errorf(EINVALID, "webhook_id: webhook %q does not exist", r.WebhookID)
	}
	return err
}

// Compare returns "a op b" for op >, >=, <, <=, == or !=.
func Compare(op string, a, b float64) (bool, error) {
	switch op {
	case ">":
		return a > b, nil
	case ">=":
		return a >= b, nil
	case "<":
		return a < b, nil
	case "<=":
		return a <= b, nil
	case "==":
		return a == b, nil
	case "!=":
		return a != b, nil
	}
	return false, Errorf(EINVALID, "op: %q is not one of >, >=, <, <=, ==, !=", op)
}

// Crossed reports whether value crosses the rule's threshold; a nil value
// (no data) never does.
func (r *AlertRule) Crossed(value *float64) bool {
	if value == nil {
		return false
	}
	ok, _ := Compare(r.Op, *value, r.Threshold)
	return ok
}

// AlertEvent returns alert.triggered (or alert.resolved when triggered is
// false): {alert_id, name, metric, value, threshold, op, window, agent_id?,
// webhook_id?}.
func AlertEvent(r *AlertRule, triggered bool, value *float64) EventSpec {
	typ := "alert.resolved"
	if triggered {
		typ = "alert.triggered"
	}
	var v any
	if value != nil {
		v = *value
	}
	data := map[string]any{
		"alert_id": r.ID, "name": r.Name, "metric": r.Metric, "value": v, "threshold": r.Threshold,
		"op": r.Op, "window": r.Window.String(),
	}
	if r.AgentID != "" {
		data["agent_id"] = r.AgentID
	}
	if r.WebhookID != "" {
		data["webhook_id"] = r.WebhookID
	}
	return EventSpec{Type: typ, Data: data}
}

// AlertFilter selects alert rules, newest first.
type AlertFilter struct {
	Tenancy Tenancy
	Skip    int
	Limit   int
}

// AlertQuery asks a store for a rule's metric value over [Since, Now).
type AlertQuery struct {
	Rule  *AlertRule
	Since time.Time
	Now   time.Time
}

// AlertStateParams records one evaluation of a rule at Now. When the rule's
// stored state differs from Triggered, the store flips it and publishes
// AlertEvent in the same transaction.
type AlertStateParams struct {
	AlertID   string
	Value     *float64
	Triggered bool
	Now       time.Time
}

// AlertStateResult is the rule after an evaluation, and the event it
// published (nil when its state did not change).
type AlertStateResult struct {
	Rule  *AlertRule
	Event *Event
}

// Duration is a time.Duration written in JSON as a string such as "5m";
// it reads strings in time.ParseDuration form or numbers of seconds.
type Duration time.Duration

// String formats the duration like time.Duration.
func (d Duration) String() string { return FormatDuration(time.Duration(d)) }

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads "5m" or 300; null leaves d unchanged. Its errors are
// *json.UnmarshalTypeError, which encoding/json names the field of.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return valueError(*d, "must be a duration such as \"5m\"")
	}
	switch v := v.(type) {
	case string:
		x, err := time.ParseDuration(v)
		if err != nil {
			return valueError(*d, "%q is not a duration such as \"5m\"", v)
		}
		*d = Duration(x)
	case float64:
		*d = Duration(v * float64(time.Second))
	case nil:
	default:
		return valueError(*d, "must be a duration such as \"5m\"")
	}
	return nil
}

// AlertStore keeps alert rules and evaluates them.
type AlertStore interface {
	// CreateAlert stores a validated alert rule for r.TenantID, setting ID
	// and timestamps when empty.
	CreateAlert(ctx context.Context, r *AlertRule) error
	// Alert returns one alert rule with its state.
	Alert(ctx context.Context, ref Ref) (*AlertRule, error)
	// ListAlerts returns a page of alert rules, newest first, and the total.
	ListAlerts(ctx context.Context, f AlertFilter) ([]*AlertRule, int, error)
	// UpdateAlert replaces the settings of r.ID (not its state); the rule
	// must belong to r.TenantID.
	UpdateAlert(ctx context.Context, r *AlertRule) error
	// DeleteAlert removes an alert rule.
	DeleteAlert(ctx context.Context, ref Ref) error
	// AlertValue computes a rule's metric over [q.Since, q.Now), counting
	// only the rows of the rule's tenant: nil when an ingested metric has
	// no points there.
	AlertValue(ctx context.Context, q AlertQuery) (*float64, error)
	// SetAlertState records an evaluation; see AlertStateParams. Its event
	// is the rule's tenant's.
	SetAlertState(ctx context.Context, p AlertStateParams) (*AlertStateResult, error)
}
