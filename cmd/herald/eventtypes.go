package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/client"
)

// newEventTypesCmd is "herald event-types": read and manage the event
// catalogue.
func newEventTypesCmd(o *cliOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "event-types",
		Aliases: []string{"event-type"},
		Short:   "Read and manage the event catalogue (changes need a platform admin key)",
		Long: `Read and manage the event catalogue: the event types, each with what it
means, the JSON Schema its data must satisfy and an example. Herald's own
events are there from the first start. A published event whose type has a
schema is checked against it; with --strict-event-types the server also
refuses types that are not in the catalogue. Every change of a type makes a
new version, and "herald event-types get" shows them all.`,
		RunE: runGroup,
	}
	cmd.AddCommand(newEventTypesListCmd(o), newEventTypesGetCmd(o), newEventTypesPutCmd(o), newEventTypesDeleteCmd(o))
	return cmd
}

func newEventTypesListCmd(o *cliOptions) *cobra.Command {
	var prefix string
	cmd := &cobra.Command{
		Use:     "list [--prefix agent.]",
		Short:   "List the event types, by name",
		Example: `  herald event-types list --prefix deployment.`,
		Args:    cobra.NoArgs,
		RunE: o.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			list, err := c.EventTypes.List(cmd.Context(), prefix)
			if err != nil {
				return err
			}
			return o.emit(cmd, list, func(w io.Writer) {
				if len(list.Items) == 0 {
					fmt.Fprintln(w, "No event types. Add one with: herald event-types put NAME --schema @schema.json")
					return
				}
				tableRow(w, "NAME", "VERSION", "SCHEMA", "DEPRECATED", "DESCRIPTION")
				for _, et := range list.Items {
					tableRow(w, et.Name, strconv.Itoa(et.Version), yesNo(et.HasSchema()), yesNo(et.Deprecated), cellCut(et.Description, 60))
				}
			})
		}),
	}
	cmd.Flags().StringVar(&prefix, "prefix", "", "only the types whose names start with this")
	return cmd
}

func newEventTypesGetCmd(o *cliOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "get NAME",
		Short: "Show an event type with its schema, example and versions",
		Args:  cobra.ExactArgs(1),
		RunE: o.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			et, err := c.EventTypes.Get(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return o.emit(cmd, et, func(w io.Writer) {
				tableFields(w, eventTypeFields(et))
				fmt.Fprintln(w)
				tableRow(w, "VERSION", "CREATED", "SCHEMA", "DEPRECATED")
				for _, v := range et.Versions {
					tableRow(w, strconv.Itoa(v.Version), cellTime(&v.CreatedAt), cellCut(compactJSON(v.Schema), 80), yesNo(v.Deprecated))
				}
			})
		}),
	}
}

func newEventTypesPutCmd(o *cliOptions) *cobra.Command {
	var description, schema, example string
	var deprecated bool
	cmd := &cobra.Command{
		Use:   "put NAME [--description TEXT] [--schema JSON] [--example JSON] [--deprecated]",
		Short: "Create an event type or write its next version",
		Long: `Create an event type, or write its next version when it exists. The type
becomes what the flags say: a flag not given is empty (no schema, no
example, not deprecated). --schema is a JSON Schema (draft 2020-12 unless
its $schema says otherwise) and --example a JSON object that must satisfy
it; each is inline, @FILE, or - for standard input.`,
		Example: `  herald event-types put order.created --description "An order was placed" \
    --schema '{"type":"object","required":["order_id"],"properties":{"order_id":{"type":"string"}}}' \
    --example '{"order_id":"ord_1"}'
  herald event-types put order.created --schema @order.schema.json --deprecated`,
		Args: cobra.ExactArgs(1),
		RunE: o.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			if schema == "-" && example == "-" {
				return errors.New("--schema and --example cannot both read standard input")
			}
			in := client.EventTypeInput{Description: description, Deprecated: deprecated}
			var err error
			if schema != "" {
				if in.Schema, err = readJSONArg(cmd, "schema", schema, false); err != nil {
					return err
				}
			}
			if example != "" {
				if in.Example, err = readJSONArg(cmd, "example", example, true); err != nil {
					return err
				}
			}
			et, created, err := c.EventTypes.Put(cmd.Context(), args[0], in)
			if err != nil {
				return err
			}
			return o.emit(cmd, et, func(w io.Writer) {
				if created {
					fmt.Fprintf(w, "Created event type %s.\n\n", et.Name)
				} else {
					fmt.Fprintf(w, "Event type %s is at version %d.\n\n", et.Name, et.Version)
				}
				tableFields(w, eventTypeFields(et))
			})
		}),
	}
	cmd.Flags().StringVar(&description, "description", "", "what the event means")
	cmd.Flags().StringVar(&schema, "schema", "", "JSON Schema of the data: inline, @FILE, or -")
	cmd.Flags().StringVar(&example, "example", "", "example data, a JSON object: inline, @FILE, or -")
	cmd.Flags().BoolVar(&deprecated, "deprecated", false, "mark the type deprecated (events of it are still accepted)")
	return cmd
}

func newEventTypesDeleteCmd(o *cliOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete an event type and its history",
		Long: `Delete an event type and its history. Events of that type are then accepted
unchecked (or refused, with --strict-event-types). A built-in type deleted
comes back, at version 1, when the server starts again.`,
		Args: cobra.ExactArgs(1),
		RunE: o.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			if err := c.EventTypes.Delete(cmd.Context(), args[0]); err != nil {
				return err
			}
			return o.emit(cmd, map[string]any{"name": args[0], "deleted": true}, func(w io.Writer) {
				fmt.Fprintf(w, "Deleted event type %s.\n", args[0])
			})
		}),
	}
}

// eventTypeFields are the lines of an event type's detail view.
func eventTypeFields(et *herald.EventType) [][2]string {
	return [][2]string{
		{"Name", et.Name},
		{"Description", et.Description},
		{"Version", strconv.Itoa(et.Version)},
		{"Deprecated", yesNo(et.Deprecated)},
		{"Schema", compactJSON(et.Schema)},
		{"Example", compactJSON(et.Example)},
		{"Created", cellTime(&et.CreatedAt)},
		{"Updated", cellTime(&et.UpdatedAt)},
	}
}

// yesNo writes a flag as yes or no.
func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
