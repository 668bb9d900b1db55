package herald

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Event catalogue limits.
const (
	// MaxEventTypeSchema is the largest schema of an event type, in bytes.
	MaxEventTypeSchema = 64 << 10
	// MaxEventTypeExample is the largest example of an event type, in bytes.
	MaxEventTypeExample = 64 << 10
)

// EventType is an entry of the platform's event catalogue: the name of an
// event type, what it means, the JSON Schema (2020-12) its data must
// satisfy and an example of its data. The catalogue belongs to the
// platform: every tenant reads it, only platform admin keys change it.
// Every change makes a new version; the old ones are kept in Versions.
type EventType struct {
	// Name is an event type name (see ValidateEventType).
	Name string `json:"name"`
	// Description says what the event means, "" by default.
	Description string `json:"description"`
	// Schema is a JSON Schema for the event's data, null (no check) by
	// default.
	Schema json.RawMessage `json:"schema"`
	// Example is an example of the event's data, null by default.
	Example json.RawMessage `json:"example"`
	// Deprecated marks a type that should no longer be used; false by
	// default. Events of a deprecated type are still accepted.
	Deprecated bool `json:"deprecated"`
	// Version counts the changes: 1 for a new type.
	Version int `json:"version"`
	// Versions is the history, oldest first, set by
	// EventTypeStore.EventType when asked for.
	Versions  []*EventTypeVersion `json:"versions,omitempty"`
	CreatedAt time.Time           `json:"created_at"`
	UpdatedAt time.Time           `json:"updated_at"`
}

// EventTypeVersion is one version of an event type as it was written.
type EventTypeVersion struct {
	Version     int             `json:"version"`
	Description string          `json:"description"`
	Schema      json.RawMessage `json:"schema"`
	Example     json.RawMessage `json:"example"`
	Deprecated  bool            `json:"deprecated"`
	CreatedAt   time.Time       `json:"created_at"`
}

// Same reports whether t and o say the same thing: the fields a change
// is made of (description, schema, example, deprecated) are equal.
func (t *EventType) Same(o *EventType) bool {
	return t.Description == o.Description && t.Deprecated == o.Deprecated &&
		bytes.Equal(rawOrNull(t.Schema), rawOrNull(o.Schema)) && bytes.Equal(rawOrNull(t.Example), rawOrNull(o.Example))
}

func rawOrNull(b json.RawMessage) []byte {
	if b = bytes.TrimSpace(b); len(b) == 0 {
		return []byte("null")
	}
	return b
}

// Validate checks the name and the sizes of an event type and writes an
// absent schema or example as null. Whether the schema is a valid JSON
// Schema is checked by the caller that compiles it.
func (t *EventType) Validate() error {
	if err := ValidateEventType(t.Name); err != nil {
		return EventTypeError("name", err)
	}
	if len(t.Description) > MaxDescriptionLen {
		return Errorf(EINVALID, "description: at most %d characters", MaxDescriptionLen)
	}
	if err := ValidateName("description", t.Description); err != nil {
		return err
	}
	t.Schema, t.Example = rawOrNull(t.Schema), rawOrNull(t.Example)
	if len(t.Schema) > MaxEventTypeSchema {
		return Errorf(ETOOLARGE, "schema: at most %d bytes", MaxEventTypeSchema)
	}
	if len(t.Example) > MaxEventTypeExample {
		return Errorf(ETOOLARGE, "example: at most %d bytes", MaxEventTypeExample)
	}
	if !json.Valid(t.Schema) || (t.Schema[0] != '{' && t.Schema[0] != 't' && t.Schema[0] != 'f' && t.Schema[0] != 'n') {
		return Errorf(EINVALID, "schema: must be a JSON Schema object, a boolean or null")
	}
	if !json.Valid(t.Example) || (t.Example[0] != '{' && t.Example[0] != 'n') {
		return Errorf(EINVALID, "example: must be a JSON object or null")
	}
	return nil
}

// HasSchema reports whether the type's data is checked: its schema is
// not null.
func (t *EventType) HasSchema() bool {
	s := rawOrNull(t.Schema)
	return !bytes.Equal(s, []byte("null"))
}

// PutEventTypeParams creates or changes an event type.
type PutEventTypeParams struct {
	// Type holds the name and the new description, schema, example and
	// deprecated flag; Version and the times are set by the store.
	Type *EventType
	// Now is the time of the change.
	Now time.Time
}

// PutEventTypeResult is what a put did.
type PutEventTypeResult struct {
	// Type is the stored type, after the put.
	Type *EventType
	// Created is true when the type is new.
	Created bool
	// Changed is true when a new version was written: false when the put
	// said nothing new.
	Changed bool
}

// EventTypeRef names an event type.
type EventTypeRef struct {
	Name string
	// Versions asks for the history as well.
	Versions bool
}

// EventTypeFilter selects event types, by name.
type EventTypeFilter struct {
	// Prefix, when set, keeps the names that start with it.
	Prefix string
}

// EnsureEventTypesParams adds the types of a catalogue that are missing.
type EnsureEventTypesParams struct {
	// Types are added when no type of their name exists; existing ones are
	// left as they are.
	Types []*EventType
	Now   time.Time
}

// EventTypeStore keeps the event catalogue. It is the platform's: its rows
// belong to no tenant, every tenant reads them and only platform admins
// change them (the API confines the writes).
type EventTypeStore interface {
	// PutEventType creates a type at version 1 or, when it says something
	// new, writes it as the next version, keeping the old one in the
	// history.
	PutEventType(ctx context.Context, p PutEventTypeParams) (PutEventTypeResult, error)
	// EventType returns one type, with its versions when asked.
	EventType(ctx context.Context, ref EventTypeRef) (*EventType, error)
	// ListEventTypes returns the types, by name, without versions.
	ListEventTypes(ctx context.Context, f EventTypeFilter) ([]*EventType, error)
	// DeleteEventType removes a type and its history.
	DeleteEventType(ctx context.Context, ref EventTypeRef) error
	// EnsureEventTypes adds the missing types of p.Types, at version 1,
	// and returns how many it added.
	EnsureEventTypes(ctx context.Context, p EnsureEventTypesParams) (int, error)
}

// WebhookCreated is the answer to a webhook create: the webhook, with its
// secret, and Warnings about it (never nil).
type WebhookCreated struct {
	*Webhook
	// Warnings name each pattern of Events that matches no type of the
	// event catalogue: the webhook is created all the same, since events
	// of any type may be published unless --strict-event-types is set.
	Warnings []string `json:"warnings"`
}

// PatternWarnings returns a warning for each pattern that matches none of
// the catalogue's types, in the patterns' order; none for "*".
func PatternWarnings(patterns []string, types []*EventType) []string {
	out := []string{}
	for _, p := range patterns {
		matched := false
		for _, t := range types {
			if MatchPattern(p, t.Name) {
				matched = true
				break
			}
		}
		if !matched {
			out = append(out, fmt.Sprintf("events: %q matches no type of the event catalogue (GET /v1/event-types)", p))
		}
	}
	return out
}
