package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/client"
)

func newTenantsPortalCmd(o *cliOptions) *cobra.Command {
	var in herald.PortalInput
	cmd := &cobra.Command{
		Use:   "portal ID [--expires-in 1h] [--capability CAP ...] [--agent AGENT]",
		Short: "Mint a signed link to a tenant's portal in the web UI",
		Long: `Mint a signed link to a tenant's portal: opening its URL starts a session of
the web UI confined to the tenant (and to one agent's webhooks with --agent),
which the platform can show in an iframe of its own settings page.

The link grants view always, and each --capability on top: manage_webhooks
(create, edit, enable or disable, delete and test webhooks), retry (retry
deliveries), view_secrets (see a created webhook's signing secret) and
manage_inbound. It expires after --expires-in, from 5m to 7d.`,
		Example: `  herald tenants portal acme
  herald tenants portal acme --expires-in 7d --capability manage_webhooks --capability view_secrets
  herald tenants portal acme --agent support-bot --event-type agent.message --event-type user.message`,
		Args: cobra.ExactArgs(1),
		RunE: o.runTenants(func(cmd *cobra.Command, args []string, c *client.Client) error {
			link, err := c.Tenants.Portal(cmd.Context(), args[0], in)
			if err != nil {
				return err
			}
			return o.emit(cmd, link, func(w io.Writer) {
				fmt.Fprintln(w, link.URL)
				fmt.Fprintf(w, "Expires at %s.\n", cellTime(&link.ExpiresAt))
			})
		}),
	}
	cmd.Flags().StringVar(&in.ExpiresIn, "expires-in", "1h", "how long the link lasts, from 5m to 7d")
	cmd.Flags().StringArrayVar(&in.Capabilities, "capability", nil, "a capability on top of view: manage_webhooks, retry, view_secrets or manage_inbound (repeatable)")
	cmd.Flags().StringVar(&in.AgentID, "agent", "", "confine the portal to this agent's webhooks")
	cmd.Flags().StringArrayVar(&in.EventTypes, "event-type", nil, "an event type the portal's picker offers (repeatable; default: all)")
	return cmd
}
