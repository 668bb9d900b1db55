// Package receivertest runs real webhook receivers as child processes for
// Herald's end-to-end tests.
//
// The receivers live in testdata/receivers at the module root:
//
//   - node/express_seed000.js: the Express handler from seed document 000
//     (X-Webhook-Signature: sha256=<hex>, verified over
//     JSON.stringify(req.body));
//   - flask_seed000.py: the Flask handler from seed document 000
//     (X-Webhook-Signature: sha256=<hex>, verified over the raw body), run
//     with the first of the python3 on PATH and /usr/bin/python3 that can
//     import flask;
//   - node/standard_receiver.js: a receiver verifying the Standard Webhooks
//     headers with the standardwebhooks npm library;
//   - swiftclaw_seed003.py: the Python handler from seed document 003
//     (X-SwiftClaw-Signature: hex HMAC-SHA256 of the raw body), on the
//     standard library's http.server.
//
// Every receiver is started with PORT=0 and WEBHOOK_SECRET set, prints
// {"listening": <port>} on stdout once it accepts connections, and one
// {"received": <id>, "event": <event>, "webhook_id": <header>} line per
// accepted request. The harness reads those lines; other stdout lines are kept
// only for diagnostics.
//
// Missing node or npm fail the test: CI installs them (see .ci/run). When no
// python3 can import flask, Flask tests are skipped with a message saying so,
// except under CI (CI=true), where they fail.
package receivertest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	// startTimeout bounds how long a receiver may take to print its
	// listening line.
	startTimeout = 20 * time.Second
	// stopTimeout bounds how long cleanup waits for a killed receiver.
	stopTimeout = 10 * time.Second
	// npmTimeout bounds the one-off "npm ci" run.
	npmTimeout = 5 * time.Minute
	// debianPython is Debian's interpreter, which sees the python3-flask
	// package; it is tried after the python3 on PATH.
	debianPython = "/usr/bin/python3"
	// maxLog bounds the stderr and stray stdout kept per receiver.
	maxLog = 256 << 10
)

// Received is one delivery a receiver accepted, as reported on its stdout.
type Received struct {
	// ID is the event id taken from the body's "id" field.
	ID string `json:"received"`
	// Event is the body's "event" field (seed 003's receiver reports "type").
	Event string `json:"event"`
	// WebhookID is the value of the request's webhook-id header ("" if absent).
	WebhookID string `json:"webhook_id"`
	// Line is the raw stdout line the receiver printed.
	Line string `json:"-"`
}

// Receiver is a running receiver process. It is killed by t.Cleanup of the
// test that started it.
type Receiver struct {
	// URL is the endpoint to deliver webhooks to, for example
	// http://127.0.0.1:41234/webhooks/mutx.
	URL string

	name   string
	stderr *tailBuffer
	stdout *tailBuffer // stdout lines that are not part of the protocol
	exited chan struct{}

	mu       sync.Mutex
	received []Received
	changed  chan struct{} // closed and replaced whenever received grows
	exitErr  error
}

// StartExpress starts the seed 000 Express handler with the given
// X-Webhook-Signature secret. Its URL ends in /webhooks/mutx. It answers 200
// to accepted deliveries, 401 to a mismatching signature of the right length
// and 500 to one of a different length.
func StartExpress(t testing.TB, secret string) *Receiver {
	t.Helper()
	node := nodeBinary(t)
	dir := nodeDir(t)
	return start(t, "express_seed000", "/webhooks/mutx", secret, dir, node, "express_seed000.js")
}

// StartFlask starts the seed 000 Flask handler with the given
// X-Webhook-Signature secret, under the first of the python3 on PATH and
// /usr/bin/python3 that can import flask. Its URL ends in /webhooks/mutx. It
// answers 200 to accepted deliveries and 401 to rejected ones. When no
// python3 can import flask, it skips the test (fails it when CI=true).
func StartFlask(t testing.TB, secret string) *Receiver {
	t.Helper()
	python, err := flaskPython()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("receivertest: %v", err)
		}
		t.Skipf("receivertest: skipping the Flask receiver: %v", err)
	}
	dir := receiversDir(t)
	return start(t, "flask_seed000", "/webhooks/mutx", secret, dir, python, "-u", "flask_seed000.py")
}

// StartSwiftClaw starts the seed 003 Python handler with the given
// X-SwiftClaw-Signature secret (hex HMAC-SHA256 of the raw body), under
// the python3 on PATH (else Debian's) with the standard library alone. Its URL ends in
// /webhooks/swiftclaw. It answers 200 to accepted deliveries, 401 to a wrong
// signature and 500 to a missing one. Each Received's Line also holds
// "agent": the event's data.agent_id, else its data.agent.
func StartSwiftClaw(t testing.TB, secret string) *Receiver {
	t.Helper()
	dir := receiversDir(t)
	python, err := exec.LookPath("python3")
	if err != nil {
		python = debianPython
	}
	return start(t, "swiftclaw_seed003", "/webhooks/swiftclaw", secret, dir, python, "-u", "swiftclaw_seed003.py")
}

