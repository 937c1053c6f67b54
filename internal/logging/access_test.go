package logging

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestRequestIDInEveryLine: a handler's own log line and the access log line
// of one request carry the same request ID, the one echoed in the response.
func TestRequestIDInEveryLine(t *testing.T) {
	var buf bytes.Buffer
	logger, err := New(&buf, "--log-format", FormatJSON, slog.LevelInfo)
	if err != nil {
		t.Fatal(err)
	}
	h := (&Access{Logger: logger, ClientAddr: func(*http.Request) string { return "192.0.2.1" }}).Handler(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			SetUser(r.Context(), "carol")
			logger.WarnContext(r.Context(), "inside the handler")
			w.WriteHeader(http.StatusTeapot)
			_, _ = w.Write([]byte("12345"))
		}))
	for _, tc := range []struct{ name, sent, want string }{
		{"kept", "req-42.a_b:c", "req-42.a_b:c"},
		{"made when absent", "", ""},
		{"made for a space", "a b", ""},
		{"made for a control character", "a\x01b", ""},
		{"made for a non-ASCII one", "é", ""},
		{"made when too long", strings.Repeat("x", MaxRequestIDLen+1), ""},
		{"kept at the limit", strings.Repeat("x", MaxRequestIDLen), strings.Repeat("x", MaxRequestIDLen)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			buf.Reset()
			r := httptest.NewRequest("POST", "/x/y?secret=1", nil)
			if tc.sent != "" {
				r.Header.Set(RequestIDHeader, tc.sent)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			id := w.Header().Get(RequestIDHeader)
			if tc.want != "" && id != tc.want {
				t.Errorf("echoed request ID %q, want %q", id, tc.want)
			}
			if tc.want == "" && (len(id) != 32 || id == tc.sent) {
				t.Errorf("echoed request ID %q, want a new 32-character one", id)
			}
			lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
			if len(lines) != 2 {
				t.Fatalf("log lines %q, want 2", lines)
			}
			for _, l := range lines {
				var rec map[string]any
				if err := json.Unmarshal([]byte(l), &rec); err != nil {
					t.Fatalf("log line %q: %v", l, err)
				}
				if rec["request_id"] != id {
					t.Errorf("log line %q: request_id %v, want %q", l, rec["request_id"], id)
				}
			}
			var access map[string]any
			_ = json.Unmarshal([]byte(lines[1]), &access)
			want := map[string]any{"msg": "request", "method": "POST", "path": "/x/y", "status": float64(418), "bytes": float64(5), "client": "192.0.2.1", "user": "carol"}
			for k, v := range want {
				if access[k] != v {
					t.Errorf("access line %s = %v, want %v (line %s)", k, access[k], v, lines[1])
				}
			}
			if _, ok := access["duration"]; !ok {
				t.Errorf("access line %s has no duration", lines[1])
			}
		})
	}
}

func TestNewRefusesUnknownFormat(t *testing.T) {
	if _, err := New(&bytes.Buffer{}, "--log-format", "xml", slog.LevelInfo); err == nil || !strings.Contains(err.Error(), "--log-format") {
		t.Errorf("New with format xml: %v, want an error naming --log-format", err)
	}
	var buf bytes.Buffer
	logger, _ := New(&buf, "--log-format", FormatText, slog.LevelInfo)
	logger.InfoContext(WithRequestID(t.Context(), "abc"), "hello")
	if !strings.Contains(buf.String(), "request_id=abc") {
		t.Errorf("text line %q, want request_id=abc", buf.String())
	}
}

// BenchmarkAccessLog: what the access log adds to a request (a JSON line to
// a discarded writer).
func BenchmarkAccessLog(b *testing.B) {
	logger, _ := New(io.Discard, "--log-format", FormatJSON, slog.LevelInfo)
	h := (&Access{Logger: logger, ClientAddr: func(*http.Request) string { return "192.0.2.1" }}).Handler(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) }))
	r := httptest.NewRequest("GET", "/api/v1/me", nil)
	for b.Loop() {
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
}
