package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/client"
)

// newTenantsCmd is "herald tenants": create, read, change and delete the
// platform's tenants. These commands take a platform admin key and name
// the tenant as their argument: the global --tenant does not apply.
func newTenantsCmd(o *cliOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "tenants",
		Aliases: []string{"tenant"},
		Short:   "Manage tenants, the platform's customers (needs a platform admin key)",
		Long: `Manage tenants. A tenant is one of the platform's customers: it owns its
webhooks, events and deliveries, agents, alert rules, inbound webhooks and
API keys, and a key made for it (herald keys create --tenant ID) sees and
changes those alone. Its ID is the platform's own identifier for the
customer: 1 to 128 letters, digits and _ . : @ -, starting with a letter or
a digit. Rows without a tenant are the platform's own.

Every other command acts for one tenant with --tenant ID (or HERALD_TENANT).`,
		RunE: runGroup,
	}
	cmd.AddCommand(newTenantsCreateCmd(o), newTenantsGetCmd(o), newTenantsListCmd(o),
		newTenantsUpdateCmd(o), newTenantsDeleteCmd(o), newTenantsPortalCmd(o))
	return cmd
}

// tenantFlags are the fields of create and update.
type tenantFlags struct {
	name, metadata, retention string
}

func (f *tenantFlags) register(cmd *cobra.Command, update bool) {
	keep := ""
	if update {
		keep = " (unchanged unless given)"
	}
	cmd.Flags().StringVar(&f.name, "name", "", "a display name, at most 200 characters"+keep)
	cmd.Flags().StringVar(&f.metadata, "metadata", "", "a JSON object of at most 16 KiB: inline, @FILE, or - for stdin"+keep)
	cmd.Flags().StringVar(&f.retention, "retention", "", `how long its events, deliveries and attempts are kept, e.g. 7d or 90d; 0 keeps everything, "" follows the server's --retention`+keep)
}

// apply sets on in the fields given on the command line and returns how
// many there were.
func (f *tenantFlags) apply(cmd *cobra.Command, in *client.TenantInput) (int, error) {
	n := 0
	if cmd.Flags().Changed("name") {
		in.Name = &f.name
		n++
	}
	if cmd.Flags().Changed("metadata") {
		raw, err := readJSONArg(cmd, "metadata", f.metadata, true)
		if err != nil {
			return n, err
		}
		in.Metadata = raw
		n++
	}
	if cmd.Flags().Changed("retention") {
		in.Retention = &f.retention
		n++
	}
	return n, nil
}

// runTenants is o.run for the tenants commands: their client is never
// scoped, as the tenant is their argument, and an explicit --tenant is
// refused rather than ignored.
func (o *cliOptions) runTenants(fn func(cmd *cobra.Command, args []string, c *client.Client) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if o.changed("tenant") {
			return errors.New("--tenant does not apply to herald tenants: give the tenant ID as the argument")
		}
		return o.runClient(false, fn)(cmd, args)
	}
}

func newTenantsCreateCmd(o *cliOptions) *cobra.Command {
	var f tenantFlags
	cmd := &cobra.Command{
		Use:   "create ID [--name NAME] [--metadata JSON] [--retention 7d]",
		Short: "Create a tenant",
		Long: `Create a tenant with the platform's own ID for the customer. An ID in use is
refused; change that tenant with "herald tenants update".`,
		Example: `  herald tenants create acme --name "Acme Corp"
  herald tenants create cus_8f2k --metadata '{"plan": "pro", "region": "eu"}'
  herald tenants create globex --retention 90d
  herald keys create --name acme-admin --scope admin --tenant acme`,
		Args: cobra.ExactArgs(1),
		RunE: o.runTenants(func(cmd *cobra.Command, args []string, c *client.Client) error {
			id := args[0]
			if err := herald.ValidateTenantID("id", id); err != nil {
				return err
			}
			var in client.TenantInput
			if _, err := f.apply(cmd, &in); err != nil {
				return err
			}
			// PUT creates or updates: look first, so that create never
			// overwrites a tenant.
			if _, err := c.Tenants.Get(cmd.Context(), id); err == nil {
				return fmt.Errorf("tenant %s exists already; change it with: herald tenants update %s --name NAME", id, id)
			} else if !client.IsNotFound(err) {
				return err
			}
			t, _, err := c.Tenants.Put(cmd.Context(), id, in)
			if err != nil {
				return err
			}
			return o.emit(cmd, t, func(w io.Writer) {
				fmt.Fprintf(w, "Created tenant %s.\n\n", t.ID)
				tableFields(w, tenantFields(t))
				fmt.Fprintf(w, "\nGive it a key with: herald keys create --name NAME --scope admin --tenant %s\n", t.ID)
			})
		}),
	}
	f.register(cmd, false)
	return cmd
}

