package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/client"
)

// newInboundCmd is "herald inbound": manage named inbound webhooks (the
// URLs external services post to, /api/webhooks/NAME), trigger them, and
// read their request logs.
func newInboundCmd(o *cliOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "inbound",
		Short: "Manage inbound webhooks that trigger agents",
		RunE:  runGroup,
	}
	cmd.AddCommand(
		newInboundListCmd(o),
		newInboundGetCmd(o),
		newInboundCreateCmd(o),
		newInboundUpdateCmd(o),
		newInboundDeleteCmd(o),
		newInboundTriggerCmd(o),
		newInboundRequestsCmd(o),
		newInboundSecretCmd(o),
	)
	return cmd
}

// inboundFlags are the settings of create and update.
type inboundFlags struct {
	name, agent, secret, description   string
	template, condition, responseMode  string
	rateLimit, provider, botToken      string
	contexts, include, exclude, allowd []string
	disabled, active                   bool // active: --active or its alias --enabled
}

// register adds the flags to cmd.
func (f *inboundFlags) register(cmd *cobra.Command, update bool) {
	fs := cmd.Flags()
	if !update {
		fs.StringVar(&f.name, "name", "", "the webhook's name, [a-z0-9_-]{1,64}; its URL is /api/webhooks/NAME (required)")
	}
	fs.StringVar(&f.agent, "agent", "", "the agent that receives the messages")
	fs.StringVar(&f.secret, "secret", "", "the secret senders present: for provider discord the application's hex public key, for telegram the secret_token (default on create: a generated whsec_ secret; for telegram 64 hex digits)")
	fs.StringVar(&f.botToken, "bot-token", "", "the platform bot token replies are sent with (Slack chat.postMessage, Telegram sendMessage); write-only, '' removes it")
	fs.StringVar(&f.description, "description", "", "a description")
	fs.StringVar(&f.provider, "provider", "", "how requests are verified: generic, github, slack, discord, telegram, stripe or standard (default: the platform for a webhook named github, slack, discord or telegram, else generic)")
	fs.StringVar(&f.template, "template", "", "Jinja2 message template, such as 'Alert: {{alert_name}} on {{instance}}'")
	fs.StringArrayVar(&f.contexts, "context", nil, "context mapping KEY=JSONPATH, such as severity=$.severity; repeatable")
	fs.StringArrayVar(&f.include, "include", nil, "only event types matching this glob, such as '*.critical'; repeatable")
	fs.StringArrayVar(&f.exclude, "exclude", nil, "drop event types matching this glob, such as 'test.*'; repeatable")
	fs.StringVar(&f.condition, "condition", "", "only payloads for which this expression holds, such as \"$.severity == 'critical'\"")
	fs.StringVar(&f.responseMode, "response-mode", "", "sync (wait for the agent's answer; the default) or async")
	fs.StringSliceVar(&f.allowd, "allowed-ips", nil, "accept requests only from these IPs and CIDRs (the allowed_ips field), comma-separated or repeated; '' accepts any")
	// --allowed-ip, the flag's old name, still works.
	fs.SetNormalizeFunc(func(_ *pflag.FlagSet, name string) pflag.NormalizedName {
		if name == "allowed-ip" {
			name = "allowed-ips"
		}
		return pflag.NormalizedName(name)
	})
	fs.StringVar(&f.rateLimit, "rate-limit", "", "at most N requests per duration, such as 10/1m; 'none' removes it")
	fs.BoolVar(&f.active, "active", false, "accept requests: --active=false disables the webhook, --active enables it")
	fs.BoolVar(&f.active, "enabled", false, "alias of --active")
	if update {
		cmd.MarkFlagsMutuallyExclusive("active", "enabled")
	} else {
		fs.BoolVar(&f.disabled, "disabled", false, "create the webhook disabled")
		cmd.MarkFlagsMutuallyExclusive("active", "enabled", "disabled")
	}
}

