package main

import (
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/heraldhq/herald/client"
)

// newStatsCmd is "herald stats": the rows and approximate bytes of every
// table of the server's database (GET /v1/stats), to size --retention.
func newStatsCmd(o *cliOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "stats",
		Short: "Show the rows and size of each table of the database (needs a platform admin key)",
		Long: `Show the rows and approximate bytes of each table of the server's database,
with its indexes, and the database's total, so that operators can size the
retention window (serve --retention, and each tenant's own retention).

Rows are exact counts. Bytes come from SQLite's dbstat table (the pages each
table and its indexes use) or from PostgreSQL's pg_total_relation_size (the
table with its indexes and TOAST). Events, deliveries and attempts are what
--retention prunes. A tenant's key gets a 403: the sizes are the server's.`,
		Args: cobra.NoArgs,
		RunE: o.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			st, err := c.Stats(cmd.Context())
			if err != nil {
				return err
			}
			return o.emit(cmd, st, func(w io.Writer) {
				tableRow(w, "TABLE", "ROWS", "BYTES", "SIZE")
				for _, t := range st.Tables {
					tableRow(w, t.Table, strconv.FormatInt(t.Rows, 10), strconv.FormatInt(t.Bytes, 10), byteSize(t.Bytes))
				}
				fmt.Fprintf(w, "\nDatabase (%s, measured by %s): %s\n", st.Engine, st.Method, byteSize(st.TotalBytes))
			})
		}),
	}
}

// byteSize writes n bytes in the largest binary unit that keeps it at
// least 1: "512 B", "1.5 KiB", "20.0 MiB".
func byteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}
