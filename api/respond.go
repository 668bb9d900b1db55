package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/jsontime"
)

// StatusCode maps an error code to its HTTP status. It is the only place
// that does.
func StatusCode(code string) int {
	switch code {
	case herald.EINVALID:
		return http.StatusBadRequest
	case herald.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case herald.EFORBIDDEN:
		return http.StatusForbidden
	case herald.ENOTFOUND:
		return http.StatusNotFound
	case herald.ECONFLICT:
		return http.StatusConflict
	case herald.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case herald.EUNSUPPORTED:
		return http.StatusUnsupportedMediaType
	case herald.ERATELIMITED:
		return http.StatusTooManyRequests
	case herald.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	case herald.ETIMEOUT:
		return http.StatusGatewayTimeout
	default:
		return http.StatusInternalServerError
	}
}

// errorBody is the JSON of every error answer.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// error answers with err as {"error": {"code", "message"}}, logging
// internal errors with their detail (which the client does not see).
func (s *Server) error(w http.ResponseWriter, r *http.Request, err error) {
	code := herald.ErrorCode(err)
	if code == herald.EINTERNAL {
		s.cfg.Logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	}
	var body errorBody
	body.Error.Code, body.Error.Message = code, herald.ErrorMessage(err)
	writeJSON(w, StatusCode(code), body)
}

// writeJSON answers with v as JSON, without HTML escaping, its times in
// RFC 3339 UTC with microseconds (herald.TimestampFormat).
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"error":{"code":"internal","message":"internal error"}}` + "\n")
	}
	w.WriteHeader(status)
	_, _ = w.Write(jsontime.Rewrite(v, buf.Bytes()))
}

// list is the shape of every list answer.
type list[T any] struct {
	Items []T `json:"items"`
	Total int `json:"total"`
	Skip  int `json:"skip"`
	Limit int `json:"limit"`
}

// decode reads a JSON body into v, refusing bodies over the limit (413),
// unknown fields, trailing data, and malformed JSON, with messages that
// name the field.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	return decodeJSON(body, v)
}

// decodeOpen is decode for bodies from agents: the same checks, except
// that unknown fields are ignored, so that reporters may send more than
// Herald reads.
func (s *Server) decodeOpen(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	return decodeJSONWith(body, v, true)
}

// readBody reads the request body, refusing other media types than JSON
// (415: a browser's cross-site form post cannot send application/json) and
// bodies over MaxBodyBytes (413). A body with no Content-Type is read as
// JSON.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		return nil, herald.Errorf(herald.EUNSUPPORTED, "body: Content-Type must be application/json (or none), got %q; with curl -d, add -H 'Content-Type: application/json'", ct)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, herald.Errorf(herald.ETOOLARGE, "body: larger than %d bytes", s.cfg.MaxBodyBytes)
	} else if err != nil {
		return nil, herald.Errorf(herald.EINVALID, "body: %s", err)
	}
	return body, nil
}

// decodeJSON unmarshals strictly, naming the field of any error.
func decodeJSON(body []byte, v any) error { return decodeJSONWith(body, v, false) }

// decodeJSONWith is decodeJSON, ignoring unknown fields when allowUnknown.
func decodeJSONWith(body []byte, v any, allowUnknown bool) error {
	if len(strings.TrimSpace(string(body))) == 0 {
		return herald.Errorf(herald.EINVALID, "body: a JSON object is required")
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	if !allowUnknown {
		dec.DisallowUnknownFields()
	}
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("trailing data after the JSON object")
	}
	if err == nil {
		return nil
	}
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return herald.Errorf(herald.EINVALID, "body: malformed JSON at byte %d: %s", syntax.Offset, syntax.Error())
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "body"
		}
		return herald.Errorf(herald.EINVALID, "%s: must be %s, got %s", field, typeName(typ.Type.Kind().String()), typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return herald.Errorf(herald.EINVALID, "%s: unknown field", strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return herald.Errorf(herald.EINVALID, "body: malformed JSON: unexpected end")
	}
	// Errors from a field's own UnmarshalJSON (such as durations) carry no
	// field name; json wraps them with the type only.
	return herald.Errorf(herald.EINVALID, "body: %s", strings.TrimPrefix(err.Error(), "json: "))
}

func typeName(kind string) string {
	switch kind {
	case "int", "int64", "float64":
		return "a number"
	case "bool":
		return "true or false"
	case "slice":
		return "a list"
	case "map", "struct", "ptr":
		return "an object"
	}
	return "a " + kind
}

// queryInt reads an integer query parameter, naming it when malformed.
func queryInt(r *http.Request, name string) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, herald.Errorf(herald.EINVALID, "%s: must be a whole number >= 0, got %q", name, v)
	}
	return n, nil
}

// queryBool reads an optional boolean query parameter.
func queryBool(r *http.Request, name string) (*bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return nil, herald.Errorf(herald.EINVALID, "%s: must be true or false, got %q", name, v)
	}
	return &b, nil
}

// page reads skip and limit.
func page(r *http.Request) (skip, limit int, err error) {
	if skip, err = queryInt(r, "skip"); err != nil {
		return 0, 0, err
	}
	if limit, err = queryInt(r, "limit"); err != nil {
		return 0, 0, err
	}
	skip, limit = herald.Page(skip, limit)
	return skip, limit, nil
}
