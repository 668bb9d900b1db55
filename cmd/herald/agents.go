package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/client"
)

// newAgentsCmd is "herald agents": see the agents that report to Herald,
// their logs and their metrics.
func newAgentsCmd(o *cliOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "agents",
		Aliases: []string{"agent"},
		Short:   "See agents, their logs and metrics",
		RunE:    runGroup,
	}
	cmd.AddCommand(newAgentsListCmd(o), newAgentsGetCmd(o), newAgentsLogsCmd(o), newAgentsMetricsCmd(o))
	return cmd
}

// timeValue is a flag holding a time, given as RFC 3339
// ("2026-01-02T15:04:05Z"), "now", or a duration back from now ("1h" and
// "-1h" both mean an hour ago).
type timeValue struct{ t time.Time }

// String returns the time in RFC 3339, and "" when unset.
func (v *timeValue) String() string {
	if v.t.IsZero() {
		return ""
	}
	return v.t.UTC().Format(time.RFC3339)
}

// Set parses an RFC 3339 time, "now", or a duration back from now.
func (v *timeValue) Set(s string) error {
	s = strings.TrimSpace(s)
	if s == "now" {
		v.t = time.Now()
		return nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		v.t = t
		return nil
	}
	if d, err := time.ParseDuration(strings.TrimPrefix(s, "-")); err == nil && d >= 0 {
		v.t = time.Now().Add(-d)
		return nil
	}
	return fmt.Errorf("%q is neither an RFC 3339 time such as 2026-01-02T15:04:05Z nor a duration back from now such as 1h", s)
}

// Type names the value in help.
func (v *timeValue) Type() string { return "time" }

func newAgentsListCmd(o *cliOptions) *cobra.Command {
	var f client.AgentFilter
	cmd := &cobra.Command{
		Use:   "list [--status STATUS]",
		Short: "List agents, most recently seen first",
		Args:  cobra.NoArgs,
		RunE: o.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			list, err := c.Agents.List(cmd.Context(), f)
			if err != nil {
				return err
			}
			if err := o.emit(cmd, list, func(w io.Writer) {
				if len(list.Items) == 0 && list.Skip == 0 {
					fmt.Fprintln(w, "No agents. An agent appears with its first report: herald ingest agent-status --agent ID --status running")
					return
				}
				many := manyTenants(list.Items, func(a *herald.Agent) herald.TenantID { return a.TenantID })
				tableRow(w, tenantCells(many, "TENANT", "ID", "STATUS", "NODE", "LAST SEEN", "STATUS SINCE", "ERROR")...)
				for _, a := range list.Items {
					tableRow(w, tenantCells(many, cellTenant(a.TenantID), a.ID, a.Status, a.NodeID, cellTime(&a.LastSeen), cellTime(&a.StatusChangedAt), cellCut(a.Error, 60))...)
				}
			}); err != nil {
				return err
			}
			pageFooter(cmd, len(list.Items), list.Skip, list.Total)
			return nil
		}),
	}
	cmd.Flags().StringVar(&f.Status, "status", "", "only agents in this status, such as running or unresponsive")
	addPageFlags(cmd, &f.Skip, &f.Limit)
	return cmd
}

func newAgentsGetCmd(o *cliOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "get AGENT_ID",
		Short: "Show an agent and its latest metrics",
		Args:  cobra.ExactArgs(1),
		RunE: o.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			a, err := c.Agents.Get(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return o.emit(cmd, a, func(w io.Writer) { tableFields(w, agentFields(a)) })
		}),
	}
}

// agentFields are the lines of an agent's detail view.
func agentFields(a *herald.Agent) [][2]string {
	names := make([]string, 0, len(a.LastMetrics))
	for k := range a.LastMetrics {
		names = append(names, k)
	}
	slices.Sort(names)
	metrics := make([]string, len(names))
	for i, k := range names {
		metrics[i] = k + "=" + strconv.FormatFloat(a.LastMetrics[k], 'g', -1, 64)
	}
	var meta bytes.Buffer
	if len(a.Metadata) > 0 && json.Compact(&meta, a.Metadata) != nil {
		meta.Reset()
		meta.Write(a.Metadata)
	}
	return withTenantField([][2]string{
		{"ID", a.ID},
		{"Status", a.Status},
		{"Node", a.NodeID},
		{"Error", a.Error},
		{"Metadata", cellCut(meta.String(), 200)},
		{"Last metrics", strings.Join(metrics, " ")},
		{"Last metrics at", cellTime(a.LastMetricsAt)},
		{"Last seen", cellTime(&a.LastSeen)},
		{"Status since", cellTime(&a.StatusChangedAt)},
		{"Created", cellTime(&a.CreatedAt)},
	}, a.TenantID)
}

