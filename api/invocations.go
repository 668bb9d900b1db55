package api

import (
	"net/http"
	"strings"

	"github.com/heraldhq/herald"
)

// Limits of the agent and inbound secret routes.
const (
	// MaxAgentNameLen bounds an agent's display name.
	MaxAgentNameLen = 256
	// MaxInboundSecretLen bounds a built-in endpoint's secret.
	MaxInboundSecretLen = 1024
)

// checkAgentInput validates an agent's name and runtime (normalizing the
// runtime, whose URL must pass the server's URL policy, as webhooks'
// URLs do).
func (s *Server) checkAgentInput(in *herald.AgentInput) error {
	if in.Name != nil {
		if len(*in.Name) > MaxAgentNameLen {
			return herald.Errorf(herald.EINVALID, "name: must be at most %d bytes", MaxAgentNameLen)
		}
		if strings.ContainsAny(*in.Name, "\r\n\x00") {
			return herald.Errorf(herald.EINVALID, "name: must be one line")
		}
	}
	if in.Runtime != nil {
		in.Runtime.Normalize()
		if err := in.Runtime.Validate(s.cfg.URLPolicy); err != nil {
			return err
		}
		if in.Runtime.Type == herald.RuntimeExec && !s.cfg.AllowExecRuntime {
			return herald.Errorf(herald.EINVALID, "runtime.type: exec runtimes run programs on the Herald host and are disabled; start the server with --allow-exec-runtime to allow them")
		}
	}
	return nil
}

// agentBody is the body of POST /v1/agents and PATCH /v1/agents/{id}: an
// agent's input, and the tenant whose agent it is (see ownerOf; agent ids
// are unique within a tenant).
type agentBody struct {
	herald.AgentInput
	TenantID *herald.TenantID `json:"tenant_id"`
}

// createAgent is POST /v1/agents {id, name?, runtime?, tenant_id?}:
// registers an agent (status "unknown" until it reports) and answers 201
// with it; 409 when its tenant has that id already.
func (s *Server) createAgent(w http.ResponseWriter, r *http.Request) {
	var body agentBody
	if err := s.decode(w, r, &body); err != nil {
		s.error(w, r, err)
		return
	}
	owner, err := ownerOf(r, body.TenantID)
	if err != nil {
		s.error(w, r, err)
		return
	}
	in := body.AgentInput
	if in.ID == nil {
		s.error(w, r, herald.Errorf(herald.EINVALID, "id: is required"))
		return
	}
	if err := herald.ValidateAgentID("id", *in.ID); err != nil {
		s.error(w, r, err)
		return
	}
	if err := s.checkAgentInput(&in); err != nil {
		s.error(w, r, err)
		return
	}
	a, err := s.cfg.Store.SaveAgent(r.Context(), herald.SaveAgentParams{
		Tenancy: herald.OnlyTenant(owner), ID: *in.ID, Input: in, Create: true, Now: s.cfg.Clock.Now(),
	})
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, a)
}

