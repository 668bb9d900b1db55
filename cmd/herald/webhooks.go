package main

import (
	"errors"
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

// newWebhooksCmd is "herald webhooks": manage webhooks and see, test and
// retry their deliveries.
func newWebhooksCmd(o *cliOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "webhooks",
		Aliases: []string{"webhook"},
		Short:   "Manage webhooks and their deliveries",
		RunE:    runGroup,
	}
	cmd.AddCommand(
		newWebhooksListCmd(o),
		newWebhooksGetCmd(o),
		newWebhooksCreateCmd(o),
		newWebhooksUpdateCmd(o),
		newWebhooksDeleteCmd(o),
		newWebhooksSwitchCmd(o, true),
		newWebhooksSwitchCmd(o, false),
		newWebhooksTestCmd(o),
		newWebhooksDeliveriesCmd(o),
		newWebhooksDeliveryCmd(o),
		newWebhooksRetryCmd(o),
		newWebhooksRotateSecretCmd(o),
		newWebhooksHealthCmd(o),
		newWebhooksRecoverCmd(o),
		newWebhooksReplayMissingCmd(o),
	)
	return cmd
}

// secondsValue is a flag holding whole seconds, given as a duration ("30s",
// "1m30s") or a bare number of seconds ("45"); a fraction rounds up.
type secondsValue struct{ n int }

// String returns the value as a duration, such as "30s", and "" when unset.
func (v *secondsValue) String() string {
	if v.n == 0 {
		return ""
	}
	return herald.FormatDuration(time.Duration(v.n) * time.Second)
}

// Set parses "45" or a duration such as "1m30s".
func (v *secondsValue) Set(s string) error {
	d, err := time.ParseDuration(s)
	if n, nerr := strconv.Atoi(s); nerr == nil {
		d, err = time.Duration(n)*time.Second, nil
	}
	if err != nil {
		return fmt.Errorf("%q is not a duration such as 30s or 1m", s)
	} else if d <= 0 {
		return fmt.Errorf("must be positive, got %s", s)
	}
	v.n = int((d + time.Second - 1) / time.Second)
	return nil
}

// Type names the value in help.
func (v *secondsValue) Type() string { return "duration" }

// webhookFlags are the fields of create and update.
type webhookFlags struct {
	url, name, description, agent, secret string
	events, headers                       []string
	timeout                               secondsValue
	maxRetries                            int
	retrySchedule                         string
	rateLimit                             string
	ordering                              string
	signatureHeader, signatureFormat      string
	insecure                              bool
	allTenants                            bool
	inactive                              bool // create
	active                                bool // --active, or its alias --enabled
}

// register adds the flags to cmd; on create they show the server's
// defaults, on update they default to leaving the field as it is.
func (f *webhookFlags) register(cmd *cobra.Command, update bool) {
	fs := cmd.Flags()
	help := func(what, createDefault string) string {
		if update {
			return what + " (unchanged unless given)"
		}
		return what + createDefault
	}
	if !update {
		f.timeout.n = herald.DefaultTimeoutSeconds
		f.maxRetries = herald.DefaultMaxRetries
		f.signatureHeader = herald.DefaultSignatureHeader
		f.signatureFormat = herald.SignatureSHA256Hex
	}
	fs.StringVar(&f.url, "url", "", help("the endpoint deliveries are POSTed to", " (required)"))
	fs.StringSliceVar(&f.events, "events", nil, help("event patterns, comma-separated or repeated, such as 'agent.*,deployment.*'", " (required)"))
	fs.StringVar(&f.name, "name", "", help("a name", ""))
	fs.StringVar(&f.description, "description", "", help("a description", ""))
	fs.StringVar(&f.agent, "agent", "", help("deliver only the events of this agent (data.agent_id, data.agent or data.agent.id)", ""))
	fs.StringVar(&f.secret, "secret", "", help("signing secret", " (default: a generated whsec_ secret)"))
	fs.StringArrayVar(&f.headers, "header", nil, help("custom header KEY=VALUE, repeatable; the headers given replace all the old ones, and --header '' clears them", ""))
	fs.Var(&f.timeout, "timeout", help("how long to wait for the endpoint, 1s to 5m, in whole seconds", ""))
	fs.IntVar(&f.maxRetries, "max-retries", f.maxRetries, help("retries after the first attempt, 0 to 10", ""))
	fs.StringVar(&f.retrySchedule, "retry-schedule", "", help("delays between retries such as 1m,5m; \"\" for the server's", " (default: the server's schedule)"))
	fs.StringVar(&f.rateLimit, "rate-limit", "", help("at most N attempts per duration across every node, such as 20/1s (1s to 1h); 'none' removes it", " (default: none)"))
	fs.StringVar(&f.ordering, "ordering", "", help("how deliveries wait for one another: none, fifo (one at a time, in the order events were accepted) or key (that order per event ordering_key)", " (default: none)"))
	fs.StringVar(&f.signatureHeader, "signature-header", f.signatureHeader, help("header carrying the HMAC signature", ""))
	fs.StringVar(&f.signatureFormat, "signature-format", f.signatureFormat, help("signature format: sha256=hex, hex or base64", ""))
	fs.BoolVar(&f.insecure, "insecure-skip-verify", false, help("do not verify the endpoint's TLS certificate", ""))
	fs.BoolVar(&f.allTenants, "all-tenants", false, help("a platform webhook only: receive every tenant's events too, each body carrying tenant_id", ""))
	// Default false only so that help shows none: the field is sent only
	// when the flag is given, and a bare --active means true.
	fs.BoolVar(&f.active, "active", false, "deliver events: --active=false pauses the webhook, --active resumes it")
	fs.BoolVar(&f.active, "enabled", false, "alias of --active")
	if !update {
		fs.BoolVar(&f.inactive, "inactive", false, "create the webhook paused")
		cmd.MarkFlagsMutuallyExclusive("active", "enabled", "inactive")
	} else {
		cmd.MarkFlagsMutuallyExclusive("active", "enabled")
	}
}

