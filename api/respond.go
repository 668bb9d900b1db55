package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

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

// decodeOptional is decode for bodies whose fields are all optional: an
// empty body leaves v as it is.
func (s *Server) decodeOptional(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := s.readBody(w, r)
	if err != nil || len(bytes.TrimSpace(body)) == 0 {
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
	if !utf8.Valid(body) {
		return herald.Errorf(herald.EINVALID, "body: must be valid UTF-8")
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
			// From inside a field's own UnmarshalJSON, as a log entry's.
			field = failingField(body, v, err)
		}
		if reflect.PointerTo(typ.Type).Implements(unmarshalerType) {
			// The type's own UnmarshalJSON wrote the whole message.
			return herald.Errorf(herald.EINVALID, "%s: %s", field, typ.Value)
		}
		return herald.Errorf(herald.EINVALID, "%s: must be %s, got %s", field, typeName(typ.Type.Kind().String()), typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, uerr := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		if uerr != nil || name == "" || strings.ContainsAny(name, "\"\\:") || strings.IndexFunc(name, unicode.IsSpace) >= 0 ||
			strings.IndexFunc(name, unicode.IsControl) >= 0 || !utf8.ValidString(name) {
			return herald.Errorf(herald.EINVALID, "body: unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
		}
		return herald.Errorf(herald.EINVALID, "%s: unknown field", name)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return herald.Errorf(herald.EINVALID, "body: malformed JSON: unexpected end")
	}
	// Other errors from a field's own UnmarshalJSON (such as time.Time's)
	// carry no field name: the field is the one whose value alone gives it.
	return herald.Errorf(herald.EINVALID, "%s: %s", failingField(body, v, err), strings.TrimPrefix(err.Error(), "json: "))
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// failingField is the field of the JSON object body that, decoded alone
// into a new value of v's type, fails with err's message: a top-level
// field ("timestamp"), or an element of a top-level list ("logs[2]");
// "body" when none does.
func failingField(body []byte, v any, err error) string {
	var fields map[string]json.RawMessage
	t := reflect.TypeOf(v)
	if json.Unmarshal(body, &fields) != nil || t.Kind() != reflect.Pointer {
		return "body"
	}
	fails := func(name string, value any) bool {
		one, _ := json.Marshal(map[string]any{name: value})
		e := json.Unmarshal(one, reflect.New(t.Elem()).Interface())
		return e != nil && e.Error() == err.Error()
	}
	for name, value := range fields {
		if !fails(name, value) {
			continue
		}
		var list []json.RawMessage
		if json.Unmarshal(value, &list) == nil {
			for i, elem := range list {
				if fails(name, []json.RawMessage{elem}) {
					return fmt.Sprintf("%s[%d]", name, i)
				}
			}
		}
		return name
	}
	return "body"
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

// knownQuery refuses a query parameter that is not one of names, or
// tenant_id (TenantParam, which every route takes; see resolveAccess), with
// an EINVALID error naming it, so a misspelt filter is never silently
// ignored. Every list handler calls it, through page or directly.
func knownQuery(r *http.Request, names ...string) error {
	names = append(names[:len(names):len(names)], TenantParam)
	for k := range r.URL.Query() {
		if !slices.Contains(names, k) {
			return herald.Errorf(herald.EINVALID, "%s: unknown query parameter; this list takes %s", k, strings.Join(names, ", "))
		}
	}
	return nil
}

// page checks that the query holds only skip, limit and the list's filters
// (see knownQuery), then reads skip and limit.
func page(r *http.Request, filters ...string) (skip, limit int, err error) {
	if err = knownQuery(r, append([]string{"skip", "limit"}, filters...)...); err != nil {
		return 0, 0, err
	}
	if skip, err = queryInt(r, "skip"); err != nil {
		return 0, 0, err
	}
	if limit, err = queryInt(r, "limit"); err != nil {
		return 0, 0, err
	}
	skip, limit = herald.Page(skip, limit)
	return skip, limit, nil
}

// checkURL refuses a request whose path or query holds a NUL byte or
// invalid UTF-8, naming the route's path value ("id") or the query
// parameter.
func checkURL(mux *http.ServeMux, r *http.Request) error {
	if path := r.URL.Path; !validURLText(path) {
		_, pattern := mux.Handler(r)
		return herald.Errorf(herald.EINVALID, "%s: must be valid UTF-8 without NUL", pathValueName(pattern, path))
	}
	if r.URL.RawQuery == "" {
		return nil
	}
	for name, values := range r.URL.Query() {
		if !validURLText(name) {
			return herald.Errorf(herald.EINVALID, "query: a parameter name must be valid UTF-8 without NUL")
		}
		for _, v := range values {
			if !validURLText(v) {
				return herald.Errorf(herald.EINVALID, "%s: must be valid UTF-8 without NUL", name)
			}
		}
	}
	return nil
}

func validURLText(s string) bool { return strings.IndexByte(s, 0) < 0 && utf8.ValidString(s) }

// pathValueName is the name of the wildcard of pattern (such as
// "GET /v1/agents/{id}") that matches path's first invalid segment, or
// "path" when none does.
func pathValueName(pattern, path string) string {
	i := strings.IndexByte(pattern, '/')
	if i < 0 {
		return "path"
	}
	pats, segs := strings.Split(pattern[i:], "/"), strings.Split(path, "/")
	for i, seg := range segs {
		if validURLText(seg) {
			continue
		}
		if i < len(pats) && strings.HasPrefix(pats[i], "{") {
			if name := strings.TrimSuffix(strings.Trim(pats[i], "{}"), "..."); name != "" && name != "$" {
				return name
			}
		}
		break
	}
	return "path"
}
