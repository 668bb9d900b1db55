package api

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/jsjson"
)

// publishInput is the body of POST /v1/events. TenantID publishes for a
// tenant (see ownerOf): the event fans out to that tenant's webhooks and
// the platform's all_tenants ones.
type publishInput struct {
	ID       string           `json:"id"`
	TenantID *herald.TenantID `json:"tenant_id"`
	Type     string           `json:"type"`
	Data     json.RawMessage  `json:"data"`
	// OrderingKey orders the event's deliveries to webhooks of ordering
	// "key" among the events of the same key.
	OrderingKey string `json:"ordering_key"`
}

func (s *Server) publishEvent(w http.ResponseWriter, r *http.Request) {
	var in publishInput
	if err := s.decode(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	owner, err := ownerOf(r, in.TenantID)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if err := herald.ValidateEventType(in.Type); err != nil {
		s.error(w, r, herald.EventTypeError("type", err))
		return
	}
	if in.ID != "" {
		if err := herald.ValidateEventID(in.ID); err != nil {
			s.error(w, r, err)
			return
		}
	}
	if err := herald.ValidateOrderingKey(in.OrderingKey); err != nil {
		s.error(w, r, err)
		return
	}
	data := []byte("{}")
	if len(in.Data) > 0 && !bytes.Equal(bytes.TrimSpace(in.Data), []byte("null")) {
		canon, err := jsjson.Canonicalize(in.Data)
		if err != nil {
			s.error(w, r, herald.Errorf(herald.EINVALID, "data: %s", err))
			return
		} else if len(canon) == 0 || canon[0] != '{' {
			s.error(w, r, herald.Errorf(herald.EINVALID, "data: must be a JSON object"))
			return
		} else if err := herald.ValidateEventAgent(canon); err != nil {
			s.error(w, r, err)
			return
		}
		data = canon
	}
	if err := s.checkEventData(r, in.Type, data); err != nil {
		s.error(w, r, err)
		return
	}
	res, err := s.cfg.Store.PublishEvent(r.Context(), herald.PublishParams{
		TenantID: owner, ID: in.ID, Type: in.Type, Data: data, OrderingKey: in.OrderingKey, Now: s.cfg.Clock.Now(),
	})
	if err != nil {
		s.error(w, r, err)
		return
	}
	status := http.StatusOK
	if res.Created {
		status = http.StatusAccepted
		s.cfg.Metrics.EventsAccepted.Inc()
	}
	ev := res.Event
	writeJSON(w, status, herald.PublishAnswer{
		ID: ev.ID, Type: ev.Type, Created: ev.Created.Unix(),
		Timestamp: ev.Created.UTC().Format(herald.TimestampFormat), Deliveries: len(res.Deliveries),
	})
}

func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) {
	skip, limit, err := page(r, "type", "agent_id")
	if err != nil {
		s.error(w, r, err)
		return
	}
	evs, total, err := s.cfg.Store.ListEvents(r.Context(), herald.EventFilter{
		Tenancy: tenancyOf(r), Type: r.URL.Query().Get("type"), AgentID: r.URL.Query().Get("agent_id"), Skip: skip, Limit: limit,
	})
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list[*herald.Event]{Items: evs, Total: total, Skip: skip, Limit: limit})
}

func (s *Server) getEvent(w http.ResponseWriter, r *http.Request) {
	ev, err := s.cfg.Store.Event(r.Context(), herald.Ref{Tenancy: tenancyOf(r), ID: r.PathValue("id")})
	if err != nil {
		s.error(w, r, err)
		return
	}
	if ev.Deliveries == nil {
		ev.Deliveries = []*herald.Delivery{}
	}
	writeJSON(w, http.StatusOK, ev)
}
