package runtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"github.com/heraldhq/herald"
)

// Limits of an exec runtime.
const (
	// maxStderr is how much of the end of stderr is kept.
	maxStderr = 64 << 10
	// waitDelay is how long Herald waits for stdout and stderr to close
	// once the command has exited or been killed (a leftover child may
	// hold them open) before it closes them itself.
	waitDelay = time.Second
	// systemPath is the PATH of an exec runtime.
	systemPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
)

// errOutputTooLarge is the cancel cause of a command whose stdout passed
// the limit.
var errOutputTooLarge = errors.New("output is over the limit")

// invokeExec runs rt.Command with body on stdin under runCtx (parent is
// the caller's context, to tell a timeout from a cancellation).
func (iv *Invoker) invokeExec(parent, runCtx context.Context, timeout time.Duration, rt herald.Runtime, req herald.InvocationRequest, body []byte) (*herald.InvocationResponse, error) {
	if len(rt.Command) == 0 || !filepath.IsAbs(rt.Command[0]) {
		return nil, failf(nil, "runtime: the command must start with an absolute path")
	}
	limit := iv.maxOutput()
	execCtx, kill := context.WithCancelCause(runCtx)
	defer kill(nil)

	cmd := exec.CommandContext(execCtx, rt.Command[0], rt.Command[1:]...)
	cmd.Dir = filepath.Dir(rt.Command[0])
	cmd.Env = iv.execEnv(req)
	cmd.Stdin = bytes.NewReader(append(body, '\n'))
	stdout := &capBuffer{limit: limit, onOver: func() { kill(errOutputTooLarge) }}
	stderr := &tailBuffer{limit: maxStderr}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.WaitDelay = waitDelay
	setProcessGroup(cmd)

	err := cmd.Start()
	if err != nil {
		return nil, failf(err, "runtime: the command could not start: %v", err)
	}
	err = cmd.Wait()
	// Whatever the command left running in its group goes too.
	killProcessGroup(cmd)

	switch {
	case stdout.overflowed():
		return nil, failf(errOutputTooLarge, "runtime: the command's output is over %d bytes", limit)
	case err == nil || errors.Is(err, exec.ErrWaitDelay):
		// Exited 0 (ErrWaitDelay: and left a child holding its output).
	case runCtx.Err() != nil:
		return nil, contextError(parent, runCtx.Err(), timeout)
	default:
		return nil, exitError(err, stderr.bytes())
	}

	out := bytes.TrimRight(stdout.bytes(), "\r\n")
	if resp, ok, err := parseJSONAnswer(out); err != nil {
		return nil, err
	} else if ok {
		return resp, nil
	}
	return &herald.InvocationResponse{Response: text(out)}, nil
}

// execEnv is the whole environment of an exec runtime: a fixed PATH,
// Herald's HOME and TMPDIR when set, the invocation's id and agent, and
// iv.Env.
func (iv *Invoker) execEnv(req herald.InvocationRequest) []string {
	env := []string{"PATH=" + systemPath}
	for _, k := range []string{"HOME", "TMPDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	env = append(env, "HERALD_INVOCATION_ID="+req.InvocationID, "HERALD_AGENT="+req.Agent)
	return append(env, iv.Env...)
}

// exitError describes a command that failed: its exit code or signal, and
// the end of its stderr.
func exitError(err error, stderr []byte) *Error {
	var msg string
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if sig := exitSignal(ee); sig != "" {
			msg = "runtime: the command was killed by signal " + sig
		} else {
			msg = fmt.Sprintf("runtime: the command exited with code %d", ee.ExitCode())
		}
	} else {
		msg = fmt.Sprintf("runtime: the command failed: %v", err)
	}
	if s := tailSnippet(stderr); s != "" {
		msg += ": " + s
	}
	return failf(err, "%s", msg)
}

// capBuffer keeps up to limit bytes; past them it calls onOver once and
// discards the rest.
type capBuffer struct {
	limit  int64
	onOver func()

	mu   sync.Mutex
	buf  bytes.Buffer
	over bool
}

// Write implements io.Writer; it never fails, so the command's output is
// drained until it is killed.
func (c *capBuffer) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.over {
		return len(p), nil
	}
	if room := c.limit - int64(c.buf.Len()); int64(len(p)) > room {
		c.buf.Write(p[:room])
		c.over = true
		c.onOver()
		return len(p), nil
	}
	c.buf.Write(p)
	return len(p), nil
}

// overflowed reports whether more than limit bytes came.
func (c *capBuffer) overflowed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.over
}

// bytes returns what was kept.
func (c *capBuffer) bytes() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.Bytes()
}

// tailBuffer keeps the last limit bytes written to it.
type tailBuffer struct {
	limit int

	mu  sync.Mutex
	buf []byte
}

// Write implements io.Writer; it never fails.
func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := len(p)
	if len(p) >= t.limit {
		t.buf = append(t.buf[:0], p[len(p)-t.limit:]...)
		return n, nil
	}
	if drop := len(t.buf) + len(p) - t.limit; drop > 0 {
		t.buf = t.buf[:copy(t.buf, t.buf[drop:])]
	}
	t.buf = append(t.buf, p...)
	return n, nil
}

// bytes returns what was kept.
func (t *tailBuffer) bytes() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.buf
}
