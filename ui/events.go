package ui

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/heraldhq/herald"
)

// eventsPage is a page of events, newest first, and its type filter.
type eventsPage struct {
	Type  string
	Rows  []eventRow
	Pager pager
}

// eventRow is an event of the list with the number of its deliveries
// within the visitor's tenancy.
type eventRow struct {
	*herald.Event
	Deliveries int
	// Link is the event's page (for an operator who sees every tenant,
	// pinned to the event's tenant: ids are unique per tenant only).
	Link string
}

// eventLink is the page of ev as the session s opens it.
func eventLink(s *session, ev *herald.Event) string {
	l := "/ui/events/" + url.PathEscape(ev.ID)
	if s.tenancy().IsAny() {
		l += "?tenant=" + url.QueryEscape(string(ev.TenantID))
	}
	return l
}

// pinned is the session's tenancy narrowed to ?tenant= when the session
// reaches every tenant, so that an operator can open one tenant's row of
// an id that is unique per tenant only; a session confined to one tenant
// keeps its own, whatever the query says.
func pinned(r *http.Request, s *session) herald.Tenancy {
	t := s.tenancy()
	if q := r.URL.Query(); t.IsAny() && q.Has("tenant") {
		return herald.OnlyTenant(q.Get("tenant"))
	}
	return t
}

// noAgentScope refuses the pages a portal confined to one agent does not
// get, as the deliveries page does.
func noAgentScope(s *session, what string) error {
	if s.Agent != "" {
		return herald.Errorf(herald.EFORBIDDEN, "this link shows one agent's webhooks; it does not open %s", what)
	}
	return nil
}

// listEvents shows a page of events, newest first, of one type with
// ?type=, each with how many deliveries it has.
func (u *UI) listEvents(w http.ResponseWriter, r *http.Request) {
	s := sessionOf(r)
	if err := noAgentScope(s, "events"); err != nil {
		u.fail(w, r, s, err)
		return
	}
	p := &eventsPage{Type: r.URL.Query().Get("type")}
	skip := pageSkip(r)
	evs, total, err := u.cfg.Store.ListEvents(r.Context(), herald.EventFilter{Tenancy: s.tenancy(), Type: p.Type, Skip: skip, Limit: pageSize})
	if err != nil {
		u.fail(w, r, s, err)
		return
	}
	keys := make([]herald.EventKey, len(evs))
	for i, ev := range evs {
		keys[i] = ev.Key()
	}
	counts, err := u.cfg.Store.CountEventDeliveries(r.Context(), herald.DeliveryCountParams{Tenancy: s.tenancy(), Events: keys})
	if err != nil {
		u.fail(w, r, s, err)
		return
	}
	for _, ev := range evs {
		p.Rows = append(p.Rows, eventRow{Event: ev, Deliveries: counts[ev.Key()], Link: eventLink(s, ev)})
	}
	p.Pager = newPager(r, skip, total)
	u.render(w, r, http.StatusOK, "events", newView(r, "Events", p))
}

// eventPage is one event, its payload indented and its deliveries.
type eventPage struct {
	Event   *herald.Event
	Payload string
	// Replay is where the Replay form posts: the event's page and
	// /replay, with the page's ?tenant=.
	Replay string
}

// showEvent shows one event: its fields, its payload and its deliveries
// within the visitor's tenancy (an operator's ?tenant= picks the tenant
// of an id that several tenants used).
func (u *UI) showEvent(w http.ResponseWriter, r *http.Request) {
	s := sessionOf(r)
	if err := noAgentScope(s, "events"); err != nil {
		u.fail(w, r, s, err)
		return
	}
	ev, err := u.cfg.Store.Event(r.Context(), herald.Ref{Tenancy: pinned(r, s), ID: r.PathValue("id")})
	if err != nil {
		u.fail(w, r, s, err)
		return
	}
	var buf bytes.Buffer
	if json.Indent(&buf, ev.Data, "", "  ") != nil {
		buf.Reset()
		buf.Write(ev.Data)
	}
	v := newView(r, "Event "+ev.ID, &eventPage{Event: ev, Payload: buf.String(), Replay: replayLink(s, ev)})
	v.Notice = r.URL.Query().Get("notice")
	u.render(w, r, http.StatusOK, "event", v)
}

// replayLink is where the Replay form of ev's page posts.
func replayLink(s *session, ev *herald.Event) string {
	l := eventLink(s, ev)
	if i := strings.IndexByte(l, '?'); i >= 0 {
		return l[:i] + "/replay" + l[i:]
	}
	return l + "/replay"
}
