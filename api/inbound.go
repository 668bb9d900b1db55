package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/provider"
	"github.com/heraldhq/herald/transform"
)

// loggedHeaders are the request headers the inbound log keeps (never
// credentials).
var loggedHeaders = []string{
	"content-type", "content-length", "user-agent", "x-event-type", "x-github-event",
	"x-github-delivery", "x-request-id", "webhook-id", "webhook-timestamp", "x-forwarded-for",
	"x-slack-request-timestamp", "x-slack-retry-num", "x-signature-timestamp",
}

// secretHeaders are never shown to templates nor logged.
var secretHeaders = map[string]bool{
	"authorization": true, "proxy-authorization": true, "cookie": true, "x-api-key": true,
	"x-webhook-secret": true, "x-webhook-signature": true, "x-hub-signature": true, "x-hub-signature-256": true,
	"x-slack-signature": true, "x-signature-ed25519": true, "x-telegram-bot-api-secret-token": true,
	"stripe-signature": true, "webhook-signature": true,
}

// readAnyJSON reads a body that must be JSON whatever its Content-Type
// says (curl -d sends application/x-www-form-urlencoded, as seed 002's
// examples do), refusing bodies over MaxBodyBytes (413).
func (s *Server) readAnyJSON(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, herald.Errorf(herald.ETOOLARGE, "body: larger than %d bytes", s.cfg.MaxBodyBytes)
	} else if err != nil {
		return nil, herald.Errorf(herald.EINVALID, "body: %s", err)
	}
	return body, nil
}

