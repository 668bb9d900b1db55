package sqlite

import (
	"context"
	"fmt"
	"slices"

	"github.com/heraldhq/herald"
)

// DeliveryStats counts the deliveries within p.Tenancy created in each
// bucket by status, and sorts the durations of the attempts started in
// each bucket to take their percentiles: memory and work grow with the
// attempts of the span (a window function's sort of them ran slower).
func (s *DB) DeliveryStats(ctx context.Context, p herald.DeliveryStatsParams) (*herald.DeliveryStats, error) {
	st, err := herald.NewDeliveryStats(p)
	if err != nil {
		return nil, err
	}
	since, until, width := micros(st.Since), micros(st.Until), p.Bucket.Microseconds()
	q := confined("tenant_id", p.Tenancy).and("created_at >= ?", since).and("created_at < ?", until)
	if p.WebhookID != "" {
		q.and("webhook_id = ?", p.WebhookID)
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT (created_at - ?) / ?, status, count(*) FROM deliveries `+q.String()+
		` GROUP BY 1, 2`, append([]any{since, width}, q.args...)...)
	if err != nil {
		return nil, fmt.Errorf("count deliveries: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			k, n   int
			status string
		)
		if err := rows.Scan(&k, &status, &n); err != nil {
			return nil, fmt.Errorf("scan delivery count: %w", err)
		}
		st.Buckets[k].Add(status, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count deliveries: %w", err)
	}
	rows.Close()

	a := confined("a.tenant_id", p.Tenancy).and("a.started_at >= ?", since).and("a.started_at < ?", until)
	if p.WebhookID != "" {
		a.and("a.webhook_id = ?", p.WebhookID)
	}
	rows, err = s.rdb.QueryContext(ctx, `SELECT (a.started_at - ?) / ?, a.duration_ms FROM attempts a `+a.String(),
		append([]any{since, width}, a.args...)...)
	if err != nil {
		return nil, fmt.Errorf("select attempt durations: %w", err)
	}
	defer rows.Close()
	durations := make([][]int64, len(st.Buckets))
	for rows.Next() {
		var (
			k  int
			ms int64
		)
		if err := rows.Scan(&k, &ms); err != nil {
			return nil, fmt.Errorf("scan attempt duration: %w", err)
		}
		durations[k] = append(durations[k], ms)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("select attempt durations: %w", err)
	}
	for k, ds := range durations {
		if len(ds) == 0 {
			continue
		}
		slices.Sort(ds)
		p50, p95 := ds[herald.PercentileRank(len(ds), 0.5)], ds[herald.PercentileRank(len(ds), 0.95)]
		st.Buckets[k].P50MS, st.Buckets[k].P95MS = &p50, &p95
	}
	return st, nil
}
