package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// backgroundMark, on the line before a js code block, makes the block a
// server that TestDocsJavaScript starts, waits for its first line of
// output, and keeps running while the blocks after it run.
const backgroundMark = "<!-- docs_test: background -->"

// docJS is one js code block of a document: its text, the line it starts
// on, and whether it runs in the background.
type docJS struct {
	line       int
	text       string
	background bool
}

// docJSBlocks returns the js code blocks of a Markdown document, or only
// those of the section (a "## " heading, with its subsections) when
// section is not "".
func docJSBlocks(t *testing.T, path, section string) []docJS {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	var out []docJS
	in := section == ""
	for i := 0; i < len(lines); i++ {
		if section != "" && strings.HasPrefix(lines[i], "## ") {
			in = strings.TrimSpace(strings.TrimPrefix(lines[i], "## ")) == section
		}
		l := strings.TrimSpace(lines[i])
		if !strings.HasPrefix(l, "```") {
			continue
		}
		start := i + 1
		end := start
		for end < len(lines) && !strings.HasPrefix(strings.TrimSpace(lines[end]), "```") {
			end++
		}
		if in && (l == "```js" || l == "```javascript" || l == "```mjs") {
			bg := i > 0 && strings.TrimSpace(lines[i-1]) == backgroundMark
			out = append(out, docJS{line: start + 1, text: strings.Join(lines[start:end], "\n") + "\n", background: bg})
		}
		i = end
	}
	return out
}

// docJSChecks check, by document, the output of the background blocks
// once every block has run.
var docJSChecks = map[string]func(t *testing.T, background string){
	"sdks.md": func(t *testing.T, background string) {
		// The receiver verified the webhook.test delivery of the
		// "Managing webhooks" example.
		if !strings.Contains(background, "received webhook.test") {
			t.Errorf("the receiver did not log a verified webhook.test delivery:\n%s", background)
		}
	},
}

// TestDocsJavaScript runs the js code blocks of docs/sdks.md, and of the
// README's Clients section, as ES modules with Node, in order, against a
// server of their own: HERALD_URL and HERALD_API_KEY name it, WEBHOOK_SECRET
// is a fresh secret and PORT a free port for receivers, and @herald/sdk
// and express resolve to sdk/typescript and its development dependencies.
func TestDocsJavaScript(t *testing.T) {
	node := requireTSSDK(t)
	sdk, err := filepath.Abs(tsSDKDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range []struct{ path, section string }{
		{"../../docs/sdks.md", ""},
		{"../../README.md", "Clients"},
	} {
		blocks := docJSBlocks(t, doc.path, doc.section)
		name := filepath.Base(doc.path)
		t.Run(name, func(t *testing.T) {
			if len(blocks) == 0 {
				t.Fatalf("%s has no js examples", doc.path)
			}
			dir := t.TempDir()
			modules := filepath.Join(dir, "node_modules")
			if err := os.MkdirAll(filepath.Join(modules, "@herald"), 0o755); err != nil {
				t.Fatal(err)
			}
			for link, target := range map[string]string{
				filepath.Join(modules, "@herald", "sdk"): sdk,
				filepath.Join(modules, "express"):        filepath.Join(sdk, "node_modules", "express"),
			} {
				if err := os.Symlink(target, link); err != nil {
					t.Fatal(err)
				}
			}
			ts := startServer(t)
			var key [32]byte
			_, _ = rand.Read(key[:])
			env := append(os.Environ(), "HERALD_URL="+ts.URL(), "HERALD_API_KEY="+ts.key, "HERALD_TENANT=",
				"WEBHOOK_SECRET=whsec_"+base64.StdEncoding.EncodeToString(key[:]), fmt.Sprintf("PORT=%d", freePort(t)), "NODE_OPTIONS=")
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			var background lockedBuffer
			for i, b := range blocks {
				file := filepath.Join(dir, fmt.Sprintf("example%d.mjs", i+1))
				if err := os.WriteFile(file, []byte(b.text), 0o644); err != nil {
					t.Fatal(err)
				}
				cmd := exec.CommandContext(ctx, node, file)
				cmd.Dir, cmd.Env = dir, env
				if !b.background {
					if out, err := cmd.CombinedOutput(); err != nil {
						t.Fatalf("%s:%d: the example failed: %v\n%s", doc.path, b.line, err, out)
					}
					continue
				}
				startBackground(t, cmd, &background, fmt.Sprintf("%s:%d", doc.path, b.line))
			}
			if check := docJSChecks[name]; check != nil {
				check(t, background.String())
			}
		})
	}
}

// startBackground starts cmd, copying its output to buf, and returns once
// it has written its first line; the process is killed when the test ends.
func startBackground(t *testing.T, cmd *exec.Cmd, buf *lockedBuffer, where string) {
	t.Helper()
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	exited := make(chan error, 1)
	go func() {
		err := cmd.Wait()
		pw.Close()
		exited <- err
	}()
	first := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		once := sync.Once{}
		for sc.Scan() {
			buf.WriteLine(sc.Text())
			once.Do(func() { close(first) })
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	select {
	case <-first:
	case err := <-exited:
		t.Fatalf("%s: the example exited before it wrote a line: %v\n%s", where, err, buf.String())
	}
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// lockedBuffer collects lines written from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

// WriteLine appends one line.
func (l *lockedBuffer) WriteLine(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.WriteString(s)
	l.b.WriteByte('\n')
}

// String returns what was written.
func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