func (s *Server) createInbound(w http.ResponseWriter, r *http.Request) {
	body, err := s.readAnyJSON(w, r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	var in herald.InboundWebhookInput
	if err := decodeJSON(body, &in); err != nil {
		s.error(w, r, err)
		return
	}
	if _, err := herald.ActiveAlias(in.IsActive, in.Enabled); err != nil {
		s.error(w, r, err)
		return
	}
	owner, err := ownerOf(r, in.TenantID)
	if err != nil {
		s.error(w, r, err)
		return
	}
	wh := herald.NewInboundWebhook()
	wh.TenantID = herald.TenantID(owner)
	in.Apply(wh)
	if in.Provider == nil {
		wh.Provider = herald.DefaultInboundProvider(wh.Name)
	}
	if err := wh.SetDefaultSecret(); err != nil {
		s.error(w, r, err)
		return
	}
	if err := s.checkInbound(wh); err != nil {
		s.error(w, r, err)
		return
	}
	now := s.cfg.Clock.Now().UTC()
	wh.CreatedAt, wh.UpdatedAt = now, now
	if err := s.cfg.Store.CreateInboundWebhook(r.Context(), wh); err != nil {
		s.error(w, r, err)
		return
	}
	s.inbound.forget(owner, wh.Name)
	// The create answer is the only one that shows the secret; the bot
	// token is never shown.
	wh.BotToken = ""
	writeJSON(w, http.StatusCreated, wh)
}

// checkInbound validates wh and compiles its transform and filters.
func (s *Server) checkInbound(wh *herald.InboundWebhook) error {
	return transform.Check(wh)
}

// inboundList is the answer of GET /api/webhooks: webhooks, by name, as
// seed 002 shows them, and the same list as items, as Herald's lists.
type inboundList struct {
	Webhooks []*herald.InboundWebhook `json:"webhooks"`
	Items    []*herald.InboundWebhook `json:"items"`
	Total    int                      `json:"total"`
}

func (s *Server) listInbound(w http.ResponseWriter, r *http.Request) {
	if err := knownQuery(r); err != nil {
		s.error(w, r, err)
		return
	}
	hooks, err := s.cfg.Store.ListInboundWebhooks(r.Context(), herald.InboundWebhookFilter{Tenancy: tenancyOf(r)})
	if err != nil {
		s.error(w, r, err)
		return
	}
	if hooks == nil {
		hooks = []*herald.InboundWebhook{}
	}
	for _, h := range hooks {
		h.Secret, h.BotToken = "", ""
	}
	writeJSON(w, http.StatusOK, inboundList{Webhooks: hooks, Items: hooks, Total: len(hooks)})
}

// inboundRef names the inbound webhook of the path within the request's
// tenancy (a platform key without a tenant reaches the platform's).
func inboundRef(r *http.Request) herald.Ref {
	return herald.Ref{Tenancy: tenancyOf(r), ID: r.PathValue("name")}
}

func (s *Server) getInbound(w http.ResponseWriter, r *http.Request) {
	wh, err := s.cfg.Store.InboundWebhook(r.Context(), inboundRef(r))
	if err != nil {
		s.error(w, r, err)
		return
	}
	wh.Secret, wh.BotToken = "", ""
	writeJSON(w, http.StatusOK, wh)
}

// updateInbound replaces the settings of a webhook with the body's (the
// defaults for those left out), keeping its secret unless one is given.
// The body's tenant_id names whose webhook it is (see ownerOf).
func (s *Server) updateInbound(w http.ResponseWriter, r *http.Request) {
	body, err := s.readAnyJSON(w, r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	var in herald.InboundWebhookInput
	if err := decodeJSON(body, &in); err != nil {
		s.error(w, r, err)
		return
	}
	if _, err := herald.ActiveAlias(in.IsActive, in.Enabled); err != nil {
		s.error(w, r, err)
		return
	}
	name := r.PathValue("name")
	if in.Name != nil && *in.Name != name {
		s.error(w, r, herald.Errorf(herald.EINVALID, "name: cannot be changed (is %q, got %q)", name, *in.Name))
		return
	}
	if in.Secret != nil && *in.Secret == "" {
		s.error(w, r, herald.Errorf(herald.EINVALID, "secret: cannot be empty; omit it to keep the current one"))
		return
	}
	owner, err := ownerOf(r, in.TenantID)
	if err != nil {
		s.error(w, r, err)
		return
	}
	old, err := s.cfg.Store.InboundWebhook(r.Context(), herald.Ref{Tenancy: herald.OnlyTenant(owner), ID: name})
	if err != nil {
		s.error(w, r, err)
		return
	}
	wh := herald.NewInboundWebhook()
	wh.TenantID, wh.Name, wh.Secret, wh.BotToken = old.TenantID, old.Name, old.Secret, old.BotToken
	in.Apply(wh)
	if in.Provider == nil {
		wh.Provider = herald.DefaultInboundProvider(wh.Name)
	}
	if err := s.checkInbound(wh); err != nil {
		s.error(w, r, err)
		return
	}
	wh.CreatedAt, wh.LastTriggeredAt = old.CreatedAt, old.LastTriggeredAt
	wh.UpdatedAt = s.cfg.Clock.Now().UTC()
	if err := s.cfg.Store.UpdateInboundWebhook(r.Context(), wh); err != nil {
		s.error(w, r, err)
		return
	}
	s.inbound.forget(owner, name)
	wh.Secret, wh.BotToken = "", ""
	writeJSON(w, http.StatusOK, wh)
}

func (s *Server) deleteInbound(w http.ResponseWriter, r *http.Request) {
	ref := inboundRef(r)
	if err := s.cfg.Store.DeleteInboundWebhook(r.Context(), ref); err != nil {
		s.error(w, r, err)
		return
	}
	owner, _ := ref.Tenancy.Owner()
	s.inbound.forget(owner, ref.ID)
	w.WriteHeader(http.StatusNoContent)
}

// inboundRequests is the answer of GET /api/webhooks/{name}/requests.
type inboundRequests struct {
	Items []*herald.InboundRequest `json:"items"`
	Limit int                      `json:"limit"`
}

func (s *Server) listInboundRequests(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if err := knownQuery(r, "limit", "verdict"); err != nil {
		s.error(w, r, err)
		return
	}
	limit, err := queryInt(r, "limit")
	if err != nil {
		s.error(w, r, err)
		return
	}
	_, limit = herald.Page(0, limit)
	verdict := r.URL.Query().Get("verdict")
	switch verdict {
	case "", herald.VerdictAccepted, herald.VerdictFiltered, herald.VerdictRejected:
	default:
		s.error(w, r, herald.Errorf(herald.EINVALID, "verdict: must be accepted, filtered or rejected, got %q", verdict))
		return
	}
	tenancy := tenancyOf(r)
	if name == GenericSecretName { // the platform's built-in endpoint logs under its own name
		if owner, ok := tenancy.Owner(); !ok || owner != "" {
			s.error(w, r, herald.Errorf(herald.ENOTFOUND, "webhook %q not found", name))
			return
		}
		tenancy = herald.Platform()
	} else {
		wh, err := s.cfg.Store.InboundWebhook(r.Context(), inboundRef(r))
		if err != nil {
			s.error(w, r, err)
			return
		}
		tenancy = herald.OnlyTenant(string(wh.TenantID))
	}
	reqs, err := s.cfg.Store.ListInboundRequests(r.Context(), herald.InboundRequestFilter{Tenancy: tenancy, Webhook: name, Verdict: verdict, Limit: limit})
	if err != nil {
		s.error(w, r, err)
		return
	}
	if reqs == nil {
		reqs = []*herald.InboundRequest{}
	}
	writeJSON(w, http.StatusOK, inboundRequests{Items: reqs, Limit: limit})
}

// triggerBody is the body of POST /api/webhooks/{name}/trigger: a message
// for the webhook's agent as is, like the generic webhook's without agent.
type triggerBody struct {
	Message      string         `json:"message"`
	Context      map[string]any `json:"context"`
	ResponseMode string         `json:"response_mode"`
	// Agent, when given, must be the webhook's agent.
	Agent string `json:"agent"`
}

func (s *Server) receiveInbound(w http.ResponseWriter, r *http.Request) { s.receive(w, r, false) }

// receiveSlackInteractive takes /api/webhooks/slack/interactive, Slack's
// interactive components URL, for the webhook named slack (and
// /api/tenants/{tenant}/webhooks/slack/interactive for a tenant's).
func (s *Server) receiveSlackInteractive(w http.ResponseWriter, r *http.Request) {
	r.SetPathValue("name", herald.ProviderSlack)
	s.receive(w, r, false)
}

func (s *Server) triggerInbound(w http.ResponseWriter, r *http.Request) { s.receive(w, r, true) }

// inboundTenant is the tenant whose webhook a receive route names: the
// {tenant} of /api/tenants/{tenant}/webhooks/..., "" under /api/webhooks/;
// ok is false when the path's tenant is no tenant id.
func inboundTenant(r *http.Request) (tenant string, ok bool) {
	if !strings.Contains(r.Pattern, "{tenant}") {
		return "", true
	}
	tenant = r.PathValue("tenant")
	return tenant, herald.ValidateTenantID("tenant", tenant) == nil
}

// claimScope is the scope of the delivery ids claimed for a webhook: its
// name for the platform's, tenant/name for a tenant's (neither a tenant id
// nor a name holds a slash).
func claimScope(tenant, name string) string {
	if tenant == "" {
		return name
	}
	return tenant + "/" + name
}

// receive takes a request to a named inbound webhook of a tenant (or of
// the platform; see inboundTenant), in steps: admit
// the source (admitSource: not out of failures), find the webhook, check
// the source IP and the body size, authenticate (authenticateInbound; a
// refusal until here counts against the source and is logged without the
// body), the rate limit and duplicates, build the message (the filters
// and transform; for /trigger the body is the message itself), dispatch
// it to the agent, and log the request with its verdict.
func (s *Server) receive(w http.ResponseWriter, r *http.Request, trigger bool) {
	ctx := r.Context()
	name := r.PathValue("name")
	tenant, tenantOK := inboundTenant(r)
	now := s.cfg.Clock.Now().UTC()
	ip := s.clientIP(r)
	rec := &herald.InboundRequest{TenantID: herald.TenantID(tenant), Webhook: name, At: now, Headers: logHeaders(r.Header)}
	if ip.IsValid() {
		rec.SourceIP = ip.String()
	}
	if err := s.admitSource(w, ip); err != nil {
		s.error(w, r, err)
		return
	}
	var body []byte
	// authenticated is set once the request passed its secret or
	// signature; before, a refusal counts against the source's failures
	// and is logged without its body.
	authenticated := false
	// reject answers with err and logs the request as rejected.
	reject := func(err error, extra func()) {
		logged := body
		if !authenticated {
			if limited := s.countFailure(w, ip); limited != nil {
				s.error(w, r, limited)
				return
			}
			logged = nil
		}
		rec.Verdict, rec.Reason, rec.Status = herald.VerdictRejected, herald.ErrorMessage(err), StatusCode(herald.ErrorCode(err))
		s.record(ctx, rec, logged)
		if extra != nil {
			extra()
		}
		s.error(w, r, err)
	}

	var wh *herald.InboundWebhook
	var err error = herald.Errorf(herald.ENOTFOUND, "no tenant %q", tenant)
	if tenantOK {
		wh, err = s.cfg.Store.InboundWebhook(ctx, herald.Ref{Tenancy: herald.OnlyTenant(tenant), ID: name})
	}
	if herald.ErrorCode(err) == herald.ENOTFOUND {
		if limited := s.countFailure(w, ip); limited != nil {
			s.error(w, r, limited)
			return
		}
		s.cfg.Logger.Info("inbound webhook not found", "tenant_id", tenant, "webhook", name, "source_ip", rec.SourceIP)
		if tenant != "" {
			s.error(w, r, herald.Errorf(herald.ENOTFOUND, "webhook %q of tenant %q not found; see GET /api/webhooks?tenant_id=%s", name, tenant, url.QueryEscape(tenant)))
			return
		}
		s.error(w, r, herald.Errorf(herald.ENOTFOUND, "webhook %q not found; see GET /api/webhooks", name))
		return
	} else if err != nil {
		s.error(w, r, err)
		return
	}
	if !wh.Enabled {
		reject(herald.Errorf(herald.ENOTFOUND, "webhook %q is disabled", name), nil)
		return
	}
	if err := s.ipAllowed(ip, wh); err != nil {
		s.cfg.Logger.Warn("inbound request refused", "tenant_id", tenant, "webhook", name, "source_ip", rec.SourceIP, "reason", herald.ErrorMessage(err))
		reject(err, nil)
		return
	}
	body, err = s.readAnyJSON(w, r)
	if err != nil {
		reject(err, nil)
		return
	}
	prov, ok := provider.Lookup(wh.Provider)
	if !ok {
		s.error(w, r, herald.Errorf(herald.EINTERNAL, "webhook %q has unknown provider %q", name, wh.Provider))
		return
	}
	preq := &provider.Request{Header: r.Header, Body: body, ContentType: r.Header.Get("Content-Type"), Now: now}
	if err := s.authenticateInbound(r, wh, prov, preq, trigger); err != nil {
		reason := "bad secret"
		if wh.Provider != herald.ProviderGeneric && !trigger {
			reason = herald.ErrorMessage(err)
		}
		s.cfg.Logger.Warn("inbound request refused", "tenant_id", tenant, "webhook", name, "provider", wh.Provider, "source_ip", rec.SourceIP, "reason", reason)
		reject(err, nil)
		return
	}
	authenticated = true
	if ok, wait := s.inbound.allow(wh, now); !ok {
		secs := int(math.Ceil(wait.Seconds()))
		reject(herald.Errorf(herald.ERATELIMITED, "webhook %q allows %d requests per %s; retry in %ds", name, wh.RateLimit.Requests, wh.RateLimit.Per, max(secs, 1)),
			func() { w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1))) })
		return
	}
	if trigger {
		prov = provider.Generic
	}
	parsed, err := prov.Parse(preq)
	if err != nil {
		reject(err, nil)
		return
	}
	payload := parsed.Payload
	rec.EventType = parsed.EventType
	if hs := parsed.Handshake; hs != nil {
		rec.Verdict, rec.Reason, rec.Status = herald.VerdictAccepted, "handshake: "+rec.EventType, hs.Status
		s.record(ctx, rec, body)
		writeJSON(w, hs.Status, hs.Body)
		return
	}
	if id := parsed.DuplicateKey; id != "" {
		fresh, err := s.cfg.Store.ClaimRequestID(ctx, herald.ClaimParams{Scope: claimScope(tenant, name), ID: id, Now: now, TTL: herald.InboundClaimTTL})
		if err != nil {
			s.error(w, r, err)
			return
		}
		if !fresh {
			rec.Verdict, rec.Reason, rec.Status = herald.VerdictRejected, fmt.Sprintf("duplicate request id %q", id), http.StatusOK
			s.record(ctx, rec, body)
			writeJSON(w, http.StatusOK, map[string]any{"success": true, "duplicate": true, "request_id": id})
			return
		}
	}

	params := herald.InvokeParams{TenantID: tenant, Agent: wh.Agent, Mode: wh.ResponseMode}
	if trigger {
		if params, err = triggerParams(wh, body); err != nil {
			reject(err, nil)
			return
		}
	} else {
		prog, err := s.inbound.program(wh)
		if err != nil {
			s.error(w, r, err)
			return
		}
		pass, reason, err := prog.Match(rec.EventType, payload)
		if err != nil {
			reject(err, nil)
			return
		}
		if !pass {
			rec.Verdict, rec.Reason, rec.Status = herald.VerdictFiltered, reason, http.StatusOK
			s.record(ctx, rec, body)
			s.touch(ctx, rec)
			writeJSON(w, http.StatusOK, map[string]any{"success": true, "filtered": true, "reason": reason})
			return
		}
		msg, mctx, err := s.render(prog, prov, parsed, transform.Input{Payload: payload, Headers: templateHeaders(r.Header), EventType: rec.EventType, Source: "webhook:" + name})
		if err != nil {
			reject(err, nil)
			return
		}
		params.Message, params.Context, params.Source = msg, mctx, "webhook:"+name
		if params.ReplyTo = provider.ReplyTo(wh.Provider, parsed, wh.BotToken != ""); params.ReplyTo != nil {
			params.ReplyTo.Webhook = name
		}
	}
	if s.cfg.Invoker == nil {
		reject(herald.Errorf(herald.EUNAVAILABLE, "agent invocation is not available on this node"), nil)
		return
	}
	if t := params.ReplyTo; t != nil {
		if t.Provider == herald.ProviderDiscord && params.Mode != herald.ResponseAsync {
			s.invokeDiscord(w, r, rec, body, params, reject)
			return
		}
		if t.Provider != herald.ProviderDiscord {
			// The platform wants its answer within seconds; the response
			// goes back by the reply job.
			params.Mode = herald.ResponseAsync
		}
	}
	inv, err := s.cfg.Invoker.Invoke(ctx, params)
	if err != nil {
		reject(err, nil)
		return
	}
	rec.InvocationID = inv.ID
	if params.ReplyTo != nil {
		s.ackReply(w, r, rec, body, params.ReplyTo)
		return
	}
	status, answer := invocationAnswer(inv, params.Context)
	rec.Status = status
	if status < 300 {
		rec.Verdict = herald.VerdictAccepted
	} else {
		rec.Verdict, rec.Reason = herald.VerdictRejected, "invocation "+inv.Status+": "+inv.Error
	}
	s.record(ctx, rec, body)
	s.touch(ctx, rec)
	writeJSON(w, status, answer)
}

