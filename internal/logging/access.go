package logging

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// RequestIDHeader carries a request's ID: taken from the request when valid,
// else made, and always sent back in the response.
const RequestIDHeader = "X-Request-ID"

// Access writes the access log: a line per request once it is answered.
type Access struct {
	Logger *slog.Logger
	// ClientAddr returns a request's client address (behind a trusted proxy,
	// the forwarded one).
	ClientAddr func(*http.Request) string
}

// Handler gives each request its ID (in the response header and in the
// context, for every log line of the request) and logs it when it is done.
func (a *Access) Handler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get(RequestIDHeader)
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set(RequestIDHeader, id)
		rq := &request{id: id}
		ctx := context.WithValue(r.Context(), requestKey{}, rq)
		rec := &recorder{ResponseWriter: w}
		h.ServeHTTP(rec, r.WithContext(ctx))
		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		attrs := []slog.Attr{
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", status),
			slog.Int64("bytes", rec.bytes),
			slog.Duration("duration", time.Since(start)),
			slog.String("client", a.ClientAddr(r)),
		}
		if rq.user != "" {
			attrs = append(attrs, slog.String("user", rq.user))
		}
		a.Logger.LogAttrs(ctx, slog.LevelInfo, "request", attrs...)
	})
}

// recorder remembers the status and counts the body bytes of a response.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

// WriteHeader implements http.ResponseWriter.
func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

// Write implements http.ResponseWriter.
func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(p)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer (flushes
// and deadlines of the change stream).
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
