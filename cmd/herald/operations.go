package main

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/client"
)

// newOperationsCmd is "herald operations": the progress of recover and
// replay operations.
func newOperationsCmd(o *cliOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "operations",
		Aliases: []string{"operation", "ops"},
		Short:   "Follow recover and replay operations",
		RunE:    runGroup,
	}
	cmd.AddCommand(newOperationsGetCmd(o), newOperationsListCmd(o))
	return cmd
}

func newOperationsGetCmd(o *cliOptions) *cobra.Command {
	var wait bool
	cmd := &cobra.Command{
		Use:   "get OPERATION_ID [--wait]",
		Short: "Show an operation's progress",
		Example: `  herald operations get op_123
  herald operations get op_123 --wait`,
		Args: cobra.ExactArgs(1),
		RunE: o.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			var (
				op  *herald.Operation
				err error
			)
			if wait {
				op, err = c.Operations.Wait(cmd.Context(), args[0], 0)
			} else {
				op, err = c.Operations.Get(cmd.Context(), args[0])
			}
			if err != nil {
				return err
			}
			return emitOperation(o, cmd, op, "")
		}),
	}
	cmd.Flags().BoolVar(&wait, "wait", false, "wait until the operation has succeeded or failed")
	return cmd
}

func newOperationsListCmd(o *cliOptions) *cobra.Command {
	var opts client.ListOptions
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List operations, newest first",
		Args:  cobra.NoArgs,
		RunE: o.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			list, err := c.Operations.List(cmd.Context(), opts)
			if err != nil {
				return err
			}
			if err := o.emit(cmd, list, func(w io.Writer) {
				if len(list.Items) == 0 && list.Skip == 0 {
					fmt.Fprintln(w, "No operations.")
					return
				}
				tableRow(w, "ID", "KIND", "STATUS", "TARGET", "DONE", "CREATED")
				for _, op := range list.Items {
					tableRow(w, op.ID, op.Kind, op.Status, operationTarget(op), opProgress(op), cellTime(&op.CreatedAt))
				}
			}); err != nil {
				return err
			}
			pageFooter(cmd, len(list.Items), list.Skip, list.Total)
			return nil
		}),
	}
	cmd.Flags().IntVar(&opts.Skip, "skip", 0, "operations to skip")
	cmd.Flags().IntVar(&opts.Limit, "limit", 0, "operations to list (default 50)")
	return cmd
}

// operationTarget is the webhook or event an operation works on.
func operationTarget(op *herald.Operation) string {
	if op.EventID != "" {
		return op.EventID
	}
	return op.WebhookID
}

// opProgress writes "done of total".
func opProgress(op *herald.Operation) string {
	if op.Total == nil {
		return strconv.Itoa(op.Done)
	}
	return fmt.Sprintf("%d of %d", op.Done, *op.Total)
}

// emitOperation prints an operation, after the line head when set.
func emitOperation(o *cliOptions, cmd *cobra.Command, op *herald.Operation, head string) error {
	return o.emit(cmd, op, func(w io.Writer) {
		if head != "" {
			fmt.Fprintln(w, head)
		}
		fields := [][2]string{{"Operation", op.ID}, {"Kind", op.Kind}, {"Status", op.Status}}
		if op.WebhookID != "" {
			fields = append(fields, [2]string{"Webhook", op.WebhookID})
		}
		if op.EventID != "" {
			fields = append(fields, [2]string{"Event", op.EventID})
		}
		if op.Since != nil {
			fields = append(fields, [2]string{"Window", cellTime(op.Since) + " to " + cellTime(op.Until)})
		}
		fields = append(fields, [2]string{"Done", opProgress(op)})
		if op.Error != "" {
			fields = append(fields, [2]string{"Error", op.Error})
		}
		fields = append(fields, [2]string{"Created", cellTime(&op.CreatedAt)}, [2]string{"Finished", cellTime(op.FinishedAt)})
		tableFields(w, fields)
	})
}

// startedOperation prints what a recover or replay command started, after
// waiting for it with --wait. A failed operation is an error.
func startedOperation(o *cliOptions, cmd *cobra.Command, c *client.Client, ans *herald.OperationAnswer, verb string, wait bool) error {
	op := ans.Operation
	n := 0
	if op.Total != nil {
		n = *op.Total
	}
	head := fmt.Sprintf("%s %d %s (operation %s).", verb, n, plural(n, "delivery", "deliveries"), op.ID)
	if wait {
		var err error
		if op, err = c.Operations.Wait(cmd.Context(), op.ID, 0); err != nil {
			return err
		}
	}
	if err := emitOperation(o, cmd, op, head); err != nil {
		return err
	}
	if op.Status == herald.OperationFailed {
		return fmt.Errorf("operation %s failed: %s", op.ID, op.Error)
	}
	return nil
}

