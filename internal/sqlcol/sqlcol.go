// Package sqlcol holds how Herald's JSON values are written to and read
// from database columns, the same on SQLite and PostgreSQL.
package sqlcol

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/heraldhq/herald"
)

// Object is a JSON object column's text: b, or {} when b is empty.
func Object(b json.RawMessage) string {
	if len(bytes.TrimSpace(b)) == 0 {
		return "{}"
	}
	return string(b)
}

// Actions is the text of a nullable actions column: the JSON array of
// actions, or nil (NULL) when there are none.
func Actions(actions []herald.Action) (any, error) {
	if len(actions) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(actions)
	if err != nil {
		return nil, fmt.Errorf("encode actions: %w", err)
	}
	return string(b), nil
}

// DecodeActions reads an actions column, keeping numbers as json.Number so
// that they come back exactly as the runtime sent them.
func DecodeActions(s string) ([]herald.Action, error) {
	var out []herald.Action
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("decode actions: %w", err)
	}
	return out, nil
}
