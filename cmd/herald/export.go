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
	"github.com/heraldhq/herald/api"
	"github.com/heraldhq/herald/jsjson"
	"github.com/heraldhq/herald/queue"
)

// An import transaction stores at most importBatch records, and stops
// taking more once they hold importBatchBytes of JSON, so that chunks of
// log lines and metric points (up to herald.ExportChunk rows each) keep a
// batch, and the memory it takes, bounded.
const (
	importBatch      = 500
	importBatchBytes = 4 << 20
)

// newDatabaseCmd makes a command that works on the database directly
// (export, import), with --database and --config like migrate.
func newDatabaseCmd(use, short, long string, run func(ctx context.Context, cmd *cobra.Command, cfg Config, db database) error) *cobra.Command {
	cfg := DefaultConfig()
	cmd := &cobra.Command{
		Use: use, Short: short, Long: long, Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cfg.load(cmd); err != nil {
				return err
			}
			db, err := openDatabase(cmd.Context(), cfg, queue.Config{})
			if err != nil {
				return fmt.Errorf("open database: %w", err)
			}
			defer db.Close()
			return run(cmd.Context(), cmd, cfg, db)
		},
	}
	cmd.Flags().String("config", "", "config file (JSON, keys are flag names)")
	cmd.Flags().StringVar(&cfg.Database, "database", cfg.Database, "database URL: sqlite://… or postgres://… (default sqlite://<data-dir>/herald.db)")
	return cmd
}

