package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/spf13/cobra"
)

// benchOptions are the flags of "herald bench".
type benchOptions struct {
	events      int
	concurrency int
	rate        int
	cases       string
	slowDelay   time.Duration
	keep        bool
	database    string // "" for a temporary SQLite file, or a postgres:// URL
	nodes       int
	agents      int
	tenants     int
	output      string // "table" or "json" (the global -o)
	exe         string // the herald binary to run; "" for this one
}

func newBenchCmd(cli *cliOptions) *cobra.Command {
	o := benchOptions{}
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Benchmark Herald end to end on this machine",
		Long: `Start Herald (this binary, "herald serve") on a temporary SQLite file and a
receiver on 127.0.0.1, publish events, and report events accepted per second,
deliveries per second end to end, publish-to-arrival latency percentiles and
the server's peak RSS (summed over nodes). Each case runs on a fresh server.

With --database postgres://..., each case runs in a new schema of that
database (dropped afterwards), on --nodes servers that share it; publishers
take the nodes in turn.

Cases:

  single   one webhook
  fanout   ten webhooks, every event to each
  slow     ten webhooks, one of whose endpoints sleeps (--slow-delay); the
           latency reported is the healthy nine's
  paced    one webhook at a steady --rate (default 500 events/s)
  fifo     one webhook with ordering fifo: one delivery at a time, in order;
           what strict order costs against single
  key      one webhook with ordering key, the events spread over 100
           ordering keys: in order within each key, keys in parallel
  ingest   --agents simulated agents (default 100) posting agent-status and
           metrics reports concurrently, --events reports in all, while one
           webhook receives the event of each; it reports ingests/s and the
           latency of the HTTP answers
  tenants  --tenants tenants (default 1000) with three webhooks each, one per
           event type; events are spread across the tenants and types, so
           each is delivered once, as in single
  limit    no Herald: a bare Go client posts --events signed bodies of about
           400 bytes, with Herald's headers, to the same receiver from
           --concurrency workers; what the machine can do, which the other
           cases' figures are a ratio of

With -o json, it writes one JSON object with every case's figures instead of
the table. With --keep, each case's data directory (and schema) is kept, and
its path is printed under the case's row, or given as "data_dir" (and
"schema") in JSON.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cli.checkOutput(); err != nil {
				return err
			}
			o.output = cli.output
			return runBench(cmd.Context(), cmd.OutOrStdout(), o)
		},
	}
	cmd.Flags().IntVar(&o.events, "events", 5000, "events to publish per case")
	cmd.Flags().IntVar(&o.concurrency, "concurrency", 16, "concurrent publishers")
	cmd.Flags().IntVar(&o.rate, "rate", 500, "events per second for the paced case")
	cmd.Flags().StringVar(&o.cases, "cases", "limit,single,fanout,slow,paced,ingest,tenants", "cases to run, comma-separated")
	cmd.Flags().IntVar(&o.agents, "agents", 100, "simulated agents for the ingest case")
	cmd.Flags().IntVar(&o.tenants, "tenants", 1000, "tenants for the tenants case, with three webhooks each")
	cmd.Flags().DurationVar(&o.slowDelay, "slow-delay", 5*time.Second, "how long the slow endpoint sleeps")
	cmd.Flags().BoolVar(&o.keep, "keep", false, "keep the temporary data directories and schemas")
	cmd.Flags().StringVar(&o.database, "database", "", "postgres:// URL to run on instead of a temporary SQLite file")
	cmd.Flags().IntVar(&o.nodes, "nodes", 1, "herald serve nodes sharing the database (PostgreSQL only)")
	return cmd
}

// benchResult is one case's figures.
type benchResult struct {
	name          string
	events        int
	deliveries    int
	acceptedPerS  float64
	deliveredPerS float64
	p50, p95, p99 time.Duration
	peakRSSKiB    int64
	// dataDir and schema are where --keep kept the case's data ("" when
	// not kept or not used).
	dataDir, schema string
}

// benchCaseJSON is one case's figures in -o json.
type benchCaseJSON struct {
	Case          string  `json:"case"`
	Events        int     `json:"events"`
	Deliveries    int     `json:"deliveries"`
	AcceptedPerS  float64 `json:"accepted_per_s"`
	DeliveredPerS float64 `json:"delivered_per_s"`
	P50MS         float64 `json:"p50_ms"`
	P95MS         float64 `json:"p95_ms"`
	P99MS         float64 `json:"p99_ms"`
	PeakRSSKiB    int64   `json:"peak_rss_kib"`
	DataDir       string  `json:"data_dir,omitempty"`
	Schema        string  `json:"schema,omitempty"`
}

// json returns r as -o json writes it.
func (r *benchResult) json() benchCaseJSON {
	msOf := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	return benchCaseJSON{Case: r.name, Events: r.events, Deliveries: r.deliveries, AcceptedPerS: r.acceptedPerS,
		DeliveredPerS: r.deliveredPerS, P50MS: msOf(r.p50), P95MS: msOf(r.p95), P99MS: msOf(r.p99),
		PeakRSSKiB: r.peakRSSKiB, DataDir: r.dataDir, Schema: r.schema}
}

// kept records in r where --keep kept the case's data.
func (r *benchResult) kept(o benchOptions, dir string, nodes *benchNodes) *benchResult {
	if o.keep {
		r.dataDir, r.schema = dir, nodes.schema
	}
	return r
}

// keptLine is the line under a case's row that says where its data is.
func (r *benchResult) keptLine() string {
	if r.dataDir == "" {
		return ""
	}
	s := "         kept: data dir " + r.dataDir
	if r.schema != "" {
		s += ", schema " + r.schema
	}
	return s + "\n"
}

func runBench(ctx context.Context, out io.Writer, o benchOptions) error {
	exe := o.exe
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return fmt.Errorf("find herald binary: %w", err)
		}
	}
	engine := "SQLite"
	switch {
	case o.nodes < 1:
		return fmt.Errorf("nodes: must be at least 1, got %d", o.nodes)
	case o.database == "" && o.nodes > 1:
		return fmt.Errorf("nodes: several nodes need a shared --database postgres://...")
	case o.database != "":
		if !isPostgres(o.database) {
			return fmt.Errorf("database: want a postgres:// URL, got %q", o.database)
		}
		engine = fmt.Sprintf("PostgreSQL, %d node(s)", o.nodes)
	}
	report := struct {
		Engine      string          `json:"engine"`
		Events      int             `json:"events"`
		Concurrency int             `json:"concurrency"`
		Cases       []benchCaseJSON `json:"cases"`
	}{engine, o.events, o.concurrency, []benchCaseJSON{}}
	table := o.output != "json"
	if table {
		fmt.Fprintf(out, "herald bench: %d events per case, %d publishers, %s\n\n", o.events, o.concurrency, engine)
		fmt.Fprintf(out, "%-8s %8s %11s %12s %13s %9s %9s %9s %10s\n",
			"case", "events", "deliveries", "accepted/s", "delivered/s", "p50", "p95", "p99", "peak RSS")
	}
	for _, name := range strings.Split(o.cases, ",") {
		name = strings.TrimSpace(name)
		var shape benchShape
		switch name {
		case "single":
			shape.hooks = 1
		case "fanout":
			shape.hooks = 10
		case "slow":
			shape.hooks, shape.slow = 10, 1
		case "paced":
			shape.hooks, shape.rate = 1, o.rate
		case "fifo":
			shape.hooks, shape.ordering = 1, "fifo"
		case "key":
			shape.hooks, shape.ordering, shape.keys = 1, "key", benchOrderingKeys
		case "tenants":
			if o.tenants < 1 {
				return fmt.Errorf("tenants: must be at least 1, got %d", o.tenants)
			}
			shape.hooks, shape.tenants = tenantBenchHooks, o.tenants
		case "limit":
			r, err := benchLimit(ctx, o)
			if err != nil {
				return fmt.Errorf("case limit: %w", err)
			}
			report.Cases = append(report.Cases, r.json())
			if table {
				fmt.Fprintf(out, "%-8s %8d %11d %12.0f %13.0f %9s %9s %9s %7s       (a bare client, no Herald: the ceiling)\n",
					r.name, r.events, r.deliveries, r.acceptedPerS, r.deliveredPerS, ms(r.p50), ms(r.p95), ms(r.p99), "-")
			}
			continue
		case "ingest":
			r, err := benchIngest(ctx, exe, o)
			if err != nil {
				return fmt.Errorf("case ingest: %w", err)
			}
			report.Cases = append(report.Cases, r.json())
			if table {
				fmt.Fprintf(out, "%-8s %8d %11d %12.0f %13.0f %9s %9s %9s %7d MiB   (ingests; latency of the HTTP answer)\n%s",
					r.name, r.events, r.deliveries, r.acceptedPerS, r.deliveredPerS, ms(r.p50), ms(r.p95), ms(r.p99), r.peakRSSKiB/1024, r.keptLine())
			}
			continue
		default:
			return fmt.Errorf("cases: unknown case %q", name)
		}
		r, err := benchCase(ctx, exe, o, name, shape)
		if err != nil {
			return fmt.Errorf("case %s: %w", name, err)
		}
		report.Cases = append(report.Cases, r.json())
		if table {
			fmt.Fprintf(out, "%-8s %8d %11d %12.0f %13.0f %9s %9s %9s %7d MiB\n%s", r.name, r.events, r.deliveries,
				r.acceptedPerS, r.deliveredPerS, ms(r.p50), ms(r.p95), ms(r.p99), r.peakRSSKiB/1024, r.keptLine())
		}
	}
	if table {
		return nil
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	if err := enc.Encode(report); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	return nil
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64) + "ms"
}

// benchReceiver records when each event first arrives at a healthy endpoint.
type benchReceiver struct {
	mu       sync.Mutex
	arrived  map[string]time.Time
	count    atomic.Int64
	done     chan struct{}
	expected int64
	close    func()
}

// wait waits for the publishers of wg to finish, then for the expected
// requests to arrive at rc, and returns how long after start each of the
// two came. It fails with the first error a publisher sent on errs, when
// ctx is done, or, if timeout is positive, when the requests have not all
// arrived timeout after the publishers finished.
func (rc *benchReceiver) wait(ctx context.Context, wg *sync.WaitGroup, errs <-chan error, start time.Time, timeout time.Duration) (published, elapsed time.Duration, err error) {
	wg.Wait()
	published = time.Since(start)
	select {
	case err := <-errs:
		return 0, 0, err
	default:
	}
	var expired <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expired = t.C
	}
	select {
	case <-rc.done:
	case <-ctx.Done():
		return 0, 0, ctx.Err()
	case <-expired:
		return 0, 0, fmt.Errorf("only %d of %d deliveries arrived", rc.count.Load(), rc.expected)
	}
	return published, time.Since(start), nil
}

// benchShape is what a case of benchCase registers and publishes: hooks
// webhooks (slow of them at the slow endpoint) and events at rate per
// second (0: as fast as the publishers go). With tenants, each of that many
// tenants has hooks webhooks, one per event type, and each event is one
// tenant's (see tenantBenchEvent).
type benchShape struct {
	hooks, slow, rate, tenants int
	// ordering is the webhooks' ordering ("" for none); with keys, the
	// events go round that many ordering keys.
	ordering string
	keys     int
}

// benchOrderingKeys is how many ordering keys the key case spreads its
// events over.
const benchOrderingKeys = 100

func benchCase(ctx context.Context, exe string, o benchOptions, name string, shape benchShape) (*benchResult, error) {
	hooks, slow, rate := shape.hooks, shape.slow, shape.rate
	dir, err := os.MkdirTemp("", "herald-bench-")
	if err != nil {
		return nil, err
	}
	if !o.keep {
		defer os.RemoveAll(dir)
	}
	healthy := hooks - slow
	if shape.tenants > 0 {
		healthy = 1 // each event matches one webhook of its tenant
	}
	rc, receiverAddr, err := startBenchReceiver(int64(o.events*healthy), o.slowDelay)
	if err != nil {
		return nil, err
	}
	defer rc.close()

	nodes, err := startBenchNodes(ctx, exe, o, dir)
	if err != nil {
		return nil, err
	}
	defer nodes.stop()
	base, key := nodes.bases[0], nodes.key
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.concurrency * 2}}
	if shape.tenants > 0 {
		if err := setupBenchTenants(ctx, client, base, key, "http://"+receiverAddr+"/ok", shape.tenants, o.concurrency); err != nil {
			return nil, err
		}
	}
	for i := 0; i < hooks && shape.tenants == 0; i++ {
		path := "/ok"
		if i < slow {
			path = "/slow"
		}
		body := map[string]any{"url": "http://" + receiverAddr + path, "events": []string{"bench.*"}, "timeout_seconds": 30}
		if shape.ordering != "" {
			body["ordering"] = shape.ordering
		}
		if _, err := post(client, base+"/v1/webhooks", key, body); err != nil {
			return nil, err
		}
	}

	sent := make([]time.Time, o.events)
	var next atomic.Int64
	var tick <-chan time.Time
	if rate > 0 {
		t := time.NewTicker(time.Second / time.Duration(rate))
		defer t.Stop()
		tick = t.C
	}
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, o.concurrency)
	for w := 0; w < o.concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				if tick != nil {
					<-tick
				}
				i := int(next.Add(1)) - 1
				if i >= o.events {
					return
				}
				sent[i] = time.Now()
				body := map[string]any{"id": fmt.Sprintf("bench-%s-%d", name, i), "type": "bench.event", "data": map[string]any{"i": i, "agent_id": "bench"}}
				if shape.tenants > 0 {
					body["tenant_id"], body["type"] = tenantBenchEvent(i, shape.tenants)
				}
				if shape.keys > 0 {
					body["ordering_key"] = fmt.Sprintf("k%d", i%shape.keys)
				}
				if _, err := post(client, nodes.bases[i%len(nodes.bases)]+"/v1/events", key, body); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	published, elapsed, err := rc.wait(ctx, &wg, errs, start, 5*time.Minute+o.slowDelay)
	if err != nil {
		return nil, err
	}
	var rss int64
	for _, c := range nodes.cmds {
		rss += peakRSS(c.Process.Pid)
	}

	lat := make([]time.Duration, 0, o.events)
	rc.mu.Lock()
	for i := 0; i < o.events; i++ {
		if at, ok := rc.arrived[fmt.Sprintf("bench-%s-%d", name, i)]; ok {
			lat = append(lat, at.Sub(sent[i]))
		}
	}
	rc.mu.Unlock()
	p50, p95, p99 := percentiles(lat)
	return (&benchResult{
		name: name, events: o.events, deliveries: int(rc.expected),
		acceptedPerS:  float64(o.events) / published.Seconds(),
		deliveredPerS: float64(rc.expected) / elapsed.Seconds(),
		p50:           p50, p95: p95, p99: p99, peakRSSKiB: rss,
	}).kept(o, dir, nodes), nil
}

// percentiles sorts lat and returns its 50th, 95th and 99th percentiles.
func percentiles(lat []time.Duration) (p50, p95, p99 time.Duration) {
	slices.Sort(lat)
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(p*float64(len(lat))))]
	}
	return pct(0.50), pct(0.95), pct(0.99)
}

// startBenchReceiver serves /ok, which records each event's first arrival
// and closes done once expected requests came, and /slow, which answers
// after slowDelay. It returns the receiver and its address.
func startBenchReceiver(expected int64, slowDelay time.Duration) (*benchReceiver, string, error) {
	rc := &benchReceiver{arrived: map[string]time.Time{}, done: make(chan struct{}), expected: expected}
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		id := r.Header.Get("webhook-id")
		now := time.Now()
		rc.mu.Lock()
		if _, ok := rc.arrived[id]; !ok {
			rc.arrived[id] = now
		}
		rc.mu.Unlock()
		if rc.count.Add(1) == rc.expected {
			close(rc.done)
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(slowDelay):
		case <-r.Context().Done():
		}
		w.WriteHeader(http.StatusNoContent)
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	srv := &http.Server{Handler: mux}
	go srv.Serve(l)
	rc.close = func() { _ = srv.Close() }
	return rc, l.Addr().String(), nil
}

// benchNodes are the herald serve processes of one case.
type benchNodes struct {
	cmds  []*exec.Cmd
	bases []string // their base URLs
	key   string   // the admin key
	stops []func()
	// schema is the PostgreSQL schema of the case ("" on SQLite).
	schema string
}

// stop interrupts the nodes, waits for them, and drops the case's schema.
func (n *benchNodes) stop() {
	for _, c := range n.cmds {
		_ = c.Process.Signal(os.Interrupt)
	}
	for _, c := range n.cmds {
		_ = c.Wait()
	}
	for _, f := range n.stops {
		f()
	}
}

// startBenchNodes starts o.nodes servers: on a SQLite file in dir, or in a
// new schema of o.database. The first creates the admin key; the others
// start once it is ready.
func startBenchNodes(ctx context.Context, exe string, o benchOptions, dir string) (_ *benchNodes, err error) {
	n := &benchNodes{}
	defer func() {
		if err != nil {
			n.stop()
		}
	}()
	database := ""
	if o.database != "" {
		var drop func()
		database, drop, err = benchSchema(ctx, o.database)
		if err != nil {
			return nil, err
		}
		if u, perr := url.Parse(database); perr == nil {
			n.schema = u.Query().Get("search_path")
		}
		if !o.keep {
			n.stops = append(n.stops, drop)
		}
	}
	for i := 0; i < o.nodes; i++ {
		addr, err := pickAddr()
		if err != nil {
			return nil, err
		}
		nodeDir := filepath.Join(dir, fmt.Sprintf("node%d", i))
		args := []string{"serve", "--addr", addr, "--data-dir", nodeDir, "--allow-http",
			"--allow-private-targets", "--log-level", "error", "--retry-schedule", "1s"}
		if database != "" {
			args = append(args, "--database", database)
		}
		cmd := exec.CommandContext(ctx, exe, args...)
		cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
		if err := cmd.Start(); err != nil {
			return nil, fmt.Errorf("start herald: %w", err)
		}
		n.cmds = append(n.cmds, cmd)
		base := "http://" + addr
		if err := waitReady(ctx, base); err != nil {
			return nil, err
		}
		n.bases = append(n.bases, base)
		if i == 0 {
			keyBytes, err := os.ReadFile(filepath.Join(nodeDir, "admin.key"))
			if err != nil {
				return nil, err
			}
			n.key = strings.TrimSpace(string(keyBytes))
		}
	}
	return n, nil
}

// benchSchema creates a schema with a fresh name in the database at base,
// and returns base pointed at it and a function that drops it.
func benchSchema(ctx context.Context, base string) (string, func(), error) {
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return "", nil, fmt.Errorf("connect to database: %w", err)
	}
	defer conn.Close(ctx)
	name := fmt.Sprintf("herald_bench_%d", time.Now().UnixNano())
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+name); err != nil {
		return "", nil, fmt.Errorf("create schema: %w", err)
	}
	drop := func() {
		if c, err := pgx.Connect(context.Background(), base); err == nil {
			_, _ = c.Exec(context.Background(), "DROP SCHEMA "+name+" CASCADE")
			_ = c.Close(context.Background())
		}
	}
	u, err := url.Parse(base)
	if err != nil {
		drop()
		return "", nil, fmt.Errorf("parse database URL: %w", err)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String(), drop, nil
}

func pickAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func waitReady(ctx context.Context, base string) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("herald at %s did not become ready", base)
}

func post(c *http.Client, url, key string, body any) ([]byte, error) {
	return send(c, http.MethodPost, url, key, body)
}

// put is post with PUT.
func put(c *http.Client, url, key string, body any) error {
	_, err := send(c, http.MethodPut, url, key, body)
	return err
}

// send makes one API request with key and the JSON of body, and returns
// the answer; a status of 300 or more is an error.
func send(c *http.Client, method, url, key string, body any) ([]byte, error) {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, url, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return nil, fmt.Errorf("%s %s: %d %s", method, url, resp.StatusCode, out)
	}
	return out, nil
}

// peakRSS reads the peak resident set (VmHWM) of a process, in KiB.
func peakRSS(pid int) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return n
		}
	}
	return 0
}
