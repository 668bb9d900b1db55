package api

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/eventschema"
	"github.com/heraldhq/herald/jsjson"
)

// eventTypeInput is the body of PUT /v1/event-types/{name}: the whole new
// state of the type. An absent schema or example is null; deprecated is
// false unless set.
type eventTypeInput struct {
	Description string          `json:"description"`
	Schema      json.RawMessage `json:"schema"`
	Example     json.RawMessage `json:"example"`
	Deprecated  bool            `json:"deprecated"`
}

// putEventType creates (201) or changes (200) an event type of the
// platform's catalogue. The schema must compile and the example, when both
// are given, must satisfy it.
func (s *Server) putEventType(w http.ResponseWriter, r *http.Request) {
	var in eventTypeInput
	if err := s.decode(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	et := &herald.EventType{Name: r.PathValue("name"), Description: in.Description, Schema: in.Schema, Example: in.Example, Deprecated: in.Deprecated}
	if err := et.Validate(); err != nil {
		s.error(w, r, err)
		return
	}
	if et.HasSchema() {
		sch, err := eventschema.Compile("schema", et.Schema)
		if err != nil {
			s.error(w, r, err)
			return
		}
		if !bytes.Equal(et.Example, []byte("null")) {
			if err := eventschema.Check(sch, "example", et.Example); err != nil {
				s.error(w, r, err)
				return
			}
		}
	}
	res, err := s.cfg.Store.PutEventType(r.Context(), herald.PutEventTypeParams{Type: et, Now: s.cfg.Clock.Now()})
	if err != nil {
		s.error(w, r, err)
		return
	}
	status := http.StatusOK
	if res.Created {
		status = http.StatusCreated
	}
	writeJSON(w, status, res.Type)
}

// listEventTypes is GET /v1/event-types[?prefix=agent.]: the catalogue,
// by name, without the versions.
func (s *Server) listEventTypes(w http.ResponseWriter, r *http.Request) {
	if err := knownQuery(r, "prefix"); err != nil {
		s.error(w, r, err)
		return
	}
	ts, err := s.cfg.Store.ListEventTypes(r.Context(), herald.EventTypeFilter{Prefix: r.URL.Query().Get("prefix")})
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list[*herald.EventType]{Items: ts, Total: len(ts), Limit: len(ts)})
}

// getEventType is GET /v1/event-types/{name}: the type with every version.
func (s *Server) getEventType(w http.ResponseWriter, r *http.Request) {
	et, err := s.cfg.Store.EventType(r.Context(), herald.EventTypeRef{Name: r.PathValue("name"), Versions: true})
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, et)
}

func (s *Server) deleteEventType(w http.ResponseWriter, r *http.Request) {
	if err := s.cfg.Store.DeleteEventType(r.Context(), herald.EventTypeRef{Name: r.PathValue("name")}); err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// checkEventData checks a published event's data against its type in the
// catalogue: against the type's schema when it has one, and, with
// Config.StrictEventTypes, that the type is there at all.
func (s *Server) checkEventData(r *http.Request, typ string, data []byte) error {
	et, err := s.cfg.Store.EventType(r.Context(), herald.EventTypeRef{Name: typ})
	if herald.ErrorCode(err) == herald.ENOTFOUND {
		if s.cfg.StrictEventTypes {
			return herald.Errorf(herald.EINVALID, "type: %q is not in the event catalogue (GET /v1/event-types), and this server refuses unknown types", typ)
		}
		return nil
	} else if err != nil {
		return err
	}
	return s.schemas.Validate(et, data)
}

// exampleData is the catalogue's example of typ, canonical, or nil when
// the type is unknown or has none.
func (s *Server) exampleData(r *http.Request, typ string) ([]byte, error) {
	et, err := s.cfg.Store.EventType(r.Context(), herald.EventTypeRef{Name: typ})
	if err != nil {
		return nil, err
	}
	if bytes.Equal(et.Example, []byte("null")) {
		return nil, nil
	}
	return jsjson.Canonicalize(et.Example)
}
