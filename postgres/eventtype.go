package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald"
)

const eventTypeColumns = `name, description, schema, example, deprecated, version, created_at, updated_at`

// PutEventType creates p.Type at version 1 or, when it differs from the
// stored one, writes it as the next version; the old version stays in
// event_type_versions. The row is locked FOR UPDATE, so that two puts of one
// type make two versions one after the other; two creates of a new type
// meet on the primary key and the loser runs again as an update.
func (s *DB) PutEventType(ctx context.Context, p herald.PutEventTypeParams) (herald.PutEventTypeResult, error) {
	defer s.eventTypes.Drop() // after the commit: this node reads what it wrote
	t := *p.Type
	t.Versions = nil
	if err := t.Validate(); err != nil {
		return herald.PutEventTypeResult{}, err
	}
	now := p.Now
	if now.IsZero() {
		now = s.now()
	}
	now = now.UTC().Truncate(time.Microsecond)
	var res herald.PutEventTypeResult
	err := s.inTx(ctx, "put event type", func(tx pgx.Tx) error {
		res = herald.PutEventTypeResult{}
		old, err := scanEventType(tx.QueryRow(ctx, `SELECT `+eventTypeColumns+` FROM event_types WHERE name = $1 FOR UPDATE`, t.Name))
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			t.Version, t.CreatedAt, t.UpdatedAt = 1, now, now
			res.Created, res.Changed = true, true
			tag, err := tx.Exec(ctx, `INSERT INTO event_types (`+eventTypeColumns+`) VALUES ($1, $2, $3, $4, $5, 1, $6, $6)
				ON CONFLICT (name) DO NOTHING`,
				t.Name, t.Description, string(t.Schema), string(t.Example), t.Deprecated, now)
			if err != nil {
				return fmt.Errorf("insert event type: %w", err)
			}
			if tag.RowsAffected() == 0 {
				return errPutRace
			}
		case err != nil:
			return fmt.Errorf("select event type: %w", err)
		case old.Same(&t):
			res.Type = old
			return nil
		default:
			t.Version, t.CreatedAt, t.UpdatedAt = old.Version+1, old.CreatedAt, now
			res.Changed = true
			if _, err := tx.Exec(ctx, `UPDATE event_types SET description = $2, schema = $3, example = $4, deprecated = $5,
				version = $6, updated_at = $7 WHERE name = $1`,
				t.Name, t.Description, string(t.Schema), string(t.Example), t.Deprecated, t.Version, now); err != nil {
				return fmt.Errorf("update event type: %w", err)
			}
		}
		res.Type = &t
		return insertEventTypeVersion(ctx, tx, &t, now)
	})
	if errors.Is(err, errPutRace) {
		return s.PutEventType(ctx, p)
	}
	if err != nil {
		return herald.PutEventTypeResult{}, err
	}
	return res, nil
}

// errPutRace is a create that another one overtook: the put runs again.
var errPutRace = errors.New("event type created concurrently")

// insertEventTypeVersion records t as its version Version, in tx.
func insertEventTypeVersion(ctx context.Context, tx pgx.Tx, t *herald.EventType, now time.Time) error {
	if _, err := tx.Exec(ctx, `INSERT INTO event_type_versions (name, version, description, schema, example, deprecated, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		t.Name, t.Version, t.Description, string(t.Schema), string(t.Example), t.Deprecated, now); err != nil {
		return fmt.Errorf("insert event type version: %w", err)
	}
	return nil
}

// EventType returns the type named ref.Name, with its versions, oldest
// first, when ref.Versions is set. Without versions it comes from the
// node's cache when it can (see eventTypeCache).
func (s *DB) EventType(ctx context.Context, ref herald.EventTypeRef) (*herald.EventType, error) {
	read := func() (*herald.EventType, error) {
		t, err := scanEventType(s.pool.QueryRow(ctx, `SELECT `+eventTypeColumns+` FROM event_types WHERE name = $1`, ref.Name))
		if errors.Is(err, pgx.ErrNoRows) {
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
	rows, err := s.pool.Query(ctx, `SELECT version, description, schema, example, deprecated, created_at
		FROM event_type_versions WHERE name = $1 ORDER BY version`, ref.Name)
	if err != nil {
		return nil, fmt.Errorf("select event type versions: %w", err)
	}
	defer rows.Close()
	t.Versions = []*herald.EventTypeVersion{}
	for rows.Next() {
		var (
			v               herald.EventTypeVersion
			schema, example string
		)
		if err := rows.Scan(&v.Version, &v.Description, &schema, &example, &v.Deprecated, &v.CreatedAt); err != nil {
			return nil, fmt.Errorf("scan event type version: %w", err)
		}
		v.Schema, v.Example, v.CreatedAt = []byte(schema), []byte(example), v.CreatedAt.UTC()
		t.Versions = append(t.Versions, &v)
	}
	return t, rows.Err()
}

// ListEventTypes returns the types whose names start with f.Prefix, by
// name.
func (s *DB) ListEventTypes(ctx context.Context, f herald.EventTypeFilter) ([]*herald.EventType, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+eventTypeColumns+` FROM event_types
		WHERE left(name, length($1)) = $1 ORDER BY name COLLATE "C"`, f.Prefix)
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
	defer s.eventTypes.Drop() // after the commit: this node reads what it wrote
	tag, err := s.pool.Exec(ctx, `DELETE FROM event_types WHERE name = $1`, ref.Name)
	if err != nil {
		return fmt.Errorf("delete event type: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return herald.Errorf(herald.ENOTFOUND, "event type %q not found", ref.Name)
	}
	return nil
}

// EnsureEventTypes adds, at version 1, each type of p.Types whose name is
// not stored, in one transaction; nodes starting together add each once.
func (s *DB) EnsureEventTypes(ctx context.Context, p herald.EnsureEventTypesParams) (int, error) {
	defer s.eventTypes.Drop() // after the commit: this node reads what it wrote
	now := p.Now
	if now.IsZero() {
		now = s.now()
	}
	now = now.UTC().Truncate(time.Microsecond)
	types := make([]herald.EventType, len(p.Types))
	for i, in := range p.Types {
		types[i] = *in
		types[i].Versions = nil
		if err := types[i].Validate(); err != nil {
			return 0, err
		}
	}
	added := 0
	err := s.inTx(ctx, "ensure event types", func(tx pgx.Tx) error {
		added = 0
		for i := range types {
			t := &types[i]
			t.Version = 1
			tag, err := tx.Exec(ctx, `INSERT INTO event_types (`+eventTypeColumns+`) VALUES ($1, $2, $3, $4, $5, 1, $6, $6)
				ON CONFLICT (name) DO NOTHING`,
				t.Name, t.Description, string(t.Schema), string(t.Example), t.Deprecated, now)
			if err != nil {
				return fmt.Errorf("insert event type: %w", err)
			}
			if tag.RowsAffected() == 0 {
				continue
			}
			added++
			if err := insertEventTypeVersion(ctx, tx, t, now); err != nil {
				return err
			}
		}
		return nil
	})
	return added, err
}

func scanEventType(row scanner) (*herald.EventType, error) {
	var (
		t               herald.EventType
		schema, example string
	)
	if err := row.Scan(&t.Name, &t.Description, &schema, &example, &t.Deprecated, &t.Version, &t.CreatedAt, &t.UpdatedAt); err != nil {
		return nil, err
	}
	t.Schema, t.Example, t.CreatedAt, t.UpdatedAt = []byte(schema), []byte(example), t.CreatedAt.UTC(), t.UpdatedAt.UTC()
	return &t, nil
}