// windowFlags adds --since and --until to cmd.
func windowFlags(cmd *cobra.Command, in *herald.WindowInput, wait *bool) {
	cmd.Flags().StringVar(&in.Since, "since", "", "start of the window: a duration back from now (2h) or an RFC 3339 time (required)")
	cmd.Flags().StringVar(&in.Until, "until", "", "end of the window, as --since (default now)")
	cmd.Flags().BoolVar(wait, "wait", false, "wait until the operation has succeeded or failed")
	_ = cmd.MarkFlagRequired("since")
}

// checkWindow checks --since and --until before they are sent.
func checkWindow(in herald.WindowInput) error {
	if _, _, err := in.Resolve(time.Now()); err != nil {
		return fmt.Errorf("--%s", herald.ErrorMessage(err))
	}
	return nil
}

// newWebhooksRecoverCmd is "herald webhooks recover".
func newWebhooksRecoverCmd(o *cliOptions) *cobra.Command {
	var (
		in   herald.WindowInput
		wait bool
	)
	cmd := &cobra.Command{
		Use:   "recover WEBHOOK_ID --since 2h [--until TIME] [--wait]",
		Short: "Send again every delivery of a webhook that ended failed in a window",
		Long: `Queue a new attempt of every delivery of an active webhook that ended failed
between --since and --until (default now), including the ones that ended
"webhook disabled" while it was off. Each keeps its event, so receivers see
the same webhook-id and can de-duplicate. The work runs as an operation in
the background; --wait follows it to the end.`,
		Example: `  herald webhooks recover wh_123 --since 2h
  herald webhooks recover wh_123 --since 2026-01-02T00:00:00Z --until 2026-01-02T06:00:00Z --wait`,
		Args: cobra.ExactArgs(1),
		RunE: o.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			if err := checkWindow(in); err != nil {
				return err
			}
			ans, err := c.Webhooks.Recover(cmd.Context(), args[0], in)
			if err != nil {
				return err
			}
			return startedOperation(o, cmd, c, ans, "Recovering", wait)
		}),
	}
	windowFlags(cmd, &in, &wait)
	return cmd
}

// newWebhooksReplayMissingCmd is "herald webhooks replay-missing".
func newWebhooksReplayMissingCmd(o *cliOptions) *cobra.Command {
	var (
		in   herald.WindowInput
		wait bool
	)
	cmd := &cobra.Command{
		Use:   "replay-missing WEBHOOK_ID --since 24h [--until TIME] [--wait]",
		Short: "Send a webhook the events of a window it matches now but never got",
		Long: `Send an active webhook, as new deliveries, the events published between
--since and --until (default now) that match it now (its patterns, agent and
tenant) but never went to it: the case of a webhook created late or
subscribed to too little. The work runs as an operation in the background;
--wait follows it to the end.`,
		Example: `  herald webhooks replay-missing wh_123 --since 24h --wait`,
		Args:    cobra.ExactArgs(1),
		RunE: o.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			if err := checkWindow(in); err != nil {
				return err
			}
			ans, err := c.Webhooks.ReplayMissing(cmd.Context(), args[0], in)
			if err != nil {
				return err
			}
			return startedOperation(o, cmd, c, ans, "Replaying", wait)
		}),
	}
	windowFlags(cmd, &in, &wait)
	return cmd
}

// newEventsReplayCmd is "herald events replay".
func newEventsReplayCmd(o *cliOptions) *cobra.Command {
	var (
		hooks []string
		wait  bool
	)
	cmd := &cobra.Command{
		Use:   "replay EVENT_ID [--webhook WEBHOOK_ID]... [--wait]",
		Short: "Send a past event again, as new deliveries",
		Long: `Send a past event again, as new deliveries: to every webhook that matches it
now, or to the webhooks named with --webhook (each active, and one the
event may reach). The work runs as an operation in the background; --wait
follows it to the end.`,
		Example: `  herald events replay evt_123
  herald events replay evt_123 --webhook wh_123 --wait`,
		Args: cobra.ExactArgs(1),
		RunE: o.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			ans, err := c.Events.Replay(cmd.Context(), args[0], herald.ReplayInput{WebhookIDs: hooks})
			if err != nil {
				return err
			}
			return startedOperation(o, cmd, c, ans, "Replaying", wait)
		}),
	}
	cmd.Flags().StringArrayVar(&hooks, "webhook", nil, "a webhook to send the event to (repeatable; default every matching one)")
	cmd.Flags().BoolVar(&wait, "wait", false, "wait until the operation has succeeded or failed")
	return cmd
}
