package sqlite

import (
	"context"
	"fmt"

	"github.com/heraldhq/herald"
)

// DeliveryStats counts the deliveries within p.Tenancy created in each
// bucket by status, and ranks the durations of the attempts started in
// each bucket with window functions, so that only the two ranked rows of
// a bucket leave the database.
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
	join := ""
	if p.WebhookID != "" {
		join = ` JOIN deliveries d ON d.id = a.delivery_id`
		a.and("d.webhook_id = ?", p.WebhookID)
	}
	// ceil(n * p), as PercentileRank counts from 1.
	const rank = `CAST(n * %[1]s AS INTEGER) + (n * %[1]s > CAST(n * %[1]s AS INTEGER))`
	rows, err = s.rdb.QueryContext(ctx, `WITH r AS (SELECT k, ms, row_number() OVER (PARTITION BY k ORDER BY ms) AS rn,
			count(*) OVER (PARTITION BY k) AS n
		FROM (SELECT (a.started_at - ?) / ? AS k, a.duration_ms AS ms FROM attempts a`+join+` `+a.String()+`))
		SELECT k, rn, n, ms FROM r WHERE rn = `+fmt.Sprintf(rank, "0.5")+` OR rn = `+fmt.Sprintf(rank, "0.95"),
		append([]any{since, width}, a.args...)...)
	if err != nil {
		return nil, fmt.Errorf("rank attempt durations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, rn, n int
		var ms int64
		if err := rows.Scan(&k, &rn, &n, &ms); err != nil {
			return nil, fmt.Errorf("scan attempt duration: %w", err)
		}
		b := &st.Buckets[k]
		if rn == herald.PercentileRank(n, 0.5)+1 {
			b.P50MS = &ms
		}
		if rn == herald.PercentileRank(n, 0.95)+1 {
			v := ms
			b.P95MS = &v
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("rank attempt durations: %w", err)
	}
	return st, nil
}
