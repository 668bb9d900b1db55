package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// goBlocks returns the lines of the ```go blocks of a Markdown document's
// section (a "## " heading).
func goBlocks(t *testing.T, path, section string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	in, inSection := false, false
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "## ") {
			inSection = strings.TrimSpace(strings.TrimPrefix(l, "## ")) == section
		}
		switch trimmed := strings.TrimSpace(l); {
		case !in && trimmed == "```go":
			in = inSection
		case in && trimmed == "```":
			in = false
		case in:
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}

// declared matches the names a line declares with :=.
var declared = regexp.MustCompile(`(?m)^\s*([A-Za-z_][\w]*(?:\s*,\s*[A-Za-z_][\w]*)*)\s*:=`)

// goClientsProgram wraps the README's Go client lines in a program: they
// run in a function given ctx and the receiver's request r, with every
// name they declare used.
func goClientsProgram(code string) string {
	var uses []string
	for _, m := range declared.FindAllStringSubmatch(code, -1) {
		for _, name := range strings.Split(m[1], ",") {
			uses = append(uses, "\t_ = "+strings.TrimSpace(name))
		}
	}
	return `package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"fmt"
	"os"
	"strings"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/client"
	"github.com/heraldhq/herald/verify"
)

var (
	_ = herald.SignatureHex
	_ = client.New
	_ = verify.Request
	_ = os.Getenv
	_ = fmt.Println
)

func example(ctx context.Context, r *http.Request) {
` + code + "\n" + strings.Join(uses, "\n") + `
}

func main() {
	example(context.Background(), httptest.NewRequest("POST", "/webhooks/mutx", strings.NewReader("{}")))
}
`
}

// TestDocsGoClients builds the Go lines of the README's Clients section and
// of the Go section of docs/sdks.md each into a program (through a build
// overlay, writing nothing into the tree) and runs it against a server,
// which must then hold the webhook it created.
func TestDocsGoClients(t *testing.T) {
	for _, doc := range []struct{ path, section, url string }{
		{"../../README.md", "Clients", "http://127.0.0.1:3000/webhooks/mutx"},
		{"../../docs/sdks.md", "Go", "http://127.0.0.1:3000/webhooks/recovered"},
	} {
		t.Run(filepath.Base(doc.path), func(t *testing.T) {
			code := goBlocks(t, doc.path, doc.section)
			if strings.TrimSpace(code) == "" {
				t.Fatalf("%s's %s section has no go block", doc.path, doc.section)
			}
			ts := startServer(t)
			runGoDoc(t, ts, code)
			var hooks struct {
				Items []struct {
					URL string `json:"url"`
				} `json:"items"`
			}
			ts.must(200, "GET", "/v1/webhooks", nil, &hooks)
			if len(hooks.Items) != 1 || hooks.Items[0].URL != doc.url {
				t.Fatalf("after the Go example the server has webhooks %+v, want the one it created", hooks.Items)
			}
		})
	}
}

// runGoDoc runs the Go lines code of a document against ts.
func runGoDoc(t *testing.T, ts *testServer, code string) {
	t.Helper()
	dir := t.TempDir()
	code = strings.ReplaceAll(code, "http://127.0.0.1:8420", ts.URL())
	src := filepath.Join(dir, "main.go")
	if err := os.WriteFile(src, []byte(goClientsProgram(code)), 0o600); err != nil {
		t.Fatal(err)
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	overlay, _ := json.Marshal(map[string]any{"Replace": map[string]string{filepath.Join(root, "internal", "docsclients", "main.go"): src}})
	if err := os.WriteFile(filepath.Join(dir, "overlay.json"), overlay, 0o600); err != nil {
		t.Fatal(err)
	}
	goBin := filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	if _, err := os.Stat(goBin); err != nil {
		if goBin, err = exec.LookPath("go"); err != nil {
			t.Skip("no go command to build the Go example with")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, "run", "-overlay", filepath.Join(dir, "overlay.json"), "./internal/docsclients")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "HERALD_API_KEY="+ts.key)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the Go example: %v\n%s\n%s", err, out, goClientsProgram(code))
	}
}
