package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newMigrateCmd() *cobra.Command {
	cfg := DefaultConfig()
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply database migrations and exit",
		Long:  "Apply every pending migration (Herald's and the queue's) and exit. herald serve also applies them at start.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cfg.load(cmd); err != nil {
				return err
			}
			if err := migrateDatabase(cmd.Context(), cfg); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "migrated %s\n", databaseName(cfg))
			return nil
		},
	}
	cmd.Flags().String("config", "", "config file (JSON, keys are flag names)")
	cmd.Flags().StringVar(&cfg.Database, "database", cfg.Database, "database URL: sqlite://… or postgres://… (default sqlite://<data-dir>/herald.db)")
	return cmd
}
