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

// newIngestCmd is "herald ingest": report as an agent would, with an API
// key of scope ingest or admin, or a JWT the server accepts, in --api-key
// or HERALD_API_KEY.
func newIngestCmd(o *cliOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ingest",
		Short: "Report an agent's status, a deployment or metrics, as an agent does",
		Long: `Report an agent's status, a deployment or metrics, as an agent does. Herald
keeps the agent's state and publishes the events the report makes to every
matching webhook. The credential (--api-key or HERALD_API_KEY) is an API key
of scope ingest or admin, or a JWT the server accepts (--jwt-secret or
--jwks-url on the server).`,
		RunE: runGroup,
	}
	cmd.AddCommand(newIngestAgentStatusCmd(o), newIngestDeploymentCmd(o), newIngestMetricsCmd(o))
	return cmd
}

// readJSONArg reads a JSON flag given inline, as @FILE, or as - for
// standard input; object requires a JSON object.
func readJSONArg(cmd *cobra.Command, flag, arg string, object bool) (json.RawMessage, error) {
	var b []byte
	var err error
	switch {
	case arg == "-":
		b, err = io.ReadAll(cmd.InOrStdin())
	case strings.HasPrefix(arg, "@"):
		b, err = os.ReadFile(arg[1:])
	default:
		b = []byte(arg)
	}
	if err != nil {
		return nil, fmt.Errorf("--%s: %w", flag, err)
	}
	b = bytes.TrimSpace(b)
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("--%s: not valid JSON: %w", flag, err)
	}
	if _, ok := v.(map[string]any); object && !ok {
		return nil, fmt.Errorf("--%s: must be a JSON object such as '{\"region\": \"eu\"}'", flag)
	}
	return json.RawMessage(b), nil
}

// emitReport prints what a report did.
func (o *cliOptions) emitReport(cmd *cobra.Command, res *client.IngestResult) error {
	return o.emit(cmd, res, func(w io.Writer) {
		if d := res.Deployment; d != nil {
			fmt.Fprintf(w, "Deployment %s of agent %s is %s.\n", d.ID, d.AgentID, d.Status)
		}
		if a := res.Agent; a != nil {
			fmt.Fprintf(w, "Agent %s is %s.\n", a.ID, a.Status)
		}
		if len(res.Events) == 0 {
			fmt.Fprintln(w, "No events were published.")
			return
		}
		fmt.Fprintln(w)
		tableRow(w, "EVENT", "TYPE")
		for _, ev := range res.Events {
			tableRow(w, ev.ID, ev.Type)
		}
	})
}

func newIngestAgentStatusCmd(o *cliOptions) *cobra.Command {
	var r herald.AgentReport
	var logs []string
	var metadata string
	cmd := &cobra.Command{
		Use:   "agent-status --agent ID --status STATUS [flags]",
		Short: "Report an agent's status",
		Long: `Report an agent's status. A new status publishes agent.status and, for
running, stopped and crashed (or failed or error), agent.started,
agent.stopped or agent.crashed; the same status again publishes
agent.heartbeat. Statuses are 1 to 32 characters of [a-z_].`,
		Example: `  herald ingest agent-status --agent agent-1 --status running --node node-7
  herald ingest agent-status --agent agent-1 --status crashed --error 'OOM killed' --log 'last words'
  herald ingest agent-status --agent agent-1 --status running --metadata '{"region": "eu"}'`,
		Args: cobra.NoArgs,
		RunE: o.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			for _, l := range logs {
				r.Logs = append(r.Logs, herald.LogEntry{Message: l})
			}
			if cmd.Flags().Changed("metadata") {
				raw, err := readJSONArg(cmd, "metadata", metadata, true)
				if err != nil {
					return err
				}
				r.Metadata = raw
			}
			res, err := c.Ingest.AgentStatus(cmd.Context(), r)
			if err != nil {
				return err
			}
			return o.emitReport(cmd, res)
		}),
	}
	fs := cmd.Flags()
	fs.StringVar(&r.AgentID, "agent", "", "the agent's id (required)")
	fs.StringVar(&r.Status, "status", "", "the agent's status, such as running, stopped or crashed (required)")
	fs.StringVar(&r.NodeID, "node", "", "the node the agent runs on")
	fs.StringVar(&r.Error, "error", "", "the error, for a crash")
	fs.StringVar(&r.Reason, "reason", "", "the reason, for a stop")
	fs.StringArrayVar(&logs, "log", nil, "a log line, repeatable")
	fs.StringVar(&metadata, "metadata", "", "metadata: a JSON object, @FILE, or - for stdin")
	_ = cmd.MarkFlagRequired("agent")
	_ = cmd.MarkFlagRequired("status")
	return cmd
}

