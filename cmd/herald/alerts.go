package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/client"
)

// newAlertsCmd is "herald alerts": manage alert rules.
func newAlertsCmd(o *cliOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "alerts",
		Aliases: []string{"alert"},
		Short:   "Manage alert rules",
		Long: `Manage alert rules. A rule watches a metric over a sliding window and
publishes alert.triggered when "value op threshold" starts to hold and
alert.resolved when it stops. Built-in metrics: ` + strings.Join(herald.BuiltinAlertMetrics, ", ") + `;
any other name is an ingested agent metric, reduced with --agg.`,
		RunE: runGroup,
	}
	cmd.AddCommand(newAlertsCreateCmd(o), newAlertsListCmd(o), newAlertsGetCmd(o), newAlertsUpdateCmd(o), newAlertsDeleteCmd(o))
	return cmd
}

// alertFlags are the fields of create and update.
type alertFlags struct {
	name, description, metric, agg, op, webhook, agent string
	threshold                                          float64
	window                                             time.Duration
	inactive                                           bool // create
	active                                             bool // update
}

// register adds the flags to cmd; on update they leave the field as it is
// unless given.
func (f *alertFlags) register(cmd *cobra.Command, update bool) {
	fs := cmd.Flags()
	help := func(what, createDefault string) string {
		if update {
			return what + " (unchanged unless given)"
		}
		return what + createDefault
	}
	if !update {
		f.agg, f.op, f.window = herald.DefaultAlertAgg, herald.DefaultAlertOp, herald.DefaultAlertWindow
	}
	fs.StringVar(&f.metric, "metric", "", help("the metric: "+strings.Join(herald.BuiltinAlertMetrics, ", ")+", or an ingested metric name", " (required)"))
	fs.Float64Var(&f.threshold, "threshold", 0, help("the value compared with the metric's", " (required)"))
	fs.DurationVar(&f.window, "window", f.window, help("the sliding window, 1s to 720h", ""))
	fs.StringVar(&f.op, "op", f.op, help("the comparison: >, >=, <, <=, == or !=", ""))
	fs.StringVar(&f.agg, "agg", f.agg, help("how an ingested metric is reduced over the window: avg, max, min, sum or count", ""))
	fs.StringVar(&f.webhook, "webhook", "", help("watch this webhook only (webhook metrics); '' for all", ""))
	fs.StringVar(&f.agent, "agent", "", help("watch this agent only; '' for all", ""))
	fs.StringVar(&f.name, "name", "", help("a name", " (default: the metric)"))
	fs.StringVar(&f.description, "description", "", help("a description", ""))
	if update {
		fs.BoolVar(&f.active, "active", false, "evaluate the rule: --active=false pauses it, --active resumes it")
	} else {
		fs.BoolVar(&f.inactive, "inactive", false, "create the rule paused")
	}
}

// input builds the request from the flags given on the command line; n
// counts them.
func (f *alertFlags) input(cmd *cobra.Command) (in herald.AlertInput, n int) {
	changed := func(name string) bool {
		if cmd.Flags().Changed(name) {
			n++
			return true
		}
		return false
	}
	str := func(name, v string) *string {
		if changed(name) {
			return &v
		}
		return nil
	}
	in.Name = str("name", f.name)
	in.Description = str("description", f.description)
	in.Metric = str("metric", f.metric)
	in.Agg = str("agg", f.agg)
	in.Op = str("op", f.op)
	in.WebhookID = str("webhook", f.webhook)
	in.AgentID = str("agent", f.agent)
	if changed("threshold") {
		in.Threshold = &f.threshold
	}
	if changed("window") {
		w := herald.Duration(f.window)
		in.Window = &w
	}
	if changed("inactive") {
		active := !f.inactive
		in.IsActive = &active
	}
	if changed("active") {
		in.IsActive = &f.active
	}
	return in, n
}

// alertCondition writes a rule's condition, such as "avg(cpu) > 0.9 over 5m".
func alertCondition(r *herald.AlertRule) string {
	metric := r.Metric
	if !herald.IsBuiltinMetric(r.Metric) {
		metric = r.Agg + "(" + r.Metric + ")"
	}
	return fmt.Sprintf("%s %s %s over %s", metric, r.Op, strconv.FormatFloat(r.Threshold, 'g', -1, 64), r.Window)
}

// cellValue writes an evaluated value; "-" for none.
func cellValue(v *float64) string {
	if v == nil {
		return "-"
	}
	return strconv.FormatFloat(*v, 'g', 6, 64)
}

