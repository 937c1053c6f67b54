package api

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
)

// decode reads a JSON request body into v: exactly one object, no unknown
// fields, every problem a 4xx naming what was wrong.
func decode(r *http.Request, v any) error {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return &Error{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type", Message: "request body must be application/json"}
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return err
		}
		return badRequest("", "malformed JSON: unexpected data after the object")
	}
	if field := nulField(reflect.ValueOf(v), ""); field != "" {
		return invalid(field, "must not contain NUL characters (\\u0000)")
	}
	return nil
}

// nulField returns the JSON name of the first string in v that holds a NUL
// character, which no field accepts (PostgreSQL can't even store it), or "".
func nulField(v reflect.Value, name string) string {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return nulField(v.Elem(), name)
		}
	case reflect.String:
		if strings.ContainsRune(v.String(), 0) {
			return cmp.Or(name, "body")
		}
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if tag == "-" {
				continue
			}
			if found := nulField(v.Field(i), join(name, cmp.Or(tag, f.Name))); found != "" {
				return found
			}
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			key := fmt.Sprint(k.Interface())
			if strings.ContainsRune(key, 0) {
				return join(name, "key")
			}
			if found := nulField(v.MapIndex(k), join(name, key)); found != "" {
				return found
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if found := nulField(v.Index(i), name); found != "" {
				return found
			}
		}
	}
	return ""
}

func join(parent, field string) string {
	if parent == "" {
		return field
	}
	return parent + "." + field
}

// decodeError turns an encoding/json error into an API error.
func decodeError(err error) error {
	var (
		syntax    *json.SyntaxError
		wrongType *json.UnmarshalTypeError
		tooLarge  *http.MaxBytesError
	)
	switch {
	case errors.As(err, &tooLarge):
		return err
	case errors.Is(err, io.EOF):
		return badRequest("", "request body is empty: a JSON object is required")
	case errors.As(err, &syntax):
		return badRequest("", "malformed JSON at byte %d: %v", syntax.Offset, syntax)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("", "malformed JSON: unexpected end of input")
	case errors.As(err, &wrongType):
		if wrongType.Field == "" {
			return badRequest("", "the body must be a JSON object")
		}
		return invalid(wrongType.Field, "must be a JSON "+wrongType.Type.Kind().String())
	}
	if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		field = strings.Trim(field, `"`)
		return &Error{Status: http.StatusBadRequest, Code: "unknown_field", Field: field, Message: "unknown field " + field}
	}
	return badRequest("", "malformed JSON: %v", err)
}

// writeJSON answers with status and v encoded as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client went away; nothing to do
}
