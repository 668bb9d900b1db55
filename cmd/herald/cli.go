package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/client"
	"github.com/heraldhq/herald/internal/jsontime"
)

// Defaults of the global flags.
const (
	defaultDataDir = "./herald-data"
	adminKeyFile   = "admin.key"
)

// cliOptions holds the global flags of the client subcommands (keys,
// webhooks, events), registered on the root command by register:
//
//	--server    the server's URL; env HERALD_URL; default http://127.0.0.1:8420
//	--api-key   the API key; env HERALD_API_KEY; otherwise <data-dir>/admin.key
//	--data-dir  env HERALD_DATA_DIR; default ./herald-data
//	--tenant    env HERALD_TENANT; scopes a platform admin key's commands to
//	            one tenant (the X-Herald-Tenant header)
//	-o/--output table (the default) or json
//
// --data-dir is shared: it is a persistent flag of the root, so "herald
// serve" (which keeps its database and writes the first admin key there)
// reads the same flag with cmd.Flags().Lookup("data-dir") and defines none
// of its own, and the CLI on the server's machine finds admin.key with no
// setup. A flag given on the command line beats its environment variable.
type cliOptions struct {
	server  string
	apiKey  string
	dataDir string
	tenant  string
	output  string

	root *cobra.Command
	// keySource says where the key in use came from, and baseURL which
	// server the client calls, for error hints.
	keySource string
	baseURL   string
}

// register adds the global flags to root as persistent flags.
func (o *cliOptions) register(root *cobra.Command) {
	o.root = root
	flags := root.PersistentFlags()
	flags.StringVar(&o.server, "server", client.DefaultBaseURL, "Herald server URL (env HERALD_URL)")
	flags.StringVar(&o.apiKey, "api-key", "", "API key (env HERALD_API_KEY; default: the key in <data-dir>/admin.key)")
	flags.StringVar(&o.dataDir, "data-dir", defaultDataDir, "directory of serve's database and first admin key, which the CLI reads (env HERALD_DATA_DIR)")
	flags.StringVar(&o.tenant, "tenant", "", "act for this tenant: lists hold its rows only and what is created is its own (env HERALD_TENANT; a tenant's key acts for its own tenant already)")
	flags.StringVarP(&o.output, "output", "o", "table", "output format: table or json")
}

// changed reports whether a global flag was given on the command line.
func (o *cliOptions) changed(name string) bool {
	return o.root != nil && o.root.PersistentFlags().Changed(name)
}

// setting returns the flag's value when given, else the environment
// variable when set, else the flag's default.
func (o *cliOptions) setting(flag, value, env string) string {
	if o.changed(flag) {
		return value
	}
	if v := strings.TrimSpace(os.Getenv(env)); v != "" {
		return v
	}
	return value
}

// serverURL is the server the CLI talks to.
func (o *cliOptions) serverURL() string { return o.setting("server", o.server, "HERALD_URL") }

// dataDirPath is the data directory holding admin.key.
func (o *cliOptions) dataDirPath() string { return o.setting("data-dir", o.dataDir, "HERALD_DATA_DIR") }

// tenantID is the tenant the commands act for: --tenant, else
// HERALD_TENANT, else "" (none). It is checked as a tenant id.
func (o *cliOptions) tenantID() (string, error) {
	t := strings.TrimSpace(o.setting("tenant", o.tenant, "HERALD_TENANT"))
	if t == "" {
		return "", nil
	}
	if err := herald.ValidateTenantID("tenant", t); err != nil {
		return "", fmt.Errorf("--tenant (or HERALD_TENANT): %q is not a tenant id: %w", t, err)
	}
	return t, nil
}

// key finds the API key: --api-key, then HERALD_API_KEY, then the admin
// key "herald serve" saved in the data directory.
func (o *cliOptions) key() (string, error) {
	if k := strings.TrimSpace(o.apiKey); k != "" && o.changed("api-key") {
		o.keySource = "--api-key"
		return k, nil
	}
	if k := strings.TrimSpace(os.Getenv("HERALD_API_KEY")); k != "" {
		o.keySource = "HERALD_API_KEY"
		return k, nil
	}
	path := filepath.Join(o.dataDirPath(), adminKeyFile)
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("read API key file: %w", err)
	}
	if k := strings.TrimSpace(string(b)); k != "" {
		o.keySource = path
		return k, nil
	}
	return "", fmt.Errorf("no API key: pass --api-key or set HERALD_API_KEY.\n"+
		"On the server's machine the CLI also reads the first admin key, which \"herald serve\" saves to %s "+
		"on its first start (use --data-dir or HERALD_DATA_DIR if the server keeps its data elsewhere); "+
		"with an admin key, make more with: herald keys create --name NAME", path)
}

