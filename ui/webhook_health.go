package ui

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/heraldhq/herald"
)

// healthView is a webhook's health as its page shows it.
type healthView struct {
	*herald.WebhookHealth
	Windows []healthRow
	// MinFailed is herald.MinFailedDeliveriesToDisable.
	MinFailed int
	// Reason is why the webhook is off, in words.
	Reason string
}

// disabledReasons are the reasons a webhook is off, in words.
var disabledReasons = map[string]string{
	herald.DisabledFailing: "Failing: every attempt failed for the disable-after span",
	herald.DisabledGone:    "Gone: the endpoint answered 410 Gone",
	herald.DisabledManual:  "Turned off by hand",
}

// healthRow is one window of a webhook's health, its rate in percent.
type healthRow struct {
	herald.HealthWindow
	// Rate is the success rate such as "97.5%", "—" without attempts.
	Rate string
}

// loadHealth reads the health of wh at now, with when its failing streak
// would turn it off under Config.DisableAfter.
func (u *UI) loadHealth(r *http.Request, wh *herald.Webhook) (*healthView, error) {
	h, err := u.cfg.Store.WebhookHealth(r.Context(), herald.HealthParams{
		Ref: herald.Ref{Tenancy: sessionOf(r).tenancy(), ID: wh.ID}, Now: u.cfg.Clock.Now(),
	})
	if err != nil {
		return nil, err
	}
	h.SetDisableAt(u.cfg.DisableAfter)
	v := &healthView{WebhookHealth: h, MinFailed: herald.MinFailedDeliveriesToDisable, Reason: disabledReasons[h.DisabledReason]}
	if v.Reason == "" {
		v.Reason = "Off"
	}
	for _, hw := range h.Windows {
		row := healthRow{HealthWindow: hw, Rate: "—"}
		if hw.SuccessRate != nil {
			row.Rate = fmt.Sprintf("%.1f%%", *hw.SuccessRate*100)
		}
		v.Windows = append(v.Windows, row)
	}
	return v, nil
}

// addFigures sets the chart and the health of p's webhook.
func (u *UI) addFigures(r *http.Request, p *webhookPage) error {
	page := &url.URL{Path: "/ui/webhooks/" + p.Webhook.ID}
	if r.Method == http.MethodGet {
		page.RawQuery = r.URL.RawQuery
	}
	c, err := u.loadChart(r, p.Webhook.ID, page)
	if err != nil {
		return err
	}
	h, err := u.loadHealth(r, p.Webhook)
	if err != nil {
		return err
	}
	p.Chart, p.Health = c, h
	return nil
}