// authenticateInbound checks the credential of a request to wh: the
// provider's signature, or for /trigger the webhook's secret or an admin
// key of the platform or of the webhook's tenant (only such a key when the
// provider is discord, whose key is public).
func (s *Server) authenticateInbound(r *http.Request, wh *herald.InboundWebhook, prov provider.Provider, preq *provider.Request, trigger bool) error {
	if !trigger {
		return prov.Verify(preq, wh.Secret)
	}
	err := checkSecret(r, wh.Secret, preq.Body)
	if wh.Provider == herald.ProviderDiscord {
		err = herald.Errorf(herald.EUNAUTHORIZED, "this webhook's /trigger takes the admin key")
	}
	if err != nil && s.adminRequest(r, string(wh.TenantID)) {
		err = nil
	}
	return err
}

// triggerParams reads the body of POST /api/webhooks/{name}/trigger: a
// message for the webhook's agent as it is.
func triggerParams(wh *herald.InboundWebhook, body []byte) (herald.InvokeParams, error) {
	p := herald.InvokeParams{TenantID: string(wh.TenantID), Agent: wh.Agent, Mode: wh.ResponseMode, Source: "trigger:" + wh.Name}
	var tb triggerBody
	if err := decodeJSONWith(body, &tb, true); err != nil {
		return p, err
	}
	if tb.Agent != "" && tb.Agent != wh.Agent {
		return p, herald.Errorf(herald.EINVALID, "agent: this webhook triggers agent %q, got %q", wh.Agent, tb.Agent)
	}
	if strings.TrimSpace(tb.Message) == "" {
		return p, herald.Errorf(herald.EINVALID, "message: is required")
	}
	switch tb.ResponseMode {
	case "":
	case herald.ResponseSync, herald.ResponseAsync:
		p.Mode = tb.ResponseMode
	default:
		return p, herald.Errorf(herald.EINVALID, "response_mode: must be sync or async, got %q", tb.ResponseMode)
	}
	p.Message, p.Context = tb.Message, tb.Context
	return p, nil
}

