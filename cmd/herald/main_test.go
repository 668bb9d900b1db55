package main

import (
	"fmt"
	"net/http"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// stuckAfter is how long the package's tests may run before the watchdog
// reports where they are stuck; they take about a minute.
const stuckAfter = 10 * time.Minute

// cliEnv, set to 1, makes the test binary run as the herald command: the
// documentation's scripts call it so (see TestDocsScripts).
const cliEnv = "HERALD_TEST_RUN_CLI"

func TestMain(m *testing.M) {
	if os.Getenv(cliEnv) == "1" {
		main()
		os.Exit(0)
	}
	// A request to a stuck server fails the test instead of hanging it.
	http.DefaultClient.Timeout = 60 * time.Second
	watchdog := time.AfterFunc(stuckAfter, reportStuck)
	code := m.Run()
	watchdog.Stop()
	os.Exit(code)
}

// reportStuck prints every goroutine, then, last so that the tail of a CI
// log shows them, the ones inside test code, and exits.
func reportStuck() {
	buf := make([]byte, 64<<20)
	buf = buf[:runtime.Stack(buf, true)]
	fmt.Fprintf(os.Stderr, "tests still running after %s; goroutines:\n%s\n", stuckAfter, buf)
	fmt.Fprintln(os.Stderr, "=== goroutines in test code ===")
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "_test.go") {
			fmt.Fprintf(os.Stderr, "%s\n\n", g)
		}
	}
	os.Exit(2)
}
