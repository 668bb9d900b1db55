// Package metrics holds Herald's Prometheus collectors, served at /metrics.
package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Delivery outcomes, the values of the "outcome" label of
// herald_deliveries_total.
const (
	OutcomeSuccess = "success" // an attempt got a 2xx
	OutcomeRetry   = "retry"   // an attempt failed and a retry is scheduled
	OutcomeFailed  = "failed"  // an attempt failed and no retry is left
)

// Metrics is the set of collectors, registered on their own registry.
type Metrics struct {
	Registry *prometheus.Registry
	// EventsAccepted counts published events (herald_events_accepted_total).
	EventsAccepted prometheus.Counter
	// Deliveries counts attempts by outcome (herald_deliveries_total).
	Deliveries *prometheus.CounterVec
	// AttemptDuration is the latency of attempts in seconds
	// (herald_delivery_attempt_duration_seconds), by success.
	AttemptDuration *prometheus.HistogramVec
	// InFlight is the requests in flight per webhook on this node
	// (herald_delivery_in_flight).
	InFlight *prometheus.GaugeVec
}

// New creates the collectors with Go and process collectors beside them.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		EventsAccepted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "herald_events_accepted_total", Help: "Events accepted for publishing.",
		}),
		Deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "herald_deliveries_total", Help: "Delivery attempts by outcome: success, retry or failed.",
		}, []string{"outcome"}),
		AttemptDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "herald_delivery_attempt_duration_seconds",
			Help:    "Latency of delivery attempts, by whether they succeeded.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300},
		}, []string{"success"}),
		InFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "herald_delivery_in_flight", Help: "Delivery requests in flight on this node, per webhook.",
		}, []string{"webhook_id"}),
	}
	m.Registry.MustRegister(m.EventsAccepted, m.Deliveries, m.AttemptDuration, m.InFlight,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, o := range []string{OutcomeSuccess, OutcomeRetry, OutcomeFailed} {
		m.Deliveries.WithLabelValues(o)
	}
	return m
}

// RegisterQueueDepth adds herald_queue_depth, the jobs waiting to run (a
// batch counting its deliveries), read
// from depth at each scrape (bounded by a 2-second timeout).
func (m *Metrics) RegisterQueueDepth(depth func(ctx context.Context) (int, error)) {
	m.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "herald_queue_depth", Help: "Delivery jobs waiting to run (available, scheduled or retryable); a batch counts its deliveries.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := depth(ctx)
		if err != nil {
			return -1
		}
		return float64(n)
	}))
}