// input builds the request from the flags given on the command line alone,
// so that a create leaves the rest to the server's defaults and an update
// changes only those fields. n counts the fields set.
func (f *webhookFlags) input(cmd *cobra.Command) (in herald.WebhookInput, n int, err error) {
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
	in.URL = str("url", f.url)
	in.Name = str("name", f.name)
	in.Description = str("description", f.description)
	in.AgentID = str("agent", f.agent)
	in.Secret = str("secret", f.secret)
	in.SignatureHeader = str("signature-header", f.signatureHeader)
	in.SignatureFormat = str("signature-format", f.signatureFormat)
	if changed("events") {
		in.Events = []string{}
		for _, e := range f.events {
			if e = strings.TrimSpace(e); e != "" {
				in.Events = append(in.Events, e)
			}
		}
	}
	if changed("header") {
		headers := map[string]string{}
		for _, h := range f.headers {
			if h == "" {
				continue // --header '' alone sends no headers, clearing them
			}
			k, v, ok := strings.Cut(h, "=")
			if k = strings.TrimSpace(k); !ok || k == "" {
				return in, n, fmt.Errorf("--header: %q is not KEY=VALUE", h)
			}
			headers[k] = v
		}
		in.Headers = &headers
	}
	if changed("timeout") {
		in.TimeoutSeconds = &f.timeout.n
	}
	if changed("max-retries") {
		in.MaxRetries = &f.maxRetries
	}
	if changed("retry-schedule") {
		d, err := herald.ParseDurations(f.retrySchedule)
		if err != nil {
			return in, n, fmt.Errorf("--retry-schedule: %w", err)
		}
		if d == nil {
			d = herald.Durations{} // "" goes back to the server's schedule
		}
		in.RetrySchedule = &d
	}
	if changed("rate-limit") {
		in.RateLimit.Set = true
		if r := strings.TrimSpace(f.rateLimit); r != "" && !strings.EqualFold(r, "none") {
			rl, err := parseRateLimit(r)
			if err != nil {
				return in, n, fmt.Errorf("--rate-limit: %w", err)
			}
			in.RateLimit.Limit = rl
		}
	}
	if changed("ordering") {
		in.Ordering = &f.ordering
	}
	if changed("insecure-skip-verify") {
		verify := !f.insecure
		in.VerifySSL = &verify
	}
	if changed("all-tenants") {
		in.AllTenants = &f.allTenants
	}
	if changed("inactive") {
		active := !f.inactive
		in.IsActive = &active
	}
	if changed("active") || changed("enabled") {
		in.IsActive = &f.active
	}
	return in, n, nil
}