func newAgentsLogsCmd(o *cliOptions) *cobra.Command {
	var since timeValue
	var limit int
	cmd := &cobra.Command{
		Use:   "logs AGENT_ID [--since TIME] [--limit N]",
		Short: "Show an agent's log lines, oldest first",
		Example: `  herald agents logs agent-1 --since 1h
  herald agents logs agent-1 --since 2026-01-02T15:00:00Z --limit 500`,
		Args: cobra.ExactArgs(1),
		RunE: o.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			logs, err := c.Agents.Logs(cmd.Context(), args[0], client.LogOptions{Since: since.t, Limit: limit})
			if err != nil {
				return err
			}
			if err := o.emit(cmd, logs, func(w io.Writer) {
				if len(logs.Items) == 0 {
					fmt.Fprintln(w, "No log lines.")
					return
				}
				tableRow(w, "TIME", "LEVEL", "MESSAGE")
				for _, l := range logs.Items {
					tableRow(w, l.Timestamp.UTC().Format(time.RFC3339Nano), l.Level, l.Message)
				}
			}); err != nil {
				return err
			}
			if n := len(logs.Items); n > 0 && n == logs.Limit {
				next := logs.Items[n-1].Timestamp.UTC().Format(time.RFC3339Nano)
				fmt.Fprintf(cmd.ErrOrStderr(), "Showing the first %d lines; more may follow: --since %s\n", n, next)
			}
			return nil
		}),
	}
	cmd.Flags().Var(&since, "since", "only lines at or after this time: RFC 3339, or a duration back from now such as 1h")
	cmd.Flags().IntVar(&limit, "limit", 0, fmt.Sprintf("show at most this many lines (default %d, at most %d)", herald.DefaultLimit, herald.MaxLimit))
	return cmd
}

func newAgentsMetricsCmd(o *cliOptions) *cobra.Command {
	var opts client.MetricsOptions
	var since, until timeValue
	cmd := &cobra.Command{
		Use:   "metrics AGENT_ID [--name NAME] [--since TIME] [--until TIME] [--step DURATION]",
		Short: "Show an agent's metric values, or their averages per step",
		Long: `Show an agent's metric points from --since (default: an hour before --until)
to --until (default: now), oldest first. With --step, show instead the
average, min, max and count of each metric per step. Times are RFC 3339 or a
duration back from now, such as 1h.`,
		Example: `  herald agents metrics agent-1 --name cpu --since 6h
  herald agents metrics agent-1 --since 24h --step 1h`,
		Args: cobra.ExactArgs(1),
		RunE: o.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			opts.Since, opts.Until = since.t, until.t
			m, err := c.Agents.Metrics(cmd.Context(), args[0], opts)
			if err != nil {
				return err
			}
			return o.emit(cmd, m, func(w io.Writer) {
				format := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
				if m.Step != nil {
					if len(m.Buckets) == 0 {
						fmt.Fprintln(w, "No metric values in this range.")
						return
					}
					tableRow(w, "TIME", "NAME", "AVG", "MIN", "MAX", "COUNT")
					for _, b := range m.Buckets {
						tableRow(w, cellTime(&b.Start), b.Name, format(b.Value), format(b.Min), format(b.Max), strconv.Itoa(b.Count))
					}
					return
				}
				if len(m.Points) == 0 {
					fmt.Fprintln(w, "No metric values in this range.")
					return
				}
				tableRow(w, "TIME", "NAME", "VALUE")
				for _, p := range m.Points {
					tableRow(w, p.Timestamp.UTC().Format(time.RFC3339Nano), p.Name, format(p.Value))
				}
			})
		}),
	}
	cmd.Flags().StringVar(&opts.Name, "name", "", "only this metric (default: all)")
	cmd.Flags().Var(&since, "since", "from this time (default: an hour before --until)")
	cmd.Flags().Var(&until, "until", "up to this time (default: now)")
	cmd.Flags().DurationVar(&opts.Step, "step", 0, "average the values per step, such as 5m (at least 1s)")
	cmd.Flags().IntVar(&opts.Limit, "limit", 0, fmt.Sprintf("read at most this many points (default and most %d)", herald.MaxLimit))
	return cmd
}