func newTenantsUpdateCmd(o *cliOptions) *cobra.Command {
	var f tenantFlags
	cmd := &cobra.Command{
		Use:   "update ID [--name NAME] [--metadata JSON]",
		Short: "Change a tenant's name or metadata and keep the rest",
		Example: `  herald tenants update acme --name "Acme Inc."
  herald tenants update acme --metadata @acme.json`,
		Args: cobra.ExactArgs(1),
		RunE: o.runTenants(func(cmd *cobra.Command, args []string, c *client.Client) error {
			var in client.TenantInput
			n, err := f.apply(cmd, &in)
			if err != nil {
				return err
			}
			if n == 0 {
				return errors.New("nothing to update: give --name or --metadata")
			}
			// PUT sets both fields: keep the one not given, and never
			// create a tenant that does not exist.
			old, err := c.Tenants.Get(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if in.Name == nil {
				in.Name = &old.Name
			}
			if in.Metadata == nil && len(old.Metadata) > 0 {
				in.Metadata = old.Metadata
			}
			t, _, err := c.Tenants.Put(cmd.Context(), args[0], in)
			if err != nil {
				return err
			}
			return o.emit(cmd, t, func(w io.Writer) { tableFields(w, tenantFields(t)) })
		}),
	}
	f.register(cmd, true)
	return cmd
}

func newTenantsGetCmd(o *cliOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "get ID",
		Short: "Show a tenant with the counts of its webhooks and agents",
		Args:  cobra.ExactArgs(1),
		RunE: o.runTenants(func(cmd *cobra.Command, args []string, c *client.Client) error {
			t, err := c.Tenants.Get(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return o.emit(cmd, t, func(w io.Writer) { tableFields(w, tenantFields(t)) })
		}),
	}
}

func newTenantsListCmd(o *cliOptions) *cobra.Command {
	var opts client.ListOptions
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List tenants, by ID",
		Args:  cobra.NoArgs,
		RunE: o.runTenants(func(cmd *cobra.Command, args []string, c *client.Client) error {
			list, err := c.Tenants.List(cmd.Context(), opts)
			if err != nil {
				return err
			}
			if err := o.emit(cmd, list, func(w io.Writer) {
				if len(list.Items) == 0 && list.Skip == 0 {
					fmt.Fprintln(w, "No tenants yet. Create one with: herald tenants create ID --name NAME")
					return
				}
				tableRow(w, "ID", "NAME", "CREATED", "UPDATED", "METADATA")
				for _, t := range list.Items {
					tableRow(w, t.ID, t.Name, cellTime(&t.CreatedAt), cellTime(&t.UpdatedAt), cellCut(compactJSON(t.Metadata), 60))
				}
			}); err != nil {
				return err
			}
			pageFooter(cmd, len(list.Items), list.Skip, list.Total)
			return nil
		}),
	}
	addPageFlags(cmd, &opts.Skip, &opts.Limit)
	return cmd
}

func newTenantsDeleteCmd(o *cliOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "delete ID",
		Short: "Delete a tenant and everything it owns",
		Long: `Delete a tenant and everything it owns, in one transaction: its webhooks,
events, deliveries and attempts, agents with their logs, metrics and
deployments, alert rules, inbound webhooks with their request logs,
invocations, and API keys. Deliveries queued for it are never sent. This
cannot be undone.`,
		Args: cobra.ExactArgs(1),
		RunE: o.runTenants(func(cmd *cobra.Command, args []string, c *client.Client) error {
			if err := c.Tenants.Delete(cmd.Context(), args[0]); err != nil {
				return err
			}
			return o.emit(cmd, map[string]any{"id": args[0], "deleted": true}, func(w io.Writer) {
				fmt.Fprintf(w, "Deleted tenant %s and everything it owned.\n", args[0])
			})
		}),
	}
}

// tenantFields are the lines of a tenant's detail view; the counts only
// when the answer has them (get).
func tenantFields(t *herald.Tenant) [][2]string {
	fields := [][2]string{
		{"ID", t.ID},
		{"Name", t.Name},
		{"Metadata", compactJSON(t.Metadata)},
	}
	if t.Counts != nil {
		fields = append(fields, [2]string{"Webhooks", strconv.Itoa(t.Counts.Webhooks)}, [2]string{"Agents", strconv.Itoa(t.Counts.Agents)})
	}
	return append(fields, [2]string{"Created", cellTime(&t.CreatedAt)}, [2]string{"Updated", cellTime(&t.UpdatedAt)})
}

// compactJSON writes raw on one line; "" for nothing.
func compactJSON(raw json.RawMessage) string {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return string(raw)
	}
	return b.String()
}
