package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// heraldBinary builds the herald binary once per test run.
func heraldBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "herald-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "herald")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// freeAddr returns a loopback address with a port that was free just now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// process is "herald serve" running as a child process.
type process struct {
	cmd    *exec.Cmd
	addr   string
	stderr *logBuffer
	done   chan error
}

// logBuffer is a child process's stderr, safe to read while it writes.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitLog reports whether any of the processes logs s before deadline.
func waitLog(s string, deadline time.Time, ps ...*process) bool {
	for {
		for _, p := range ps {
			if strings.Contains(p.stderr.String(), s) {
				return true
			}
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func startProcess(t *testing.T, dataDir, addr string, extra ...string) *process {
	t.Helper()
	args := append([]string{"serve", "--addr", addr, "--data-dir", dataDir, "--allow-http", "--allow-private-targets",
		"--poll-interval", "20ms", "--log-level", "warn"}, extra...)
	p := &process{cmd: exec.Command(heraldBinary(t), args...), addr: addr, stderr: &logBuffer{}, done: make(chan error, 1)}
	p.cmd.Stderr = p.stderr
	p.cmd.Stdout = io.Discard
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.done
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("herald did not become ready: %s", p.stderr)
		}
		select {
		case err := <-p.done:
			t.Fatalf("herald exited: %v\n%s", err, p.stderr)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// startCluster starts n "herald serve" processes sharing dataDir (for the
// admin key) with flags (a --database among them), and returns them and
// the admin key the first wrote.
func startCluster(t *testing.T, dataDir string, n int, flags ...string) ([]*process, string) {
	t.Helper()
	var nodes []*process
	for i := 0; i < n; i++ {
		nodes = append(nodes, startProcess(t, dataDir, freeAddr(t), flags...))
	}
	keyBytes, err := os.ReadFile(filepath.Join(dataDir, "admin.key"))
	if err != nil {
		t.Fatal(err)
	}
	return nodes, strings.TrimSpace(string(keyBytes))
}

func apiCall(t *testing.T, key, method, url string, body any) (int, []byte) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, url, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// TestCrashLosesNothing queues 300 events to a receiver that is down (it
// takes connections and never answers, so requests are in flight), kills
// the server with SIGKILL, restarts it with default recovery flags and
// brings the receiver up: every event arrives, with distinct webhook-id
// values, within 30 seconds of the restart. The jobs the killed server left
// running are queued again at start, not after --rescue-after.
func TestCrashLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	dataDir := t.TempDir()
	addr := freeAddr(t)
	down, err := net.Listen("tcp", "127.0.0.1:0") // never accepted: requests hang
	if err != nil {
		t.Fatal(err)
	}
	receiverAddr := down.Addr().String()
	flags := []string{"--retry-schedule", "300ms,1s,2s"}
	p := startProcess(t, dataDir, addr, flags...)
	keyBytes, err := os.ReadFile(filepath.Join(dataDir, "admin.key"))
	if err != nil {
		t.Fatal(err)
	}
	key := strings.TrimSpace(string(keyBytes))
	base := "http://" + addr
	status, body := apiCall(t, key, "POST", base+"/v1/webhooks", map[string]any{
		"url": "http://" + receiverAddr + "/hook", "events": []string{"*"}, "max_retries": 10, "timeout_seconds": 5,
	})
	if status != 201 {
		t.Fatalf("create webhook: %d %s", status, body)
	}
	var hook struct{ ID string }
	json.Unmarshal(body, &hook)
	hookID := hook.ID
	const n = 300
	for i := 0; i < n; i++ {
		if status, body := apiCall(t, key, "POST", base+"/v1/events", map[string]any{
			"type": "agent.status", "data": map[string]any{"i": i},
		}); status != 202 {
			t.Fatalf("publish %d: %d %s", i, status, body)
		}
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.done <- <-p.done // wait for the exit, and leave it for the cleanup
	down.Close()

	var mu sync.Mutex
	seen := map[string]int{}
	all := make(chan struct{})
	l, err := net.Listen("tcp", receiverAddr)
	if err != nil {
		t.Fatalf("receiver port taken: %v", err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.Header.Get("webhook-id")]++
		if len(seen) == n {
			select {
			case <-all:
			default:
				close(all)
			}
		}
		mu.Unlock()
		w.WriteHeader(200)
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })

	restarted := time.Now()
	p2 := startProcess(t, dataDir, addr, flags...)
	select {
	case <-all:
	case <-time.After(30*time.Second - time.Since(restarted)):
		mu.Lock()
		defer mu.Unlock()
		_, body := apiCall(t, key, "GET", base+"/v1/webhooks/"+hookID+"/deliveries?success=false&limit=3", nil)
		t.Fatalf("only %d of %d events arrived within 30s of the restart; undelivered: %s\n%s", len(seen), n, body, p2.stderr)
	}
	took := time.Since(restarted)
	if !strings.Contains(p2.stderr.String(), "queued again the jobs a stopped server left running") {
		t.Fatalf("the restart queued no running job again; stderr:\n%s", p2.stderr)
	}
	mu.Lock()
	dups := 0
	for _, c := range seen {
		dups += c - 1
	}
	mu.Unlock()
	t.Logf("%d distinct events arrived %s after the restart, %d duplicate requests; %s", n, took.Round(time.Millisecond), dups,
		strings.TrimSpace(p2.stderr.String()))
}

// TestGracefulShutdownFinishesInFlight sends SIGTERM while a delivery is
// in flight: the process waits for it, records it, and exits cleanly.
func TestGracefulShutdownFinishesInFlight(t *testing.T) {
	dataDir := t.TempDir()
	addr := freeAddr(t)
	started := make(chan struct{}, 1)
	rc := newReceiver(t, func(n int64, w http.ResponseWriter) {
		started <- struct{}{}
		time.Sleep(time.Second)
		w.WriteHeader(200)
	})
	p := startProcess(t, dataDir, addr)
	keyBytes, _ := os.ReadFile(filepath.Join(dataDir, "admin.key"))
	key := strings.TrimSpace(string(keyBytes))
	base := "http://" + addr
	apiCall(t, key, "POST", base+"/v1/webhooks", map[string]any{"url": rc.URL, "events": []string{"*"}})
	status, body := apiCall(t, key, "POST", base+"/v1/events", map[string]any{"type": "agent.stopped", "data": map[string]any{}})
	if status != 202 {
		t.Fatalf("publish: %d %s", status, body)
	}
	var ev struct{ ID string }
	json.Unmarshal(body, &ev)
	<-started
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, p.stderr)
		}
		p.done <- nil // for the cleanup
	case <-time.After(20 * time.Second):
		t.Fatal("herald did not stop after SIGTERM")
	}
	p2 := startProcess(t, dataDir, addr)
	_ = p2
	status, body = apiCall(t, key, "GET", base+"/v1/events/"+ev.ID, nil)
	var got struct {
		Deliveries []struct {
			Status   string `json:"status"`
			Attempts int    `json:"attempts"`
		} `json:"deliveries"`
	}
	json.Unmarshal(body, &got)
	if status != 200 || len(got.Deliveries) != 1 || got.Deliveries[0].Status != "success" || got.Deliveries[0].Attempts != 1 {
		t.Fatalf("after graceful stop: %d %s", status, body)
	}
	if rc.n.Load() != 1 {
		t.Fatalf("receiver got %d requests, want 1", rc.n.Load())
	}
}
