package runtime

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// script writes a /bin/sh script to a temporary directory and returns its
// path.
func script(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "runtime.sh")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func execRuntime(command ...string) herald.Runtime {
	return herald.Runtime{Type: herald.RuntimeExec, Command: command, TimeoutSeconds: 10}
}

func TestExecJSON(t *testing.T) {
	sh := script(t, `cat >/dev/null
echo '{"response": "done", "actions": [{"action": "reply", "content": "hi"}]}'`)
	resp, err := local().Invoke(context.Background(), execRuntime(sh), request)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Response != "done" || len(resp.Actions) != 1 || resp.Actions[0].Action != "reply" || resp.Actions[0].Content != "hi" {
		t.Errorf("response %+v", resp)
	}
}

func TestExecPlainTextGetsRequestAndArgs(t *testing.T) {
	// The script answers with its stdin (the request), its first argument,
	// its environment and its working directory: an object without
	// "response" or "actions" is plain text.
	sh := script(t, `read -r line
printf '%s\n' "$line"
printf 'arg=%s\n' "$1"
printf 'agent=%s id=%s secret=%s extra=%s\n' "$HERALD_AGENT" "$HERALD_INVOCATION_ID" "$HERALD_TEST_SECRET" "$EXTRA"
printf 'pwd=%s\n\n\n' "$(pwd)"`)
	t.Setenv("HERALD_TEST_SECRET", "must-not-leak")
	iv := &Invoker{Env: []string{"EXTRA=yes"}}
	resp, err := iv.Invoke(context.Background(), execRuntime(sh, "an arg; with $(shell) chars"), request)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(resp.Response, "\n")
	if len(lines) != 4 {
		t.Fatalf("response %q", resp.Response)
	}
	if !strings.HasPrefix(lines[0], `{"invocation_id":"inv_1","agent":"agent-1","message":"hello there","context":{"severity":"critical"}`) {
		t.Errorf("stdin %q", lines[0])
	}
	if lines[1] != "arg=an arg; with $(shell) chars" {
		t.Errorf("argument %q", lines[1])
	}
	if lines[2] != "agent=agent-1 id=inv_1 secret= extra=yes" {
		t.Errorf("environment %q", lines[2])
	}
	if lines[3] != "pwd="+filepath.Dir(sh) {
		t.Errorf("directory %q", lines[3])
	}
}

func TestExecNilContextIsObject(t *testing.T) {
	sh := script(t, `cat`)
	resp, err := local().Invoke(context.Background(), execRuntime(sh), herald.InvocationRequest{Message: "m"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(resp.Response, `"context":{}`) {
		t.Errorf("request %s", resp.Response)
	}
}

func TestExecNonZeroExit(t *testing.T) {
	sh := script(t, `echo "partial output"
echo "first line of noise" >&2
echo "model quota exceeded" >&2
exit 3`)
	_, err := local().Invoke(context.Background(), execRuntime(sh), request)
	wantFailed(t, err, false, "exited with code 3", "model quota exceeded")
	if herald.ErrorCode(err) != herald.EUNAVAILABLE {
		t.Errorf("herald code %q", herald.ErrorCode(err))
	}
}

func TestExecStderrSnippetKeepsTheEnd(t *testing.T) {
	sh := script(t, `i=0
while [ $i -lt 3000 ]; do echo "noise line $i" >&2; i=$((i+1)); done
echo "the real error" >&2
exit 1`)
	_, err := local().Invoke(context.Background(), execRuntime(sh), request)
	wantFailed(t, err, false, "exited with code 1", "the real error")
	if len(err.Error()) > snippetLen+200 {
		t.Errorf("the message is %d bytes long", len(err.Error()))
	}
}

func TestExecKilledBySignal(t *testing.T) {
	sh := script(t, `kill -TERM $$`)
	_, err := local().Invoke(context.Background(), execRuntime(sh), request)
	wantFailed(t, err, false, "killed by signal terminated")
}

func TestExecCannotStart(t *testing.T) {
	_, err := local().Invoke(context.Background(), execRuntime("/nonexistent/herald-runtime"), request)
	wantFailed(t, err, false, "could not start")

	_, err = local().Invoke(context.Background(), execRuntime("relative/path"), request)
	wantFailed(t, err, false, "absolute path")

	_, err = local().Invoke(context.Background(), execRuntime(), request)
	wantFailed(t, err, false, "absolute path")
}

// processGone reports whether pid has exited (a zombie that nobody reaped
// yet counts as gone).
func processGone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return os.IsNotExist(err)
	}
	// pid (comm) STATE …
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] == 'Z'
}

// waitGone waits for pid to exit, and fails the test if it does not.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !processGone(pid) {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("process %d is still running", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// readPid reads the pid a script wrote to path.
func readPid(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read pid: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		t.Fatalf("pid %q", b)
	}
	return pid
}

func TestExecTimeoutKillsProcessGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	// The child is written to the pid file once it runs; the script then
	// waits for it, and never answers.
	sh := script(t, `sleep 300 &
echo $! > "$1.tmp" && mv "$1.tmp" "$1"
wait`)
	rt := execRuntime(sh, pidFile)
	rt.TimeoutSeconds = 1
	start := time.Now()
	_, err := local().Invoke(context.Background(), rt, request)
	wantFailed(t, err, true, "timed out after 1s")
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s", d)
	}
	waitGone(t, readPid(t, pidFile))
}

func TestExecCallerDeadline(t *testing.T) {
	sh := script(t, `exec sleep 300`)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := local().Invoke(ctx, execRuntime(sh), request)
	wantFailed(t, err, true, "deadline")
}

func TestExecLeftoverChildIsKilled(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	// The script answers and exits 0, leaving a child that holds its stdout.
	sh := script(t, `sleep 300 &
echo $! > "$1"
echo answered`)
	resp, err := local().Invoke(context.Background(), execRuntime(sh, pidFile), request)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Response != "answered" {
		t.Errorf("response %q", resp.Response)
	}
	waitGone(t, readPid(t, pidFile))
}

func TestExecOutputCap(t *testing.T) {
	sh := script(t, `while :; do echo "0123456789012345678901234567890123456789"; done`)
	iv := &Invoker{MaxOutput: 4096}
	start := time.Now()
	_, err := iv.Invoke(context.Background(), execRuntime(sh), request)
	wantFailed(t, err, false, "output is over 4096 bytes")
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s", d)
	}

	// Exactly the limit, newline included, passes.
	sh = script(t, `printf '%4095s\n' x`)
	resp, err := iv.Invoke(context.Background(), execRuntime(sh), request)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Response) != 4095 {
		t.Errorf("response of %d bytes", len(resp.Response))
	}
}

func TestTailBuffer(t *testing.T) {
	tb := &tailBuffer{limit: 8}
	for _, s := range []string{"abc", "defgh", "ij", "klmnopqrstuv", "w"} {
		tb.Write([]byte(s))
	}
	if got := string(tb.bytes()); got != "pqrstuvw" {
		t.Errorf("kept %q", got)
	}
}
