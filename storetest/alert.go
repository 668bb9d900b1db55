package storetest

import (
	"testing"

	"github.com/heraldhq/herald"
)

// alertTests check alert rules and their evaluation state.
var alertTests = map[string]func(t *testing.T, s herald.Store){}