func newWebhooksCreateCmd(o *cliOptions) *cobra.Command {
	var f webhookFlags
	cmd := &cobra.Command{
		Use:   "create [AGENT] --url URL --events PATTERNS [flags]",
		Short: "Register a webhook and print its signing secret once",
		Long: `Register a webhook and print its signing secret once. With AGENT (or
--agent AGENT) the webhook receives only that agent's events.`,
		Example: `  herald webhooks create --url https://example.com/hooks --events 'agent.*,deployment.*'
  herald webhooks create my-agent --url https://example.com/hooks --events agent.invoked,agent.completed,agent.failed
  herald webhooks create --url https://example.com/hooks --events '*' --name all \
    --header 'Authorization=Bearer abc' --timeout 10s --max-retries 5 --retry-schedule 10s,1m --rate-limit 20/1s`,
		Args: cobra.MaximumNArgs(1),
		RunE: o.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			in, _, err := f.input(cmd)
			if err != nil {
				return err
			}
			if len(args) == 1 {
				if in.AgentID != nil && *in.AgentID != args[0] {
					return fmt.Errorf("the agent is given twice: %q and --agent %q", args[0], *in.AgentID)
				}
				in.AgentID = &args[0]
			}
			created, err := c.Webhooks.CreateWithWarnings(cmd.Context(), in)
			if err != nil {
				return err
			}
			wh := created.Webhook
			for _, warning := range created.Warnings {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s\n", warning)
			}
			return o.emit(cmd, created, func(w io.Writer) {
				fmt.Fprintf(w, "Created webhook %s.\n\n", wh.ID)
				tableFields(w, webhookFields(wh))
				fmt.Fprintf(w, "\nSigning secret (shown once; save it now, your endpoint needs it to verify deliveries):\n\n    %s\n", wh.Secret)
			})
		}),
	}
	f.register(cmd, false)
	_ = cmd.MarkFlagRequired("url")
	_ = cmd.MarkFlagRequired("events")
	return cmd
}

func newWebhooksUpdateCmd(o *cliOptions) *cobra.Command {
	var f webhookFlags
	cmd := &cobra.Command{
		Use:   "update [AGENT] WEBHOOK_ID [flags]",
		Short: "Change the given fields of a webhook and keep the others",
		Long: `Change the given fields of a webhook and keep the others. With AGENT the
webhook must be that agent's.`,
		Example: `  herald webhooks update wh_01k... --active=false
  herald webhooks update wh_01k... --events 'agent.*' --timeout 1m
  herald webhooks update my-agent wh_01k... --events agent.invoked,agent.completed,agent.failed,agent.timeout`,
		Args: cobra.RangeArgs(1, 2),
		RunE: o.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			id, err := agentWebhook(cmd, c, args)
			if err != nil {
				return err
			}
			in, n, err := f.input(cmd)
			if err != nil {
				return err
			}
			if n == 0 {
				return errors.New("nothing to update: give at least one flag, such as --url, --events or --active=false")
			}
			wh, err := c.Webhooks.Update(cmd.Context(), id, in)
			if err != nil {
				return err
			}
			return o.emit(cmd, wh, func(w io.Writer) { tableFields(w, webhookFields(wh)) })
		}),
	}
	f.register(cmd, true)
	return cmd
}

func newWebhooksListCmd(o *cliOptions) *cobra.Command {
	var opts client.ListOptions
	var agent string
	cmd := &cobra.Command{
		Use:   "list [AGENT]",
		Short: "List webhooks, newest first: all, or one agent's",
		Example: `  herald webhooks list
  herald webhooks list my-agent
  herald webhooks list --agent my-agent`,
		Args: cobra.MaximumNArgs(1),
		RunE: o.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			if len(args) == 1 {
				if agent != "" && agent != args[0] {
					return fmt.Errorf("the agent is given twice: %q and --agent %q", args[0], agent)
				}
				agent = args[0]
			}
			list, err := c.Webhooks.ListForAgent(cmd.Context(), agent, opts)
			if err != nil {
				return err
			}
			if err := o.emit(cmd, list, func(w io.Writer) {
				if len(list.Items) == 0 && list.Skip == 0 && agent != "" {
					fmt.Fprintf(w, "No webhooks for agent %s. Register one with: herald webhooks create %s --url URL --events 'agent.*'\n", agent, agent)
					return
				} else if len(list.Items) == 0 && list.Skip == 0 {
					fmt.Fprintln(w, "No webhooks yet. Register one with: herald webhooks create --url URL --events 'agent.*'")
					return
				}
				many := manyTenants(list.Items, func(wh *herald.Webhook) herald.TenantID { return wh.TenantID })
				tableRow(w, tenantCells(many, "TENANT", "ID", "NAME", "AGENT", "URL", "EVENTS", "ACTIVE", "LAST TRIGGERED")...)
				for _, wh := range list.Items {
					tableRow(w, tenantCells(many, cellTenant(wh.TenantID), wh.ID, wh.Name, wh.AgentID, wh.URL, webhookEvents(wh), cellYesNo(wh.IsActive), cellTime(wh.LastTriggeredAt))...)
				}
			}); err != nil {
				return err
			}
			pageFooter(cmd, len(list.Items), list.Skip, list.Total)
			return nil
		}),
	}
	cmd.Flags().StringVar(&agent, "agent", "", "only the webhooks of this agent")
	addPageFlags(cmd, &opts.Skip, &opts.Limit)
	return cmd
}

