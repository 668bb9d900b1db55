package herald

import (
	"bytes"
	"context"
	"encoding/json"
	"time"
)

// Pagination defaults for every list.
const (
	DefaultLimit = 50
	MaxLimit     = 1000
)

// MaxEventIDLen is the longest client-given event id (idempotency key).
const MaxEventIDLen = 128

// Event is something that happened, published once and delivered to every
// matching webhook. Data is a JSON object kept in the JavaScript-compatible
// canonical form the deliveries carry (see package jsjson).
type Event struct {
	ID string `json:"id"`
	// TenantID owns the event: "" for the platform's own.
	TenantID TenantID        `json:"tenant_id"`
	Type     string          `json:"type"`
	Data     json.RawMessage `json:"data"`
	Created  time.Time       `json:"-"`
	// OrderingKey is the key the event was published with, which orders
	// its deliveries to webhooks of ordering "key" (see OrderingKey); ""
	// for none.
	OrderingKey string `json:"-"`
	// Deliveries is filled by the single-event read.
	Deliveries []*Delivery `json:"-"`
}

// TimestampFormat is how event and delivery timestamps are written in
// payloads: RFC 3339 in UTC with microseconds, "2024-01-15T11:45:00.000000Z".
const TimestampFormat = "2006-01-02T15:04:05.000000Z"

// eventJSON is the wire form of an Event: created in unix seconds (seed
// SwiftClaw) and timestamp in TimestampFormat (seed 004).
type eventJSON struct {
	ID          string          `json:"id"`
	TenantID    TenantID        `json:"tenant_id"`
	Type        string          `json:"type"`
	Created     int64           `json:"created"`
	Timestamp   string          `json:"timestamp"`
	Data        json.RawMessage `json:"data"`
	OrderingKey string          `json:"ordering_key,omitempty"`
	Deliveries  []*Delivery     `json:"deliveries,omitempty"`
}

// MarshalJSON writes {id, tenant_id, type, created, timestamp, data,
// ordering_key (when set), deliveries},
// leaving data's bytes as they are (no HTML escaping).
func (e *Event) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	err := enc.Encode(eventJSON{e.ID, e.TenantID, e.Type, e.Created.Unix(), e.Created.UTC().Format(TimestampFormat), e.Data, e.OrderingKey, e.Deliveries})
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), err
}

// UnmarshalJSON reads what MarshalJSON writes.
func (e *Event) UnmarshalJSON(b []byte) error {
	var v eventJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	created := time.Unix(v.Created, 0).UTC()
	if t, err := time.Parse(TimestampFormat, v.Timestamp); err == nil {
		created = t
	}
	*e = Event{ID: v.ID, TenantID: v.TenantID, Type: v.Type, Data: v.Data, Created: created, OrderingKey: v.OrderingKey, Deliveries: v.Deliveries}
	return nil
}

// AgentID returns the event's agent: EventAgentID of its data.
func (e *Event) AgentID() string { return EventAgentID(e.Data) }

// EventAgentID is the one definition of the agent an event is about:
// data.agent_id when it is a non-empty string; otherwise data.agent when it
// is a non-empty string (seed 003's invocation events); otherwise
// data.agent.id when a non-empty string (seed 004's events); otherwise "".
// An agent that is no valid name (ValidateName) counts as none; publishing
// refuses it (ValidateEventAgent). Per-agent webhooks,
// GET /v1/events?agent_id= and alerts all use it.
func EventAgentID(data json.RawMessage) string {
	field, id := eventAgent(data)
	if ValidateName(field, id) != nil {
		return ""
	}
	return id
}

// ValidateEventAgent refuses event data whose agent (as EventAgentID reads
// it) holds a NUL or invalid UTF-8, naming its field (data.agent_id).
func ValidateEventAgent(data json.RawMessage) error {
	return ValidateName(eventAgent(data))
}

// eventAgent returns the field EventAgentID reads and its value.
func eventAgent(data json.RawMessage) (field, id string) {
	var v struct {
		AgentID any `json:"agent_id"`
		Agent   any `json:"agent"`
	}
	if json.Unmarshal(data, &v) != nil {
		return "", ""
	}
	if s, ok := v.AgentID.(string); ok && s != "" {
		return "data.agent_id", s
	}
	switch a := v.Agent.(type) {
	case string:
		return "data.agent", a
	case map[string]any:
		s, _ := a["id"].(string)
		return "data.agent.id", s
	}
	return "", ""
}

