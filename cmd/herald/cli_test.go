package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/spf13/cobra"
)

// stubAnswer is what stubAPI answers to one route.
type stubAnswer struct {
	status int
	body   string
}

// stubRequest is one request stubAPI received.
type stubRequest struct {
	Method string
	URI    string // path and query as sent, escapes kept
	Auth   string
	Agent  string
	Type   string
	Body   string
	// Tenant is the X-Herald-Tenant header ("" when not sent).
	Tenant string
}

// stubAPI is a fake Herald API for the CLI tests: it answers "METHOD /path"
// with a canned answer (404 not_found for others) and records requests.
type stubAPI struct {
	*httptest.Server
	mu      sync.Mutex
	answers map[string]stubAnswer
	got     []stubRequest
}

func newStubAPI(t *testing.T, answers map[string]stubAnswer) *stubAPI {
	t.Helper()
	s := &stubAPI{answers: answers}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.got = append(s.got, stubRequest{r.Method, r.RequestURI, r.Header.Get("Authorization"),
			r.Header.Get("User-Agent"), r.Header.Get("Content-Type"), string(b), r.Header.Get("X-Herald-Tenant")})
		a, ok := s.answers[r.Method+" "+r.URL.Path]
		s.mu.Unlock()
		if !ok {
			a = stubAnswer{404, `{"error":{"code":"not_found","message":"no such route in the stub"}}`}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(a.status)
		_, _ = io.WriteString(w, a.body)
	}))
	t.Cleanup(s.Close)
	return s
}

// only returns the one request received, failing unless there was one.
func (s *stubAPI) only(t *testing.T) stubRequest {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.got) != 1 {
		t.Fatalf("the API got %d requests, want 1: %+v", len(s.got), s.got)
	}
	return s.got[0]
}

// expect checks the method, URI, key and body of a request the CLI sent.
func (r stubRequest) expect(t *testing.T, method, uri, body string) {
	t.Helper()
	if r.Method != method || r.URI != uri {
		t.Errorf("request = %s %s, want %s %s", r.Method, r.URI, method, uri)
	}
	if r.Auth != "Bearer hk_test" {
		t.Errorf("Authorization = %q", r.Auth)
	}
	if !strings.HasPrefix(r.Agent, "herald-cli/") {
		t.Errorf("User-Agent = %q", r.Agent)
	}
	if r.Body != body {
		t.Errorf("body = %s\nwant   %s", r.Body, body)
	}
	if body != "" && r.Type != "application/json" {
		t.Errorf("Content-Type = %q", r.Type)
	}
}

// run runs the CLI against the stub with --server and --api-key set.
func (s *stubAPI) run(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	return runCLITest(t, "", append(args, "--server", s.URL, "--api-key", "hk_test")...)
}

// newCLITestRoot builds the root command with the client subcommands only,
// as main's newRootCmd does, so these tests need no server code.
func newCLITestRoot() *cobra.Command {
	root := &cobra.Command{Use: "herald", SilenceUsage: true, SilenceErrors: true}
	cli := &cliOptions{}
	cli.register(root)
	root.AddCommand(newKeysCmd(cli), newWebhooksCmd(cli), newEventsCmd(cli),
		newIngestCmd(cli), newAgentsCmd(cli), newDeploymentsCmd(cli), newAlertsCmd(cli), newTenantsCmd(cli), newEventTypesCmd(cli), newVersionCmd(cli))
	return root
}

// runCLITest runs the CLI with args and stdin, with the HERALD_*
// environment variables cleared.
func runCLITest(t *testing.T, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	for _, env := range []string{"HERALD_URL", "HERALD_API_KEY", "HERALD_DATA_DIR", "HERALD_TENANT"} {
		if _, set := os.LookupEnv(env); set {
			t.Setenv(env, "")
		}
	}
	root := newCLITestRoot()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetIn(strings.NewReader(stdin))
	root.SetArgs(normalizeBoolFlags(root, args))
	err = root.Execute()
	return out.String(), errOut.String(), err
}

