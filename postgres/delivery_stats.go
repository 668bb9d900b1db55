package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/heraldhq/herald"
)

// DeliveryStats counts the deliveries within p.Tenancy created in each
// bucket (date_bin from p.Since) by status, and takes the percentiles of
// the durations of the attempts started in each with percentile_disc,
// the nearest rank PercentileRank names.
func (s *DB) DeliveryStats(ctx context.Context, p herald.DeliveryStatsParams) (*herald.DeliveryStats, error) {
	st, err := herald.NewDeliveryStats(p)
	if err != nil {
		return nil, err
	}
	var c conds
	bin := `date_bin(` + c.arg(p.Bucket.Microseconds()) + `::bigint * interval '1 microsecond', %s, ` + c.arg(st.Since) + `)`
	c.tenancy("tenant_id", p.Tenancy)
	c.add("created_at >= " + c.arg(st.Since))
	c.add("created_at < " + c.arg(st.Until))
	if p.WebhookID != "" {
		c.eq("webhook_id", p.WebhookID)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+fmt.Sprintf(bin, "created_at")+`, status, count(*) FROM deliveries `+
		c.where()+` GROUP BY 1, 2`, c.args...)
	if err != nil {
		return nil, fmt.Errorf("count deliveries: %w", err)
	}
	for rows.Next() {
		var (
			start  time.Time
			status string
			n      int
		)
		if err := rows.Scan(&start, &status, &n); err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan delivery count: %w", err)
		}
		if b := st.Bucket(start); b != nil {
			b.Add(status, n)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count deliveries: %w", err)
	}

	var a conds
	bin = `date_bin(` + a.arg(p.Bucket.Microseconds()) + `::bigint * interval '1 microsecond', %s, ` + a.arg(st.Since) + `)`
	a.tenancy("a.tenant_id", p.Tenancy)
	a.add("a.started_at >= " + a.arg(st.Since))
	a.add("a.started_at < " + a.arg(st.Until))
	if p.WebhookID != "" {
		a.eq("a.webhook_id", p.WebhookID)
	}
	rows, err = s.pool.Query(ctx, `SELECT `+fmt.Sprintf(bin, "a.started_at")+`,
		percentile_disc(ARRAY[0.5, 0.95]) WITHIN GROUP (ORDER BY a.duration_ms)
		FROM attempts a `+a.where()+` GROUP BY 1`, a.args...)
	if err != nil {
		return nil, fmt.Errorf("select attempt percentiles: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			start time.Time
			pct   []int64
		)
		if err := rows.Scan(&start, &pct); err != nil {
			return nil, fmt.Errorf("scan attempt percentiles: %w", err)
		}
		if b := st.Bucket(start); b != nil && len(pct) == 2 {
			b.P50MS, b.P95MS = &pct[0], &pct[1]
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("select attempt percentiles: %w", err)
	}
	return st, nil
}
