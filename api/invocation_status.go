package api

import (
	"net/http"
	"strings"

	"github.com/heraldhq/herald"
)

// invocationStatus serves GET /v1/invocations/{id}, the status_url of an
// async call. A request with an API key goes to admin (an admin key reads
// the invocations of its tenancy). Otherwise the credential that made the
// call reads that invocation: the generic secret for source "generic" (the
// platform's), the secret of the invocation's tenant's webhook for
// "webhook:NAME" and "trigger:NAME" (never a Discord public key), sent as the inbound routes take it: X-Webhook-Secret,
// Authorization: Bearer, or X-Webhook-Signature over the empty body. The
// credential reads nothing else. A wrong credential, or an invocation that
// does not exist, is 401 and counts against the source IP's inbound
// failures (--inbound-failure-limit).
func (s *Server) invocationStatus(admin http.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token := bearer(r)
		inbound := r.Header.Get("X-Webhook-Secret") != "" || r.Header.Get("X-Webhook-Signature") != "" ||
			(token != "" && !strings.HasPrefix(token, herald.APIKeyPrefix))
		if !inbound || r.Header.Get("X-API-Key") != "" {
			admin.ServeHTTP(w, r)
			return
		}
		ip := s.clientIP(r)
		if err := s.admitSource(w, ip); err != nil {
			s.error(w, r, err)
			return
		}
		inv, err := s.cfg.Store.Invocation(r.Context(), herald.Ref{Tenancy: herald.AnyTenant(), ID: r.PathValue("id")})
		if err != nil && herald.ErrorCode(err) != herald.ENOTFOUND {
			s.error(w, r, err)
			return
		}
		if err == nil {
			err = s.checkInvocationCredential(r, inv)
		}
		if err != nil {
			if limited := s.countFailure(w, ip); limited != nil {
				s.error(w, r, limited)
				return
			}
			s.error(w, r, herald.Errorf(herald.EUNAUTHORIZED,
				"no invocation %q was made with this credential; send the credential of the call, or an admin API key", r.PathValue("id")))
			return
		}
		writeJSON(w, http.StatusOK, inv)
	}
}

// checkInvocationCredential checks r's inbound credential against the
// secret of the endpoint an invocation's source names, of its tenant.
func (s *Server) checkInvocationCredential(r *http.Request, inv *herald.Invocation) error {
	var secret string
	source := inv.Source
	kind, name, _ := strings.Cut(source, ":")
	switch {
	case source == GenericSecretName && inv.TenantID == "":
		sec, err := s.cfg.Store.InboundSecret(r.Context(), GenericSecretName)
		if err != nil {
			return err
		}
		secret = sec
	case kind == "webhook" || kind == "trigger":
		wh, err := s.cfg.Store.InboundWebhook(r.Context(), herald.Ref{Tenancy: herald.OnlyTenant(string(inv.TenantID)), ID: name})
		if err != nil {
			return err
		}
		if wh.Provider == herald.ProviderDiscord {
			return herald.Errorf(herald.EUNAUTHORIZED, "a Discord public key is no credential")
		}
		secret = wh.Secret
	}
	if secret == "" {
		return herald.Errorf(herald.EUNAUTHORIZED, "the invocation's endpoint has no secret")
	}
	return checkSecret(r, secret, nil)
}