// assertAligned checks that every line under the header starts each column
// where the header's name starts.
func assertAligned(t *testing.T, table string, columns ...string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(table, "\n"), "\n")
	header := lines[0]
	for _, col := range columns {
		at := strings.Index(header, col)
		if at < 0 {
			t.Fatalf("no column %q in %q", col, header)
		}
		for _, line := range lines[1:] {
			if len(line) <= at || (at > 0 && line[at-1] != ' ') || line[at] == ' ' {
				t.Errorf("column %q is not aligned at %d in:\n%s", col, at, table)
				return
			}
		}
	}
}

// decodeOutput parses -o json output.
func decodeOutput(t *testing.T, out string) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("output is not a JSON object: %v\n%s", err, out)
	}
	return v
}

const keyJSON = `{"id":"key_1","name":"ci","scope":"ingest","prefix":"hk_abcdef","created_at":"2024-01-15T11:45:00Z","last_used_at":null,"revoked_at":null`

func TestCLIUnreachableServer(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	url := dead.URL
	dead.Close()
	_, _, err := runCLITest(t, "", "webhooks", "list", "--server", url, "--api-key", "hk_test")
	if err == nil {
		t.Fatal("no error against a stopped server")
	}
	msg := err.Error()
	for _, want := range []string{"cannot reach Herald", "GET " + url + "/v1/webhooks", "is Herald running at " + url, "herald serve"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error does not contain %q:\n%s", want, msg)
		}
	}
}

func TestCLINoKey(t *testing.T) {
	dir := t.TempDir()
	_, _, err := runCLITest(t, "", "keys", "list", "--server", "http://127.0.0.1:1", "--data-dir", dir)
	if err == nil {
		t.Fatal("no error without a key")
	}
	for _, want := range []string{"--api-key", "HERALD_API_KEY", filepath.Join(dir, "admin.key"), "herald serve"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not contain %q:\n%v", want, err)
		}
	}
}

func TestCLIKeyAndServerFromEnvAndDataDir(t *testing.T) {
	api := newStubAPI(t, map[string]stubAnswer{"GET /v1/keys": {200, `{"items":[]}`}})
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "admin.key"), []byte("hk_fromfile\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(env map[string]string, args ...string) stubRequest {
		t.Helper()
		api.got = nil
		root := newCLITestRoot()
		for _, k := range []string{"HERALD_URL", "HERALD_API_KEY", "HERALD_DATA_DIR"} {
			t.Setenv(k, env[k])
		}
		root.SetOut(io.Discard)
		root.SetArgs(append([]string{"keys", "list"}, args...))
		if err := root.Execute(); err != nil {
			t.Fatal(err)
		}
		return api.only(t)
	}
	// --data-dir: the admin key serve saved there.
	if r := run(nil, "--server", api.URL, "--data-dir", dir); r.Auth != "Bearer hk_fromfile" {
		t.Errorf("key from --data-dir: Authorization = %q", r.Auth)
	}
	// HERALD_DATA_DIR and HERALD_URL.
	if r := run(map[string]string{"HERALD_DATA_DIR": dir, "HERALD_URL": api.URL}); r.Auth != "Bearer hk_fromfile" {
		t.Errorf("key from HERALD_DATA_DIR: Authorization = %q", r.Auth)
	}
	// HERALD_API_KEY beats the file; --api-key beats both.
	env := map[string]string{"HERALD_DATA_DIR": dir, "HERALD_URL": api.URL, "HERALD_API_KEY": "hk_env"}
	if r := run(env); r.Auth != "Bearer hk_env" {
		t.Errorf("key from HERALD_API_KEY: Authorization = %q", r.Auth)
	}
	if r := run(env, "--api-key", "hk_flag"); r.Auth != "Bearer hk_flag" {
		t.Errorf("key from --api-key: Authorization = %q", r.Auth)
	}
	// --server beats HERALD_URL.
	env["HERALD_URL"] = "http://127.0.0.1:1"
	if r := run(env, "--server", api.URL); r.Auth != "Bearer hk_env" {
		t.Errorf("--server: Authorization = %q", r.Auth)
	}
}