func newIngestDeploymentCmd(o *cliOptions) *cobra.Command {
	var r herald.DeploymentReport
	var changes string
	cmd := &cobra.Command{
		Use:   "deployment --id ID --agent ID --status STATUS [flags]",
		Short: "Report a deployment's status",
		Long: `Report a deployment's status: created, started, updated, completed, failed
or rolled_back. It publishes deployment.<status>, and the agent events of the
status it gives the agent: deploying (created, started, updated), running
(completed, rolled_back) or failed.`,
		Example: `  herald ingest deployment --id d-42 --agent agent-1 --status created --version v1.2.0
  herald ingest deployment --id d-42 --agent agent-1 --status updated --changes '{"replicas": 3}'
  herald ingest deployment --id d-42 --agent agent-1 --status failed --error 'image pull failed'`,
		Args: cobra.NoArgs,
		RunE: o.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			if cmd.Flags().Changed("changes") {
				raw, err := readJSONArg(cmd, "changes", changes, false)
				if err != nil {
					return err
				}
				r.Changes = raw
			}
			res, err := c.Ingest.Deployment(cmd.Context(), r)
			if err != nil {
				return err
			}
			return o.emitReport(cmd, res)
		}),
	}
	fs := cmd.Flags()
	fs.StringVar(&r.DeploymentID, "id", "", "the deployment's id (required)")
	fs.StringVar(&r.AgentID, "agent", "", "the agent deployed (required)")
	fs.StringVar(&r.Status, "status", "", "created, started, updated, completed, failed or rolled_back (required)")
	fs.StringVar(&r.Version, "version", "", "the version deployed")
	fs.StringVar(&changes, "changes", "", "what changed, for updated: JSON, @FILE, or - for stdin")
	fs.StringVar(&r.Error, "error", "", "the error, for failed")
	fs.StringVar(&r.Reason, "reason", "", "the reason, for rolled_back")
	_ = cmd.MarkFlagRequired("id")
	_ = cmd.MarkFlagRequired("agent")
	_ = cmd.MarkFlagRequired("status")
	return cmd
}

func newIngestMetricsCmd(o *cliOptions) *cobra.Command {
	var r herald.MetricsReport
	var metrics []string
	var at timeValue
	cmd := &cobra.Command{
		Use:   "metrics --agent ID --metric NAME=VALUE... [--timestamp TIME]",
		Short: "Report an agent's metric values",
		Long: `Report named values of an agent; it publishes metrics.report. An agent not
seen before is registered with status "unknown".`,
		Example: `  herald ingest metrics --agent agent-1 --metric cpu=0.42 --metric mem_mb=512
  herald ingest metrics --agent agent-1 --metric latency_ms=120 --timestamp 2026-01-02T15:04:05Z`,
		Args: cobra.NoArgs,
		RunE: o.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			r.Metrics = map[string]float64{}
			for _, m := range metrics {
				name, value, ok := strings.Cut(m, "=")
				name = strings.TrimSpace(name)
				v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
				if !ok || name == "" || err != nil {
					return fmt.Errorf("--metric: %q is not NAME=NUMBER, such as cpu=0.42", m)
				}
				r.Metrics[name] = v
			}
			r.Timestamp = at.t
			res, err := c.Ingest.Metrics(cmd.Context(), r)
			if err != nil {
				return err
			}
			return o.emitReport(cmd, res)
		}),
	}
	fs := cmd.Flags()
	fs.StringVar(&r.AgentID, "agent", "", "the agent's id (required)")
	fs.StringArrayVar(&metrics, "metric", nil, "a value NAME=NUMBER, repeatable (required)")
	fs.Var(&at, "timestamp", "when the values were measured: RFC 3339, or a duration back from now (default: now)")
	_ = cmd.MarkFlagRequired("agent")
	_ = cmd.MarkFlagRequired("metric")
	return cmd
}
