package herald

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"
)

// ValidateName checks a name or identifier from outside (a node id, a log
// level, a webhook's or alert's name): it must be valid UTF-8 without NUL
// bytes, which no store keeps alike. Free text (messages, errors, bodies)
// is kept as it came instead and needs no such check.
func ValidateName(field, s string) error {
	if strings.IndexByte(s, 0) >= 0 {
		return Errorf(EINVALID, "%s: must not hold a NUL character", field)
	}
	if !utf8.ValidString(s) {
		return Errorf(EINVALID, "%s: must be valid UTF-8", field)
	}
	return nil
}

// ValidateNames is ValidateName of each field and value pair, in order.
func ValidateNames(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if err := ValidateName(pairs[i], pairs[i+1]); err != nil {
			return err
		}
	}
	return nil
}

// valueError is the error of an UnmarshalJSON of this package: a
// *json.UnmarshalTypeError, to which encoding/json adds the path of the
// field ("rate_limit.per"), holding the whole message in Value.
func valueError(t any, format string, args ...any) error {
	return &json.UnmarshalTypeError{Value: fmt.Sprintf(format, args...), Type: reflect.TypeOf(t)}
}
