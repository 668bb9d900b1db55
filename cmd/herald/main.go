// Command herald is Herald's one binary: "herald serve" runs the server and
// every other subcommand is a client of its REST API.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// Version is the release, set at build time with
// -ldflags "-X main.Version=v1.2.3".
var Version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	root := newRootCmd()
	root.SetArgs(normalizeBoolFlags(root, os.Args[1:]))
	err := root.ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// newRootCmd assembles every subcommand; each lives in a file of its own.
func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "herald",
		Short:         "Herald: the self-hosted webhook layer for AI-agent platforms",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       Version,
	}
	cli := &cliOptions{}
	cli.register(root)
	root.AddCommand(
		newServeCmd(),
		newMigrateCmd(),
		newKeysCmd(cli),
		newWebhooksCmd(cli),
		newEventsCmd(cli),
		newIngestCmd(cli),
		withAgentRuntimeCmds(newAgentsCmd(cli), cli),
		newInboundCmd(cli),
		newInvocationsCmd(cli),
		newDeploymentsCmd(cli),
		newAlertsCmd(cli),
		newTenantsCmd(cli),
		newEventTypesCmd(cli),
		newOperationsCmd(cli),
		newStatsCmd(cli),
		newBenchCmd(cli),
		newExportCmd(),
		newImportCmd(),
		newOpenAPICmd(),
		newVersionCmd(cli),
	)
	return root
}