// agentWebhook reads the [AGENT] WEBHOOK_ID arguments of seed 003's
// commands ("herald webhooks logs my-agent wh_…"): the webhook's ID, after
// checking, when AGENT is given, that the webhook is that agent's.
func agentWebhook(cmd *cobra.Command, c *client.Client, args []string) (string, error) {
	if len(args) < 2 {
		return args[0], nil
	}
	wh, err := c.Webhooks.Get(cmd.Context(), args[1])
	if err != nil {
		return "", err
	}
	if wh.AgentID != args[0] {
		owner := "every agent"
		if wh.AgentID != "" {
			owner = "agent " + wh.AgentID
		}
		return "", fmt.Errorf("webhook %s is not agent %s's: it is for %s", wh.ID, args[0], owner)
	}
	return wh.ID, nil
}

// addPageFlags adds --skip and --limit.
func addPageFlags(cmd *cobra.Command, skip, limit *int) {
	cmd.Flags().IntVar(skip, "skip", 0, "skip this many items")
	cmd.Flags().IntVar(limit, "limit", 0, fmt.Sprintf("show at most this many items (default %d, at most %d)", herald.DefaultLimit, herald.MaxLimit))
}

func newWebhooksGetCmd(o *cliOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "get WEBHOOK_ID",
		Short: "Show a webhook",
		Args:  cobra.ExactArgs(1),
		RunE: o.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			wh, err := c.Webhooks.Get(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return o.emit(cmd, wh, func(w io.Writer) { tableFields(w, webhookFields(wh)) })
		}),
	}
}

// webhookFields are the lines of a webhook's detail view.
func webhookFields(wh *herald.Webhook) [][2]string {
	headers := make([]string, 0, len(wh.Headers))
	for k, v := range wh.Headers {
		headers = append(headers, k+"="+v)
	}
	slices.Sort(headers)
	schedule := "server default"
	if len(wh.RetrySchedule) > 0 {
		parts := make([]string, len(wh.RetrySchedule))
		for i, d := range wh.RetrySchedule {
			parts[i] = herald.FormatDuration(d)
		}
		schedule = strings.Join(parts, ",")
	}
	return withTenantField([][2]string{
		{"ID", wh.ID},
		{"Name", wh.Name},
		{"Description", wh.Description},
		{"URL", wh.URL},
		{"Events", webhookEvents(wh)},
		{"Agent", wh.AgentID},
		{"Active", cellYesNo(wh.IsActive)},
		{"Disabled", disabledField(wh)},
		{"Headers", strings.Join(headers, " ")},
		{"Timeout", herald.FormatDuration(time.Duration(wh.TimeoutSeconds) * time.Second)},
		{"Max retries", strconv.Itoa(wh.MaxRetries)},
		{"Retry schedule", schedule},
		{"Rate limit", rateLimitField(wh.RateLimit)},
		{"Ordering", herald.OrderingOrNone(wh.Ordering)},
		{"Verify TLS", cellYesNo(wh.VerifySSL)},
		{"Signature", wh.SignatureHeader + " (" + wh.SignatureFormat + ")"},
		{"Secret rotated", cellTime(wh.SecretRotatedAt)},
		{"Old secret until", cellTime(wh.PreviousSecretExpiresAt)},
		{"Created", cellTime(&wh.CreatedAt)},
		{"Updated", cellTime(&wh.UpdatedAt)},
		{"Last triggered", cellTime(wh.LastTriggeredAt)},
		{"Last success", cellTime(wh.LastSuccessAt)},
		{"Last failure", cellTime(wh.LastFailureAt)},
	}, wh.TenantID)
}

// rateLimitField writes a webhook's rate limit as "20/1s", or "none".
func rateLimitField(r *herald.RateLimit) string {
	if r == nil {
		return "none"
	}
	return herald.FormatRateLimit(r)
}

