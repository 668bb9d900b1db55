package api

import (
	"context"

	"github.com/heraldhq/herald"
)

// The fake store's event catalogue is empty.

func (f *fakeStore) ListEventTypes(ctx context.Context, ef herald.EventTypeFilter) ([]*herald.EventType, error) {
	return []*herald.EventType{}, nil
}

func (f *fakeStore) EventType(ctx context.Context, ref herald.EventTypeRef) (*herald.EventType, error) {
	return nil, herald.Errorf(herald.ENOTFOUND, "event type %q not found", ref.Name)
}
