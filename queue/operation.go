package queue

import (
	"github.com/riverqueue/river"

	"github.com/heraldhq/herald"
)

// OperationQueue is the River queue that holds operation jobs (recover,
// replay, replay-missing); its few workers keep bulk re-sends from taking
// the delivery workers.
const OperationQueue = "operations"

// OperationWorkers is how many operations run at once on one node: 2.
const OperationWorkers = 2

// OperationArgs is the River job that works through one operation.
type OperationArgs struct {
	OperationID string `json:"operation_id"`
}

// Kind names the job in River.
func (OperationArgs) Kind() string { return "herald.operation" }

// InsertOpts puts operation jobs on OperationQueue. MaxAttempts bounds
// retries after infrastructure failures (a database error, a crash); each
// run resumes after the last batch that committed.
func (OperationArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: OperationQueue, MaxAttempts: 10}
}

// OperationJob is the job of the operation id, for
// herald.CreateOperationParams.Job.
func OperationJob(id string) herald.JobArgs { return OperationArgs{OperationID: id} }

// OperationQueues returns the queue operations run on, with its workers,
// for Config.Queues.
func OperationQueues() map[string]int { return map[string]int{OperationQueue: OperationWorkers} }
