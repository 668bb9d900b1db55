package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/client"
)

// newKeysCmd is "herald keys": create, list and revoke API keys.
func newKeysCmd(o *cliOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Manage API keys (needs an admin key)",
		Long: `Manage API keys. An admin key can call every route; an ingest key can only
send events. Herald keeps only a hash of each key, so a key is shown once,
when it is created. A key made with --tenant belongs to that tenant: every
request it makes is confined to the tenant's webhooks, events, agents and
keys.`,
		RunE: runGroup,
	}
	cmd.AddCommand(newKeysCreateCmd(o), newKeysListCmd(o), newKeysRevokeCmd(o))
	return cmd
}

func newKeysCreateCmd(o *cliOptions) *cobra.Command {
	var name, scope string
	cmd := &cobra.Command{
		Use:   "create --name NAME [--scope admin|ingest] [--tenant TENANT]",
		Short: "Create an API key and print it once",
		Long: `Create an API key and print it once. With --tenant (or HERALD_TENANT) the key
is that tenant's: everything it does is confined to the tenant.`,
		Example: `  herald keys create --name ci --scope ingest
  herald keys create --name ops --scope admin -o json | jq -r .key
  herald keys create --name acme-admin --scope admin --tenant acme`,
		Args: cobra.NoArgs,
		RunE: o.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			k, err := c.Keys.CreateForTenant(cmd.Context(), c.Tenant(), name, scope)
			if err != nil {
				return err
			}
			return o.emit(cmd, k, func(w io.Writer) {
				owner := ""
				if k.TenantID != "" {
					owner = " of tenant " + string(k.TenantID)
				}
				fmt.Fprintf(w, "Created %s key %q (%s)%s.\n\n    %s\n\n", k.Scope, k.Name, k.ID, owner, k.Key)
				fmt.Fprintln(w, "Save this key now: Herald keeps only its hash and cannot show it again.")
			})
		}),
	}
	cmd.Flags().StringVar(&name, "name", "", "what the key is for (required)")
	cmd.Flags().StringVar(&scope, "scope", herald.ScopeIngest, "admin (every route) or ingest (send events only)")
	_ = cmd.MarkFlagRequired("name")
	return cmd
}

func newKeysListCmd(o *cliOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List API keys, revoked ones included",
		Args:  cobra.NoArgs,
		RunE: o.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			list, err := c.Keys.List(cmd.Context())
			if err != nil {
				return err
			}
			return o.emit(cmd, list, func(w io.Writer) {
				many := manyTenants(list.Items, func(k *herald.APIKey) herald.TenantID { return k.TenantID })
				tableRow(w, tenantCells(many, "TENANT", "ID", "NAME", "SCOPE", "PREFIX", "CREATED", "LAST USED", "STATUS")...)
				for _, k := range list.Items {
					status := "active"
					if k.RevokedAt != nil {
						status = "revoked " + cellTime(k.RevokedAt)
					}
					tableRow(w, tenantCells(many, cellTenant(k.TenantID), k.ID, k.Name, k.Scope, k.Prefix, cellTime(&k.CreatedAt), cellTime(k.LastUsedAt), status)...)
				}
			})
		}),
	}
}

func newKeysRevokeCmd(o *cliOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "revoke KEY_ID",
		Short: "Revoke an API key at once",
		Args:  cobra.ExactArgs(1),
		RunE: o.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			if err := c.Keys.Revoke(cmd.Context(), args[0]); err != nil {
				return err
			}
			return o.emit(cmd, map[string]any{"id": args[0], "revoked": true}, func(w io.Writer) {
				fmt.Fprintf(w, "Revoked key %s.\n", args[0])
			})
		}),
	}
}