// apply sets, on in, the fields whose flags were given; n counts them.
func (f *inboundFlags) apply(cmd *cobra.Command, in *herald.InboundWebhookInput) (n int, err error) {
	changed := func(name string) bool {
		if cmd.Flags().Changed(name) {
			n++
			return true
		}
		return false
	}
	str := func(name, v string, dst **string) {
		if changed(name) {
			*dst = &v
		}
	}
	str("name", f.name, &in.Name)
	str("agent", f.agent, &in.Agent)
	str("secret", f.secret, &in.Secret)
	str("bot-token", f.botToken, &in.BotToken)
	str("description", f.description, &in.Description)
	str("provider", f.provider, &in.Provider)
	str("response-mode", f.responseMode, &in.ResponseMode)
	if in.Transform == nil {
		in.Transform = &herald.Transform{}
	}
	if in.Filters == nil {
		in.Filters = &herald.Filters{}
	}
	if changed("template") {
		in.Transform.MessageTemplate = f.template
	}
	if changed("context") {
		in.Transform.ContextMapping = map[string]string{}
		for _, c := range f.contexts {
			if c == "" {
				continue // --context '' clears the mapping
			}
			k, v, ok := strings.Cut(c, "=")
			if k = strings.TrimSpace(k); !ok || k == "" {
				return n, fmt.Errorf("--context: %q is not KEY=JSONPATH", c)
			}
			in.Transform.ContextMapping[k] = strings.TrimSpace(v)
		}
	}
	if changed("include") {
		in.Filters.Include = nonEmpty(f.include)
	}
	if changed("exclude") {
		in.Filters.Exclude = nonEmpty(f.exclude)
	}
	if changed("condition") {
		in.Filters.Condition = f.condition
	}
	if changed("allowed-ips") {
		ips := nonEmpty(f.allowd)
		in.AllowedIPs = &ips
	}
	if changed("rate-limit") {
		if strings.EqualFold(f.rateLimit, "none") || f.rateLimit == "" {
			in.RateLimit = nil
		} else {
			rl, err := parseRateLimit(f.rateLimit)
			if err != nil {
				return n, fmt.Errorf("--rate-limit: %w", err)
			}
			in.RateLimit = rl
		}
	}
	if changed("disabled") {
		active := !f.disabled
		in.IsActive = &active
	}
	if changed("active") || changed("enabled") {
		in.IsActive = &f.active
	}
	return n, nil
}

// nonEmpty returns the trimmed non-empty items of list, never nil.
func nonEmpty(list []string) []string {
	out := []string{}
	for _, s := range list {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// parseRateLimit reads "N/DURATION" such as "10/1m" or "100/h".
func parseRateLimit(s string) (*herald.RateLimit, error) {
	ns, ds, ok := strings.Cut(strings.TrimSpace(s), "/")
	n, err := strconv.Atoi(strings.TrimSpace(ns))
	if !ok || err != nil || n <= 0 {
		return nil, fmt.Errorf("%q is not REQUESTS/DURATION such as 10/1m", s)
	}
	ds = strings.TrimSpace(ds)
	if ds != "" && (ds[0] < '0' || ds[0] > '9') {
		ds = "1" + ds
	}
	d, err := time.ParseDuration(ds)
	if err != nil || d <= 0 {
		return nil, fmt.Errorf("%q is not REQUESTS/DURATION such as 10/1m", s)
	}
	return &herald.RateLimit{Requests: n, Per: herald.Duration(d)}, nil
}

// inputOf is the input that PUT needs to keep wh's settings as they are
// (the secret stays when left out).
func inputOf(wh *herald.InboundWebhook) herald.InboundWebhookInput {
	t, f := wh.Transform, wh.Filters
	ips := slices.Clone(wh.AllowedIPs)
	return herald.InboundWebhookInput{
		Agent: &wh.Agent, Description: &wh.Description, IsActive: &wh.Enabled, Provider: &wh.Provider,
		Transform: &t, Filters: &f, ResponseMode: &wh.ResponseMode, AllowedIPs: &ips, RateLimit: wh.RateLimit,
	}
}

func newInboundCreateCmd(o *cliOptions) *cobra.Command {
	var f inboundFlags
	cmd := &cobra.Command{
		Use:   "create --name NAME --agent AGENT [flags]",
		Short: "Create an inbound webhook and print its secret once",
		Example: `  herald inbound create --name github --agent devops --secret github-secret
  herald inbound create --name alerts --agent ops --template 'Alert: {{alert_name}} on {{instance}} ({{severity}})' \
    --context severity=$.severity --include '*.critical' --condition "$.severity == 'critical'" --rate-limit 10/1m`,
		Args: cobra.NoArgs,
		RunE: o.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			var in herald.InboundWebhookInput
			if _, err := f.apply(cmd, &in); err != nil {
				return err
			}
			wh, err := c.Inbound.Create(cmd.Context(), in)
			if err != nil {
				return err
			}
			return o.emit(cmd, wh, func(w io.Writer) {
				fmt.Fprintf(w, "Created inbound webhook %s; external services POST to %s/api/webhooks/%s\n\n", wh.Name, o.baseURL, wh.Name)
				tableFields(w, inboundFields(wh))
				how := "senders send it as X-Webhook-Secret"
				if wh.Provider != "" && wh.Provider != "generic" {
					how = "set it as the " + wh.Provider + " signing secret, token or key; see docs/integrations.md"
				}
				fmt.Fprintf(w, "\nSecret (shown once; %s):\n\n    %s\n", how, wh.Secret)
			})
		}),
	}
	f.register(cmd, false)
	_ = cmd.MarkFlagRequired("name")
	_ = cmd.MarkFlagRequired("agent")
	return cmd
}

