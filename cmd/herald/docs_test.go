package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// docCurl is one curl example of a document: the command, joined across its
// continuation lines, and the line it starts on. cli marks a "herald agents
// create" command, which creates an agent the examples use.
type docCurl struct {
	line int
	cmd  string
	cli  bool
}

// docCurls returns the curl commands of the sh code blocks of a Markdown
// document, including those in "# or: curl ..." comments, and the "herald
// agents create" commands among them.
func docCurls(t *testing.T, path string) []docCurl {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	var out []docCurl
	inSh := false
	for i := 0; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		if strings.HasPrefix(l, "```") {
			inSh = !inSh && (l == "```sh" || l == "```bash")
			continue
		}
		if !inSh {
			continue
		}
		l = strings.TrimPrefix(strings.TrimPrefix(l, "# or: "), "./")
		cli := strings.HasPrefix(l, "herald agents create ")
		if !strings.HasPrefix(l, "curl ") && !cli {
			continue
		}
		start := i
		// A command goes on while a line ends in a backslash or a quote
		// is open (a JSON body over several lines).
		for (strings.HasSuffix(l, "\\") || strings.Count(l, "'")%2 == 1) && i+1 < len(lines) {
			i++
			l += "\n" + strings.TrimSpace(lines[i])
		}
		out = append(out, docCurl{line: start + 1, cmd: l, cli: cli})
	}
	return out
}

// docPlaceholders are the placeholders of curl examples that the reader
// fills in, with a value that works.
var docPlaceholders = map[string]string{
	"<public key>": strings.Repeat("ab", 32), // a Discord application's public key
}

// docCurlSkips are the curl examples that cannot run against a test server,
// by a substring of the command, with the reason.
var docCurlSkips = map[string]string{
	"api.telegram.org":        "calls Telegram's API",
	"/v1/invocations/inv_...": "names an invocation id the reader fills in",
}

// TestDocsCurlExamples runs every curl example of README.md and docs/*.md,
// in order, against a server of its own per document, and checks each is
// answered 2xx: the examples work as written.
func TestDocsCurlExamples(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed")
	}
	docs, _ := filepath.Glob("../../docs/*.md")
	for _, doc := range append([]string{"../../README.md"}, docs...) {
		curls := docCurls(t, doc)
		if len(curls) == 0 {
			continue
		}
		t.Run(filepath.Base(doc), func(t *testing.T) {
			ts := startServer(t)
			for _, c := range curls {
				if reason := skipReason(c.cmd); reason != "" {
					t.Logf("%s:%d: skipped: %s", doc, c.line, reason)
					continue
				}
				if c.cli {
					if out, err := ts.herald("", docArgs(t, c.cmd)[1:]...); err != nil {
						t.Errorf("%s:%d: %v: %s\n%s", doc, c.line, err, out, c.cmd)
					}
					continue
				}
				status, out := runDocCurl(t, ts, c.cmd)
				if status < 200 || status > 299 {
					t.Errorf("%s:%d: HTTP %d: %s\n%s", doc, c.line, status, out, c.cmd)
				}
			}
		})
	}
}

func skipReason(cmd string) string {
	for s, reason := range docCurlSkips {
		if strings.Contains(cmd, s) {
			return reason
		}
	}
	return ""
}

var statusLine = regexp.MustCompile(`\n(\d{3})$`)

// runDocCurl runs cmd with bash against ts, with $KEY the admin key and
// $HERALD the server's URL, and returns the HTTP status and the answer.
func runDocCurl(t *testing.T, ts *testServer, cmd string) (int, string) {
	t.Helper()
	cmd = strings.ReplaceAll(cmd, "http://127.0.0.1:8420", ts.URL())
	for p, v := range docPlaceholders {
		cmd = strings.ReplaceAll(cmd, p, v)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	script := `curl() { command curl -sS --max-time 20 -w '\n%{http_code}' "$@"; }` + "\n" + cmd
	c := exec.CommandContext(ctx, "bash", "-c", script)
	c.Env = append(os.Environ(), "KEY="+ts.key, "HERALD="+ts.URL())
	b, err := c.CombinedOutput()
	out := strings.TrimRight(string(b), "\n ")
	m := statusLine.FindStringSubmatch("\n" + out)
	if err != nil || m == nil {
		t.Fatalf("%s: %v\n%s", cmd, err, out)
	}
	status, _ := strconv.Atoi(m[1])
	return status, strings.TrimSuffix(out, m[1])
}

// docArgs returns the words of a shell command as bash expands them.
func docArgs(t *testing.T, cmd string) []string {
	t.Helper()
	b, err := exec.Command("bash", "-c", `printf '%s\0' `+cmd).Output()
	if err != nil {
		t.Fatalf("%s: %v", cmd, err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")
}
