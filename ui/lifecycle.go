package ui

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/heraldhq/herald"
)

// windowChoices are the spans the Recover and Resend missing forms offer,
// by the value of their select.
var windowChoices = map[string]bool{"1h": true, "24h": true, "3d": true, "7d": true}

// graceChoices are the overlaps the Rotate secret form offers.
var graceChoices = map[string]bool{"0s": true, "1h": true, "24h": true, "7d": true}

// rotateSecret gives the webhook of the path a new generated secret; the
// old one keeps signing for the grace period chosen. The new secret is
// shown once, as after creation.
func (u *UI) rotateSecret(w http.ResponseWriter, r *http.Request) {
	s := sessionOf(r)
	wh, err := u.loadWebhook(r)
	if err != nil {
		u.fail(w, r, s, err)
		return
	}
	grace := r.PostFormValue("grace_period")
	if !graceChoices[grace] {
		u.fail(w, r, s, herald.Errorf(herald.EINVALID, "grace_period: choose 0s, 1h, 24h or 7d, not %q", grace))
		return
	}
	in := herald.RotateSecretInput{GracePeriod: &grace}
	secret, d, err := in.Resolve()
	if err != nil {
		u.fail(w, r, s, err)
		return
	}
	wh, err = u.cfg.Store.RotateWebhookSecret(r.Context(), herald.RotateSecretParams{
		Ref: herald.Ref{Tenancy: s.tenancy(), ID: wh.ID}, Secret: secret, Grace: d, Now: u.cfg.Clock.Now(),
	})
	if err != nil {
		u.fail(w, r, s, err)
		return
	}
	if err := u.flashSecret(w, r, "/ui/webhooks/"+wh.ID, wh.Secret); err != nil {
		u.fail(w, r, s, err)
		return
	}
	notice := "The secret was rotated; the old one no longer signs."
	if d > 0 {
		notice = "The secret was rotated; the old one also signs for " + grace + "."
	}
	redirectNotice(w, r, "/ui/webhooks/"+wh.ID, notice)
}

// flashSecret keeps a new secret for the next load of the page at path
// alone, in a sealed cookie of that path.
func (u *UI) flashSecret(w http.ResponseWriter, r *http.Request, path, secret string) error {
	sg, err := u.signer(r.Context())
	if err != nil {
		return err
	}
	sealed, err := sg.seal(path, []byte(secret))
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: sealed, Path: path, MaxAge: 120, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: u.secure(r)})
	return nil
}

// takeFlash reads and clears the flash cookie of the page of r: shown is
// secret when the cookie holds it and the visitor may see secrets; hidden
// is set when it holds it and the visitor may not.
func (u *UI) takeFlash(w http.ResponseWriter, r *http.Request, secret string) (shown string, hidden bool, err error) {
	got, err := u.readFlash(w, r)
	if err != nil || got == "" || got != secret {
		return "", false, err
	}
	if sessionOf(r).can(herald.CapabilityViewSecrets) {
		return secret, false, nil
	}
	return "", true, nil
}

// readFlash reads and clears the flash cookie of the page of r: the
// secret flashSecret kept for it, or "".
func (u *UI) readFlash(w http.ResponseWriter, r *http.Request) (string, error) {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return "", nil
	}
	u.clearCookie(w, r, flashCookie, r.URL.Path)
	sg, err := u.signer(r.Context())
	if err != nil {
		return "", err
	}
	got, err := sg.open(r.URL.Path, c.Value)
	if err != nil {
		return "", nil
	}
	return string(got), nil
}

// recoverWebhook queues a new attempt of every delivery of the webhook
// that failed in the window chosen, as POST /v1/webhooks/{id}/recover.
func (u *UI) recoverWebhook(w http.ResponseWriter, r *http.Request) {
	u.startWindowOperation(w, r, herald.OperationRecover)
}

// replayMissing sends the webhook the events of the window that match it
// now but never went to it, as POST /v1/webhooks/{id}/replay-missing.
func (u *UI) replayMissing(w http.ResponseWriter, r *http.Request) {
	u.startWindowOperation(w, r, herald.OperationReplayMissing)
}

func (u *UI) startWindowOperation(w http.ResponseWriter, r *http.Request, kind string) {
	s := sessionOf(r)
	wh, err := u.loadWebhook(r)
	if err != nil {
		u.fail(w, r, s, err)
		return
	}
	since := r.PostFormValue("since")
	if !windowChoices[since] {
		u.fail(w, r, s, herald.Errorf(herald.EINVALID, "since: choose 1h, 24h, 3d or 7d, not %q", since))
		return
	}
	path := "/ui/webhooks/" + wh.ID
	if !wh.IsActive {
		redirectNotice(w, r, path, "The webhook is disabled: enable it first, then send its deliveries again.")
		return
	}
	now := u.cfg.Clock.Now()
	from, until, err := herald.WindowInput{Since: since}.Resolve(now)
	if err == nil && u.cfg.OperationJob == nil {
		err = herald.Errorf(herald.EUNAVAILABLE, "this server runs no operations")
	}
	if err != nil {
		u.fail(w, r, s, err)
		return
	}
	o, err := u.cfg.Store.CreateOperation(r.Context(), herald.CreateOperationParams{
		TenantID: wh.TenantID, Kind: kind, WebhookID: wh.ID, Since: from, Until: until,
		Job: u.cfg.OperationJob, Now: now,
	})
	if err != nil {
		u.fail(w, r, s, err)
		return
	}
	what := "failed deliveries of the last " + since + " are"
	if kind == herald.OperationReplayMissing {
		what = "events of the last " + since + " that never went to it are"
	}
	redirectNotice(w, r, path, fmt.Sprintf("%d %s being sent again (operation %s).", o.Total, what, o.ID))
}

// replayEvent sends the event of the path again, as new deliveries, to the
// webhooks that match it now, as POST /v1/events/{id}/replay.
func (u *UI) replayEvent(w http.ResponseWriter, r *http.Request) {
	s := sessionOf(r)
	if err := noAgentScope(s, "events"); err != nil {
		u.fail(w, r, s, err)
		return
	}
	ev, err := u.cfg.Store.Event(r.Context(), herald.Ref{Tenancy: pinned(r, s), ID: r.PathValue("id")})
	if err == nil && u.cfg.OperationJob == nil {
		err = herald.Errorf(herald.EUNAVAILABLE, "this server runs no operations")
	}
	if err != nil {
		u.fail(w, r, s, err)
		return
	}
	o, err := u.cfg.Store.CreateOperation(r.Context(), herald.CreateOperationParams{
		TenantID: ev.TenantID, Kind: herald.OperationReplay, EventID: ev.ID, Job: u.cfg.OperationJob, Now: u.cfg.Clock.Now(),
	})
	if err != nil {
		u.fail(w, r, s, err)
		return
	}
	link := eventLink(s, ev)
	sep := "?"
	if s.tenancy().IsAny() {
		sep = "&"
	}
	http.Redirect(w, r, link+sep+"notice="+url.QueryEscape(fmt.Sprintf(
		"The event is being sent again to the %d webhooks that match it now (operation %s).", o.Total, o.ID)), http.StatusSeeOther)
}

// retentionText is a tenant's retention as the tenants page shows it.
func retentionText(r *herald.LongDuration) string {
	if r == nil {
		return "Server default"
	}
	d := time.Duration(*r)
	switch {
	case d == 0:
		return "Kept forever"
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}
