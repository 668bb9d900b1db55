package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/heraldhq/herald/api"
)

// newOpenAPICmd is "herald openapi": it prints the OpenAPI 3.1 description
// of the REST API built into this binary (what GET /openapi.json
// answers), as YAML by default or as JSON with --format json.
func newOpenAPICmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "openapi [--format yaml|json]",
		Short: "Print the OpenAPI 3.1 description of the REST API",
		Long: `Print the OpenAPI 3.1 description of Herald's REST API: every route with
its parameters, bodies, answers and errors, the security schemes, and under
webhooks: the payload of each event Herald sends. A running server answers
the same document as JSON at GET /openapi.json.`,
		Example: `  herald openapi > openapi.yaml
  herald openapi --format json > openapi.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var doc []byte
			switch format {
			case "yaml":
				doc = api.OpenAPIYAML()
			case "json":
				var err error
				if doc, err = api.OpenAPIJSON(); err != nil {
					return err
				}
			default:
				return fmt.Errorf("--format: must be yaml or json, got %q", format)
			}
			_, err := cmd.OutOrStdout().Write(doc)
			return err
		},
	}
	cmd.Flags().StringVar(&format, "format", "yaml", "yaml or json")
	return cmd
}
