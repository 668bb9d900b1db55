package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/delivery"
	"github.com/heraldhq/herald/jsjson"
)

// importBatch is how many records one import transaction stores.
const importBatch = 500

// newDatabaseCmd makes a command that works on the database directly
// (export, import), with --database and --config like migrate.
func newDatabaseCmd(use, short, long string, run func(ctx context.Context, cmd *cobra.Command, db database) error) *cobra.Command {
	cfg := DefaultConfig()
	cmd := &cobra.Command{
		Use: use, Short: short, Long: long, Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cfg.load(cmd); err != nil {
				return err
			}
			db, err := openDatabase(cmd.Context(), cfg, delivery.QueueConfig{})
			if err != nil {
				return fmt.Errorf("open database: %w", err)
			}
			defer db.Close()
			return run(cmd.Context(), cmd, db)
		},
	}
	cmd.Flags().String("config", "", "config file (JSON, keys are flag names)")
	cmd.Flags().StringVar(&cfg.Database, "database", cfg.Database, "database URL: sqlite://… or postgres://… (default sqlite://<data-dir>/herald.db)")
	return cmd
}

func newExportCmd() *cobra.Command {
	return newDatabaseCmd("export", "Write all data as JSON lines",
		`Write every webhook (with its secret), API key (as its hash), event, delivery
and attempt of the database to standard output as JSON lines, for
"herald import". Stop the server first so nothing changes meanwhile.`,
		func(ctx context.Context, cmd *cobra.Command, db database) error {
			w := bufio.NewWriter(cmd.OutOrStdout())
			n, err := exportAll(ctx, db, w)
			if err != nil {
				return err
			}
			if err := w.Flush(); err != nil {
				return fmt.Errorf("write export: %w", err)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "exported %d records\n", n)
			return nil
		})
}

func newImportCmd() *cobra.Command {
	cmd := newDatabaseCmd("import", "Read JSON lines from herald export into the database",
		`Read the JSON lines of "herald export" from standard input (or --file) and
store them as they are, keeping IDs, timestamps and statuses. Records already
present are left alone, so an import can be run again. Pending deliveries are
queued on the new database.`,
		func(ctx context.Context, cmd *cobra.Command, db database) error {
			in := cmd.InOrStdin()
			if f, _ := cmd.Flags().GetString("file"); f != "" && f != "-" {
				file, err := os.Open(f)
				if err != nil {
					return fmt.Errorf("open import file: %w", err)
				}
				defer file.Close()
				in = file
			}
			n, err := importAll(ctx, db, in)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "imported %d records\n", n)
			return nil
		})
	cmd.Flags().String("file", "-", "file to read (- for standard input)")
	return cmd
}

// exportAll writes every record of store to w, one JSON object a line, in
// dependency order, and returns how many it wrote.
func exportAll(ctx context.Context, store herald.Store, w io.Writer) (int, error) {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	n := 0
	write := func(r *herald.Record) error {
		n++
		if err := enc.Encode(r); err != nil {
			return fmt.Errorf("write export: %w", err)
		}
		return nil
	}
	var hooks []*herald.Webhook
	for skip := 0; ; skip += herald.MaxLimit {
		page, _, err := store.ListWebhooks(ctx, herald.WebhookFilter{Skip: skip, Limit: herald.MaxLimit})
		if err != nil {
			return n, err
		}
		hooks = append(hooks, page...)
		if len(page) < herald.MaxLimit {
			break
		}
	}
	for _, h := range hooks {
		if err := write(&herald.Record{Webhook: h}); err != nil {
			return n, err
		}
	}
	keys, err := store.ListAPIKeys(ctx)
	if err != nil {
		return n, err
	}
	for _, k := range keys {
		if err := write(&herald.Record{APIKey: &herald.ExportedAPIKey{APIKey: *k, Hash: k.Hash}}); err != nil {
			return n, err
		}
	}
	for skip := 0; ; skip += herald.MaxLimit {
		page, _, err := store.ListEvents(ctx, herald.EventFilter{Skip: skip, Limit: herald.MaxLimit})
		if err != nil {
			return n, err
		}
		for _, e := range page {
			if err := write(&herald.Record{Event: e}); err != nil {
				return n, err
			}
		}
		if len(page) < herald.MaxLimit {
			break
		}
	}
	for _, h := range hooks {
		for skip := 0; ; skip += herald.MaxLimit {
			page, _, err := store.ListDeliveries(ctx, herald.DeliveryFilter{WebhookID: h.ID, Skip: skip, Limit: herald.MaxLimit})
			if err != nil {
				return n, err
			}
			for _, d := range page {
				full, err := store.Delivery(ctx, d.ID)
				if err != nil {
					return n, err
				}
				task, err := store.DeliveryTask(ctx, d.ID)
				if err != nil {
					return n, err
				}
				if err := write(&herald.Record{Delivery: &herald.ExportedDelivery{Delivery: *full, WebhookName: task.WebhookName}}); err != nil {
					return n, err
				}
			}
			if len(page) < herald.MaxLimit {
				break
			}
		}
	}
	return n, nil
}

// importAll reads JSON lines from r into store in batches, and returns how
// many records it stored.
func importAll(ctx context.Context, store herald.Store, r io.Reader) (int, error) {
	dec := json.NewDecoder(r)
	batch := make([]*herald.Record, 0, importBatch)
	n, line := 0, 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := store.Import(ctx, herald.ImportParams{Records: batch}); err != nil {
			return fmt.Errorf("import records %d to %d: %w", n+1, n+len(batch), err)
		}
		n += len(batch)
		batch = batch[:0]
		return nil
	}
	for {
		var rec herald.Record
		err := dec.Decode(&rec)
		if err == io.EOF {
			break
		} else if err != nil {
			return n, fmt.Errorf("read record %d: %w", line+1, err)
		}
		line++
		if rec.Event != nil {
			// Keep event data in the canonical form deliveries are signed in.
			if rec.Event.Data, err = jsjson.Canonicalize(rec.Event.Data); err != nil {
				return n, fmt.Errorf("read record %d: event data: %w", line, err)
			}
		}
		batch = append(batch, &rec)
		if len(batch) == importBatch {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	return n, flush()
}
