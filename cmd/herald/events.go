package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/client"
)

// newEventsCmd is "herald events": send events and read them back.
func newEventsCmd(o *cliOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "events",
		Aliases: []string{"event"},
		Short:   "Send events and see them",
		RunE:    runGroup,
	}
	cmd.AddCommand(newEventsSendCmd(o), newEventsListCmd(o), newEventsGetCmd(o), newEventsReplayCmd(o))
	return cmd
}

func newEventsSendCmd(o *cliOptions) *cobra.Command {
	var data, id, orderingKey string
	cmd := &cobra.Command{
		Use:   "send TYPE [--data JSON|@FILE|-] [--id KEY] [--ordering-key KEY]",
		Short: "Send an event to every matching webhook",
		Long: `Send an event to every webhook whose patterns match TYPE. --data is a JSON
object given inline, as @path/to/file.json, or as - to read standard input;
without it the data is {}. --id makes the send idempotent: sending the same
id again delivers nothing new. --ordering-key orders the event's deliveries to
webhooks of ordering key among the events of the same key.`,
		Example: `  herald events send deployment.failed --data '{"deployment_id": "d-42"}'
  herald events send agent.status --data @status.json --id status-42
  echo '{"agent_id": "a1"}' | herald events send agent.started --data -
  herald events send agent.status --data '{"agent_id": "a1", "status": "running"}' --ordering-key a1`,
		Args: cobra.ExactArgs(1),
		RunE: o.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			in := client.EventInput{ID: id, Type: args[0], OrderingKey: orderingKey}
			if cmd.Flags().Changed("data") {
				raw, err := readEventData(cmd, data)
				if err != nil {
					return err
				}
				in.Data = raw
			}
			res, err := c.Events.Send(cmd.Context(), in)
			if err != nil {
				return err
			}
			return o.emit(cmd, res, func(w io.Writer) {
				if res.Duplicate {
					fmt.Fprintf(w, "Event %s (%s) was sent before with this id: nothing new was delivered.\n", res.ID, res.Type)
					return
				}
				fmt.Fprintf(w, "Sent event %s (%s) to %d %s.\n", res.ID, res.Type, res.Deliveries, plural(res.Deliveries, "webhook", "webhooks"))
			})
		}),
	}
	cmd.Flags().StringVar(&data, "data", "", "event data: a JSON object, @FILE, or - for stdin")
	cmd.Flags().StringVar(&id, "id", "", "idempotency key: the event's id (letters, digits, _ - . :)")
	cmd.Flags().StringVar(&orderingKey, "ordering-key", "", "order this event's deliveries to webhooks of ordering key among the events of the same key (an agent's id, say)")
	return cmd
}

// readEventData reads --data (inline, @file or - for stdin) and checks that
// it is a JSON object.
func readEventData(cmd *cobra.Command, arg string) (json.RawMessage, error) {
	var b []byte
	var err error
	switch {
	case arg == "-":
		b, err = io.ReadAll(cmd.InOrStdin())
		if err != nil {
			return nil, fmt.Errorf("read --data from stdin: %w", err)
		}
	case strings.HasPrefix(arg, "@"):
		b, err = os.ReadFile(arg[1:])
		if err != nil {
			return nil, fmt.Errorf("read --data file: %w", err)
		}
	default:
		b = []byte(arg)
	}
	b = bytes.TrimSpace(b)
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("--data: not valid JSON: %w", err)
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, fmt.Errorf("--data: must be a JSON object such as '{\"agent_id\": \"a1\"}'")
	}
	return json.RawMessage(b), nil
}

// plural picks the word for n.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func newEventsListCmd(o *cliOptions) *cobra.Command {
	var f client.EventFilter
	cmd := &cobra.Command{
		Use:   "list [--type TYPE] [--agent AGENT]",
		Short: "List events, newest first",
		Args:  cobra.NoArgs,
		RunE: o.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			list, err := c.Events.List(cmd.Context(), f)
			if err != nil {
				return err
			}
			if err := o.emit(cmd, list, func(w io.Writer) {
				if len(list.Items) == 0 && list.Skip == 0 {
					fmt.Fprintln(w, "No events.")
					return
				}
				many := manyTenants(list.Items, func(ev *herald.Event) herald.TenantID { return ev.TenantID })
				tableRow(w, tenantCells(many, "TENANT", "ID", "TYPE", "CREATED", "DATA")...)
				for _, ev := range list.Items {
					tableRow(w, tenantCells(many, cellTenant(ev.TenantID), ev.ID, ev.Type, cellTime(&ev.Created), cellCut(string(ev.Data), 60))...)
				}
			}); err != nil {
				return err
			}
			pageFooter(cmd, len(list.Items), list.Skip, list.Total)
			return nil
		}),
	}
	cmd.Flags().StringVar(&f.Type, "type", "", "only events of this exact type")
	cmd.Flags().StringVar(&f.AgentID, "agent", "", "only the events of this agent (data.agent_id, data.agent or data.agent.id)")
	addPageFlags(cmd, &f.Skip, &f.Limit)
	return cmd
}

func newEventsGetCmd(o *cliOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "get EVENT_ID",
		Short: "Show an event, its data and its deliveries",
		Args:  cobra.ExactArgs(1),
		RunE: o.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			ev, err := c.Events.Get(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return o.emit(cmd, ev, func(w io.Writer) {
				tableFields(w, withTenantField([][2]string{
					{"ID", ev.ID},
					{"Type", ev.Type},
					{"Created", cellTime(&ev.Created)},
				}, ev.TenantID))
				var pretty bytes.Buffer
				if json.Indent(&pretty, ev.Data, "", "  ") != nil {
					pretty.Reset()
					pretty.Write(ev.Data)
				}
				fmt.Fprintf(w, "Data:\n%s\n", pretty.String())
				if len(ev.Deliveries) == 0 {
					fmt.Fprintln(w, "\nNo deliveries: no active webhook matched.")
					return
				}
				fmt.Fprintln(w)
				// A tenant's event reaches its webhooks and the platform's
				// all_tenants ones, whose deliveries are the platform's.
				many := manyTenants(ev.Deliveries, func(d *herald.Delivery) herald.TenantID { return d.TenantID })
				tableRow(w, tenantCells(many, "TENANT", "DELIVERY", "WEBHOOK", "STATUS", "ATTEMPTS", "HTTP", "ERROR")...)
				for _, d := range ev.Deliveries {
					tableRow(w, tenantCells(many, cellTenant(d.TenantID), d.ID, d.WebhookID, d.Status, strconv.Itoa(d.Attempts), cellCode(d.ResponseStatusCode), cellCut(d.ErrorMessage, 60))...)
				}
			})
		}),
	}
}