// PublishParams is an event to publish. ID is an optional idempotency key: a
// second publish with the same ID returns the first event and fans out
// nothing. WebhookID, when set, sends the event to that webhook alone and
// regardless of its patterns (test events).
type PublishParams struct {
	// TenantID owns the event: it fans out to that tenant's matching
	// webhooks and to the platform's all_tenants ones; "" is the
	// platform's, which fan out to the platform's webhooks. The event ID
	// is unique per tenant.
	TenantID  string
	ID        string
	Type      string
	Data      json.RawMessage
	WebhookID string
	// ExcludeWebhookID, when set, is a webhook the event never goes to
	// (the endpoint an operational event is about).
	ExcludeWebhookID string
	// OrderingKey orders the event's deliveries to webhooks of ordering
	// "key" among those of the same key (see OrderingKey); "" for none.
	OrderingKey string
	Now         time.Time
}

// PublishResult is what a publish did: the stored event, its deliveries,
// and whether it was new (false when the ID had been published before).
type PublishResult struct {
	Event      *Event
	Deliveries []*Delivery
	Created    bool
}

// ValidateEventID checks a client-given event id: 1 to MaxEventIDLen
// characters of [A-Za-z0-9_.:-].
func ValidateEventID(id string) error {
	if len(id) == 0 || len(id) > MaxEventIDLen {
		return Errorf(EINVALID, "id: must be from 1 to %d characters", MaxEventIDLen)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == ':') {
			return Errorf(EINVALID, "id: must hold only letters, digits and _ - . :")
		}
	}
	return nil
}

// EventFilter selects events in a list: by exact type when Type is set, and
// by agent (EventAgentID of the data) when AgentID is set.
type EventFilter struct {
	Tenancy Tenancy
	Type    string
	AgentID string
	Skip    int
	Limit   int
}

// Page clamps skip and limit to their defaults and bounds.
func Page(skip, limit int) (int, int) {
	if skip < 0 {
		skip = 0
	}
	if limit <= 0 {
		limit = DefaultLimit
	} else if limit > MaxLimit {
		limit = MaxLimit
	}
	return skip, limit
}

// EventTypeError wraps an event type validation error as EINVALID naming
// the field.
func EventTypeError(field string, err error) error {
	return Errorf(EINVALID, "%s: %s", field, err)
}

// PublishAnswer is the answer of POST /v1/events: the event's ID and Type,
// Created in unix seconds, Timestamp in TimestampFormat, and how many
// deliveries it started (202 for a new event, 200 for an ID seen before).
type PublishAnswer struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	Created    int64  `json:"created"`
	Timestamp  string `json:"timestamp"`
	Deliveries int    `json:"deliveries"`
}

// EventStore publishes and reads events.
type EventStore interface {
	// PublishEvent stores an event for p.TenantID and, in the same
	// transaction, one pending delivery per matching active webhook (of
	// the tenant, and the platform's all_tenants ones) and one queued job
	// per delivery. An ID the tenant published before returns the first
	// event with Created false.
	PublishEvent(ctx context.Context, p PublishParams) (*PublishResult, error)
	// Event returns one event with its deliveries. An event id is unique
	// per tenant only: with AnyTenant, the newest event of that id.
	Event(ctx context.Context, ref Ref) (*Event, error)
	// ListEvents returns a page of events, newest first, and the total.
	ListEvents(ctx context.Context, f EventFilter) ([]*Event, int, error)
	// CountEventDeliveries returns how many deliveries within p.Tenancy
	// each of p.Events has. An event without any (or unknown) is absent
	// from the map.
	CountEventDeliveries(ctx context.Context, p DeliveryCountParams) (map[EventKey]int, error)
}

// EventKey names one event: an event id is unique per tenant only.
type EventKey struct {
	TenantID TenantID
	ID       string
}

// Key returns the EventKey of e.
func (e *Event) Key() EventKey { return EventKey{TenantID: e.TenantID, ID: e.ID} }

// MaxCountEvents bounds the events of one CountEventDeliveries call: 1000.
const MaxCountEvents = MaxLimit

// DeliveryCountParams asks how many deliveries each of Events has,
// counting only the deliveries within Tenancy (as Event lists them); at
// most MaxCountEvents events.
type DeliveryCountParams struct {
	Tenancy Tenancy
	Events  []EventKey
}