// webhookEvents writes a webhook's patterns, and says when it is a
// firehose of every tenant's events.
func webhookEvents(wh *herald.Webhook) string {
	events := strings.Join(wh.Events, ",")
	if wh.AllTenants {
		events += " (all tenants)"
	}
	return events
}

func newWebhooksDeleteCmd(o *cliOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "delete [AGENT] WEBHOOK_ID",
		Short: "Delete a webhook and its delivery history",
		Args:  cobra.RangeArgs(1, 2),
		RunE: o.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			id, err := agentWebhook(cmd, c, args)
			if err != nil {
				return err
			}
			if err := c.Webhooks.Delete(cmd.Context(), id); err != nil {
				return err
			}
			return o.emit(cmd, map[string]any{"id": id, "deleted": true}, func(w io.Writer) {
				fmt.Fprintf(w, "Deleted webhook %s.\n", id)
			})
		}),
	}
}

// newWebhooksSwitchCmd is "herald webhooks enable" (on) or "disable".
func newWebhooksSwitchCmd(o *cliOptions, on bool) *cobra.Command {
	use, short, done := "enable", "Turn a webhook on: it receives matching events again", "Enabled"
	if !on {
		use, short, done = "disable", "Turn a webhook off: events published meanwhile are not delivered to it", "Disabled"
	}
	return &cobra.Command{
		Use:   use + " [AGENT] WEBHOOK_ID",
		Short: short,
		Args:  cobra.RangeArgs(1, 2),
		RunE: o.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			id, err := agentWebhook(cmd, c, args)
			if err != nil {
				return err
			}
			switchFn := c.Webhooks.Enable
			if !on {
				switchFn = c.Webhooks.Disable
			}
			wh, err := switchFn(cmd.Context(), id)
			if err != nil {
				return err
			}
			return o.emit(cmd, wh, func(w io.Writer) { fmt.Fprintf(w, "%s webhook %s.\n", done, wh.ID) })
		}),
	}
}

func newWebhooksTestCmd(o *cliOptions) *cobra.Command {
	var eventType string
	cmd := &cobra.Command{
		Use:   "test [AGENT] WEBHOOK_ID [--event-type TYPE]",
		Short: "Send a webhook.test event and wait for the endpoint's answer",
		Long: `Send a webhook.test event to this webhook alone and wait for its first
attempt (up to the webhook's timeout plus 15s). With --event-type, the event
is of that type of the event catalogue, with the catalogue's example as its
data. The command fails (exit status 1) when the attempt fails or none was
made in time; the delivery stays in the history either way.`,
		Example: `  herald webhooks test wh_01J...
  herald webhooks test wh_01J... --event-type deployment.failed`,
		Args: cobra.RangeArgs(1, 2),
		RunE: o.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			id, err := agentWebhook(cmd, c, args)
			if err != nil {
				return err
			}
			var res *client.TestResult
			if eventType != "" {
				res, err = c.Webhooks.TestEvent(cmd.Context(), id, eventType)
			} else {
				res, err = c.Webhooks.Test(cmd.Context(), id)
			}
			if err != nil {
				return err
			}
			if err := o.emit(cmd, res, func(w io.Writer) {
				took := herald.FormatDuration(time.Duration(res.DurationMS) * time.Millisecond)
				switch {
				case res.Pending:
					fmt.Fprintf(w, "Test delivery %s is still queued: no attempt was made in time.\n", res.DeliveryID)
				case res.Success:
					fmt.Fprintf(w, "Test delivery %s succeeded: HTTP %s in %s.\n", res.DeliveryID, cellCode(res.StatusCode), took)
				default:
					fmt.Fprintf(w, "Test delivery %s failed: HTTP %s in %s: %s\n", res.DeliveryID, cellCode(res.StatusCode), took, cellText(res.Error))
				}
				fmt.Fprintf(w, "Details: herald webhooks delivery %s %s\n", id, res.DeliveryID)
			}); err != nil {
				return err
			}
			if res.Pending {
				return errors.New("the test delivery got no attempt in time")
			} else if !res.Success {
				return errors.New("the test delivery failed")
			}
			return nil
		}),
	}
	cmd.Flags().StringVar(&eventType, "event-type", "", "send the catalogue's example of this event type instead of webhook.test")
	return cmd
}

