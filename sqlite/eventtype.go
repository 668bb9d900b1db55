package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/heraldhq/herald"
)

const eventTypeColumns = `name, description, schema, example, deprecated, version, created_at, updated_at`

// eventTypeTTL is how long the store's cache of the catalogue uses an
// entry. The server holding the data dir's lock is the only one writing
// through Herald (see LockDir), and each of its catalogue writes drops the
// cache at once; a change made to the file by other means (plain SQL)
// applies within eventTypeTTL. Reading the type of every published event
// from the file was 8% of the server's CPU for events to one webhook.
const eventTypeTTL = time.Second

// PutEventType creates p.Type at version 1 or, when it differs from the
// stored one, writes it as the next version; the old version stays in
// event_type_versions.
func (s *DB) PutEventType(ctx context.Context, p herald.PutEventTypeParams) (herald.PutEventTypeResult, error) {
	defer s.eventTypes.Drop() // after the commit: reads see what was written
	t := *p.Type
	t.Versions = nil
	if err := t.Validate(); err != nil {
		return herald.PutEventTypeResult{}, err
	}
	now := p.Now
	if now.IsZero() {
		now = s.clock.Now()
	}
	var res herald.PutEventTypeResult
	err := s.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) (effects, error) {
		res = herald.PutEventTypeResult{}
		old, err := scanEventType(tx.QueryRowContext(ctx, `SELECT `+eventTypeColumns+` FROM event_types WHERE name = ?`, t.Name))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			t.Version, t.CreatedAt, t.UpdatedAt = 1, now.UTC(), now.UTC()
			res.Created, res.Changed = true, true
			if _, err := tx.ExecContext(ctx, `INSERT INTO event_types (`+eventTypeColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
				t.Name, t.Description, string(t.Schema), string(t.Example), t.Deprecated, t.Version, micros(now), micros(now)); err != nil {
				return effects{}, fmt.Errorf("insert event type: %w", err)
			}
		case err != nil:
			return effects{}, fmt.Errorf("select event type: %w", err)
		case old.Same(&t):
			res.Type = old
			return effects{}, nil
		default:
			t.Version, t.CreatedAt, t.UpdatedAt = old.Version+1, old.CreatedAt, now.UTC()
			res.Changed = true
			if _, err := tx.ExecContext(ctx, `UPDATE event_types SET description = ?, schema = ?, example = ?, deprecated = ?,
				version = ?, updated_at = ? WHERE name = ?`,
				t.Description, string(t.Schema), string(t.Example), t.Deprecated, t.Version, micros(now), t.Name); err != nil {
				return effects{}, fmt.Errorf("update event type: %w", err)
			}
		}
		res.Type = &t
		return effects{}, insertEventTypeVersion(ctx, tx, &t, now)
	})
	if err != nil {
		return herald.PutEventTypeResult{}, err
	}
	return res, nil
}

// insertEventTypeVersion records t as its version Version, in tx.
func insertEventTypeVersion(ctx context.Context, tx *sql.Tx, t *herald.EventType, now time.Time) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO event_type_versions (name, version, description, schema, example, deprecated, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		t.Name, t.Version, t.Description, string(t.Schema), string(t.Example), t.Deprecated, micros(now)); err != nil {
		return fmt.Errorf("insert event type version: %w", err)
	}
	return nil
}