// StartStandard starts the Standard Webhooks receiver with the given secret,
// normally a "whsec_<base64 key>" string. Its URL ends in /webhooks/standard.
// It answers 204 to deliveries whose webhook-id, webhook-timestamp and
// webhook-signature headers verify, and 401 otherwise.
func StartStandard(t testing.TB, secret string) *Receiver {
	t.Helper()
	node := nodeBinary(t)
	dir := nodeDir(t)
	return start(t, "standard_receiver", "/webhooks/standard", secret, dir, node, "standard_receiver.js")
}

// Received returns a snapshot of the deliveries accepted so far, in order.
func (r *Receiver) Received() []Received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Received(nil), r.received...)
}

// WaitReceived waits until at least n deliveries have been accepted and
// returns all accepted so far, in order. It fails the test if that takes
// longer than timeout or the receiver exits.
func (r *Receiver) WaitReceived(t testing.TB, n int, timeout time.Duration) []Received {
	t.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		r.mu.Lock()
		if len(r.received) >= n {
			got := append([]Received(nil), r.received...)
			r.mu.Unlock()
			return got
		}
		changed := r.changed
		r.mu.Unlock()

		select {
		case <-changed:
		case <-r.exited:
			// Lines read before the exit are already recorded.
			if got := r.Received(); len(got) >= n {
				return got
			}
			t.Fatalf("receivertest: %s exited (%v) with %d of %d deliveries received%s",
				r.name, r.exitError(), len(r.Received()), n, r.diagnostics())
		case <-timer.C:
			t.Fatalf("receivertest: %s: %d of %d deliveries received after %v: %+v%s",
				r.name, len(r.Received()), n, timeout, r.Received(), r.diagnostics())
		}
	}
}

// Stderr returns the receiver's standard error so far (its tail, if long).
func (r *Receiver) Stderr() string { return r.stderr.String() }

func start(t testing.TB, name, route, secret, dir, prog string, args ...string) *Receiver {
	t.Helper()
	r := &Receiver{
		name:    name,
		stderr:  &tailBuffer{},
		stdout:  &tailBuffer{},
		exited:  make(chan struct{}),
		changed: make(chan struct{}),
	}

	cmd := exec.Command(prog, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PORT=0", "WEBHOOK_SECRET="+secret)
	cmd.Stderr = r.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("receivertest: %s: %v", name, err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("receivertest: starting %s (%s): %v", name, prog, err)
	}

	listening := make(chan int, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		for sc.Scan() {
			r.handleLine(sc.Text(), listening)
		}
		_, _ = io.Copy(io.Discard, stdout) // after an over-long line
		err := cmd.Wait()
		r.mu.Lock()
		r.exitErr = err
		r.mu.Unlock()
		close(r.exited)
	}()

	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		select {
		case <-r.exited:
		case <-time.After(stopTimeout):
			t.Errorf("receivertest: %s (pid %d) did not exit after kill", name, cmd.Process.Pid)
		}
	})

	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	select {
	case port := <-listening:
		r.URL = fmt.Sprintf("http://127.0.0.1:%d%s", port, route)
		return r
	case <-r.exited:
		t.Fatalf("receivertest: %s exited before listening (%v)%s", name, r.exitError(), r.diagnostics())
	case <-timer.C:
		t.Fatalf("receivertest: %s did not report a listening port within %v%s", name, startTimeout, r.diagnostics())
	}
	return nil
}

// handleLine records the protocol objects found in one stdout line of the
// receiver. A threaded receiver may print its own lines between another
// request's protocol object and that object's newline, so an object is
// looked for wherever a line has `{"`; the rest goes to the diagnostics.
func (r *Receiver) handleLine(line string, listening chan<- int) {
	found := false
	for i := 0; i < len(line); {
		j := strings.Index(line[i:], `{"`)
		if j < 0 {
			break
		}
		i += j
		dec := json.NewDecoder(strings.NewReader(line[i:]))
		var msg map[string]json.RawMessage
		if dec.Decode(&msg) != nil || !r.handleMessage(msg, line[i:i+int(dec.InputOffset())], listening) {
			i++
			continue
		}
		found = true
		i += int(dec.InputOffset())
	}
	if !found {
		r.stdout.Write([]byte(line + "\n"))
	}
}