// adminRequest reports whether r carries an admin API key of the platform
// or of tenant, which may also call /trigger (the CLI's "herald inbound
// trigger").
func (s *Server) adminRequest(r *http.Request, tenant string) bool {
	raw := r.Header.Get("X-API-Key")
	if raw == "" {
		raw = bearer(r)
	}
	if !strings.HasPrefix(raw, herald.APIKeyPrefix) {
		return false
	}
	key, err := s.lookupKey(r.Context(), raw)
	return err == nil && key.Scope == herald.ScopeAdmin && (key.TenantID == "" || string(key.TenantID) == tenant)
}

// invocationAnswer is the answer to an invocation, as the generic
// webhook's: sync 200 {success, agent, response, context, request_id},
// async 202 {success, request_id, status_url}, a failed run 502 and a
// timeout 504 with {success: false, agent, error, request_id}.
func invocationAnswer(inv *herald.Invocation, sent map[string]any) (int, map[string]any) {
	var ctxOut any = sent
	if len(inv.Context) > 0 && string(inv.Context) != "null" {
		ctxOut = inv.Context
	} else if sent == nil {
		ctxOut = map[string]any{}
	}
	statusURL := "/v1/invocations/" + url.PathEscape(inv.ID)
	switch inv.Status {
	case herald.InvocationCompleted:
		return http.StatusOK, map[string]any{"success": true, "agent": inv.Agent, "response": inv.Response, "context": ctxOut, "request_id": inv.ID}
	case herald.InvocationQueued, herald.InvocationRunning:
		return http.StatusAccepted, map[string]any{"success": true, "agent": inv.Agent, "request_id": inv.ID, "status_url": statusURL}
	}
	code, status := herald.EINTERNAL, http.StatusBadGateway
	if inv.Status == herald.InvocationTimeout {
		code, status = herald.ETIMEOUT, http.StatusGatewayTimeout
	}
	msg := inv.Error
	if msg == "" {
		msg = "the agent's runtime failed"
	}
	return status, map[string]any{
		"success": false, "agent": inv.Agent, "request_id": inv.ID, "status_url": statusURL,
		"error": map[string]string{"code": code, "message": msg},
	}
}

