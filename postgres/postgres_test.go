package postgres_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/pgtest"
	"github.com/heraldhq/herald/postgres"
	"github.com/heraldhq/herald/queue"
	"github.com/heraldhq/herald/storetest"
)

// freshSchema is pgtest.Schema.
func freshSchema(t *testing.T) (string, string) { return pgtest.Schema(t) }

// openURL opens a store at u and closes it when the test ends (before the
// schema is dropped, as cleanups run last first). Migrating a fresh schema
// may wait a while when go test ./... runs the server's PostgreSQL tests
// beside these, hence the generous bound.
func openURL(t *testing.T, u string, opts postgres.Options) *postgres.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	db, err := postgres.Open(ctx, u, opts)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func open(t *testing.T) herald.Store {
	t.Helper()
	_, u := freshSchema(t)
	return openURL(t, u, postgres.Options{})
}

func TestConformance(t *testing.T) {
	pgtest.BaseURL(t)
	storetest.Run(t, open)
}

// Nodes that start at once all migrate the same schema: the advisory lock
// lets one apply the migrations and the others find nothing pending. The
// race is run on a few fresh schemas, as one start may happen to be
// staggered enough to pass without the lock.
func TestConcurrentOpen(t *testing.T) {
	for round := range 3 {
		name, u := freshSchema(t)
		const nodes = 8
		var (
			wg   sync.WaitGroup
			dbs  [nodes]*postgres.DB
			errs [nodes]error
		)
		for i := range nodes {
			wg.Go(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				dbs[i], errs[i] = postgres.Open(ctx, u, postgres.Options{})
			})
		}
		wg.Wait()
		for i := range nodes {
			if dbs[i] != nil {
				t.Cleanup(func() { dbs[i].Close() })
			}
			if errs[i] != nil {
				t.Fatalf("round %d: open %d: %v", round, i, errs[i])
			}
			if err := dbs[i].Ready(context.Background()); err != nil {
				t.Fatalf("round %d: ready %d: %v", round, i, err)
			}
		}
		pgtest.Admin(t, `DO $$ BEGIN
			IF (SELECT count(*) FROM `+name+`.goose_db_version WHERE version_id = 1) <> 1 THEN
				RAISE 'migration 1 recorded more than once';
			END IF;
		END $$`)
	}
}

// Two nodes starting on an empty database both try to create the first
// admin key, from several goroutines each; exactly one key is made. The
// race is run a few times over, emptying the table in between.
func TestConcurrentFirstAPIKey(t *testing.T) {
	name, u := freshSchema(t)
	nodes := []*postgres.DB{openURL(t, u, postgres.Options{}), openURL(t, u, postgres.Options{})}
	for round := range 5 {
		pgtest.Admin(t, "DELETE FROM "+name+".api_keys")
		const tries = 16
		var (
			wg      sync.WaitGroup
			start   = make(chan struct{})
			mu      sync.Mutex
			created int
		)
		for i := range tries {
			wg.Go(func() {
				<-start
				ok, err := nodes[i%2].CreateFirstAPIKey(context.Background(), herald.NewAPIKey("admin", herald.ScopeAdmin, time.Now()))
				if err != nil {
					t.Errorf("first key %d: %v", i, err)
				}
				if ok {
					mu.Lock()
					created++
					mu.Unlock()
				}
			})
		}
		close(start)
		wg.Wait()
		keys, err := nodes[0].ListAPIKeys(context.Background(), herald.APIKeyFilter{Tenancy: herald.AnyTenant()})
		if err != nil {
			t.Fatal(err)
		}
		if created != 1 || len(keys) != 1 {
			t.Fatalf("round %d: %d calls reported creating a key and %d keys exist; want 1 and 1", round, created, len(keys))
		}
	}
}

// Ready fails while the schema lacks Herald's newest migration, and when it
// has no migrations at all.
func TestReadyUnmigrated(t *testing.T) {
	name, u := freshSchema(t)
	db := openURL(t, u, postgres.Options{})
	ctx := context.Background()
	if err := db.Ready(ctx); err != nil {
		t.Fatalf("ready after open: %v", err)
	}
	pgtest.Admin(t, "DELETE FROM "+name+".goose_db_version WHERE version_id > 0")
	err := db.Ready(ctx)
	if herald.ErrorCode(err) != herald.EUNAVAILABLE || !strings.Contains(herald.ErrorMessage(err), "at migration 0 of ") {
		t.Fatalf("ready with migration 1 missing: %v", err)
	}
	pgtest.Admin(t, "DROP TABLE "+name+".goose_db_version")
	err = db.Ready(ctx)
	if herald.ErrorCode(err) != herald.EUNAVAILABLE || !strings.Contains(herald.ErrorMessage(err), "not migrated") {
		t.Fatalf("ready without a version table: %v", err)
	}
}

