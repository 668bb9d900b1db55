package metrics_test

import (
	"context"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/heraldhq/herald/metrics"
)

// TestGrafanaDashboard checks that docs/grafana/herald.json is valid JSON
// and that every metric its panels query is one Herald serves.
func TestGrafanaDashboard(t *testing.T) {
	b, err := os.ReadFile("../docs/grafana/herald.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("herald.json: %v", err)
	}
	m := metrics.New()
	m.RegisterQueueDepth(func(context.Context) (int, error) { return 0, nil })
	m.Deliveries.WithLabelValues(metrics.OutcomeSuccess).Inc()
	m.AttemptDuration.WithLabelValues("true").Observe(1)
	m.InFlight.WithLabelValues("wh").Set(1)
	m.EventsAccepted.Inc()
	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	served := map[string]bool{}
	for _, f := range families {
		served[f.GetName()] = true
	}
	name := regexp.MustCompile(`\b(herald|go|process)_[a-z_]+\b`)
	n := 0
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			for _, metric := range name.FindAllString(tg.Expr, -1) {
				n++
				base := metric
				for _, suffix := range []string{"_bucket", "_sum", "_count"} {
					if s, ok := strings.CutSuffix(metric, suffix); ok && served[s] {
						base = s
					}
				}
				if !served[base] {
					t.Errorf("panel %q queries %s, which Herald does not serve", p.Title, metric)
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("the dashboard queries no metric")
	}
}
