package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// pythonSDKDir is the Python SDK, from this package's directory.
const pythonSDKDir = "../../sdk/python"

// debianPython is Debian's interpreter, which sees python3-httpx (and
// python3-flask); it is tried after the python3 on PATH.
const debianPython = "/usr/bin/python3"

// sdkPython returns the first of the python3 on PATH and /usr/bin/python3
// that can import httpx, the SDK's one dependency, or an error naming what
// was tried; it runs the check once per test binary.
var sdkPython = sync.OnceValues(func() (string, error) {
	var candidates, tried []string
	if p, err := exec.LookPath("python3"); err == nil {
		candidates = append(candidates, p)
	}
	candidates = append(candidates, debianPython)
	for _, p := range candidates {
		out, err := exec.Command(p, "-c", "import httpx").CombinedOutput()
		if err == nil {
			return p, nil
		}
		tried = append(tried, fmt.Sprintf("%s: %v %s", p, err, bytes.TrimSpace(out)))
	}
	return "", fmt.Errorf("no python3 can import httpx (apt-get install python3-httpx, or pip install httpx; .ci/run installs it); tried %s", strings.Join(tried, "; "))
})

// needSDKPython returns the python that runs the SDK, skipping the test
// when there is none (failing it under CI=true).
func needSDKPython(t *testing.T) string {
	t.Helper()
	python, err := sdkPython()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	return python
}

// runPython runs python with args in dir, with HERALD_URL and
// HERALD_API_KEY naming ts, and the SDK importable; it fails the test with
// the output when python fails, and returns the output.
func runPython(t *testing.T, ts *testServer, dir string, timeout time.Duration, extraEnv []string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	sdk, err := filepath.Abs(pythonSDKDir)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, needSDKPython(t), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HERALD_URL="+ts.URL(), "HERALD_API_KEY="+ts.key, "HERALD_TENANT=",
		"PYTHONPATH="+sdk, "PYTHONDONTWRITEBYTECODE=1", "PYTHONUNBUFFERED=1")
	cmd.Env = append(cmd.Env, extraEnv...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", cmd.Path, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestPythonSDK runs the Python SDK's unittest suite (sdk/python/tests)
// against a real server: every resource, the async client, the errors,
// verification of real deliveries, the Flask example, and seed 000's SDK
// code as written.
func TestPythonSDK(t *testing.T) {
	ts := startServer(t)
	out := runPython(t, ts, pythonSDKDir, 10*time.Minute, nil, "-m", "unittest", "discover", "-v", "-s", "tests", "-t", ".")
	if !strings.Contains(out, "\nOK") {
		t.Fatalf("the Python suite did not pass:\n%s", out)
	}
	if strings.Contains(out, "skipped=") && os.Getenv("CI") == "true" {
		t.Fatalf("the Python suite skipped tests under CI:\n%s", out)
	}
	t.Logf("%s", out)
}

// pythonBlocks returns the ```python blocks of a Markdown document, of its
// section whose heading is section ("" for the whole document), joined in
// order into one script.
func pythonBlocks(t *testing.T, path, section string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var script []string
	in, inSection := false, section == ""
	for _, l := range strings.Split(string(b), "\n") {
		if section != "" && strings.HasPrefix(l, "## ") {
			inSection = strings.TrimSpace(strings.TrimPrefix(l, "## ")) == section
		}
		trimmed := strings.TrimSpace(l)
		switch {
		case !in && trimmed == "```python":
			in = inSection
		case in && trimmed == "```":
			in = false
			script = append(script, "")
		case in:
			script = append(script, l)
		}
	}
	return strings.Join(script, "\n")
}

// TestDocsPython runs the ```python blocks of docs/sdks.md, of the
// README's Clients section and of the SDK's own README, each document's blocks as one script in order,
// against a server of its own, with http://127.0.0.1:3000 a receiver that
// answers 200 and http://127.0.0.1:8420 the server.
func TestDocsPython(t *testing.T) {
	for _, doc := range []struct{ path, section string }{
		{"../../docs/sdks.md", ""},
		{"../../README.md", "Clients"},
		{"../../sdk/python/README.md", ""},
	} {
		t.Run(strings.TrimPrefix(doc.path, "../../"), func(t *testing.T) {
			script := pythonBlocks(t, doc.path, doc.section)
			if strings.TrimSpace(script) == "" {
				t.Fatalf("%s has no python block", doc.path)
			}
			var mu sync.Mutex
			got := 0
			receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				mu.Lock()
				got++
				mu.Unlock()
			}))
			defer receiver.Close()
			ts := startServer(t)
			script = strings.ReplaceAll(script, "http://127.0.0.1:8420", ts.URL())
			script = strings.ReplaceAll(script, "http://127.0.0.1:3000", receiver.URL)
			file := filepath.Join(t.TempDir(), "example.py")
			if err := os.WriteFile(file, []byte(script), 0o600); err != nil {
				t.Fatal(err)
			}
			// run_name keeps "if __name__ == '__main__'" servers from starting.
			out := runPython(t, ts, t.TempDir(), 5*time.Minute, nil, "-c",
				"import runpy, sys; runpy.run_path(sys.argv[1], run_name='docs_example')", file)
			t.Logf("%s", out)
			mu.Lock()
			defer mu.Unlock()
			if got == 0 {
				t.Errorf("%s: the examples sent the receiver nothing", doc.path)
			}
		})
	}
}
