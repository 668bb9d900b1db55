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

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/client"
)

// docCurl is one curl example of a document: the command, joined across its
// continuation lines, and the line it starts on. cli marks a "herald agents
// create" command, which creates an agent the examples use.
type docCurl struct {
	line int
	cmd  string
	cli  bool
}

// scriptMark, on the line before a sh code block, makes the block a
// script that TestDocsScripts runs whole, its commands sharing variables;
// TestDocsCurlExamples leaves its commands alone.
const scriptMark = "<!-- docs_test: script -->"

// docCurls returns the curl commands of the sh code blocks of a Markdown
// document, including those in "# or: curl ..." comments, and the "herald
// agents create" commands among them, but for the scripts' (scriptMark).
func docCurls(t *testing.T, path string) []docCurl {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	var out []docCurl
	inSh, inBlock := false, false
	for i := 0; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		if strings.HasPrefix(l, "```") {
			script := i > 0 && strings.TrimSpace(lines[i-1]) == scriptMark
			inBlock = !inBlock
			inSh = inBlock && (l == "```sh" || l == "```bash") && !script
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

// docScript is a sh code block marked with scriptMark: its text, the line
// it starts on, and the heading of its section.
type docScript struct {
	line    int
	section string
	text    string
}

// docScripts returns the scripts of a Markdown document.
func docScripts(t *testing.T, path string) []docScript {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	var out []docScript
	section := ""
	for i := 0; i < len(lines); i++ {
		if strings.HasPrefix(lines[i], "#") {
			section = strings.TrimSpace(strings.TrimLeft(lines[i], "#"))
		}
		if strings.TrimSpace(lines[i]) != scriptMark || i+1 >= len(lines) || !strings.HasPrefix(lines[i+1], "```sh") {
			continue
		}
		start := i + 2
		end := start
		for end < len(lines) && !strings.HasPrefix(strings.TrimSpace(lines[end]), "```") {
			end++
		}
		out = append(out, docScript{line: start + 1, section: section, text: strings.Join(lines[start:end], "\n")})
		i = end
	}
	return out
}

// docScriptChecks check, by document and section, what a script did
// beyond running without an error.
var docScriptChecks = map[string]func(t *testing.T, ts *testServer, output string){
	"README.md#Tenants": func(t *testing.T, ts *testServer, output string) {
		// The event is acme's alone; globex received nothing.
		for tenant, want := range map[string]int{"acme": 1, "globex": 0} {
			var events struct {
				Items []herald.Event `json:"items"`
			}
			ts.must(200, "GET", "/v1/events?tenant_id="+tenant, nil, &events)
			var deliveries struct {
				Total int `json:"total"`
			}
			var hooks client.WebhookList
			ts.must(200, "GET", "/v1/webhooks?tenant_id="+tenant, nil, &hooks)
			if len(hooks.Items) != 1 {
				t.Fatalf("%s has %d webhooks, want 1", tenant, len(hooks.Items))
			}
			ts.must(200, "GET", "/v1/webhooks/"+hooks.Items[0].ID+"/deliveries", nil, &deliveries)
			if len(events.Items) != want || deliveries.Total != want {
				t.Errorf("%s has %d events and %d deliveries, want %d", tenant, len(events.Items), deliveries.Total, want)
			}
		}
		if !strings.Contains(output, "No events.") {
			t.Errorf("globex's events list does not say No events.:\n%s", output)
		}
	},
}

// TestDocsScripts runs the scripts of README.md and docs/*.md (sh blocks
// marked with scriptMark) with bash against a server of their own, with
// $KEY the admin key, herald (or ./herald) this package's CLI with the
// server's URL and data dir, and curl failing on an HTTP error.
func TestDocsScripts(t *testing.T) {
	for _, tool := range []string{"curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	wrapper := "#!/usr/bin/env bash\n" + cliEnv + "=1 exec " + strconv.Quote(self) + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "herald"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	docs, _ := filepath.Glob("../../docs/*.md")
	for _, doc := range append([]string{"../../README.md"}, docs...) {
		for _, s := range docScripts(t, doc) {
			name := filepath.Base(doc) + "#" + s.section
			// No "#" in the test's name: its temporary directories hold
			// the SQLite file, whose path goes into a file: URI.
			t.Run(filepath.Base(doc)+" "+s.section, func(t *testing.T) {
				ts := startServer(t)
				script := strings.ReplaceAll(s.text, "http://127.0.0.1:8420", ts.URL())
				script = regexp.MustCompile(`(^|[\s(])\./herald `).ReplaceAllString(script, "${1}herald ")
				script = "set -euo pipefail\ncurl() { command curl -sS --fail --max-time 20 \"$@\"; }\n" + script
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
				defer cancel()
				c := exec.CommandContext(ctx, "bash", "-c", script)
				c.Dir = t.TempDir()
				c.Env = append(os.Environ(), "KEY="+ts.key, "HERALD_URL="+ts.URL(), "HERALD_DATA_DIR="+ts.Config.DataDir,
					"HERALD_API_KEY=", "HERALD_TENANT=", "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
				out, err := c.CombinedOutput()
				if err != nil {
					t.Fatalf("%s:%d: the script failed: %v\n%s", doc, s.line, err, out)
				}
				if check := docScriptChecks[name]; check != nil {
					check(t, ts, string(out))
				}
			})
		}
	}
}

// TestDocsServeCommands checks that every "herald serve" command of the sh
// blocks of README.md and docs/*.md is one that herald serve accepts: its
// flags exist and its settings pass Validate.
func TestDocsServeCommands(t *testing.T) {
	docs, _ := filepath.Glob("../../docs/*.md")
	n := 0
	for _, doc := range append([]string{"../../README.md"}, docs...) {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(b), "\n")
		inSh := false
		for i := 0; i < len(lines); i++ {
			l := strings.TrimSpace(lines[i])
			if strings.HasPrefix(l, "```") {
				inSh = !inSh && (l == "```sh" || l == "```bash")
				continue
			}
			l = strings.TrimPrefix(l, "./")
			if !inSh || !strings.HasPrefix(l, "herald serve") {
				continue
			}
			start := i
			for strings.HasSuffix(l, "\\") && i+1 < len(lines) {
				i++
				l = strings.TrimSuffix(l, "\\") + " " + strings.TrimSpace(lines[i])
			}
			if c := strings.Index(l, " #"); c >= 0 {
				l = l[:c]
			}
			n++
			if _, err := loadServeConfig(t, docArgs(t, l)[2:]...); err != nil {
				t.Errorf("%s:%d: %v\n%s", doc, start+1, err, l)
			}
		}
	}
	if n == 0 {
		t.Fatal("found no herald serve command in the docs")
	}
}
