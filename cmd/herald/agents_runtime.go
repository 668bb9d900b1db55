package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/client"
)

// withAgentRuntimeCmds adds "herald agents create" and "herald agents
// update", which register agents and set their runtimes, to the agents
// command group.
func withAgentRuntimeCmds(agents *cobra.Command, o *cliOptions) *cobra.Command {
	agents.AddCommand(newAgentsCreateCmd(o), newAgentsUpdateCmd(o))
	return agents
}

// runtimeFlags are the name and runtime settings of create and update.
type runtimeFlags struct {
	name, typ, url, command string
	headers                 []string
	timeout                 secondsValue
	maxConcurrency          int
}

// register adds the flags to cmd.
func (f *runtimeFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.name, "name", "", "the agent's display name")
	fs.StringVar(&f.typ, "runtime", "", "how Herald invokes the agent: http, exec or echo (replies with the message)")
	fs.StringVar(&f.url, "url", "", "the endpoint of an http runtime")
	fs.StringArrayVar(&f.headers, "header", nil, "extra request header KEY=VALUE of an http runtime; repeatable")
	fs.StringVar(&f.command, "command", "", "the command of an exec runtime, an absolute path and arguments split on spaces, run without a shell")
	fs.Var(&f.timeout, "timeout", fmt.Sprintf("how long one invocation may take (default %ds)", herald.DefaultRuntimeTimeoutSeconds))
	fs.IntVar(&f.maxConcurrency, "max-concurrency", 0, fmt.Sprintf("invocations in flight at once (default %d)", herald.DefaultMaxConcurrency))
}

// apply sets the given flags on in, starting the runtime from base (the
// agent's current one on update); n counts the flags.
func (f *runtimeFlags) apply(cmd *cobra.Command, in *herald.AgentInput, base *herald.Runtime) (n int, err error) {
	changed := func(name string) bool {
		if cmd.Flags().Changed(name) {
			n++
			return true
		}
		return false
	}
	if changed("name") {
		in.Name = &f.name
	}
	rt := herald.Runtime{}
	if base != nil {
		rt = *base
	}
	touched := false
	if changed("runtime") {
		rt.Type, touched = f.typ, true
	}
	if changed("url") {
		rt.URL, touched = f.url, true
	}
	if changed("header") {
		rt.Headers, touched = map[string]string{}, true
		for _, h := range f.headers {
			if h == "" {
				continue
			}
			k, v, ok := strings.Cut(h, "=")
			if k = strings.TrimSpace(k); !ok || k == "" {
				return n, fmt.Errorf("--header: %q is not KEY=VALUE", h)
			}
			rt.Headers[k] = v
		}
	}
	if changed("command") {
		rt.Command, touched = strings.Fields(f.command), true
	}
	if changed("timeout") {
		rt.TimeoutSeconds, touched = f.timeout.n, true
	}
	if changed("max-concurrency") {
		rt.MaxConcurrency, touched = f.maxConcurrency, true
	}
	if touched {
		in.Runtime = &rt
	}
	return n, nil
}

// runtimeFields are the lines of an agent's name and runtime.
func runtimeFields(a *herald.Agent) [][2]string {
	out := [][2]string{{"ID", a.ID}, {"Name", a.Name}, {"Status", a.Status}}
	if rt := a.Runtime; rt != nil {
		out = append(out,
			[2]string{"Runtime", rt.Type},
			[2]string{"URL", rt.URL},
			[2]string{"Command", strings.Join(rt.Command, " ")},
			[2]string{"Timeout", fmt.Sprintf("%ds", rt.TimeoutSeconds)},
			[2]string{"Max concurrency", fmt.Sprint(rt.MaxConcurrency)},
		)
	} else {
		out = append(out, [2]string{"Runtime", "none (cannot be invoked)"})
	}
	return out
}

func newAgentsCreateCmd(o *cliOptions) *cobra.Command {
	var f runtimeFlags
	cmd := &cobra.Command{
		Use:   "create AGENT_ID [--name NAME] [--runtime http|exec|echo] [flags]",
		Short: "Register an agent with the runtime Herald invokes it with",
		Example: `  herald agents create devops --runtime echo
  herald agents create ops --runtime http --url https://agents.internal/ops --header 'Authorization=Bearer abc' --timeout 2m
  herald agents create local --runtime exec --command '/usr/local/bin/agent --json' --max-concurrency 2`,
		Args: cobra.ExactArgs(1),
		RunE: o.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			in := herald.AgentInput{ID: &args[0]}
			if _, err := f.apply(cmd, &in, nil); err != nil {
				return err
			}
			a, err := c.Agents.Create(cmd.Context(), in)
			if err != nil {
				return err
			}
			return o.emit(cmd, a, func(w io.Writer) { tableFields(w, runtimeFields(a)) })
		}),
	}
	f.register(cmd)
	return cmd
}

func newAgentsUpdateCmd(o *cliOptions) *cobra.Command {
	var f runtimeFlags
	cmd := &cobra.Command{
		Use:   "update AGENT_ID [flags]",
		Short: "Change an agent's name or runtime settings and keep the others",
		Example: `  herald agents update ops --timeout 5m
  herald agents update ops --runtime echo`,
		Args: cobra.ExactArgs(1),
		RunE: o.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			cur, err := c.Agents.Get(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			var in herald.AgentInput
			n, err := f.apply(cmd, &in, cur.Runtime)
			if err != nil {
				return err
			}
			if n == 0 {
				return errors.New("nothing to update: give at least one flag, such as --name, --runtime or --timeout")
			}
			a, err := c.Agents.Update(cmd.Context(), args[0], in)
			if err != nil {
				return err
			}
			return o.emit(cmd, a, func(w io.Writer) { tableFields(w, runtimeFields(a)) })
		}),
	}
	f.register(cmd)
	return cmd
}