func newInboundUpdateCmd(o *cliOptions) *cobra.Command {
	var f inboundFlags
	cmd := &cobra.Command{
		Use:   "update NAME [flags]",
		Short: "Change the given settings of an inbound webhook and keep the others",
		Example: `  herald inbound update github --active=false
  herald inbound update alerts --exclude 'test.*' --rate-limit none`,
		Args: cobra.ExactArgs(1),
		RunE: o.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			cur, err := c.Inbound.Get(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			in := inputOf(cur)
			n, err := f.apply(cmd, &in)
			if err != nil {
				return err
			}
			if n == 0 {
				return errors.New("nothing to update: give at least one flag, such as --agent, --template or --active=false")
			}
			wh, err := c.Inbound.Update(cmd.Context(), args[0], in)
			if err != nil {
				return err
			}
			return o.emit(cmd, wh, func(w io.Writer) { tableFields(w, inboundFields(wh)) })
		}),
	}
	f.register(cmd, true)
	return cmd
}

func newInboundListCmd(o *cliOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List inbound webhooks, by name",
		Args:  cobra.NoArgs,
		RunE: o.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			list, err := c.Inbound.List(cmd.Context())
			if err != nil {
				return err
			}
			return o.emit(cmd, list, func(w io.Writer) {
				if len(list.Webhooks) == 0 {
					fmt.Fprintln(w, "No inbound webhooks yet. Create one with: herald inbound create --name NAME --agent AGENT")
					return
				}
				many := manyTenants(list.Webhooks, func(wh *herald.InboundWebhook) herald.TenantID { return wh.TenantID })
				tableRow(w, tenantCells(many, "TENANT", "NAME", "AGENT", "ENABLED", "MODE", "LAST TRIGGERED", "DESCRIPTION")...)
				for _, wh := range list.Webhooks {
					tableRow(w, tenantCells(many, cellTenant(wh.TenantID), wh.Name, wh.Agent, cellYesNo(wh.Enabled), wh.ResponseMode, cellTime(wh.LastTriggeredAt), cellCut(wh.Description, 40))...)
				}
			})
		}),
	}
}

func newInboundGetCmd(o *cliOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "get NAME",
		Short: "Show an inbound webhook",
		Args:  cobra.ExactArgs(1),
		RunE: o.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			wh, err := c.Inbound.Get(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return o.emit(cmd, wh, func(w io.Writer) { tableFields(w, inboundFields(wh)) })
		}),
	}
}

