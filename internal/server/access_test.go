package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/switchyard/switchyard/internal/logging"
	"github.com/switchyard/switchyard/internal/server"
)

// lockedBuffer is a log destination safe for the server's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines returns the JSON log records written so far.
func (b *lockedBuffer) lines(t *testing.T) []map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for l := range strings.SplitSeq(strings.TrimSpace(b.buf.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("log line %q is not JSON: %v", l, err)
		}
		out = append(out, rec)
	}
	return out
}

// serveLogged is serve with a JSON logger writing to the returned buffer.
func serveLogged(t *testing.T, opts server.Options) (addr string, logs *lockedBuffer) {
	t.Helper()
	logs = &lockedBuffer{}
	logger, err := logging.New(logs, "--log-format", logging.FormatJSON, slog.LevelInfo)
	if err != nil {
		t.Fatal(err)
	}
	opts.DataDir, opts.BcryptCost, opts.AdminPassword = t.TempDir(), bcrypt.MinCost, "admin-password"
	s, err := server.New(t.Context(), opts, logger)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln, logger) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		s.Close()
	})
	return ln.Addr().String(), logs
}

// TestAccessLog: every request through the real server gets one access log
// line with its method, path, status, bytes, client (the forwarded one
// behind a trusted proxy) and user once signed in, and the request ID it
// sent (echoed back) or one made for it.
func TestAccessLog(t *testing.T) {
	addr, logs := serveLogged(t, server.Options{TrustedProxies: "127.0.0.1"})
	ctx := t.Context()
	c, tr := clientFrom(t, "127.0.0.5", "http://"+reverseProxy(t, addr), http.Header{logging.RequestIDHeader: {"trace-7"}})
	if _, err := c.Login(ctx, "admin", "admin-password"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Me(ctx); err != nil {
		t.Fatal(err)
	}
	tr.header = nil // now the server makes the IDs
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	made := resp.Header.Get(logging.RequestIDHeader)
	if len(made) != 32 {
		t.Errorf("/healthz without X-Request-ID: echoed %q, want a new 32-character ID", made)
	}

	want := []map[string]any{
		{"method": "POST", "path": "/api/v1/login", "status": float64(200), "client": "127.0.0.5", "user": "admin", "request_id": "trace-7"},
		{"method": "GET", "path": "/api/v1/me", "status": float64(200), "client": "127.0.0.5", "user": "admin", "request_id": "trace-7"},
		{"method": "GET", "path": "/healthz", "status": float64(200), "client": "127.0.0.1", "request_id": made},
	}
	var access []map[string]any
	for _, rec := range logs.lines(t) {
		if rec["msg"] == "request" {
			access = append(access, rec)
		}
	}
	if len(access) != len(want) {
		t.Fatalf("access lines %v, want %d", access, len(want))
	}
	for i, w := range want {
		for k, v := range w {
			if access[i][k] != v {
				t.Errorf("access line %d: %s = %v, want %v (%v)", i+1, k, access[i][k], v, access[i])
			}
		}
		if b, _ := access[i]["bytes"].(float64); b <= 0 {
			t.Errorf("access line %d: bytes %v, want the body's size", i+1, access[i]["bytes"])
		}
	}
}
