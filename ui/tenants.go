package ui

import (
	"net/http"
	"strings"

	"github.com/heraldhq/herald"
)

// capPlatform is what the operator pages need: an operator signed in with
// a platform key (no tenant).
const capPlatform = "platform"

// tenantsPage is a page of tenants and, after a mint, the link made.
type tenantsPage struct {
	Rows  []*herald.Tenant
	Pager pager
	// Link is the portal link just made, for Tenant.
	Link   *herald.PortalLink
	Tenant string
	// Capabilities are the ones a link may grant on top of view.
	Capabilities []string
}

// listTenants shows the tenants, each with a form that makes a portal link.
func (u *UI) listTenants(w http.ResponseWriter, r *http.Request) {
	u.renderTenants(w, r, http.StatusOK, &tenantsPage{}, "")
}

// renderTenants shows a page of tenants with p's link and msg as its error.
func (u *UI) renderTenants(w http.ResponseWriter, r *http.Request, status int, p *tenantsPage, msg string) {
	s := sessionOf(r)
	skip := pageSkip(r)
	rows, total, err := u.cfg.Store.ListTenants(r.Context(), herald.TenantFilter{Skip: skip, Limit: pageSize})
	if err != nil {
		u.fail(w, r, s, err)
		return
	}
	p.Rows, p.Pager, p.Capabilities = rows, newPager(r, skip, total), herald.Capabilities[1:]
	v := newView(r, "Tenants", p)
	v.Error = msg
	u.render(w, r, status, "tenants", v)
}

// mintPortal makes a portal link for the tenant of the path from the
// row's form and shows it.
func (u *UI) mintPortal(w http.ResponseWriter, r *http.Request) {
	in := herald.PortalInput{
		ExpiresIn: r.PostFormValue("expires_in"), Capabilities: r.PostForm["capability"],
		AgentID: strings.TrimSpace(r.PostFormValue("agent_id")),
	}
	tenant := r.PathValue("id")
	link, err := u.MintPortal(r.Context(), PortalParams{Tenant: tenant, Input: in, BaseURL: u.BaseURL(r)})
	if err != nil {
		u.renderTenants(w, r, statusOf(err), &tenantsPage{Tenant: tenant}, "No link was made for "+tenant+": "+herald.ErrorMessage(err))
		return
	}
	u.renderTenants(w, r, http.StatusOK, &tenantsPage{Link: link, Tenant: tenant}, "")
}
