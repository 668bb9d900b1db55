package herald

import (
	"math"
	"sort"
	"time"
)

// MaxMetricsPerReport bounds the metrics of one report.
const MaxMetricsPerReport = 256

// MetricsReport is the body of POST /ingest/metrics.
type MetricsReport struct {
	// TenantID owns the agent; see AgentReport.TenantID.
	TenantID TenantID           `json:"tenant_id,omitempty"`
	AgentID  string             `json:"agent_id"`
	Metrics  map[string]float64 `json:"metrics"`
	// Timestamp is when the values were measured; zero means Now.
	Timestamp time.Time `json:"timestamp"`
	// Now is when the report was received; zero means the store's clock.
	Now time.Time `json:"-"`
}

// Validate checks a report and names the first bad field.
func (r *MetricsReport) Validate() error {
	if err := ValidateAgentID("agent_id", r.AgentID); err != nil {
		return err
	}
	if len(r.Metrics) == 0 {
		return Errorf(EINVALID, "metrics: must hold at least one {name: number}")
	}
	if len(r.Metrics) > MaxMetricsPerReport {
		return Errorf(EINVALID, "metrics: at most %d per report", MaxMetricsPerReport)
	}
	for name, v := range r.Metrics {
		if err := ValidateMetricName(name); err != nil {
			return err
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return Errorf(EINVALID, "metrics.%s: must be a finite number", name)
		}
	}
	return nil
}

// ValidateMetricName checks a metric name: 1 to 64 characters of
// [A-Za-z0-9_.:-].
func ValidateMetricName(name string) error {
	if name == "" || len(name) > 64 {
		return Errorf(EINVALID, "metrics: name %q must be 1 to 64 characters", name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == ':') {
			return Errorf(EINVALID, "metrics.%s: a name holds only letters, digits and _ - . :", name)
		}
	}
	return nil
}

// MetricsEvent returns the metrics.report {agent_id, metrics} event.
func MetricsEvent(r *MetricsReport) EventSpec {
	m := make(map[string]any, len(r.Metrics))
	for k, v := range r.Metrics {
		m[k] = v
	}
	return EventSpec{Type: "metrics.report", Data: map[string]any{"agent_id": r.AgentID, "metrics": m}}
}

// ApplyMetrics returns the agent's state after a metrics report measured
// at at and received at now (old is nil for an unknown agent, which is
// registered with status AgentUnknown): the values merge into LastMetrics,
// and LastSeen moves; the status does not change.
func ApplyMetrics(old *Agent, r *MetricsReport, at, now time.Time) *Agent {
	a := &Agent{ID: r.AgentID, TenantID: r.TenantID, Status: AgentUnknown, StatusChangedAt: now, CreatedAt: now}
	if old != nil {
		cp := *old
		a = &cp
	}
	last := make(map[string]float64, len(a.LastMetrics)+len(r.Metrics))
	for k, v := range a.LastMetrics {
		last[k] = v
	}
	for k, v := range r.Metrics {
		last[k] = v
	}
	a.LastMetrics, a.LastMetricsAt = last, &at
	a.LastSeen, a.UpdatedAt = now, now
	return a
}

// MetricPoint is one stored value of one metric.
type MetricPoint struct {
	Name      string    `json:"name"`
	Value     float64   `json:"value"`
	Timestamp time.Time `json:"timestamp"`
}

// MetricFilter selects an agent's points: of one metric when Name is set,
// from Since (inclusive) to Until (exclusive) when set, oldest first, at
// most Limit (default MaxLimit).
type MetricFilter struct {
	// Tenancy must reach the agent (see Tenancy.Owner).
	Tenancy Tenancy
	AgentID string
	Name    string
	Since   time.Time
	Until   time.Time
	Limit   int
}

// MetricBucket is the average of one metric's points over [Start,
// Start+step).
type MetricBucket struct {
	Name  string    `json:"name"`
	Start time.Time `json:"timestamp"`
	Value float64   `json:"value"` // the average
	Min   float64   `json:"min"`
	Max   float64   `json:"max"`
	Count int       `json:"count"`
}

// BucketMetrics averages points into buckets of step, aligned to the unix
// epoch, per metric name; buckets without points are left out. The result
// is sorted by name, then time.
func BucketMetrics(points []MetricPoint, step time.Duration) []MetricBucket {
	if step <= 0 {
		return nil
	}
	type key struct {
		name  string
		start int64
	}
	acc := map[key]*MetricBucket{}
	var order []key
	for _, p := range points {
		start := p.Timestamp.UnixNano() - mod(p.Timestamp.UnixNano(), int64(step))
		k := key{p.Name, start}
		b := acc[k]
		if b == nil {
			b = &MetricBucket{Name: p.Name, Start: time.Unix(0, start).UTC(), Min: p.Value, Max: p.Value}
			acc[k] = b
			order = append(order, k)
		}
		b.Value += p.Value
		b.Count++
		b.Min, b.Max = math.Min(b.Min, p.Value), math.Max(b.Max, p.Value)
	}
	sort.Slice(order, func(i, j int) bool {
		if order[i].name != order[j].name {
			return order[i].name < order[j].name
		}
		return order[i].start < order[j].start
	})
	out := make([]MetricBucket, 0, len(order))
	for _, k := range order {
		b := acc[k]
		b.Value /= float64(b.Count)
		out = append(out, *b)
	}
	return out
}

func mod(a, b int64) int64 {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}

// Aggregate reduces values with agg: avg, min, max, sum or count. Over no
// values, count and sum are 0 and the others report ok false.
func Aggregate(agg string, values []float64) (v float64, ok bool) {
	switch agg {
	case "count":
		return float64(len(values)), true
	case "sum":
		for _, x := range values {
			v += x
		}
		return v, true
	}
	if len(values) == 0 {
		return 0, false
	}
	v = values[0]
	for _, x := range values[1:] {
		switch agg {
		case "avg":
			v += x
		case "min":
			v = math.Min(v, x)
		case "max":
			v = math.Max(v, x)
		}
	}
	if agg == "avg" {
		v /= float64(len(values))
	}
	return v, true
}