// inboundFields are the lines of an inbound webhook's detail view.
func inboundFields(wh *herald.InboundWebhook) [][2]string {
	var ctx []string
	for k, v := range wh.Transform.ContextMapping {
		ctx = append(ctx, k+"="+v)
	}
	slices.Sort(ctx)
	rate := ""
	if wh.RateLimit != nil {
		rate = fmt.Sprintf("%d/%s", wh.RateLimit.Requests, wh.RateLimit.Per)
	}
	return withTenantField([][2]string{
		{"Name", wh.Name},
		{"Agent", wh.Agent},
		{"Description", wh.Description},
		{"Enabled", cellYesNo(wh.Enabled)},
		{"Provider", wh.Provider},
		{"Response mode", wh.ResponseMode},
		{"Template", wh.Transform.MessageTemplate},
		{"Context", strings.Join(ctx, " ")},
		{"Include", strings.Join(wh.Filters.Include, ",")},
		{"Exclude", strings.Join(wh.Filters.Exclude, ",")},
		{"Condition", wh.Filters.Condition},
		{"Allowed IPs", strings.Join(wh.AllowedIPs, ",")},
		{"Rate limit", rate},
		{"Created", cellTime(&wh.CreatedAt)},
		{"Updated", cellTime(&wh.UpdatedAt)},
		{"Last triggered", cellTime(wh.LastTriggeredAt)},
	}, wh.TenantID)
}

func newInboundDeleteCmd(o *cliOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete an inbound webhook and its request log",
		Args:  cobra.ExactArgs(1),
		RunE: o.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			if err := c.Inbound.Delete(cmd.Context(), args[0]); err != nil {
				return err
			}
			return o.emit(cmd, map[string]any{"deleted": args[0]}, func(w io.Writer) {
				fmt.Fprintf(w, "Deleted inbound webhook %s.\n", args[0])
			})
		}),
	}
}

func newInboundTriggerCmd(o *cliOptions) *cobra.Command {
	var message, ctxJSON string
	var async bool
	cmd := &cobra.Command{
		Use:   "trigger NAME --message MESSAGE [--context JSON] [--async]",
		Short: "Send a message to an inbound webhook's agent",
		Example: `  herald inbound trigger assistant --message 'New user registration: user@example.com' \
    --context '{"event": "user_registered"}'`,
		Args: cobra.ExactArgs(1),
		RunE: o.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			in := client.TriggerInput{Message: message}
			if ctxJSON != "" {
				if err := json.Unmarshal([]byte(ctxJSON), &in.Context); err != nil {
					return fmt.Errorf("--context: not a JSON object: %w", err)
				}
			}
			if async {
				in.ResponseMode = herald.ResponseAsync
			}
			res, err := c.Inbound.Trigger(cmd.Context(), args[0], in)
			if err != nil {
				return err
			}
			return o.emit(cmd, res, func(w io.Writer) { tableFields(w, resultFields(res)) })
		}),
	}
	cmd.Flags().StringVar(&message, "message", "", "the message for the agent (required)")
	cmd.Flags().StringVar(&ctxJSON, "context", "", "context, a JSON object")
	cmd.Flags().BoolVar(&async, "async", false, "return at once with the invocation's id instead of waiting for the answer")
	_ = cmd.MarkFlagRequired("message")
	return cmd
}

// resultFields are the lines of an inbound answer.
func resultFields(r *client.InboundResult) [][2]string {
	switch {
	case r.Duplicate:
		return [][2]string{{"Duplicate", "yes"}}
	case r.Filtered:
		return [][2]string{{"Filtered", "yes"}, {"Reason", r.Reason}}
	case r.StatusURL != "":
		return [][2]string{{"Request ID", r.RequestID}, {"Status", "queued"}, {"Status URL", r.StatusURL}}
	}
	return [][2]string{{"Request ID", r.RequestID}, {"Agent", r.Agent}, {"Response", r.Response}, {"Context", string(r.Context)}}
}

