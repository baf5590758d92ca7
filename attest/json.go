package attest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"
)

// utf8BOM is the byte order mark some Windows tools put before JSON.
var utf8BOM = []byte("\xef\xbb\xbf")

// decodeObject checks that data is one well-formed JSON object and returns
// its members (undecoded) and the document in compact form. kind names the
// expected document in errors ("SBOM", "scan report").
func decodeObject(data []byte, kind string) (map[string]json.RawMessage, []byte, error) {
	data = bytes.TrimPrefix(data, utf8BOM)
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil, fmt.Errorf("%s: empty input", kind)
	}
	// json.Unmarshal reports the offset of a syntax error; json.Compact
	// does not.
	var raw json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, nil, jsonError(kind, err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		return nil, nil, jsonError(kind, err)
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(compact.Bytes(), &members); err != nil {
		return nil, nil, fmt.Errorf("%s: top-level JSON value is %s, want an object",
			kind, jsonKind(compact.Bytes()))
	}
	if members == nil {
		return nil, nil, fmt.Errorf("%s: top-level JSON value is null, want an object", kind)
	}
	return members, compact.Bytes(), nil
}

// jsonError describes a decoding error: a syntax error (truncated or
// corrupt input) with its byte offset, a type error with the field.
func jsonError(kind string, err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Errorf("%s: invalid JSON at byte offset %d: %w", kind, syn.Offset, err)
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		// Libraries name fields after their local types ("doc.packages").
		field := strings.TrimPrefix(typ.Field, "doc.")
		if field == "" {
			field = "top-level value"
		}
		return &decodeError{
			msg: fmt.Sprintf("%s: field %s is a JSON %s, want %s",
				kind, field, typ.Value, goKind(typ.Type)),
			err: err,
		}
	}
	return fmt.Errorf("%s: %w", kind, err)
}

// decodeError is a decoding error with a message of its own that still
// unwraps to the cause.
type decodeError struct {
	msg string
	err error
}

func (e *decodeError) Error() string { return e.msg }
func (e *decodeError) Unwrap() error { return e.err }

// goKind names the JSON value that decodes into a Go type.
func goKind(t reflect.Type) string {
	if t == nil {
		return "another value"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "a boolean"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Pointer:
		return goKind(t.Elem())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "another value"
}

// jsonKind names the kind of a well-formed JSON value by its first byte.
func jsonKind(v []byte) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return "empty"
	}
	switch v[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// isNull reports whether a raw member is absent or JSON null.
func isNull(v json.RawMessage) bool {
	v = bytes.TrimSpace(v)
	return len(v) == 0 || bytes.Equal(v, []byte("null"))
}

// stringMember decodes members[name] as a string. It reports whether the
// member was present; a present member that is not a string is an error.
func stringMember(members map[string]json.RawMessage, name string) (string, bool, error) {
	raw, ok := members[name]
	if !ok {
		return "", false, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", true, fmt.Errorf("%s is %s, want a string", name, jsonKind(raw))
	}
	return s, true, nil
}

// parseTime parses an RFC 3339 timestamp; the empty string is the zero time.
func parseTime(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q is not an RFC 3339 time: %w", field, s, err)
	}
	return t, nil
}
