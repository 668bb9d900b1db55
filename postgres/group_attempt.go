package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald"
)

// attemptSetOp records the attempts of a group together, in one statement
// that does what each attemptOp's does (see attemptOp.queue) for all of
// them: one statement, and no savepoint each, costs PostgreSQL far less
// than one per attempt. The group treats it as one write; when it fails,
// the group records its attempts again one by one, each in its savepoint,
// so that only the bad one fails. Its ops have distinct deliveries, sorted,
// and settle no ordered delivery (those release the next of their line
// with a statement of their own, and run on their own).
type attemptSetOp struct {
	ops []*attemptOp
}

// attemptMember says whether an attempt joins its group's set, and its
// key there: one attempt per delivery, and none that settles an ordered
// delivery.
func attemptMember(o *attemptOp) (string, bool) { return o.r.DeliveryID, !o.settles() }

// order puts the set where its attempts sort, before any repeats of them.
func (s *attemptSetOp) order() string { return "a" }

func (s *attemptSetOp) tenant() (string, bool) { return "", false }

func (s *attemptSetOp) plan([]*herald.Webhook) []herald.Line { return nil }

func (s *attemptSetOp) queue(b *pgx.Batch) {
	n := len(s.ops)
	var (
		ids, statuses, errs, attemptIDs, headers, bodies = make([]string, n), make([]string, n), make([]string, n),
			make([]string, n), make([]string, n), make([]string, n)
		codes         = make([]*int32, n)
		ats           = make([]time.Time, n)
		nexts, delivs = make([]*time.Time, n), make([]*time.Time, n)
		durations     = make([]int64, n)
		successes     = make([]bool, n)
	)
	for i, o := range s.ops {
		r, a := o.r, o.r.Attempt
		delivered, next, h := o.values()
		hj, _ := json.Marshal(h)
		ids[i], statuses[i], errs[i], attemptIDs[i] = r.DeliveryID, r.Status, escapeText(a.Error), a.ID
		headers[i], bodies[i], ats[i], nexts[i], delivs[i] = string(hj), escapeText(a.ResponseBody), o.at, next, delivered
		durations[i], successes[i] = a.DurationMS, a.Success
		if a.StatusCode != nil {
			c := int32(*a.StatusCode)
			codes[i] = &c
		}
	}
	b.Queue(`WITH v AS (
			SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::timestamptz[], $6::timestamptz[],
				$7::timestamptz[], $8::text[], $9::bigint[], $10::text[], $11::text[], $12::boolean[])
				AS v (v_id, v_status, v_code, v_error, v_at, v_next, v_delivered, v_attempt, v_duration, v_headers, v_body,
				v_success)
			ORDER BY v_id
		), d AS (
			UPDATE deliveries SET attempts = attempts + 1, status = v_status,
				response_status_code = v_code, error_message = v_error, last_attempt_at = v_at, next_attempt_at = v_next,
				delivered_at = coalesce(v_delivered, delivered_at)
			FROM v WHERE id = v_id
			RETURNING `+deliveryColumns+`, v_attempt, v_at, v_duration, v_code, v_headers, v_body, v_error, v_success
		), a AS (
			INSERT INTO attempts (id, tenant_id, webhook_id, delivery_id, number, started_at, duration_ms,
				status_code, response_headers, response_body, error, success)
			SELECT v_attempt, tenant_id, webhook_id, id, attempts, v_at, v_duration, v_code, v_headers::json, v_body, v_error, v_success
			FROM d
		)
		SELECT `+deliveryColumns+` FROM d`,
		ids, statuses, codes, errs, ats, nexts, delivs, attemptIDs, durations, headers, bodies, successes)
}

// read gives each attempt its delivery, as attemptOp.read would; one whose
// delivery is gone gets none.
func (s *attemptSetOp) read(br pgx.BatchResults) error {
	rows, err := br.Query()
	if err != nil {
		return fmt.Errorf("update deliveries: %w", err)
	}
	defer rows.Close()
	byID := make(map[string]*herald.Delivery, len(s.ops))
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return fmt.Errorf("scan delivery: %w", err)
		}
		byID[d.ID] = d
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("update deliveries: %w", err)
	}
	for _, o := range s.ops {
		o.d = byID[o.r.DeliveryID]
	}
	return nil
}

// after is never called: the group calls its attempts' own.
func (s *attemptSetOp) after(context.Context, pgx.Tx) (effects, error, error) {
	return effects{}, nil, nil
}