// checkOutput refuses an unknown --output.
func (o *cliOptions) checkOutput() error {
	switch o.output {
	case "table", "json":
		return nil
	}
	return fmt.Errorf("--output: must be table or json, got %q", o.output)
}

// client returns an API client for the server and key the flags name,
// scoped to the --tenant one when scoped is set.
func (o *cliOptions) client(scoped bool) (*client.Client, error) {
	key, err := o.key()
	if err != nil {
		return nil, err
	}
	tenant := ""
	if scoped {
		if tenant, err = o.tenantID(); err != nil {
			return nil, err
		}
	}
	c := client.New(o.serverURL(), key, client.WithUserAgent("herald-cli/"+Version), client.WithTenant(tenant))
	o.baseURL = c.BaseURL()
	return c, nil
}

// run turns fn into a RunE: it checks --output, builds the client (scoped
// to --tenant), and adds a hint on what to do to connection and
// credential failures.
func (o *cliOptions) run(fn func(cmd *cobra.Command, args []string, c *client.Client) error) func(*cobra.Command, []string) error {
	return o.runClient(true, fn)
}

// runClient is run, with a client scoped to --tenant only when scoped is
// set.
func (o *cliOptions) runClient(scoped bool, fn func(cmd *cobra.Command, args []string, c *client.Client) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if err := o.checkOutput(); err != nil {
			return err
		}
		c, err := o.client(scoped)
		if err != nil {
			return err
		}
		return o.explain(fn(cmd, args, c))
	}
}

// runGroup is the RunE of a command group such as "herald webhooks": it
// prints the group's help, and refuses an unknown subcommand (which cobra
// accepts as an argument below the root).
func runGroup(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("unknown command %q for %q; see: %s --help", args[0], cmd.CommandPath(), cmd.CommandPath())
	}
	return cmd.Help()
}

// explain adds what to do next to errors whose cause is on the user's side.
func (o *cliOptions) explain(err error) error {
	switch {
	case err == nil:
		return nil
	case client.IsUnreachable(err):
		return fmt.Errorf("%w\nis Herald running at %s? start it with: herald serve (or point --server or HERALD_URL at the server)", err, o.baseURL)
	case client.IsUnauthorized(err):
		return fmt.Errorf("%w\nthe server refused the API key from %s; pass another with --api-key or HERALD_API_KEY", err, o.keySource)
	case client.IsForbidden(err) && strings.Contains(err.Error(), "may report only for agent"):
		return err // a JWT bound to another agent; the message says it all
	case client.IsForbidden(err) && strings.Contains(err.Error(), "tenant"):
		if t, _ := o.tenantID(); t != "" {
			return fmt.Errorf("%w\nthe key may not act for tenant %q (--tenant or HERALD_TENANT): a tenant's key acts for its own tenant only", err, t)
		}
		return err
	case client.IsForbidden(err):
		return fmt.Errorf("%w\nthis command needs an admin key", err)
	}
	return err
}

// emit prints v as indented JSON with -o json (times in RFC 3339 UTC with
// microseconds, as the API answers them), and otherwise calls table
// with an aligned writer that it flushes.
func (o *cliOptions) emit(cmd *cobra.Command, v any, table func(w io.Writer)) error {
	out := cmd.OutOrStdout()
	if o.output == "json" {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return fmt.Errorf("write json: %w", err)
		}
		if _, err := out.Write(jsontime.Rewrite(v, buf.Bytes())); err != nil {
			return fmt.Errorf("write json: %w", err)
		}
		return nil
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	table(tw)
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	return nil
}

// tableRow writes one row of tab-separated cells.
func tableRow(w io.Writer, cells ...string) {
	for i, c := range cells {
		cells[i] = cellText(c)
	}
	fmt.Fprintln(w, strings.Join(cells, "\t"))
}