// updateAgent is PATCH /v1/agents/{id} {name?, runtime?, tenant_id?}:
// sets the fields given on the agent of that tenant (see ownerOf) and
// answers 200 with it; an id in the body must be the path's.
func (s *Server) updateAgent(w http.ResponseWriter, r *http.Request) {
	var body agentBody
	if err := s.decode(w, r, &body); err != nil {
		s.error(w, r, err)
		return
	}
	owner, err := ownerOf(r, body.TenantID)
	if err != nil {
		s.error(w, r, err)
		return
	}
	in := body.AgentInput
	id := r.PathValue("id")
	if in.ID != nil && *in.ID != id {
		s.error(w, r, herald.Errorf(herald.EINVALID, "id: cannot be changed (the path names %q)", id))
		return
	}
	if err := s.checkAgentInput(&in); err != nil {
		s.error(w, r, err)
		return
	}
	a, err := s.cfg.Store.SaveAgent(r.Context(), herald.SaveAgentParams{Tenancy: herald.OnlyTenant(owner), ID: id, Input: in, Now: s.cfg.Clock.Now()})
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

// inboundSecretBody is the body of PUT /v1/inbound/secrets/{name}.
type inboundSecretBody struct {
	Secret string `json:"secret"`
}

// inboundSecretAnswer says whether a built-in endpoint has a secret; the
// secret itself is never answered.
type inboundSecretAnswer struct {
	Name       string `json:"name"`
	Configured bool   `json:"configured"`
}

// builtinSecretName checks the {name} of /v1/inbound/secrets/{name}: only
// "generic" for now.
func builtinSecretName(r *http.Request) (string, error) {
	name := r.PathValue("name")
	if name != GenericSecretName {
		return "", herald.Errorf(herald.ENOTFOUND, "no built-in inbound endpoint %q; the only one with a secret is %q", name, GenericSecretName)
	}
	return name, nil
}

// setInboundSecret is PUT /v1/inbound/secrets/{name} {"secret": "…"}: sets
// the secret of a built-in inbound endpoint (only "generic": POST
// /api/webhooks/generic) and answers 200 {name, configured: true}. The
// secret is 1 to MaxInboundSecretLen (1024) bytes of one line, without
// surrounding spaces, so that it fits in a header.
func (s *Server) setInboundSecret(w http.ResponseWriter, r *http.Request) {
	name, err := builtinSecretName(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	var in inboundSecretBody
	if err := s.decode(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	switch {
	case in.Secret == "":
		err = herald.Errorf(herald.EINVALID, "secret: is required")
	case len(in.Secret) > MaxInboundSecretLen:
		err = herald.Errorf(herald.EINVALID, "secret: must be at most %d bytes", MaxInboundSecretLen)
	case strings.TrimSpace(in.Secret) != in.Secret:
		err = herald.Errorf(herald.EINVALID, "secret: must not start or end with spaces")
	case strings.ContainsFunc(in.Secret, func(c rune) bool { return c < ' ' || c == 0x7f }):
		err = herald.Errorf(herald.EINVALID, "secret: must not hold control characters")
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	if err := s.cfg.Store.SetInboundSecret(r.Context(), name, in.Secret); err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, inboundSecretAnswer{Name: name, Configured: true})
}

// deleteInboundSecret is DELETE /v1/inbound/secrets/{name}: removes the
// secret, after which the endpoint refuses every request; 204.
func (s *Server) deleteInboundSecret(w http.ResponseWriter, r *http.Request) {
	name, err := builtinSecretName(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if err := s.cfg.Store.SetInboundSecret(r.Context(), name, ""); err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// getInboundSecret is GET /v1/inbound/secrets/{name}: {name, configured}.
func (s *Server) getInboundSecret(w http.ResponseWriter, r *http.Request) {
	name, err := builtinSecretName(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	secret, err := s.cfg.Store.InboundSecret(r.Context(), name)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, inboundSecretAnswer{Name: name, Configured: secret != ""})
}

// listInvocations is GET /v1/invocations?agent=&status=&skip=&limit=:
// invocations newest first, of one agent and one status when given.
func (s *Server) listInvocations(w http.ResponseWriter, r *http.Request) {
	skip, limit, err := page(r, "agent", "status")
	if err != nil {
		s.error(w, r, err)
		return
	}
	q := r.URL.Query()
	status := q.Get("status")
	switch status {
	case "", herald.InvocationQueued, herald.InvocationRunning, herald.InvocationCompleted, herald.InvocationFailed, herald.InvocationTimeout:
	default:
		s.error(w, r, herald.Errorf(herald.EINVALID, "status: must be queued, running, completed, failed or timeout, got %q", status))
		return
	}
	items, total, err := s.cfg.Store.ListInvocations(r.Context(), herald.InvocationFilter{Tenancy: tenancyOf(r), Agent: q.Get("agent"), Status: status, Skip: skip, Limit: limit})
	if err != nil {
		s.error(w, r, err)
		return
	}
	if items == nil {
		items = []*herald.Invocation{}
	}
	writeJSON(w, http.StatusOK, list[*herald.Invocation]{Items: items, Total: total, Skip: skip, Limit: limit})
}

// getInvocation is GET /v1/invocations/{id} (the status_url of an async
// call).
func (s *Server) getInvocation(w http.ResponseWriter, r *http.Request) {
	inv, err := s.cfg.Store.Invocation(r.Context(), herald.Ref{Tenancy: tenancyOf(r), ID: r.PathValue("id")})
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, inv)
}