// TestCLIDataDirSharedWithServe checks the coordination with "herald
// serve": the root's persistent --data-dir reaches a subcommand that reads
// it with cmd.Flags().Lookup, as serve's config loading does.
func TestCLIDataDirSharedWithServe(t *testing.T) {
	root := newCLITestRoot()
	var seen string
	root.AddCommand(&cobra.Command{Use: "serve-like", RunE: func(cmd *cobra.Command, args []string) error {
		seen = cmd.Flags().Lookup("data-dir").Value.String()
		return nil
	}})
	root.SetArgs([]string{"serve-like", "--data-dir", "/srv/herald"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	if seen != "/srv/herald" {
		t.Errorf("data-dir seen by the subcommand = %q", seen)
	}
}

func TestCLIUnauthorizedHint(t *testing.T) {
	api := newStubAPI(t, map[string]stubAnswer{
		"GET /v1/keys": {401, `{"error":{"code":"unauthorized","message":"the API key is invalid or revoked"}}`},
	})
	_, _, err := api.run(t, "keys", "list")
	if err == nil || !strings.Contains(err.Error(), "list keys: the API key is invalid or revoked (HTTP 401 unauthorized)") ||
		!strings.Contains(err.Error(), "refused the API key from --api-key") {
		t.Errorf("err = %v", err)
	}
}

func TestCLIBadOutput(t *testing.T) {
	api := newStubAPI(t, nil)
	_, _, err := api.run(t, "keys", "list", "-o", "yaml")
	if err == nil || !strings.Contains(err.Error(), `--output: must be table or json, got "yaml"`) {
		t.Errorf("err = %v", err)
	}
	if len(api.got) != 0 {
		t.Errorf("a request was sent: %+v", api.got)
	}
}

func TestCLIKeysCreate(t *testing.T) {
	api := newStubAPI(t, map[string]stubAnswer{
		"POST /v1/keys": {201, strings.Replace(keyJSON, `"scope":"ingest"`, `"scope":"admin"`, 1) + `,"key":"hk_abcdefSECRET"}`},
	})
	out, _, err := api.run(t, "keys", "create", "--name", "ci", "--scope", "admin")
	if err != nil {
		t.Fatal(err)
	}
	api.only(t).expect(t, "POST", "/v1/keys", `{"name":"ci","scope":"admin"}`)
	for _, want := range []string{`Created admin key "ci" (key_1).`, "\n    hk_abcdefSECRET\n", "Save this key now"} {
		if !strings.Contains(out, want) {
			t.Errorf("output does not contain %q:\n%s", want, out)
		}
	}

	// The default scope is ingest; -o json prints the key for scripts.
	api = newStubAPI(t, map[string]stubAnswer{"POST /v1/keys": {201, keyJSON + `,"key":"hk_abcdefSECRET"}`}})
	out, _, err = api.run(t, "keys", "create", "--name", "ci", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	api.only(t).expect(t, "POST", "/v1/keys", `{"name":"ci","scope":"ingest"}`)
	if v := decodeOutput(t, out); v["key"] != "hk_abcdefSECRET" || v["id"] != "key_1" {
		t.Errorf("json = %v", v)
	}

	// --name is required.
	api = newStubAPI(t, nil)
	if _, _, err := api.run(t, "keys", "create"); err == nil || !strings.Contains(err.Error(), `"name" not set`) {
		t.Errorf("err = %v", err)
	}
}

func TestCLIKeysListAndRevoke(t *testing.T) {
	api := newStubAPI(t, map[string]stubAnswer{
		"GET /v1/keys": {200, `{"items":[` + keyJSON + `},{"id":"key_22","name":"old admin","scope":"admin","prefix":"hk_zyxwvu",
"created_at":"2024-01-15T11:45:00Z","last_used_at":"2024-01-16T08:00:00Z","revoked_at":"2024-01-17T00:00:00Z"}],"total":2,"skip":0,"limit":2}`},
		"DELETE /v1/keys/key_1": {204, ""},
	})
	out, _, err := api.run(t, "keys", "list")
	if err != nil {
		t.Fatal(err)
	}
	api.only(t).expect(t, "GET", "/v1/keys", "")
	want := `ID      NAME       SCOPE   PREFIX     CREATED               LAST USED             STATUS
key_1   ci         ingest  hk_abcdef  2024-01-15T11:45:00Z  -                     active
key_22  old admin  admin   hk_zyxwvu  2024-01-15T11:45:00Z  2024-01-16T08:00:00Z  revoked 2024-01-17T00:00:00Z
`
	if out != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}

	api.got = nil
	out, _, err = api.run(t, "keys", "revoke", "key_1")
	if err != nil {
		t.Fatal(err)
	}
	api.only(t).expect(t, "DELETE", "/v1/keys/key_1", "")
	if out != "Revoked key key_1.\n" {
		t.Errorf("output = %q", out)
	}

	api.got = nil
	_, _, err = api.run(t, "keys", "revoke", "key_9")
	if err == nil || !strings.Contains(err.Error(), "revoke key: no such route in the stub (HTTP 404 not_found)") {
		t.Errorf("err = %v", err)
	}
}

func TestCLIUnknownSubcommand(t *testing.T) {
	api := newStubAPI(t, nil)
	_, _, err := api.run(t, "webhooks", "lst")
	if err == nil || !strings.Contains(err.Error(), `unknown command "lst" for "herald webhooks"`) {
		t.Errorf("err = %v", err)
	}
	out, _, err := api.run(t, "events")
	if err != nil || !strings.Contains(out, "Available Commands") {
		t.Errorf("err = %v, output:\n%s", err, out)
	}
}

func TestCLIBoolFlagTakesSeparateValue(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--active", "false"}, `{"is_active":false}`},
		{[]string{"--active", "true"}, `{"is_active":true}`},
		{[]string{"--active=false"}, `{"is_active":false}`},
		{[]string{"--active"}, `{"is_active":true}`},
		{[]string{"--insecure-skip-verify", "false", "--active", "false"}, `{"is_active":false,"verify_ssl":true}`},
	} {
		api := newStubAPI(t, map[string]stubAnswer{"PATCH /v1/webhooks/wh_1": {200, cliWebhookJSON + `}`}})
		if _, _, err := api.run(t, append([]string{"webhooks", "update", "wh_1"}, tc.args...)...); err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		api.only(t).expect(t, "PATCH", "/v1/webhooks/wh_1", tc.want)
	}
}

func TestNormalizeBoolFlags(t *testing.T) {
	root := newCLITestRoot()
	for _, tc := range []struct{ in, want string }{
		{"webhooks update wh_1 --active false", "webhooks update wh_1 --active=false"},
		{"webhooks update wh_1 --name false", "webhooks update wh_1 --name false"},           // a string flag
		{"webhooks update wh_1 --active -- false", "webhooks update wh_1 --active -- false"}, // after --
		{"webhooks update wh_1 --active=true false", "webhooks update wh_1 --active=true false"},
		{"events send x --data {}", "events send x --data {}"},
		{"--server http://x -o json webhooks update wh_1 --active false", "--server http://x -o json webhooks update wh_1 --active=false"},
		{"agents update a --runtime echo", "agents update a --runtime echo"},
	} {
		if got := strings.Join(normalizeBoolFlags(root, strings.Fields(tc.in)), " "); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCLIVersion(t *testing.T) {
	out, _, err := runCLITest(t, "", "version")
	if err != nil || out != "herald "+Version+" ("+runtime.Version()+")\n" {
		t.Errorf("version: %q, %v", out, err)
	}
	out, _, err = runCLITest(t, "", "version", "-o", "json")
	if v := decodeOutput(t, out); err != nil || v["version"] != Version || v["go"] != runtime.Version() {
		t.Errorf("version -o json: %q, %v", out, err)
	}
}