// Two nodes publishing one event ID at once make one event: the loser waits
// for the winner's insert and returns its event and deliveries.
func TestConcurrentPublishSameID(t *testing.T) {
	_, u := freshSchema(t)
	nodes := []*postgres.DB{openURL(t, u, postgres.Options{}), openURL(t, u, postgres.Options{})}
	ctx := context.Background()
	storetest.NewWebhook(t, nodes[0], []string{"*"})
	const tries = 8
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		res   [tries]*herald.PublishResult
	)
	for i := range tries {
		wg.Go(func() {
			<-start
			var err error
			res[i], err = nodes[i%2].PublishEvent(ctx, herald.PublishParams{ID: "order-7", Type: "agent.status", Data: json.RawMessage(`{}`)})
			if err != nil {
				t.Errorf("publish %d: %v", i, err)
			}
		})
	}
	close(start)
	wg.Wait()
	created := 0
	for i, r := range res {
		if r == nil {
			t.FailNow()
		}
		if r.Created {
			created++
		}
		if len(r.Deliveries) != 1 || r.Deliveries[0].ID != res[0].Deliveries[0].ID {
			t.Fatalf("publish %d returned deliveries %+v, want the one of the first event", i, r.Deliveries)
		}
	}
	if created != 1 {
		t.Fatalf("%d publishes created the event, want 1", created)
	}
	if n, err := nodes[0].QueueDepth(ctx); err != nil || n != 1 {
		t.Fatalf("queue depth %d (%v), want 1", n, err)
	}
}

