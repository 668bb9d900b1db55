package client

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/heraldhq/herald"
)

// OperationList is a page of operations, newest first.
type OperationList = List[*herald.Operation]

// OperationsService reads operations, the durable jobs that recover and
// replay deliveries: the /v1/operations routes. Use it as
// Client.Operations.
type OperationsService struct{ c *Client }

// Recover queues a new attempt of every delivery of the webhook that ended
// failed in the window (POST /v1/webhooks/{id}/recover). in.Since is
// required: an RFC 3339 time or a duration back from now such as "2h";
// in.Until defaults to now. The webhook must be active. Recovered
// deliveries keep their event, so receivers see the same webhook-id.
func (s *WebhooksService) Recover(ctx context.Context, id string, in herald.WindowInput) (*herald.OperationAnswer, error) {
	return s.startWindow(ctx, "recover", id, in)
}

// ReplayMissing sends the webhook the events of the window that match it
// now but never went to it (POST /v1/webhooks/{id}/replay-missing), as
// new deliveries. in is read as in Recover.
func (s *WebhooksService) ReplayMissing(ctx context.Context, id string, in herald.WindowInput) (*herald.OperationAnswer, error) {
	return s.startWindow(ctx, "replay-missing", id, in)
}

func (s *WebhooksService) startWindow(ctx context.Context, route, id string, in herald.WindowInput) (*herald.OperationAnswer, error) {
	p, err := segment("webhook id", id)
	if err != nil {
		return nil, fmt.Errorf("%s webhook: %w", route, err)
	}
	var out herald.OperationAnswer
	if _, err := s.c.do(ctx, request{method: http.MethodPost, path: "/v1/webhooks/" + p + "/" + route, body: in, out: &out}); err != nil {
		return nil, fmt.Errorf("%s webhook: %w", route, err)
	}
	return &out, nil
}

// Replay sends a past event again, as new deliveries (POST
// /v1/events/{id}/replay): to the webhooks named in in.WebhookIDs, which
// must be active, or, when it is empty, to every webhook that matches the
// event now.
func (s *EventsService) Replay(ctx context.Context, id string, in herald.ReplayInput) (*herald.OperationAnswer, error) {
	p, err := segment("event id", id)
	if err != nil {
		return nil, fmt.Errorf("replay event: %w", err)
	}
	var out herald.OperationAnswer
	if _, err := s.c.do(ctx, request{method: http.MethodPost, path: "/v1/events/" + p + "/replay", body: in, out: &out}); err != nil {
		return nil, fmt.Errorf("replay event: %w", err)
	}
	return &out, nil
}

// Get returns one operation with its progress (GET /v1/operations/{id}).
func (s *OperationsService) Get(ctx context.Context, id string) (*herald.Operation, error) {
	p, err := segment("operation id", id)
	if err != nil {
		return nil, fmt.Errorf("get operation: %w", err)
	}
	var o herald.Operation
	if _, err := s.c.do(ctx, request{method: http.MethodGet, path: "/v1/operations/" + p, out: &o}); err != nil {
		return nil, fmt.Errorf("get operation: %w", err)
	}
	return &o, nil
}

// List returns a page of operations, newest first (GET /v1/operations).
func (s *OperationsService) List(ctx context.Context, opts ListOptions) (*OperationList, error) {
	var out OperationList
	if _, err := s.c.do(ctx, request{method: http.MethodGet, path: "/v1/operations", query: opts.values(nil), out: &out}); err != nil {
		return nil, fmt.Errorf("list operations: %w", err)
	}
	return &out, nil
}

// DefaultWaitInterval is how often Wait reads an operation: every 250ms.
const DefaultWaitInterval = 250 * time.Millisecond

// Wait reads the operation every interval (DefaultWaitInterval when 0 or
// less) until it has succeeded or failed, or ctx ends, and returns it as
// last read.
func (s *OperationsService) Wait(ctx context.Context, id string, interval time.Duration) (*herald.Operation, error) {
	if interval <= 0 {
		interval = DefaultWaitInterval
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		o, err := s.Get(ctx, id)
		if err != nil || o.Finished() {
			return o, err
		}
		select {
		case <-ctx.Done():
			return o, fmt.Errorf("wait for operation %s: %w", id, ctx.Err())
		case <-tick.C:
		}
	}
}
