package api

import (
	"strings"
	"testing"

	"github.com/heraldhq/herald"
)

// Every list refuses a query parameter it does not know, naming it, before
// it reads the store.
func TestListsRefuseUnknownQuery(t *testing.T) {
	a := newAPITest(t)
	admin := bearerOf(adminKey)
	for _, path := range []string{
		"/v1/webhooks?agent=a1",
		"/v1/webhooks?agent_id=a1&colour=red",
		"/v1/webhooks/wh_1/deliveries?failed=true",
		"/v1/events?agent=a1",
		"/v1/keys?scope=admin",
		"/v1/agents?state=running",
		"/v1/agents/a1/logs?level=error",
		"/v1/agents/a1/metrics?metric=cpu",
		"/v1/deployments?agent=a1",
		"/v1/alerts?agent_id=a1",
		"/v1/invocations?agent_id=a1",
		"/api/webhooks?enabled=true",
		"/api/webhooks/alerts/requests?status=accepted",
	} {
		name := path[strings.LastIndex(path, "&")+1:]
		if i := strings.Index(name, "?"); i >= 0 {
			name = name[i+1:]
		}
		name = name[:strings.Index(name, "=")]
		status, out := a.call("GET", path, nil, admin...)
		if code, msg := errorCode(out); status != 400 || code != herald.EINVALID || !strings.HasPrefix(msg, name+": unknown query parameter") {
			t.Errorf("GET %s: %d %v, want 400 naming %s", path, status, out, name)
		}
	}
}
