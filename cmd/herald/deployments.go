package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/client"
)

// newDeploymentsCmd is "herald deployments": see the deployments agents
// reported.
func newDeploymentsCmd(o *cliOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "deployments",
		Aliases: []string{"deployment"},
		Short:   "See deployments and their history",
		RunE:    runGroup,
	}
	cmd.AddCommand(newDeploymentsListCmd(o), newDeploymentsGetCmd(o))
	return cmd
}

func newDeploymentsListCmd(o *cliOptions) *cobra.Command {
	var f client.DeploymentFilter
	cmd := &cobra.Command{
		Use:   "list [--agent ID] [--status STATUS]",
		Short: "List deployments, most recently updated first",
		Args:  cobra.NoArgs,
		RunE: o.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			list, err := c.Deployments.List(cmd.Context(), f)
			if err != nil {
				return err
			}
			if err := o.emit(cmd, list, func(w io.Writer) {
				if len(list.Items) == 0 && list.Skip == 0 {
					fmt.Fprintln(w, "No deployments.")
					return
				}
				many := manyTenants(list.Items, func(d *herald.Deployment) herald.TenantID { return d.TenantID })
				tableRow(w, tenantCells(many, "TENANT", "ID", "AGENT", "STATUS", "VERSION", "UPDATED", "ERROR")...)
				for _, d := range list.Items {
					tableRow(w, tenantCells(many, cellTenant(d.TenantID), d.ID, d.AgentID, d.Status, d.Version, cellTime(&d.UpdatedAt), cellCut(d.Error, 60))...)
				}
			}); err != nil {
				return err
			}
			pageFooter(cmd, len(list.Items), list.Skip, list.Total)
			return nil
		}),
	}
	cmd.Flags().StringVar(&f.AgentID, "agent", "", "only deployments of this agent")
	cmd.Flags().StringVar(&f.Status, "status", "", "only deployments in this status: created, started, updated, completed, failed or rolled_back")
	addPageFlags(cmd, &f.Skip, &f.Limit)
	return cmd
}

func newDeploymentsGetCmd(o *cliOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "get DEPLOYMENT_ID",
		Short: "Show a deployment with its status history",
		Args:  cobra.ExactArgs(1),
		RunE: o.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			d, err := c.Deployments.Get(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return o.emit(cmd, d, func(w io.Writer) {
				tableFields(w, withTenantField([][2]string{
					{"ID", d.ID},
					{"Agent", d.AgentID},
					{"Status", d.Status},
					{"Version", d.Version},
					{"Changes", cellCut(string(d.Changes), 200)},
					{"Error", d.Error},
					{"Reason", d.Reason},
					{"Created", cellTime(&d.CreatedAt)},
					{"Updated", cellTime(&d.UpdatedAt)},
				}, d.TenantID))
				if len(d.History) == 0 {
					return
				}
				fmt.Fprintln(w)
				tableRow(w, "AT", "STATUS", "VERSION", "DETAIL")
				for _, h := range d.History {
					detail := h.Error
					if detail == "" {
						detail = h.Reason
					}
					if detail == "" && len(h.Changes) > 0 {
						detail = string(h.Changes)
					}
					tableRow(w, cellTime(&h.At), h.Status, h.Version, cellCut(detail, 80))
				}
			})
		}),
	}
}