// Event data is kept byte for byte (json, not jsonb), and times come back in
// UTC at the microsecond.
func TestEventDataKeptExactly(t *testing.T) {
	_, u := freshSchema(t)
	db := openURL(t, u, postgres.Options{})
	ctx := context.Background()
	storetest.NewWebhook(t, db, []string{"*"})
	data := `{"zeta":1,"a":[1.50,2e3,-0],"nested":{"b":null,"a":"\u00e9\u0000"},"dup":1,"dup":2}`
	now := time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.FixedZone("X", 3600))
	res, err := db.PublishEvent(ctx, herald.PublishParams{Type: "agent.status", Data: json.RawMessage(data), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := db.Event(ctx, herald.Ref{Tenancy: herald.AnyTenant(), ID: res.Event.ID})
	if err != nil {
		t.Fatal(err)
	}
	task, err := db.DeliveryTask(ctx, herald.Ref{Tenancy: herald.AnyTenant(), ID: res.Deliveries[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	if string(ev.Data) != data || string(task.Event.Data) != data {
		t.Fatalf("data came back as %s and %s, want %s", ev.Data, task.Event.Data, data)
	}
	want := now.UTC().Truncate(time.Microsecond)
	for name, got := range map[string]time.Time{"event": ev.Created, "delivery": ev.Deliveries[0].CreatedAt,
		"task event": task.Event.Created, "webhook": task.Webhook.CreatedAt} {
		if got.Location() != time.UTC {
			t.Errorf("%s time %v is not in UTC", name, got)
		}
		if name != "webhook" && !got.Equal(want) {
			t.Errorf("%s time %v, want %v", name, got, want)
		}
	}
	if !res.Event.Created.Equal(want) {
		t.Errorf("published time %v, want %v as stored", res.Event.Created, want)
	}
}

// Migrate brings an empty schema to the newest migration, and is a no-op
// the second time.
func TestMigrate(t *testing.T) {
	name, u := freshSchema(t)
	ctx := context.Background()
	for range 2 {
		if err := postgres.Migrate(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	pgtest.Admin(t, "SELECT 1 FROM "+name+".webhooks, "+name+".river_job, "+name+".goose_db_version")

	missing := strings.Replace(u, "search_path="+name, "search_path="+name+"_missing", 1)
	if err := postgres.Migrate(ctx, missing); err == nil || !strings.Contains(err.Error(), "create it first") {
		t.Fatalf("migrate into a missing schema: %v", err)
	}
}

// A job inserted with the publish transaction reaches a started worker
// through LISTEN/NOTIFY, long before the next poll would find it.
func TestWorkerWokenByNotify(t *testing.T) {
	_, u := freshSchema(t)
	got := make(chan string, 1)
	workers := river.NewWorkers()
	river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, job *river.Job[queue.DeliveryArgs]) error {
		got <- job.Args.DeliveryID
		return nil
	}))
	db := openURL(t, u, postgres.Options{Queue: queue.Config{Workers: workers, PollInterval: time.Minute}})
	ctx := context.Background()
	if err := db.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := db.Stop(stopCtx); err != nil {
			t.Errorf("stop: %v", err)
		}
	}()
	storetest.NewWebhook(t, db, []string{"*"})
	// Let the producer make its first fetch, so that only a notification
	// can bring the job in time.
	time.Sleep(500 * time.Millisecond)
	res, err := db.PublishEvent(ctx, herald.PublishParams{Type: "agent.status", Data: json.RawMessage(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case id := <-got:
		if id != res.Deliveries[0].ID {
			t.Fatalf("worker got %q, want %q", id, res.Deliveries[0].ID)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the job was not worked within 10s")
	}
}

// An invalid URL fails Open without connecting.
func TestOpenBadURL(t *testing.T) {
	_, err := postgres.Open(context.Background(), "postgres://u:secret@host:notaport/db", postgres.Options{})
	if err == nil || strings.Contains(err.Error(), "secret") {
		t.Fatalf("open of a bad URL: %v", err)
	}
}

// TestRequeueDeadNodes leaves jobs running on a dead node, on a live one
// and on a client with no heartbeat row: RequeueDeadNodes makes only the
// dead node's available, and forgets that node.
func TestRequeueDeadNodes(t *testing.T) {
	ctx := context.Background()
	_, u := freshSchema(t)
	db := openURL(t, u, postgres.Options{})
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if err := db.Heartbeat(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO herald_nodes (id, heartbeat_at) VALUES ('dead', now() - interval '1 minute')`); err != nil {
		t.Fatal(err)
	}
	for _, by := range []string{"{dead}", "{dead," + db.NodeID() + "}", "{" + db.NodeID() + ",dead}", "{ghost}"} {
		if _, err := conn.Exec(ctx, `INSERT INTO river_job (args, kind, max_attempts, queue, state, attempt, attempted_at, attempted_by)
			VALUES ('{}', 'test', 25, 'q', 'running', 2, now(), $1)`, by); err != nil {
			t.Fatal(err)
		}
	}
	r, err := db.RequeueDeadNodes(ctx, postgres.RequeueDeadParams{DeadAfter: 20 * time.Second})
	if err != nil || r != (postgres.RequeueDeadResult{Nodes: 1, Jobs: 2}) {
		t.Fatalf("RequeueDeadNodes = %+v, %v; want 1 node, 2 jobs", r, err)
	}
	rows, _ := conn.Query(ctx, `SELECT state || '/' || attempt FROM river_job ORDER BY id`)
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if want := []string{"available/2", "running/2", "available/2", "running/2"}; err != nil || !slices.Equal(got, want) {
		t.Fatalf("jobs: %v, %v; want %v", got, err, want)
	}
	var nodes []string
	rows, _ = conn.Query(ctx, `SELECT id FROM herald_nodes`)
	if nodes, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil || !slices.Equal(nodes, []string{db.NodeID()}) {
		t.Fatalf("nodes after the sweep: %v, %v; want only %s", nodes, err, db.NodeID())
	}
	if r, err := db.RequeueDeadNodes(ctx, postgres.RequeueDeadParams{DeadAfter: 20 * time.Second}); err != nil || r.Jobs != 0 {
		t.Fatalf("second RequeueDeadNodes = %+v, %v", r, err)
	}
}

// TestNodeHeartbeatLifecycle starts a node that works jobs: it has a row in
// herald_nodes, whose heartbeat moves on, and a graceful stop removes it.
func TestNodeHeartbeatLifecycle(t *testing.T) {
	ctx := context.Background()
	_, u := freshSchema(t)
	db := openURL(t, u, postgres.Options{NodeHeartbeat: 20 * time.Millisecond,
		Queue: queue.Config{Workers: river.NewWorkers()}})
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	beat := func() (time.Time, error) {
		var at time.Time
		err := conn.QueryRow(ctx, `SELECT heartbeat_at FROM herald_nodes WHERE id = $1`, db.NodeID()).Scan(&at)
		return at, err
	}
	if _, err := beat(); err == nil {
		t.Fatal("a node has a heartbeat before Start")
	}
	if err := db.Start(ctx); err != nil {
		t.Fatal(err)
	}
	first, err := beat()
	if err != nil {
		t.Fatalf("no heartbeat after Start: %v", err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if at, err := beat(); err == nil && at.After(first) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the heartbeat did not move on")
		}
	}
	stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.Stop(stopCtx); err != nil {
		t.Fatal(err)
	}
	if _, err := beat(); err == nil {
		t.Fatal("a stopped node still has its row")
	}
}