// record logs an inbound request; a failure to log is logged, not
// answered.
func (s *Server) record(ctx context.Context, rec *herald.InboundRequest, body []byte) {
	if len(body) > herald.InboundLogBodyBytes {
		body = body[:herald.InboundLogBodyBytes]
	}
	rec.Body = strings.ToValidUTF8(string(body), "\uFFFD")
	if err := s.cfg.Store.RecordInboundRequest(context.WithoutCancel(ctx), rec); err != nil {
		s.cfg.Logger.Error("record inbound request", "tenant_id", string(rec.TenantID), "webhook", rec.Webhook, "error", err)
	}
}

// touch sets the last_triggered_at of the webhook rec came to, to the
// time it came.
func (s *Server) touch(ctx context.Context, rec *herald.InboundRequest) {
	p := herald.TouchInboundParams{Tenancy: herald.OnlyTenant(string(rec.TenantID)), Name: rec.Webhook, At: rec.At}
	if err := s.cfg.Store.TouchInboundWebhook(context.WithoutCancel(ctx), p); err != nil {
		s.cfg.Logger.Error("touch inbound webhook", "tenant_id", string(rec.TenantID), "webhook", rec.Webhook, "error", err)
	}
}

// logHeaders is the subset of h the inbound log keeps, by lower-case name.
func logHeaders(h http.Header) map[string]string {
	out := map[string]string{}
	for _, k := range loggedHeaders {
		if v := h.Get(k); v != "" {
			out[k] = v
		}
	}
	return out
}

