package postgres

import (
	"context"
	"time"

	"github.com/heraldhq/herald"
)

var errInboundTODO = herald.Errorf(herald.EUNSUPPORTED, "inbound webhooks are not implemented on this store yet")

// SaveAgent registers or updates an agent's name and runtime.
func (s *DB) SaveAgent(ctx context.Context, p herald.SaveAgentParams) (*herald.Agent, error) {
	return nil, errInboundTODO
}

// CreateInvocation stores a new invocation.
func (s *DB) CreateInvocation(ctx context.Context, p herald.CreateInvocationParams) error {
	return errInboundTODO
}

// StartInvocation marks a queued invocation running.
func (s *DB) StartInvocation(ctx context.Context, id string, now time.Time) (*herald.Invocation, error) {
	return nil, errInboundTODO
}

// FinishInvocation records an outcome.
func (s *DB) FinishInvocation(ctx context.Context, o herald.InvocationOutcome) (*herald.Invocation, error) {
	return nil, errInboundTODO
}

// Invocation returns one invocation.
func (s *DB) Invocation(ctx context.Context, id string) (*herald.Invocation, error) {
	return nil, errInboundTODO
}

// ListInvocations returns a page of invocations.
func (s *DB) ListInvocations(ctx context.Context, f herald.InvocationFilter) ([]*herald.Invocation, int, error) {
	return nil, 0, errInboundTODO
}

// CreateInboundWebhook stores a named inbound webhook.
func (s *DB) CreateInboundWebhook(ctx context.Context, w *herald.InboundWebhook) error {
	return errInboundTODO
}

// InboundWebhook returns one named inbound webhook.
func (s *DB) InboundWebhook(ctx context.Context, name string) (*herald.InboundWebhook, error) {
	return nil, errInboundTODO
}

// ListInboundWebhooks returns every named inbound webhook.
func (s *DB) ListInboundWebhooks(ctx context.Context) ([]*herald.InboundWebhook, error) {
	return nil, errInboundTODO
}

// UpdateInboundWebhook replaces a named inbound webhook's settings.
func (s *DB) UpdateInboundWebhook(ctx context.Context, w *herald.InboundWebhook) error {
	return errInboundTODO
}

// DeleteInboundWebhook removes a named inbound webhook.
func (s *DB) DeleteInboundWebhook(ctx context.Context, name string) error { return errInboundTODO }

// TouchInboundWebhook sets its last_triggered_at.
func (s *DB) TouchInboundWebhook(ctx context.Context, name string, at time.Time) error {
	return errInboundTODO
}

// RecordInboundRequest appends to the inbound request log.
func (s *DB) RecordInboundRequest(ctx context.Context, r *herald.InboundRequest) error {
	return errInboundTODO
}

// ListInboundRequests returns logged requests.
func (s *DB) ListInboundRequests(ctx context.Context, f herald.InboundRequestFilter) ([]*herald.InboundRequest, error) {
	return nil, errInboundTODO
}

// PruneInboundRequests deletes old logged requests.
func (s *DB) PruneInboundRequests(ctx context.Context, before time.Time) (int, error) {
	return 0, errInboundTODO
}

// ClaimRequestID claims an inbound delivery id.
func (s *DB) ClaimRequestID(ctx context.Context, p herald.ClaimParams) (bool, error) {
	return false, errInboundTODO
}

// SetInboundSecret sets a built-in endpoint's secret.
func (s *DB) SetInboundSecret(ctx context.Context, name, secret string) error { return errInboundTODO }

// InboundSecret returns a built-in endpoint's secret.
func (s *DB) InboundSecret(ctx context.Context, name string) (string, error) {
	return "", errInboundTODO
}