func newInboundRequestsCmd(o *cliOptions) *cobra.Command {
	var opts client.InboundRequestOptions
	cmd := &cobra.Command{
		Use:   "requests NAME [--verdict accepted|filtered|rejected] [--limit N]",
		Short: "Show an inbound webhook's request log, newest first",
		Args:  cobra.ExactArgs(1),
		RunE: o.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			list, err := c.Inbound.Requests(cmd.Context(), args[0], opts)
			if err != nil {
				return err
			}
			return o.emit(cmd, list, func(w io.Writer) {
				if len(list.Items) == 0 {
					fmt.Fprintln(w, "No requests logged.")
					return
				}
				tableRow(w, "AT", "SOURCE IP", "EVENT", "VERDICT", "STATUS", "INVOCATION", "REASON")
				for _, r := range list.Items {
					tableRow(w, cellTime(&r.At), r.SourceIP, r.EventType, r.Verdict, strconv.Itoa(r.Status), r.InvocationID, cellCut(r.Reason, 60))
				}
			})
		}),
	}
	cmd.Flags().StringVar(&opts.Verdict, "verdict", "", "only this verdict: accepted, filtered or rejected")
	cmd.Flags().IntVar(&opts.Limit, "limit", 0, fmt.Sprintf("show at most this many (default %d, at most %d)", herald.DefaultLimit, herald.MaxLimit))
	return cmd
}

// newInboundSecretCmd is "herald inbound secret set ENDPOINT [SECRET]".
func newInboundSecretCmd(o *cliOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "secret",
		Short: "Set the secret of a built-in inbound endpoint",
		RunE:  runGroup,
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "set ENDPOINT [SECRET]",
		Short: "Set the secret POST /api/webhooks/ENDPOINT requires (X-Webhook-Secret); '' removes it",
		Long: `Set the secret POST /api/webhooks/ENDPOINT requires (X-Webhook-Secret).
Without SECRET it is prompted for, unechoed, when stdin is a terminal, and
otherwise read from stdin's first line. An empty SECRET ('') removes it.`,
		Example: `  herald inbound secret set generic my-secret-key
  herald inbound secret set generic              # prompts for it
  openssl rand -hex 32 | herald inbound secret set generic`,
		Args: cobra.RangeArgs(1, 2),
		RunE: o.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			if len(args) == 1 {
				secret, err := readSecret(cmd, args[0])
				if err != nil {
					return err
				}
				args = append(args, secret)
			}
			if err := c.Inbound.SetSecret(cmd.Context(), args[0], args[1]); err != nil {
				return err
			}
			return o.emit(cmd, map[string]any{"endpoint": args[0], "secret_set": args[1] != ""}, func(w io.Writer) {
				if args[1] == "" {
					fmt.Fprintf(w, "Removed the secret of /api/webhooks/%s.\n", args[0])
					return
				}
				fmt.Fprintf(w, "Set the secret of /api/webhooks/%s.\n", args[0])
			})
		}),
	})
	return cmd
}

// readSecret reads the secret of "herald inbound secret set ENDPOINT"
// given without one: prompted for, unechoed, on a terminal, else the
// first line of stdin. An empty one is an error that says how to give it.
func readSecret(cmd *cobra.Command, endpoint string) (string, error) {
	missing := fmt.Errorf("missing SECRET: give it as an argument (herald inbound secret set %s SECRET), on stdin, or at the prompt in a terminal; '' as the argument removes it", endpoint)
	in := cmd.InOrStdin()
	if f, ok := in.(interface{ Fd() uintptr }); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(cmd.ErrOrStderr(), "Secret for /api/webhooks/%s: ", endpoint)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(cmd.ErrOrStderr())
		if err != nil {
			return "", fmt.Errorf("read secret: %w", err)
		}
		if s := strings.TrimSpace(string(b)); s != "" {
			return s, nil
		}
		return "", missing
	}
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read secret from stdin: %w", err)
	}
	if s := strings.TrimSpace(line); s != "" {
		return s, nil
	}
	return "", missing
}
