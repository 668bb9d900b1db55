package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// TestEditWebhookRateLimit sets a webhook's rate limit in the form's
// Advanced settings, shows it back, refuses a bad one under the field, and
// removes it when the field is emptied.
func TestEditWebhookRateLimit(t *testing.T) {
	e := newEnv(t)
	wh := e.webhook("a", "", "limited")
	c := e.client()
	e.signIn(c, e.key)
	edit := "/ui/webhooks/" + wh.ID + "/edit"
	status, body, _ := e.get(c, edit)
	if status != http.StatusOK || !strings.Contains(body, `<label for="rate_limit">Rate limit</label>`) {
		t.Fatalf("edit form has no Rate limit field: %d\n%s", status, body)
	}
	stored := func() *herald.Webhook {
		got, err := e.store.Webhook(context.Background(), herald.Ref{Tenancy: herald.AnyTenant(), ID: wh.ID})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	post := func(limit string) (int, string) {
		form := url.Values{"csrf": {e.csrf(c, edit)}, "name": {"limited"}, "url": {wh.URL}, "events": {strings.Join(wh.Events, ",")},
			"active": {"on"}, "timeout_seconds": {"30"}, "max_retries": {"3"}, "rate_limit": {limit}}
		return e.post(c, "/ui/webhooks/"+wh.ID, form)
	}
	if status, body := post("20/1s"); status != http.StatusSeeOther {
		t.Fatalf("save 20/1s: %d\n%s", status, body)
	}
	if got := stored().RateLimit; got == nil || got.Requests != 20 || time.Duration(got.Per) != time.Second {
		t.Fatalf("stored rate limit = %+v, want 20/1s", got)
	}
	if _, body, _ := e.get(c, edit); !strings.Contains(body, `value="20/1s"`) {
		t.Fatalf("edit form does not show 20/1s:\n%s", body)
	}
	for _, bad := range []string{"20/100ms", "often", "0/1s"} {
		status, body := post(bad)
		if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="rate_limit_error"`) || !strings.Contains(body, "<details open>") {
			t.Fatalf("rate limit %q: %d, want 422 with the error under the field in open Advanced settings\n%s", bad, status, body)
		}
	}
	if status, body := post(""); status != http.StatusSeeOther {
		t.Fatalf("save without a limit: %d\n%s", status, body)
	}
	if got := stored().RateLimit; got != nil {
		t.Fatalf("stored rate limit after emptying the field = %+v, want none", got)
	}
}