func newWebhooksDeliveriesCmd(o *cliOptions) *cobra.Command {
	var f client.DeliveryFilter
	var failed, succeeded bool
	cmd := &cobra.Command{
		Use:     "deliveries [AGENT] WEBHOOK_ID",
		Aliases: []string{"logs"},
		Short:   "List a webhook's deliveries, newest first",
		Example: `  herald webhooks deliveries wh_01k...
  herald webhooks logs wh_01k... --failed --event deployment.failed
  herald webhooks logs my-agent wh_01k... --failed`,
		Args: cobra.RangeArgs(1, 2),
		RunE: o.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			id, err := agentWebhook(cmd, c, args)
			if err != nil {
				return err
			}
			if failed || succeeded {
				f.Success = &succeeded
			}
			list, err := c.Webhooks.Deliveries(cmd.Context(), id, f)
			if err != nil {
				return err
			}
			if err := o.emit(cmd, list, func(w io.Writer) {
				if len(list.Items) == 0 && list.Skip == 0 {
					fmt.Fprintln(w, "No deliveries.")
					return
				}
				tableRow(w, "ID", "EVENT", "STATUS", "ATTEMPTS", "HTTP", "CREATED", "LAST ATTEMPT", "ERROR")
				for _, d := range list.Items {
					tableRow(w, d.ID, d.Event, d.Status, strconv.Itoa(d.Attempts), cellCode(d.ResponseStatusCode),
						cellTime(&d.CreatedAt), cellTime(d.LastAttemptAt), cellCut(d.ErrorMessage, 60))
				}
			}); err != nil {
				return err
			}
			pageFooter(cmd, len(list.Items), list.Skip, list.Total)
			return nil
		}),
	}
	cmd.Flags().BoolVar(&failed, "failed", false, "only deliveries that have not succeeded (failed or still pending)")
	cmd.Flags().BoolVar(&succeeded, "succeeded", false, "only successful deliveries")
	cmd.Flags().StringVar(&f.Event, "event", "", "only deliveries of this event type")
	addPageFlags(cmd, &f.Skip, &f.Limit)
	cmd.MarkFlagsMutuallyExclusive("failed", "succeeded")
	return cmd
}

func newWebhooksDeliveryCmd(o *cliOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "delivery WEBHOOK_ID DELIVERY_ID",
		Short: "Show a delivery with every attempt",
		Args:  cobra.ExactArgs(2),
		RunE: o.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			d, err := c.Webhooks.Delivery(cmd.Context(), args[0], args[1])
			if err != nil {
				return err
			}
			return o.emit(cmd, d, func(w io.Writer) {
				tableFields(w, [][2]string{
					{"ID", d.ID},
					{"Webhook", d.WebhookID},
					{"Event", d.Event + " (" + d.EventID + ")"},
					{"Status", d.Status},
					{"Attempts", strconv.Itoa(d.Attempts)},
					{"Created", cellTime(&d.CreatedAt)},
					{"Next attempt", cellTime(d.NextAttemptAt)},
					{"Delivered", cellTime(d.DeliveredAt)},
				})
				if len(d.AttemptList) == 0 {
					fmt.Fprintln(w, "\nNo attempts yet.")
					return
				}
				fmt.Fprintln(w)
				tableRow(w, "#", "STARTED", "DURATION", "HTTP", "RESULT", "ERROR")
				for _, a := range d.AttemptList {
					result := "failed"
					if a.Success {
						result = "success"
					}
					tableRow(w, strconv.Itoa(a.Number), cellTime(&a.StartedAt), herald.FormatDuration(time.Duration(a.DurationMS)*time.Millisecond),
						cellCode(a.StatusCode), result, cellCut(a.Error, 80))
				}
				last := d.AttemptList[len(d.AttemptList)-1]
				if last.ResponseBody != "" {
					body := strings.ReplaceAll(cellCut(last.ResponseBody, 1024), "\t", "    ")
					fmt.Fprintf(w, "\nResponse body of attempt %d:\n%s\n", last.Number, body)
				}
			})
		}),
	}
}

func newWebhooksRetryCmd(o *cliOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "retry WEBHOOK_ID DELIVERY_ID",
		Short: "Attempt a delivery again now, also after it failed",
		Args:  cobra.ExactArgs(2),
		RunE: o.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			d, err := c.Webhooks.RetryDelivery(cmd.Context(), args[0], args[1])
			if err != nil {
				return err
			}
			return o.emit(cmd, d, func(w io.Writer) {
				fmt.Fprintf(w, "Queued a new attempt of delivery %s (status %s, %d attempts so far).\n", d.ID, d.Status, d.Attempts)
				fmt.Fprintf(w, "Follow it with: herald webhooks delivery %s %s\n", args[0], d.ID)
			})
		}),
	}
}
