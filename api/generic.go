package api

import (
	"net/http"
	"strings"

	"github.com/heraldhq/herald"
)

// GenericSecretName is the built-in inbound endpoint whose secret
// PUT /v1/inbound/secrets/generic sets: POST /api/webhooks/generic.
const GenericSecretName = "generic"

// genericBody is the body of POST /api/webhooks/generic (seed 002).
// Unknown fields are ignored.
type genericBody struct {
	// Agent is the id of the agent to invoke. Required.
	Agent string `json:"agent"`
	// Message is the text for the agent. Required.
	Message string `json:"message"`
	// Context is an optional object handed to the runtime and echoed in
	// the sync answer.
	Context map[string]any `json:"context"`
	// ResponseMode is "sync" (the default) or "async".
	ResponseMode string `json:"response_mode"`
}

// genericError is the error answer of the generic webhook: the API's
// {"error": {"code", "message"}} with seed 002's "success": false, so one
// shape serves every error of the endpoint (502 and 504 add agent,
// request_id and status_url; see invocationAnswer).
type genericError struct {
	Success bool `json:"success"`
	errorBody
}

// failGeneric answers a refused generic webhook request and logs it in
// the inbound request log (as webhook "generic") when rec is set.
func (s *Server) failGeneric(w http.ResponseWriter, r *http.Request, rec *herald.InboundRequest, body []byte, err error) {
	code := herald.ErrorCode(err)
	if code == herald.EINTERNAL {
		s.cfg.Logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	}
	status := StatusCode(code)
	if rec != nil {
		rec.Verdict, rec.Reason, rec.Status = herald.VerdictRejected, herald.ErrorMessage(err), status
		s.record(r.Context(), rec, body)
	}
	var out genericError
	out.Error.Code, out.Error.Message = code, herald.ErrorMessage(err)
	writeJSON(w, status, out)
}

// receiveGeneric is POST /api/webhooks/generic (seed 002): a message for
// any agent of the platform's own, authenticated by the generic secret (PUT
// /v1/inbound/secrets/generic) sent as X-Webhook-Secret (or as the named
// webhooks take it: Authorization: Bearer, or X-Webhook-Signature). With
// no generic secret configured every request is refused. The body is
// JSON whatever the Content-Type (curl -d, as in seed 002's examples,
// sends a form type).
//
// Answers: sync 200 {success: true, agent, response, context, request_id};
// async 202 {success: true, agent, request_id, status_url}; a failed run
// 502 and a timeout 504 {success: false, agent, request_id, status_url,
// error: {code, message}}; every other error {success: false, error:
// {code, message}}: 400 malformed body (naming the field), 401 bad or
// missing secret, 403 source IP outside --allowed-ips, 404 unknown agent,
// 413 body over the limit, 503 agent busy.
func (s *Server) receiveGeneric(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	rec := &herald.InboundRequest{Webhook: GenericSecretName, At: s.cfg.Clock.Now().UTC(), Headers: logHeaders(r.Header)}
	ip := s.clientIP(r)
	if ip.IsValid() {
		rec.SourceIP = ip.String()
	}
	if err := s.admitSource(w, ip); err != nil {
		s.failGeneric(w, r, nil, nil, err)
		return
	}
	// refuse answers a request refused before it is authenticated: it
	// counts against the source's failures and is logged without its
	// body, or, past the limit, answered 429 and not logged.
	refuse := func(err error) {
		if limited := s.countFailure(w, ip); limited != nil {
			s.failGeneric(w, r, nil, nil, limited)
			return
		}
		s.failGeneric(w, r, rec, nil, err)
	}
	if err := s.ipAllowed(ip, &herald.InboundWebhook{}); err != nil {
		refuse(err)
		return
	}
	secret, err := s.cfg.Store.InboundSecret(ctx, GenericSecretName)
	if err != nil {
		s.failGeneric(w, r, nil, nil, err)
		return
	}
	if secret == "" {
		refuse(herald.Errorf(herald.EUNAUTHORIZED,
			"no generic webhook secret is configured, so every request is refused; set one with `herald inbound secret set generic` or PUT /v1/inbound/secrets/generic {\"secret\": \"…\"}"))
		return
	}
	body, err := s.readAnyJSON(w, r)
	if err != nil {
		refuse(err)
		return
	}
	if err := checkSecret(r, secret, body); err != nil {
		s.cfg.Logger.Warn("inbound request refused", "webhook", GenericSecretName, "source_ip", rec.SourceIP, "reason", "bad secret")
		refuse(err)
		return
	}
	var in genericBody
	if err := decodeJSONWith(body, &in, true); err != nil {
		s.failGeneric(w, r, rec, body, err)
		return
	}
	if err := in.validate(); err != nil {
		s.failGeneric(w, r, rec, body, err)
		return
	}
	if s.cfg.Invoker == nil {
		s.failGeneric(w, r, rec, body, herald.Errorf(herald.EUNAVAILABLE, "agent invocation is not available on this node"))
		return
	}
	inv, err := s.cfg.Invoker.Invoke(ctx, herald.InvokeParams{
		Agent: in.Agent, Message: in.Message, Context: in.Context, Source: GenericSecretName, Mode: in.ResponseMode,
	})
	if err != nil {
		s.failGeneric(w, r, rec, body, err)
		return
	}
	rec.InvocationID = inv.ID
	status, answer := invocationAnswer(inv, in.Context)
	rec.Status = status
	if status < 300 {
		rec.Verdict = herald.VerdictAccepted
	} else {
		rec.Verdict, rec.Reason = herald.VerdictRejected, "invocation "+inv.Status+": "+inv.Error
	}
	s.record(ctx, rec, body)
	writeJSON(w, status, answer)
}

// validate checks a generic webhook body, naming the first bad field.
func (b *genericBody) validate() error {
	if err := herald.ValidateAgentID("agent", b.Agent); err != nil {
		return err
	}
	if strings.TrimSpace(b.Message) == "" {
		return herald.Errorf(herald.EINVALID, "message: is required")
	}
	switch b.ResponseMode {
	case "", herald.ResponseSync, herald.ResponseAsync:
	default:
		return herald.Errorf(herald.EINVALID, "response_mode: must be %q or %q, got %q", herald.ResponseSync, herald.ResponseAsync, b.ResponseMode)
	}
	return nil
}
