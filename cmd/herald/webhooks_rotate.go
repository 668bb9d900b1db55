package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/client"
)

// newWebhooksRotateSecretCmd is "herald webhooks rotate-secret".
func newWebhooksRotateSecretCmd(o *cliOptions) *cobra.Command {
	var (
		grace  string
		secret string
	)
	cmd := &cobra.Command{
		Use:   "rotate-secret WEBHOOK_ID [--grace 24h] [--secret SECRET]",
		Short: "Give a webhook a new signing secret, keeping the old one valid for a grace period",
		Long: `Give a webhook a new signing secret and print it once. The old secret keeps
signing deliveries beside the new one for the grace period (--grace, 24h by
default, from 0 to 7d): webhook-signature carries both signatures, and the
webhook's signature header's "-Previous" twin (X-Webhook-Signature-Previous)
the old one. At most 5 old secrets are kept.`,
		Example: `  herald webhooks rotate-secret wh_123
  herald webhooks rotate-secret wh_123 --grace 7d
  herald webhooks rotate-secret wh_123 --grace 0 --secret "$NEW_SECRET"`,
		Args: cobra.ExactArgs(1),
		RunE: o.run(func(cmd *cobra.Command, args []string, c *client.Client) error {
			var in herald.RotateSecretInput
			if cmd.Flags().Changed("grace") {
				if _, err := herald.ParseLongDuration(grace); err != nil {
					return fmt.Errorf("--grace: %w", err)
				}
				in.GracePeriod = &grace
			}
			if secret != "" {
				in.Secret = &secret
			}
			wh, err := c.Webhooks.RotateSecret(cmd.Context(), args[0], in)
			if err != nil {
				return err
			}
			return o.emit(cmd, wh, func(w io.Writer) {
				fmt.Fprintf(w, "Rotated the secret of webhook %s.\n", wh.ID)
				if wh.PreviousSecretExpiresAt != nil {
					fmt.Fprintf(w, "Old secrets keep signing until %s.\n", cellTime(wh.PreviousSecretExpiresAt))
				} else {
					fmt.Fprintln(w, "The old secret no longer signs.")
				}
				fmt.Fprintf(w, "\nNew signing secret (shown once; save it now):\n\n    %s\n", wh.Secret)
			})
		}),
	}
	cmd.Flags().StringVar(&grace, "grace", "24h", "how long the old secret keeps signing: 0 to 7d")
	cmd.Flags().StringVar(&secret, "secret", "", "the new secret (default: generated)")
	return cmd
}
