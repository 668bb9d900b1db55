package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
)

// TestEditWebhookOrdering picks a webhook's ordering in the form's Advanced
// settings, shows it back selected, and refuses an unknown one under the
// field.
func TestEditWebhookOrdering(t *testing.T) {
	e := newEnv(t)
	wh := e.webhook("a", "", "ordered")
	c := e.client()
	e.signIn(c, e.key)
	edit := "/ui/webhooks/" + wh.ID + "/edit"
	status, body, _ := e.get(c, edit)
	if status != http.StatusOK || !strings.Contains(body, `<label for="ordering">Ordering</label>`) ||
		!strings.Contains(body, `<option value="none" selected>`) {
		t.Fatalf("edit form has no Ordering field with none selected: %d\n%s", status, body)
	}
	post := func(ordering string) (int, string) {
		form := url.Values{"csrf": {e.csrf(c, edit)}, "name": {"ordered"}, "url": {wh.URL}, "events": {strings.Join(wh.Events, ",")},
			"active": {"on"}, "timeout_seconds": {"30"}, "max_retries": {"3"}, "ordering": {ordering}}
		return e.post(c, "/ui/webhooks/"+wh.ID, form)
	}
	if status, body := post("fifo"); status != http.StatusSeeOther {
		t.Fatalf("save fifo: %d\n%s", status, body)
	}
	got, err := e.store.Webhook(context.Background(), herald.Ref{Tenancy: herald.AnyTenant(), ID: wh.ID})
	if err != nil || got.Ordering != herald.OrderingFIFO {
		t.Fatalf("stored ordering = %+v, %v; want fifo", got, err)
	}
	if _, body, _ := e.get(c, edit); !strings.Contains(body, `<option value="fifo" selected>`) {
		t.Fatalf("edit form does not show fifo selected:\n%s", body)
	}
	if status, body := post("lifo"); status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="ordering_error"`) ||
		!strings.Contains(body, "<details open>") {
		t.Fatalf("ordering lifo: %d, want 422 with the error under the field in open Advanced settings\n%s", status, body)
	}
}
