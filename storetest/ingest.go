package storetest

import (
	"testing"

	"github.com/heraldhq/herald"
)

// ingestTests check agents, deployments, logs and metrics.
var ingestTests = map[string]func(t *testing.T, s herald.Store){}