// manyTenants reports whether rows hold more than one distinct tenant (the
// platform's own rows counting as one): a table then shows a TENANT
// column.
func manyTenants[T any](rows []T, tenant func(T) herald.TenantID) bool {
	for _, r := range rows[min(1, len(rows)):] {
		if tenant(r) != tenant(rows[0]) {
			return true
		}
	}
	return false
}

// tenantCells puts first before cells when show is set: the TENANT
// column's header or cell (see cellTenant).
func tenantCells(show bool, first string, cells ...string) []string {
	if !show {
		return cells
	}
	return append([]string{first}, cells...)
}

// cellTenant writes a row's tenant; "-" for the platform's own.
func cellTenant(id herald.TenantID) string { return cellText(string(id)) }

// withTenantField adds a "Tenant" line after the first line (the ID) of a
// detail view when the row is a tenant's; the platform's rows show none.
func withTenantField(fields [][2]string, id herald.TenantID) [][2]string {
	if id == "" || len(fields) == 0 {
		return fields
	}
	return append(fields[:1:1], append([][2]string{{"Tenant", string(id)}}, fields[1:]...)...)
}

// tableFields writes "Label:  value" lines, skipping none.
func tableFields(w io.Writer, fields [][2]string) {
	for _, f := range fields {
		tableRow(w, f[0]+":", f[1])
	}
}

// pageFooter tells, on stderr, how to see the next page when there is one.
func pageFooter(cmd *cobra.Command, shown, skip, total int) {
	if shown == 0 || skip+shown >= total {
		return
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "Showing %d-%d of %d; next page: --skip %d\n", skip+1, skip+shown, total, skip+shown)
}

// cellText makes s fit one table cell: no tabs or line breaks, and "-"
// for empty.
func cellText(s string) string {
	if s == "" {
		return "-"
	}
	return strings.NewReplacer("\t", " ", "\r", " ", "\n", " ").Replace(s)
}

// cellCut shortens s to at most n runes, marking the cut with "...".
func cellCut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-3]) + "..."
}

// cellTime writes a time in UTC as RFC 3339 to the second; "-" for nil.
func cellTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// cellCode writes an HTTP status code; "-" for none.
func cellCode(code *int) string {
	if code == nil {
		return "-"
	}
	return fmt.Sprint(*code)
}

// cellYesNo writes a bool as yes or no.
func cellYesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// newVersionCmd is "herald version": it prints the release (Version, "dev"
// unless set at build time) and the Go version it was built with; with
// -o json, {"version", "go"}.
func newVersionCmd(cli *cliOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print Herald's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cli.checkOutput(); err != nil {
				return err
			}
			v := struct {
				Version string `json:"version"`
				Go      string `json:"go"`
			}{Version, runtime.Version()}
			return cli.emit(cmd, v, func(w io.Writer) {
				fmt.Fprintf(w, "herald %s (%s)\n", v.Version, v.Go)
			})
		},
	}
}

// normalizeBoolFlags rewrites "--flag true" and "--flag false" (and "-f
// false") into "--flag=true" and "--flag=false" when flag is a bool flag of
// the command args name, so that "--active false" means what it says:
// without it, pflag reads "--active" as true and "false" as an argument.
// Arguments after "--" are left alone.
func normalizeBoolFlags(root *cobra.Command, args []string) []string {
	cmd, _, err := root.Find(args)
	if err != nil || cmd == nil {
		return args
	}
	lookup := func(arg string) *pflag.Flag {
		for _, fs := range []*pflag.FlagSet{cmd.Flags(), cmd.InheritedFlags()} {
			var f *pflag.Flag
			if name, ok := strings.CutPrefix(arg, "--"); ok {
				f = fs.Lookup(name)
			} else if len(arg) == 2 {
				f = fs.ShorthandLookup(arg[1:])
			}
			if f != nil {
				return f
			}
		}
		return nil
	}
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			return append(out, args[i:]...)
		}
		if i+1 < len(args) && (args[i+1] == "true" || args[i+1] == "false") &&
			strings.HasPrefix(arg, "-") && !strings.Contains(arg, "=") {
			if f := lookup(arg); f != nil && f.Value.Type() == "bool" {
				out = append(out, arg+"="+args[i+1])
				i++
				continue
			}
		}
		out = append(out, arg)
	}
	return out
}
