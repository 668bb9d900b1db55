package sqlite

import (
	"context"
	"database/sql"
	"slices"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivershared/baseservice"
	"github.com/riverqueue/river/rivershared/riverpilot"
	"github.com/riverqueue/river/rivertype"
)

// wakeDriver is River's SQLite driver with two changes, so that the store
// can wake this node's idle workers once a transaction that queued jobs has
// committed.
//
// SQLite has no LISTEN/NOTIFY. River's SQLite driver emulates it with a
// table that its listener polls (every 50ms), and says it supports a
// listener; Herald runs River poll-only (one process owns the file), so
// nothing reads that table, yet every insert still wrote a row to it, and
// because the driver claims a listener River skipped its in-process wake,
// the one it uses after the inserts it commits itself (Client.Insert and
// InsertMany) when a driver has none. A job inserted in a caller's
// transaction (InsertManyTx, InsertManyFastTx), which is how Herald queues
// every delivery so that it commits with its event, waited for the next
// poll: FetchPollInterval, 50ms by default, was the floor of the latency
// from publish to arrival.
//
// So the driver says it has neither a listener nor NOTIFY: River works in
// process, as it does for any poll-only driver (queue controls reach the
// local producers directly, inserts write no notification row). And it
// hands River a pilot that keeps River's own route for waking after a
// commit: riverpilot.PilotInitParams.NotifyNonTxJobInsert, which River
// documents as the function to call "when a client knows that a job has
// become available and the transaction that committed it has finished",
// for poll-only clients. It triggers a fetch on the local producers of the
// named queues through their fetch limiter, so a burst of wakes costs at
// most one fetch per FetchCooldown, and does nothing on a client that works
// no jobs. River passes that function only to a pilot that the driver
// supplies, through its PluginInit and PluginPilot methods: hence this
// wrapper. The pilot is River's StandardPilot, embedded, so nothing else
// changes. Polling stays, as the fallback.
//
// Other routes were weighed: a shorter poll costs a write transaction per
// poll on the one writer; a non-transactional insert after commit would
// queue a job only to wake the queue; a hook on the connection's commit
// would have to guess from SQL text which transactions queued jobs; River's
// SQLite listener polls a table too. The plugin methods are an internal
// River API, so a River upgrade may change them: then the wake stops,
// polling still finds every job, and TestWakeOnCommit fails.
type wakeDriver struct {
	*riversqlite.Driver
	pilot *wakePilot
}

func newWakeDriver(db *sql.DB) *wakeDriver {
	return &wakeDriver{Driver: riversqlite.New(db), pilot: &wakePilot{StandardPilot: &riverpilot.StandardPilot{}}}
}

// SupportsListener reports no listener: River then wakes local producers in
// process.
func (d *wakeDriver) SupportsListener() bool { return false }

// SupportsListenNotify reports no NOTIFY: inserts write no notification row
// that nothing would read.
func (d *wakeDriver) SupportsListenNotify() bool { return false }

// PluginInit is called by river.NewClient; the driver needs nothing from it.
func (d *wakeDriver) PluginInit(*baseservice.Archetype) {}

// PluginPilot returns the pilot that keeps the client's insert notification.
func (d *wakeDriver) PluginPilot() riverpilot.Pilot { return d.pilot }

// wakePilot is River's StandardPilot that keeps the notification function
// River passes it at init.
type wakePilot struct {
	*riverpilot.StandardPilot
	notify func(ctx context.Context, res []*rivertype.JobInsertResult)
}

// PilotInit keeps params.NotifyNonTxJobInsert. River calls it in
// river.NewClient, before the client exists for anyone to write with.
func (p *wakePilot) PilotInit(archetype *baseservice.Archetype, params *riverpilot.PilotInitParams) {
	p.StandardPilot.PilotInit(archetype, params)
	p.notify = params.NotifyNonTxJobInsert
}

// wake tells this node's workers of the queues of jobs that they are there
// to fetch. Call it only once the transaction that inserted jobs has
// committed: a fetch before that would not see them. Jobs scheduled for
// later are left to River's scheduler.
func (d *wakeDriver) wake(jobs []river.InsertManyParams) {
	if d == nil || d.pilot.notify == nil || len(jobs) == 0 {
		return
	}
	var (
		now  = time.Now()
		res  []*rivertype.JobInsertResult
		seen []string // few queues: a slice beats a map
	)
	for _, j := range jobs {
		q, due := jobQueue(j, now)
		if !due || slices.Contains(seen, q) {
			continue
		}
		seen = append(seen, q)
		res = append(res, &rivertype.JobInsertResult{Job: &rivertype.JobRow{Queue: q}})
	}
	if len(res) > 0 {
		d.pilot.notify(context.Background(), res)
	}
}

// jobQueue returns the queue River puts j on, and whether j is due at now,
// resolving its options as River does: the params' own, then its args',
// then the default queue.
func jobQueue(j river.InsertManyParams, now time.Time) (string, bool) {
	var opts river.InsertOpts
	if a, ok := j.Args.(river.JobArgsWithInsertOpts); ok {
		opts = a.InsertOpts()
	}
	if o := j.InsertOpts; o != nil {
		if o.Queue != "" {
			opts.Queue = o.Queue
		}
		if !o.ScheduledAt.IsZero() {
			opts.ScheduledAt = o.ScheduledAt
		}
	}
	if opts.Queue == "" {
		opts.Queue = river.QueueDefault
	}
	return opts.Queue, !opts.ScheduledAt.After(now)
}
