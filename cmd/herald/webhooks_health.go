package main

import (
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/client"
)

// newWebhooksHealthCmd is "herald webhooks health".
func newWebhooksHealthCmd(o *cliOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "health WEBHOOK_ID",
		Short: "Show a webhook's success rates, latency and failing streak",
		Long: `Show a webhook's success rate and counts over 1h, 24h and 7d, the p50 and
p95 latency of its attempts over 24h, its current failing streak and when
that would turn it off (--disable-after on the server).`,
		Args: cobra.ExactArgs(1),
		RunE: o.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			h, err := c.Webhooks.Health(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return o.emit(cmd, h, func(w io.Writer) {
				state := "active"
				if !h.IsActive {
					state = "off (" + h.DisabledReason + ") since " + cellTime(h.DisabledAt)
				}
				fields := [][2]string{{"Webhook", h.WebhookID}, {"State", state}}
				for _, win := range h.Windows {
					rate := "-"
					if win.SuccessRate != nil {
						rate = strconv.FormatFloat(*win.SuccessRate*100, 'f', 1, 64) + "%"
					}
					fields = append(fields, [2]string{"Success " + win.Window,
						fmt.Sprintf("%s (%d of %d attempts)", rate, win.Succeeded, win.Attempts)})
				}
				fields = append(fields,
					[2]string{"Latency p50", cellMS(h.LatencyP50MS)},
					[2]string{"Latency p95", cellMS(h.LatencyP95MS)},
					[2]string{"Failing since", cellTime(h.FailingSince)},
					[2]string{"Failed deliveries", strconv.Itoa(h.FailedDeliveries)},
					[2]string{"Would turn off", cellTime(h.DisableAt)})
				tableFields(w, fields)
			})
		}),
	}
}

// cellMS writes milliseconds, "-" for none.
func cellMS(ms *int64) string {
	if ms == nil {
		return "-"
	}
	return strconv.FormatInt(*ms, 10) + "ms"
}

// disabledField is the detail line saying why a webhook is off.
func disabledField(wh *herald.Webhook) string {
	if wh.IsActive || wh.DisabledReason == "" {
		return "-"
	}
	return wh.DisabledReason + " at " + cellTime(wh.DisabledAt)
}