// handleMessage records one protocol object and reports whether it was one.
func (r *Receiver) handleMessage(msg map[string]json.RawMessage, text string, listening chan<- int) bool {
	if raw, ok := msg["listening"]; ok {
		var port int
		if err := json.Unmarshal(raw, &port); err == nil && port > 0 {
			select {
			case listening <- port:
			default:
			}
			return true
		}
	}
	if _, ok := msg["received"]; ok {
		rec := Received{Line: text}
		rec.ID = jsonText(msg["received"])
		rec.Event = jsonText(msg["event"])
		rec.WebhookID = jsonText(msg["webhook_id"])
		r.mu.Lock()
		r.received = append(r.received, rec)
		close(r.changed)
		r.changed = make(chan struct{})
		r.mu.Unlock()
		return true
	}
	return false
}

// jsonText returns a JSON string's value, "" for null or absent, and the raw
// JSON text of any other value.
func jsonText(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s
	}
	return string(raw)
}

func (r *Receiver) exitError() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.exitErr
}

// diagnostics formats the receiver's stray stdout and its stderr for failure
// messages.
func (r *Receiver) diagnostics() string {
	var b strings.Builder
	if s := r.stdout.String(); s != "" {
		fmt.Fprintf(&b, "\n--- %s stdout (non-protocol lines) ---\n%s", r.name, s)
	}
	fmt.Fprintf(&b, "\n--- %s stderr ---\n%s", r.name, r.stderr.String())
	return b.String()
}

// tailBuffer is a goroutine-safe buffer keeping at most maxLog bytes, the
// most recent ones.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - maxLog; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

// moduleRoot finds the directory holding go.mod, walking up from the working
// directory (a package directory under go test).
var moduleRoot = sync.OnceValues(func() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod found above %s", wd)
		}
		dir = parent
	}
})

// receiversDir returns <module root>/testdata/receivers.
func receiversDir(t testing.TB) string {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatalf("receivertest: locating the module root: %v", err)
	}
	dir := filepath.Join(root, "testdata", "receivers")
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("receivertest: receiver fixtures: %v", err)
	}
	return dir
}

// nodeDir returns the node fixture directory, installing its node_modules
// with "npm ci" first if they are missing.
func nodeDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(receiversDir(t), "node")
	if err := installNodeModules(dir); err != nil {
		t.Fatalf("receivertest: %v", err)
	}
	return dir
}

func nodeBinary(t testing.TB) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("receivertest: node (Node.js >= 18) is required to run the webhook receivers; CI installs it: %v", err)
	}
	return node
}

// flaskPython returns the first of the python3 on PATH and /usr/bin/python3
// that can import flask, or an error naming what was tried; it runs the
// check once per test binary.
var flaskPython = sync.OnceValues(func() (string, error) {
	candidates := []string{}
	if p, err := exec.LookPath("python3"); err == nil {
		candidates = append(candidates, p)
	}
	candidates = append(candidates, debianPython)
	var tried []string
	for _, p := range candidates {
		out, err := exec.Command(p, "-c", "import flask").CombinedOutput()
		if err == nil {
			return p, nil
		}
		tried = append(tried, fmt.Sprintf("%s: %v %s", p, err, bytes.TrimSpace(out)))
	}
	return "", fmt.Errorf("no python3 can import flask (pip install flask, or apt-get install python3-flask; .ci/run installs it); tried %s", strings.Join(tried, "; "))
})

var installOnce sync.Map // node dir -> func() error

// installNodeModules runs "npm ci" for dir once per test binary when
// dir/node_modules is missing. Several test binaries may race to do it: each
// installs into a private directory and renames the finished node_modules
// into place, so a node_modules that exists is always complete.
func installNodeModules(dir string) error {
	f, _ := installOnce.LoadOrStore(dir, sync.OnceValue(func() error {
		target := filepath.Join(dir, "node_modules")
		if _, err := os.Stat(target); err == nil {
			return nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		npm, err := exec.LookPath("npm")
		if err != nil {
			return fmt.Errorf("%s is missing and npm (Node.js) is not installed to run \"npm ci\"; CI installs it: %v", target, err)
		}
		tmp, err := os.MkdirTemp(dir, ".npm-ci-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		for _, name := range []string{"package.json", "package-lock.json"} {
			data, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(tmp, name), data, 0o644); err != nil {
				return err
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), npmTimeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
		cmd.Dir = tmp
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("npm ci for %s: %v\n%s", dir, err, out.String())
		}
		if err := os.Rename(filepath.Join(tmp, "node_modules"), target); err != nil {
			if _, statErr := os.Stat(target); statErr == nil {
				return nil // another test binary installed it first
			}
			return fmt.Errorf("installing %s: %v", target, err)
		}
		return nil
	}))
	return f.(func() error)()
}