// alertFields are the lines of a rule's detail view.
func alertFields(r *herald.AlertRule) [][2]string {
	return withTenantField([][2]string{
		{"ID", r.ID},
		{"Name", r.Name},
		{"Description", r.Description},
		{"Condition", alertCondition(r)},
		{"Webhook", r.WebhookID},
		{"Agent", r.AgentID},
		{"Active", cellYesNo(r.IsActive)},
		{"State", r.State},
		{"Value", cellValue(r.Value)},
		{"Evaluated", cellTime(r.EvaluatedAt)},
		{"Triggered", cellTime(r.TriggeredAt)},
		{"Resolved", cellTime(r.ResolvedAt)},
		{"Created", cellTime(&r.CreatedAt)},
		{"Updated", cellTime(&r.UpdatedAt)},
	}, r.TenantID)
}

func newAlertsCreateCmd(o *cliOptions) *cobra.Command {
	var f alertFlags
	cmd := &cobra.Command{
		Use:   "create --metric METRIC --threshold N [flags]",
		Short: "Create an alert rule",
		Example: `  herald alerts create --metric webhook-failures --threshold 5 --window 1h --webhook wh_01k...
  herald alerts create --metric cpu --agg max --op '>' --threshold 0.9 --window 10m --agent agent-1 --name 'hot cpu'
  herald alerts create --metric agent-unresponsive --threshold 1`,
		Args: cobra.NoArgs,
		RunE: o.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			in, _ := f.input(cmd)
			rule, err := c.Alerts.Create(cmd.Context(), in)
			if err != nil {
				return err
			}
			return o.emit(cmd, rule, func(w io.Writer) {
				fmt.Fprintf(w, "Created alert rule %s.\n\n", rule.ID)
				tableFields(w, alertFields(rule))
			})
		}),
	}
	f.register(cmd, false)
	_ = cmd.MarkFlagRequired("metric")
	_ = cmd.MarkFlagRequired("threshold")
	return cmd
}

func newAlertsUpdateCmd(o *cliOptions) *cobra.Command {
	var f alertFlags
	cmd := &cobra.Command{
		Use:   "update ALERT_ID [flags]",
		Short: "Change the given fields of an alert rule and keep the others",
		Example: `  herald alerts update alr_01k... --threshold 10
  herald alerts update alr_01k... --active=false`,
		Args: cobra.ExactArgs(1),
		RunE: o.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			in, n := f.input(cmd)
			if n == 0 {
				return errors.New("nothing to update: give at least one flag, such as --threshold, --window or --active=false")
			}
			rule, err := c.Alerts.Update(cmd.Context(), args[0], in)
			if err != nil {
				return err
			}
			return o.emit(cmd, rule, func(w io.Writer) { tableFields(w, alertFields(rule)) })
		}),
	}
	f.register(cmd, true)
	return cmd
}

func newAlertsListCmd(o *cliOptions) *cobra.Command {
	var opts client.ListOptions
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List alert rules with their state, newest first",
		Args:  cobra.NoArgs,
		RunE: o.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			list, err := c.Alerts.List(cmd.Context(), opts)
			if err != nil {
				return err
			}
			if err := o.emit(cmd, list, func(w io.Writer) {
				if len(list.Items) == 0 && list.Skip == 0 {
					fmt.Fprintln(w, "No alert rules yet. Create one with: herald alerts create --metric webhook-failures --threshold 5 --window 1h")
					return
				}
				many := manyTenants(list.Items, func(r *herald.AlertRule) herald.TenantID { return r.TenantID })
				tableRow(w, tenantCells(many, "TENANT", "ID", "NAME", "CONDITION", "ACTIVE", "STATE", "VALUE", "EVALUATED")...)
				for _, r := range list.Items {
					tableRow(w, tenantCells(many, cellTenant(r.TenantID), r.ID, r.Name, alertCondition(r), cellYesNo(r.IsActive), r.State, cellValue(r.Value), cellTime(r.EvaluatedAt))...)
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

func newAlertsGetCmd(o *cliOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "get ALERT_ID",
		Short: "Show an alert rule and its state",
		Args:  cobra.ExactArgs(1),
		RunE: o.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			rule, err := c.Alerts.Get(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return o.emit(cmd, rule, func(w io.Writer) { tableFields(w, alertFields(rule)) })
		}),
	}
}

func newAlertsDeleteCmd(o *cliOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "delete ALERT_ID",
		Short: "Delete an alert rule",
		Args:  cobra.ExactArgs(1),
		RunE: o.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			if err := c.Alerts.Delete(cmd.Context(), args[0]); err != nil {
				return err
			}
			return o.emit(cmd, map[string]any{"id": args[0], "deleted": true}, func(w io.Writer) {
				fmt.Fprintf(w, "Deleted alert rule %s.\n", args[0])
			})
		}),
	}
}