// EventType returns the type named ref.Name, with its versions, oldest
// first, when ref.Versions is set. Without versions it comes from the
// store's cache when it can: entries read within eventTypeTTL, dropped on
// each of the store's catalogue writes.
func (s *DB) EventType(ctx context.Context, ref herald.EventTypeRef) (*herald.EventType, error) {
	read := func() (*herald.EventType, error) {
		t, err := scanEventType(s.rdb.QueryRowContext(ctx, `SELECT `+eventTypeColumns+` FROM event_types WHERE name = ?`, ref.Name))
		if errors.Is(err, sql.ErrNoRows) {
			return nil, herald.Errorf(herald.ENOTFOUND, "event type %q not found", ref.Name)
		} else if err != nil {
			return nil, fmt.Errorf("select event type: %w", err)
		}
		return t, nil
	}
	if !ref.Versions {
		return s.eventTypes.Get(ref.Name, read)
	}
	t, err := read()
	if err != nil {
		return nil, err
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT version, description, schema, example, deprecated, created_at
		FROM event_type_versions WHERE name = ? ORDER BY version`, ref.Name)
	if err != nil {
		return nil, fmt.Errorf("select event type versions: %w", err)
	}
	defer rows.Close()
	t.Versions = []*herald.EventTypeVersion{}
	for rows.Next() {
		var (
			v               herald.EventTypeVersion
			schema, example string
			created         int64
		)
		if err := rows.Scan(&v.Version, &v.Description, &schema, &example, &v.Deprecated, &created); err != nil {
			return nil, fmt.Errorf("scan event type version: %w", err)
		}
		v.Schema, v.Example, v.CreatedAt = []byte(schema), []byte(example), fromMicros(created)
		t.Versions = append(t.Versions, &v)
	}
	return t, rows.Err()
}

// ListEventTypes returns the types whose names start with f.Prefix, by
// name.
func (s *DB) ListEventTypes(ctx context.Context, f herald.EventTypeFilter) ([]*herald.EventType, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+eventTypeColumns+` FROM event_types
		WHERE substr(name, 1, length(?)) = ? ORDER BY name`, f.Prefix, f.Prefix)
	if err != nil {
		return nil, fmt.Errorf("select event types: %w", err)
	}
	defer rows.Close()
	out := []*herald.EventType{}
	for rows.Next() {
		t, err := scanEventType(rows)
		if err != nil {
			return nil, fmt.Errorf("scan event type: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// DeleteEventType removes a type and, by cascade, its versions.
func (s *DB) DeleteEventType(ctx context.Context, ref herald.EventTypeRef) error {
	defer s.eventTypes.Drop() // after the commit: reads see what was written
	return s.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) (effects, error) {
		res, err := tx.ExecContext(ctx, `DELETE FROM event_types WHERE name = ?`, ref.Name)
		if err != nil {
			return effects{}, fmt.Errorf("delete event type: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return effects{}, herald.Errorf(herald.ENOTFOUND, "event type %q not found", ref.Name)
		}
		return effects{}, nil
	})
}

// EnsureEventTypes adds, at version 1, each type of p.Types whose name is
// not stored, in one transaction.
func (s *DB) EnsureEventTypes(ctx context.Context, p herald.EnsureEventTypesParams) (int, error) {
	defer s.eventTypes.Drop() // after the commit: reads see what was written
	now := p.Now
	if now.IsZero() {
		now = s.clock.Now()
	}
	types := make([]herald.EventType, len(p.Types))
	for i, in := range p.Types {
		types[i] = *in
		types[i].Versions = nil
		if err := types[i].Validate(); err != nil {
			return 0, err
		}
	}
	added := 0
	err := s.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) (effects, error) {
		added = 0
		for i := range types {
			t := &types[i]
			t.Version = 1
			res, err := tx.ExecContext(ctx, `INSERT INTO event_types (`+eventTypeColumns+`) VALUES (?, ?, ?, ?, ?, 1, ?, ?)
				ON CONFLICT (name) DO NOTHING`,
				t.Name, t.Description, string(t.Schema), string(t.Example), t.Deprecated, micros(now), micros(now))
			if err != nil {
				return effects{}, fmt.Errorf("insert event type: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				continue
			}
			added++
			if err := insertEventTypeVersion(ctx, tx, t, now); err != nil {
				return effects{}, err
			}
		}
		return effects{}, nil
	})
	return added, err
}

func scanEventType(row scanner) (*herald.EventType, error) {
	var (
		t                herald.EventType
		schema, example  string
		created, updated int64
	)
	if err := row.Scan(&t.Name, &t.Description, &schema, &example, &t.Deprecated, &t.Version, &created, &updated); err != nil {
		return nil, err
	}
	t.Schema, t.Example, t.CreatedAt, t.UpdatedAt = []byte(schema), []byte(example), fromMicros(created), fromMicros(updated)
	return &t, nil
}