// templateHeaders are the request headers templates see, by lower-case
// name, one value each, credentials left out.
func templateHeaders(h http.Header) map[string]string {
	out := make(map[string]string, len(h))
	for k, v := range h {
		k = strings.ToLower(k)
		if secretHeaders[k] || len(v) == 0 {
			continue
		}
		out[k] = v[0]
	}
	return out
}

// render makes the message and context of a request: the template's when
// the webhook has one, else the provider's default message (the generic
// default when it has none), with the provider's default context under
// the context_mapping's.
func (s *Server) render(prog *transform.Program, prov provider.Provider, parsed *provider.Parsed, in transform.Input) (string, map[string]any, error) {
	if prog.HasTemplate() {
		return prog.Render(in)
	}
	msg, dctx := prov.DefaultMessage(parsed)
	if msg == "" {
		m, mctx, err := prog.Render(in)
		if err != nil {
			return "", nil, err
		}
		msg, dctx = m, mergeContext(dctx, mctx)
		return msg, dctx, nil
	}
	if len(msg) > transform.MaxMessageBytes {
		msg = strings.ToValidUTF8(msg[:transform.MaxMessageBytes], "")
	}
	return msg, mergeContext(dctx, prog.Context(in.Payload)), nil
}

// mergeContext is base with over's keys set on it; nil when both are
// empty.
func mergeContext(base, over map[string]any) map[string]any {
	if len(base) == 0 {
		return over
	}
	out := make(map[string]any, len(base)+len(over))
	maps.Copy(out, base)
	maps.Copy(out, over)
	return out
}
