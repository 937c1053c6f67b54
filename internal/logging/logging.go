// Package logging builds the server's slog logger (text or JSON) and its
// access log: one line per request, each request with an ID that every log
// line written with the request's context carries.
package logging

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
)

// Formats of New.
const (
	FormatText = "text"
	FormatJSON = "json"
)

// New returns a logger writing format (FormatText or FormatJSON) to w at
// level and above. Every record logged with a context carrying a request ID
// (the access log's Handler puts it there) gets a request_id attribute.
// flag names the format setting in errors.
func New(w io.Writer, flag, format string, level slog.Leveler) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	switch format {
	case FormatText, "":
		h = slog.NewTextHandler(w, opts)
	case FormatJSON:
		h = slog.NewJSONHandler(w, opts)
	default:
		return nil, fmt.Errorf("%s: %q is not a log format: use text or json", flag, format)
	}
	return slog.New(contextHandler{h}), nil
}

// contextHandler adds the request ID of a record's context.
type contextHandler struct{ slog.Handler }

// Handle implements slog.Handler.
func (h contextHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

// WithAttrs implements slog.Handler.
func (h contextHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return contextHandler{h.Handler.WithAttrs(as)}
}

// WithGroup implements slog.Handler.
func (h contextHandler) WithGroup(name string) slog.Handler {
	return contextHandler{h.Handler.WithGroup(name)}
}

// request is what the access log knows about a request in flight; handlers
// deeper down fill in the user (SetUser).
type request struct {
	id   string
	user string
}

type requestKey struct{}

// RequestID returns the ID of the request ctx belongs to ("" outside one).
func RequestID(ctx context.Context) string {
	if rq, ok := ctx.Value(requestKey{}).(*request); ok {
		return rq.id
	}
	return ""
}

// WithRequestID returns ctx carrying the request ID id: background work a
// request starts logs with it too.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestKey{}, &request{id: id})
}

// SetUser records who made the request ctx belongs to, for its access log
// line. Authentication calls it; outside a request it does nothing.
func SetUser(ctx context.Context, username string) {
	if rq, ok := ctx.Value(requestKey{}).(*request); ok {
		rq.user = username
	}
}

// MaxRequestIDLen caps an X-Request-ID taken from a client; a longer one (or
// one with other than printable ASCII) is replaced by a new ID.
const MaxRequestIDLen = 128

// validRequestID reports whether a client's X-Request-ID can be kept: 1 to
// MaxRequestIDLen printable ASCII characters, no spaces (so that it stays
// one token in text logs).
func validRequestID(id string) bool {
	if id == "" || len(id) > MaxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' {
			return false
		}
	}
	return true
}

// newRequestID makes a random 128-bit ID.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
