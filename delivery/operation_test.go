package delivery_test

import (
	"context"
	"errors"
	"testing"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/delivery"
	"github.com/heraldhq/herald/queue"
)

// flakyOps is an OperationStore whose batches fail with a database error.
type flakyOps struct {
	herald.OperationStore
	failed []herald.FailOperationParams
}

func (f *flakyOps) RunOperationBatch(context.Context, herald.OperationBatchParams) (*herald.Operation, error) {
	return nil, errors.New("database is down")
}

func (f *flakyOps) FailOperation(_ context.Context, p herald.FailOperationParams) (*herald.Operation, error) {
	f.failed = append(f.failed, p)
	return &herald.Operation{ID: p.Ref.ID, Status: herald.OperationFailed, Error: p.Error}, nil
}

// TestOperationWorkerGivesUp: a run that fails before its last attempt
// leaves the operation to the next run; the last run ends it failed, with
// the error, so that nobody waits on it for ever.
func TestOperationWorkerGivesUp(t *testing.T) {
	store := &flakyOps{}
	w := &delivery.OperationWorker{Store: store}
	job := func(attempt int) *river.Job[queue.OperationArgs] {
		return &river.Job[queue.OperationArgs]{
			JobRow: &rivertype.JobRow{Attempt: attempt, MaxAttempts: 10},
			Args:   queue.OperationArgs{OperationID: "op_1"},
		}
	}
	if err := w.Work(context.Background(), job(1)); err == nil || len(store.failed) != 0 {
		t.Fatalf("first run: %v, failed %+v", err, store.failed)
	}
	if err := w.Work(context.Background(), job(10)); err == nil || len(store.failed) != 1 ||
		store.failed[0].Ref.ID != "op_1" || !store.failed[0].Ref.Tenancy.IsAny() || store.failed[0].Error == "" {
		t.Fatalf("last run: %v, failed %+v", err, store.failed)
	}
}
