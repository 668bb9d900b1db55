package herald

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"time"
)

// Retention defaults.
const (
	// DefaultRetention is how long events, with their deliveries and
	// attempts, are kept when neither --retention nor the tenant says:
	// 30 days.
	DefaultRetention = 30 * 24 * time.Hour
	// PruneBatch is the most events one PruneHistory call (one
	// transaction) removes, with their deliveries and attempts: 1,000.
	PruneBatch = 1000
	// MinRetention is the shortest retention other than 0 (keep
	// everything): 1 minute.
	MinRetention = time.Minute
)

// LongDuration is a time.Duration written in JSON as a string: in whole
// days when it is whole days ("30d"), otherwise as FormatDuration writes
// it ("36h"). It reads what ParseLongDuration reads.
type LongDuration time.Duration

// String writes "30d" for whole days, otherwise FormatDuration's form.
func (d LongDuration) String() string {
	v := time.Duration(d)
	if v > 0 && v%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(v/(24*time.Hour)), 10) + "d"
	}
	return FormatDuration(v)
}

// MarshalJSON writes the duration as a string.
func (d LongDuration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads "7d", "36h" or "0".
func (d *LongDuration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return valueError(*d, "must be a duration such as \"7d\" or \"36h\"")
	}
	if s == "0" {
		*d = 0
		return nil
	}
	v, err := ParseLongDuration(s)
	if err != nil {
		return valueError(*d, "%s", err)
	}
	*d = LongDuration(v)
	return nil
}

// ValidateRetention checks a retention, naming field: 0 (keep everything)
// or at least MinRetention.
func ValidateRetention(field string, d time.Duration) error {
	if d != 0 && d < MinRetention {
		return Errorf(EINVALID, "%s: must be 0 (keep everything) or at least %s, got %s", field, FormatDuration(MinRetention), FormatDuration(d))
	}
	return nil
}

// ParseRetentionJSON reads the retention of a tenant from a request body
// field: absent (nil) leaves it as it is (set false), null is the server's
// default (nil), a string such as "7d" its own.
func ParseRetentionJSON(raw json.RawMessage) (r *LongDuration, set bool, err error) {
	if raw == nil {
		return nil, false, nil
	}
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil, true, nil
	}
	var d LongDuration
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, true, Errorf(EINVALID, "retention: must be null or a duration such as \"7d\" or \"36h\"")
	}
	return &d, true, nil
}

// PruneParams says what HistoryStore.PruneHistory removes: the events of
// Tenancy older than their retention at Now, with their deliveries and
// their attempts. An event's retention is its tenant's own
// (Tenant.Retention) or, for the platform's events and the tenants
// without one, Retention; a retention of 0 keeps everything. An event
// goes only when it was created before Now minus its retention, none of
// its deliveries is pending (waiting for a first attempt or a retry), and
// none was attempted since then; the deliveries of an all_tenants
// webhook go with their event, by the event's tenant.
type PruneParams struct {
	Tenancy Tenancy
	Now     time.Time
	// Retention is the server's retention (--retention); 0 keeps the
	// rows that follow it.
	Retention time.Duration
	// Limit is the most events this call removes, in one transaction;
	// zero means PruneBatch.
	Limit int
}

// Batch returns Limit, or PruneBatch when it is not set.
func (p *PruneParams) Batch() int {
	if p.Limit <= 0 {
		return PruneBatch
	}
	return p.Limit
}

// PruneResult counts the rows one PruneHistory call removed.
type PruneResult struct {
	Events     int `json:"events"`
	Deliveries int `json:"deliveries"`
	Attempts   int `json:"attempts"`
}

// Add adds o to r.
func (r *PruneResult) Add(o PruneResult) {
	r.Events += o.Events
	r.Deliveries += o.Deliveries
	r.Attempts += o.Attempts
}

// TableStats is the size of one table of the database: its rows and its
// approximate bytes on disk, with its indexes.
type TableStats struct {
	Table string `json:"table"`
	Rows  int64  `json:"rows"`
	Bytes int64  `json:"bytes"`
}

// Stats is the answer of GET /v1/stats and "herald stats": the size of
// each of Herald's tables, by name, so that operators can size the
// retention window.
type Stats struct {
	// Engine is "sqlite" or "postgres".
	Engine string `json:"engine"`
	// Method says how Bytes was measured: "dbstat" (SQLite's dbstat
	// table: the pages each table and its indexes use) or
	// "pg_total_relation_size" (PostgreSQL: the table with its indexes
	// and TOAST). Rows are exact counts on both.
	Method string       `json:"method"`
	Tables []TableStats `json:"tables"`
	// TotalBytes is the database's size: the SQLite file's pages, or
	// pg_database_size.
	TotalBytes int64 `json:"total_bytes"`
}

// HistoryStore prunes the history that grows with traffic and reports
// the size of the database.
type HistoryStore interface {
	// PruneHistory removes at most p.Batch() events that their retention
	// lets go (see PruneParams), with their deliveries and attempts, in
	// one transaction, and counts what it removed. Call it again until
	// Events is below the batch.
	PruneHistory(ctx context.Context, p PruneParams) (PruneResult, error)
	// Stats reports the rows and the approximate bytes of every table.
	Stats(ctx context.Context) (*Stats, error)
}