func newExportCmd() *cobra.Command {
	return newDatabaseCmd("export", "Write all data as JSON lines",
		`Write all data of the database to standard output as JSON lines, for
"herald import", one record a line, in this order:

  tenants       with their names, metadata and retention
  event types   the event catalogue, each type with its versions
  webhooks      with their secrets, each followed by its previous
                secrets (those a rotation replaced) when it has any
  API keys      as their hashes
  events
  deliveries    with their attempts
  agents        with their state (status, node, error, metadata, last
                metrics, timestamps), each followed by its log lines and
                then its metric points, in records of at most 1000
  deployments   with their status history
  alert rules   with their state
  inbound webhooks  the named ones, with their secrets
  inbound secrets   of the built-in endpoints (generic)
  invocations   with their status, response and actions, oldest first
  inbound requests  the request log of every webhook, oldest first
  inbound claims    the delivery ids claimed and not yet expired, so that
                duplicates are still refused

Every tenant's rows are exported, each with its tenant_id (null for the
platform's own), after the tenants they belong to.

Stop the server first so nothing changes meanwhile: on SQLite, export warns
when a server holds the data dir, and otherwise holds it itself until it is
done. On a terminal, standard error shows how many records are written.`,
		func(ctx context.Context, cmd *cobra.Command, cfg Config, db database) error {
			if lock := lockForExport(cfg, cmd.ErrOrStderr()); lock != nil {
				defer lock.Unlock()
			}
			w := bufio.NewWriter(cmd.OutOrStdout())
			progress := newProgress(cmd.ErrOrStderr(), "exported")
			n, err := exportAll(ctx, db, w, progress)
			progress.done()
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
present are left alone, and an agent's log lines and metric points are
stored only past those it holds, so an import can be run again, also after
one that stopped halfway. Pending deliveries and queued invocations are
queued on the new database. At the end it reports how many records were
new and how many were present already; on a terminal, standard error shows
how many are imported so far.`,
		func(ctx context.Context, cmd *cobra.Command, _ Config, db database) error {
			in := cmd.InOrStdin()
			if f, _ := cmd.Flags().GetString("file"); f != "" && f != "-" {
				file, err := os.Open(f)
				if err != nil {
					return fmt.Errorf("open import file: %w", err)
				}
				defer file.Close()
				in = file
			}
			progress := newProgress(cmd.ErrOrStderr(), "imported")
			res, err := importAll(ctx, db, in, progress)
			progress.done()
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "imported %d records: %d new, %d already present\n",
				res.Stored+res.Present, res.Stored, res.Present)
			return nil
		})
	cmd.Flags().String("file", "-", "file to read (- for standard input)")
	return cmd
}

// exportAll writes every record of store, of every tenant, to w, one JSON
// object a line, in dependency order (see herald.Record), shows the count on progress (which
// may be nil), and returns how many it wrote.
func exportAll(ctx context.Context, store herald.Store, w io.Writer, progress *progress) (int, error) {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	n := 0
	write := func(r *herald.Record) error {
		n++
		if err := enc.Encode(r); err != nil {
			return fmt.Errorf("write export: %w", err)
		}
		progress.show(n)
		return nil
	}
	// Every row of every tenant, and the tenants first: a row's tenant
	// must exist when the import stores it.
	all := herald.AnyTenant()
	err := eachPage(func(skip int) ([]*herald.Tenant, error) {
		page, _, err := store.ListTenants(ctx, herald.TenantFilter{Skip: skip, Limit: herald.MaxLimit})
		return page, err
	}, func(t *herald.Tenant) error { return write(&herald.Record{Tenant: t}) })
	if err != nil {
		return n, err
	}
	// The event catalogue, each type with its history. The built-in
	// types are exported too, as they are now: an import into a database
	// whose server has started already keeps the ones it has.
	types, err := store.ListEventTypes(ctx, herald.EventTypeFilter{})
	if err != nil {
		return n, err
	}
	for _, t := range types {
		full, err := store.EventType(ctx, herald.EventTypeRef{Name: t.Name, Versions: true})
		if err != nil {
			return n, err
		}
		if err := write(&herald.Record{EventType: full}); err != nil {
			return n, err
		}
	}
	var hooks []*herald.Webhook
	err = eachPage(func(skip int) ([]*herald.Webhook, error) {
		page, _, err := store.ListWebhooks(ctx, herald.WebhookFilter{Tenancy: all, Skip: skip, Limit: herald.MaxLimit})
		return page, err
	}, func(h *herald.Webhook) error {
		hooks = append(hooks, h)
		if err := write(&herald.Record{Webhook: h}); err != nil {
			return err
		}
		if len(h.PreviousSecrets) == 0 {
			return nil
		}
		return write(&herald.Record{WebhookSecrets: &herald.ExportedWebhookSecrets{
			TenantID: h.TenantID, WebhookID: h.ID, Previous: h.PreviousSecrets}})
	})
	if err != nil {
		return n, err
	}
	keys, err := store.ListAPIKeys(ctx, herald.APIKeyFilter{Tenancy: all})
	if err != nil {
		return n, err
	}
	for _, k := range keys {
		if err := write(&herald.Record{APIKey: &herald.ExportedAPIKey{APIKey: *k, Hash: k.Hash}}); err != nil {
			return n, err
		}
	}
	// Events and deliveries are listed in the order they were stored, newest
	// first; they are written oldest first, so that the import stores them
	// in their order again.
	err = eachOldestFirst(func(skip, limit int) ([]*herald.Event, int, error) {
		return store.ListEvents(ctx, herald.EventFilter{Tenancy: all, Skip: skip, Limit: limit})
	}, func(e *herald.Event) error { return write(&herald.Record{Event: e}) })
	if err != nil {
		return n, err
	}
	for _, h := range hooks {
		err := eachOldestFirst(func(skip, limit int) ([]*herald.Delivery, int, error) {
			return store.ListDeliveries(ctx, herald.DeliveryFilter{Tenancy: all, WebhookID: h.ID, Skip: skip, Limit: limit})
		}, func(d *herald.Delivery) error {
			// Delivery ids are unique across tenants.
			full, err := store.Delivery(ctx, herald.Ref{Tenancy: all, ID: d.ID})
			if err != nil {
				return err
			}
			task, err := store.DeliveryTask(ctx, herald.Ref{Tenancy: all, ID: d.ID})
			if err != nil {
				return err
			}
			rec := &herald.ExportedDelivery{Delivery: *full, WebhookName: task.WebhookName}
			if task.Event != nil {
				// A firehose's delivery is the platform's; its event a tenant's.
				rec.EventTenantID = task.Event.TenantID
			}
			return write(&herald.Record{Delivery: rec})
		})
		if err != nil {
			return n, err
		}
	}
	err = eachPage(func(skip int) ([]*herald.Agent, error) {
		page, _, err := store.ListAgents(ctx, herald.AgentFilter{Tenancy: all, Skip: skip, Limit: herald.MaxLimit})
		return page, err
	}, func(a *herald.Agent) error {
		if err := write(&herald.Record{Agent: a}); err != nil {
			return err
		}
		return exportAgentData(ctx, store, a, write)
	})
	if err != nil {
		return n, err
	}
	err = eachPage(func(skip int) ([]*herald.Deployment, error) {
		page, _, err := store.ListDeployments(ctx, herald.DeploymentFilter{Tenancy: all, Skip: skip, Limit: herald.MaxLimit})
		return page, err
	}, func(d *herald.Deployment) error {
		// With its history; a deployment id is unique within its tenant.
		full, err := store.Deployment(ctx, herald.Ref{Tenancy: herald.OnlyTenant(string(d.TenantID)), ID: d.ID})
		if err != nil {
			return err
		}
		return write(&herald.Record{Deployment: full})
	})
	if err != nil {
		return n, err
	}
	err = eachPage(func(skip int) ([]*herald.AlertRule, error) {
		page, _, err := store.ListAlerts(ctx, herald.AlertFilter{Tenancy: all, Skip: skip, Limit: herald.MaxLimit})
		return page, err
	}, func(r *herald.AlertRule) error { return write(&herald.Record{Alert: r}) })
	if err != nil {
		return n, err
	}
	return n, exportInbound(ctx, store, write)
}

// builtinInboundSecrets names the built-in inbound endpoints whose secrets
// an export carries.
var builtinInboundSecrets = []string{api.GenericSecretName}

// exportInbound writes the named inbound webhooks of every tenant, the
// secrets of the built-in endpoints, then, streamed in chunks by the store, invocations,
// the inbound request log and the unexpired claims, one record each.
func exportInbound(ctx context.Context, store herald.Store, write func(*herald.Record) error) error {
	hooks, err := store.ListInboundWebhooks(ctx, herald.InboundWebhookFilter{Tenancy: herald.AnyTenant()})
	if err != nil {
		return fmt.Errorf("export inbound webhooks: %w", err)
	}
	for _, h := range hooks {
		if err := write(&herald.Record{InboundWebhook: h}); err != nil {
			return err
		}
	}
	for _, name := range builtinInboundSecrets {
		secret, err := store.InboundSecret(ctx, name)
		if err != nil {
			return fmt.Errorf("export inbound secret %s: %w", name, err)
		}
		if secret == "" {
			continue
		}
		if err := write(&herald.Record{InboundSecret: &herald.ExportedInboundSecret{Name: name, Secret: secret}}); err != nil {
			return err
		}
	}
	err = store.ExportInbound(ctx, herald.InboundExportParams{
		Invocations: func(invs []*herald.Invocation) error {
			for _, inv := range invs {
				if err := write(&herald.Record{Invocation: herald.ExportInvocation(inv)}); err != nil {
					return err
				}
			}
			return nil
		},
		Requests: func(reqs []*herald.InboundRequest) error {
			for _, r := range reqs {
				if err := write(&herald.Record{InboundRequest: r}); err != nil {
					return err
				}
			}
			return nil
		},
		Claims: func(claims []herald.InboundClaim) error {
			for i := range claims {
				if err := write(&herald.Record{InboundClaim: &claims[i]}); err != nil {
					return err
				}
			}
			return nil
		},
	})
	if err != nil {
		return fmt.Errorf("export inbound data: %w", err)
	}
	return nil
}

// eachPage calls fn with every item of the pages list returns, skipping
// herald.MaxLimit more each time, until a short page.
func eachPage[T any](list func(skip int) ([]T, error), fn func(T) error) error {
	for skip := 0; ; skip += herald.MaxLimit {
		page, err := list(skip)
		if err != nil {
			return err
		}
		for _, v := range page {
			if err := fn(v); err != nil {
				return err
			}
		}
		if len(page) < herald.MaxLimit {
			return nil
		}
	}
}

// eachOldestFirst calls fn with every item of a newest-first list, oldest
// first, reading it backwards from its end herald.MaxLimit at a time.
func eachOldestFirst[T any](list func(skip, limit int) ([]T, int, error), fn func(T) error) error {
	_, total, err := list(0, 1)
	if err != nil {
		return err
	}
	for end := total; end > 0; {
		skip := max(end-herald.MaxLimit, 0)
		page, _, err := list(skip, end-skip)
		if err != nil {
			return err
		}
		for i := len(page) - 1; i >= 0; i-- {
			if err := fn(page[i]); err != nil {
				return err
			}
		}
		end = skip
	}
	return nil
}

// exportAgentData writes an agent's log lines and then its metric points in
// records of herald.ExportChunk rows, with the agent's tenant and the
// offsets that let an import run again skip the rows it stored already.
func exportAgentData(ctx context.Context, store herald.Store, a *herald.Agent, write func(*herald.Record) error) error {
	lines, points := 0, 0
	err := store.ExportAgentData(ctx, herald.ExportParams{
		TenantID: string(a.TenantID),
		AgentID:  a.ID,
		Logs: func(chunk []herald.LogEntry) error {
			lines += len(chunk)
			return write(&herald.Record{AgentLogs: &herald.ExportedLogs{TenantID: a.TenantID, AgentID: a.ID, Offset: lines - len(chunk), Lines: chunk}})
		},
		Points: func(chunk []herald.MetricPoint) error {
			points += len(chunk)
			return write(&herald.Record{MetricPoints: &herald.ExportedPoints{TenantID: a.TenantID, AgentID: a.ID, Offset: points - len(chunk), Points: chunk}})
		},
	})
	if err != nil {
		if a.TenantID != "" {
			return fmt.Errorf("export agent %s of tenant %s: %w", a.ID, a.TenantID, err)
		}
		return fmt.Errorf("export agent %s: %w", a.ID, err)
	}
	return nil
}

// importAll reads JSON lines from r into store in batches, shows the count
// after each on progress (which may be nil), and returns how many records
// were new and how many present already.
func importAll(ctx context.Context, store herald.Store, r io.Reader, progress *progress) (herald.ImportResult, error) {
	dec := json.NewDecoder(r)
	// Keep numbers of free-form values (an invocation's action contents)
	// as they were written, not as float64.
	dec.UseNumber()
	batch := make([]*herald.Record, 0, importBatch)
	var total herald.ImportResult
	n, line := 0, 0
	var start int64 // where the batch begins in r
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		res, err := store.Import(ctx, herald.ImportParams{Records: batch})
		if err != nil {
			return fmt.Errorf("import records %d to %d: %w", n+1, n+len(batch), err)
		}
		total.Stored, total.Present = total.Stored+res.Stored, total.Present+res.Present
		n += len(batch)
		progress.show(n)
		clear(batch) // let the stored records go
		batch = batch[:0]
		start = dec.InputOffset()
		return nil
	}
	for {
		var rec herald.Record
		err := dec.Decode(&rec)
		if err == io.EOF {
			break
		} else if err != nil {
			return total, fmt.Errorf("read record %d: %w", line+1, err)
		}
		line++
		if rec.Event != nil {
			// Keep event data in the canonical form deliveries are signed in.
			if rec.Event.Data, err = jsjson.Canonicalize(rec.Event.Data); err != nil {
				return total, fmt.Errorf("read record %d: event data: %w", line, err)
			}
		}
		batch = append(batch, &rec)
		if len(batch) == importBatch || dec.InputOffset()-start >= importBatchBytes {
			if err := flush(); err != nil {
				return total, err
			}
		}
	}
	err := flush()
	return total, err
}
