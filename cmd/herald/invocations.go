package main

import (
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/client"
)

// newInvocationsCmd is "herald invocations": the messages handed to
// agents and their outcomes.
func newInvocationsCmd(o *cliOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "invocations",
		Aliases: []string{"invocation"},
		Short:   "See agent invocations and their outcomes",
		RunE:    runGroup,
	}
	cmd.AddCommand(newInvocationsListCmd(o), newInvocationsGetCmd(o))
	return cmd
}

func newInvocationsListCmd(o *cliOptions) *cobra.Command {
	var f client.InvocationFilter
	cmd := &cobra.Command{
		Use:   "list [--agent AGENT] [--status STATUS]",
		Short: "List invocations, newest first",
		Args:  cobra.NoArgs,
		RunE: o.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			list, err := c.Invocations.List(cmd.Context(), f)
			if err != nil {
				return err
			}
			if err := o.emit(cmd, list, func(w io.Writer) {
				if len(list.Items) == 0 && list.Skip == 0 {
					fmt.Fprintln(w, "No invocations.")
					return
				}
				many := manyTenants(list.Items, func(inv *herald.Invocation) herald.TenantID { return inv.TenantID })
				tableRow(w, tenantCells(many, "TENANT", "ID", "AGENT", "SOURCE", "MODE", "STATUS", "DURATION", "CREATED", "MESSAGE")...)
				for _, inv := range list.Items {
					tableRow(w, tenantCells(many, cellTenant(inv.TenantID), inv.ID, inv.Agent, inv.Source, inv.Mode, inv.Status, strconv.FormatInt(inv.DurationMS, 10)+"ms", cellTime(&inv.CreatedAt), cellCut(inv.Message, 50))...)
				}
			}); err != nil {
				return err
			}
			pageFooter(cmd, len(list.Items), list.Skip, list.Total)
			return nil
		}),
	}
	cmd.Flags().StringVar(&f.Agent, "agent", "", "only this agent's invocations")
	cmd.Flags().StringVar(&f.Status, "status", "", "only this status: queued, running, completed, failed or timeout")
	addPageFlags(cmd, &f.Skip, &f.Limit)
	return cmd
}

func newInvocationsGetCmd(o *cliOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "get INVOCATION_ID",
		Short: "Show an invocation with its response or error",
		Args:  cobra.ExactArgs(1),
		RunE: o.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			inv, err := c.Invocations.Get(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return o.emit(cmd, inv, func(w io.Writer) { tableFields(w, invocationFields(inv)) })
		}),
	}
}

// invocationFields are the lines of an invocation's detail view.
func invocationFields(inv *herald.Invocation) [][2]string {
	return withTenantField([][2]string{
		{"ID", inv.ID},
		{"Agent", inv.Agent},
		{"Source", inv.Source},
		{"Mode", inv.Mode},
		{"Status", inv.Status},
		{"Message", inv.Message},
		{"Context", string(inv.Context)},
		{"Response", inv.Response},
		{"Error", inv.Error},
		{"Duration", strconv.FormatInt(inv.DurationMS, 10) + "ms"},
		{"Created", cellTime(&inv.CreatedAt)},
		{"Started", cellTime(inv.StartedAt)},
		{"Finished", cellTime(inv.FinishedAt)},
	}, inv.TenantID)
}
