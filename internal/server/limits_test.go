package server_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/switchyard/switchyard/client"
	"github.com/switchyard/switchyard/internal/server"
)

// serve runs a server with opts through Serve (the listener, timeouts and
// caps of production) on a loopback port until the test ends. tune, when
// set, adjusts the server before it serves.
func serve(t *testing.T, opts server.Options, tune func(*server.Server)) (addr string) {
	t.Helper()
	if opts.DataDir == "" {
		opts.DataDir = t.TempDir()
	}
	opts.BcryptCost, opts.AdminPassword = bcrypt.MinCost, "admin-password"
	s, err := server.New(t.Context(), opts, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if tune != nil {
		tune(s)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln, slog.New(slog.DiscardHandler)) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		s.Close()
	})
	return ln.Addr().String()
}

// dialFrom connects to addr from the loopback address local (127.0.0.x).
func dialFrom(t *testing.T, local, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial %s from %s: %v", addr, local, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// trickle starts a login whose body never arrives in full.
func trickle(t *testing.T, c net.Conn) {
	t.Helper()
	if _, err := fmt.Fprint(c, "POST /api/v1/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"username\":"); err != nil {
		t.Fatal(err)
	}
}

// healthz asks GET /healthz on c and returns the status code.
func healthz(c net.Conn) (int, error) {
	if _, err := fmt.Fprint(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		return 0, err
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// TestConnectionsPerClient opens 3 × the cap of trickling connections from
// 127.0.0.1: those past the cap get a JSON 503 and are closed at once, the
// others stay open, and /healthz still answers from 127.0.0.2. Closing one
// connection makes room for another.
func TestConnectionsPerClient(t *testing.T) {
	const max = 8
	addr := serve(t, server.Options{MaxConnsPerClient: max}, nil)
	var open []net.Conn
	for i := range 3 * max {
		c := dialFrom(t, "127.0.0.1", addr)
		trickle(t, c)
		if i < max {
			open = append(open, c)
			continue
		}
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("connection %d past the cap: %v, want a 503", i+1, err)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), `"too_many_connections"`) {
			t.Errorf("connection %d past the cap: %d %s, want 503 too_many_connections", i+1, resp.StatusCode, body)
		}
	}
	for i, c := range open {
		_ = c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		var ne net.Error
		if _, err := c.Read(make([]byte, 1)); !errors.As(err, &ne) || !ne.Timeout() {
			t.Errorf("connection %d under the cap: read %v, want it still open (a timeout)", i+1, err)
		}
	}
	if code, err := healthz(dialFrom(t, "127.0.0.2", addr)); err != nil || code != http.StatusOK {
		t.Errorf("/healthz from 127.0.0.2 while 127.0.0.1 is at its cap: %d, %v; want 200", code, err)
	}
	open[0].Close()
	for range 100 { // the server sees the close shortly
		if code, err := healthz(dialFrom(t, "127.0.0.1", addr)); err == nil && code == http.StatusOK {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Error("after closing one connection, 127.0.0.1 still can't connect")
}

// TestReadTimeoutCutsTricklers: a request whose body trickles is cut at the
// read timeout (shortened to 1 s here) instead of holding its connection.
func TestReadTimeoutCutsTricklers(t *testing.T) {
	addr := serve(t, server.Options{}, func(s *server.Server) { server.SetTimeouts(s, time.Second, time.Second) })
	c := dialFrom(t, "127.0.0.1", addr)
	trickle(t, c)
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	_, err := io.ReadAll(c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("a trickling request still held its connection after 30 s with a 1 s read timeout")
	}
}

// TestStreamOutlivesTimeouts: the change stream lifts the read and write
// deadlines for itself, so it still delivers past both (1 s here): its
// keep-alive comment, sent every 2 s, arrives.
func TestStreamOutlivesTimeouts(t *testing.T) {
	addr := serve(t, server.Options{}, func(s *server.Server) {
		server.SetTimeouts(s, time.Second, time.Second)
		server.SetStreamKeepAlive(s, 2*time.Second)
	})
	ctx := t.Context()
	admin := newClient(t, "http://"+addr)
	if _, err := admin.Login(ctx, "admin", "admin-password"); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreateWorkspace(ctx, client.NewWorkspace{Name: "shop"}); err != nil {
		t.Fatal(err)
	}
	tok, err := admin.CreateToken(ctx, "stream", 1)
	if err != nil {
		t.Fatal(err)
	}
	c := dialFrom(t, "127.0.0.1", addr)
	fmt.Fprintf(c, "GET /api/v1/workspaces/shop/changes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n", tok.Secret)
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("open the change stream: %v %v", resp, err)
	}
	body := bufio.NewReader(resp.Body)
	for {
		line, err := body.ReadString('\n')
		if err != nil {
			t.Fatalf("change stream with 1 s timeouts ended before its first keep-alive (2 s): %v", err)
		}
		if strings.HasPrefix(line, ": keep-alive") {
			return
		}
	}
}

// TestMalformedRequestLineGetsJSON: what net/http refuses by itself (a path
// with "%u0000", an invalid escape) is answered in the API's JSON format.
func TestMalformedRequestLineGetsJSON(t *testing.T) {
	addr := serve(t, server.Options{}, nil)
	for _, target := range []string{"/api/v1/workspaces/%u0000", "/api/v1/x%zz", "/%u0000"} {
		c := dialFrom(t, "127.0.0.1", addr)
		fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", target)
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("GET %s: %v", target, err)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Content-Type") != "application/json" ||
			!strings.Contains(string(body), `"code":"bad_request"`) || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s = %d %s %q, want a JSON 400 bad_request with nosniff", target, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
	}
	// A well-formed request on the same server is untouched.
	if code, err := healthz(dialFrom(t, "127.0.0.1", addr)); err != nil || code != http.StatusOK {
		t.Errorf("/healthz = %d, %v", code, err)
	}
}

// TestHugeLoginNameAtDefaultLimits: a login name of almost 1 MB (the body
// limit) is a 422 naming username and the limit, not a 413 or a 401.
func TestHugeLoginNameAtDefaultLimits(t *testing.T) {
	addr := serve(t, server.Options{}, nil)
	c := newClient(t, "http://"+addr)
	_, err := c.Login(t.Context(), strings.Repeat("n", 1<<20-100), "whatever-password")
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Status != http.StatusUnprocessableEntity || ce.Field != "username" || !strings.Contains(ce.Message, "64") {
		t.Errorf("login with a 1 MB name: %v, want 422 on username saying at most 64 characters", err)
	}
}

// TestDataFileModes: the database files are 0600 and the data directory
// 0700 on a fresh start, and looser modes found on a restart are fixed.
func TestDataFileModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	check := func(when string) {
		t.Helper()
		want := map[string]os.FileMode{dir: 0o700, filepath.Join(dir, "switchyard.db"): 0o600,
			filepath.Join(dir, "switchyard.db-wal"): 0o600, filepath.Join(dir, "switchyard.db-shm"): 0o600}
		for path, mode := range want {
			fi, err := os.Stat(path)
			if errors.Is(err, os.ErrNotExist) && path != dir && path != filepath.Join(dir, "switchyard.db") {
				continue
			}
			if err != nil || fi.Mode().Perm() != mode {
				t.Errorf("%s: %s has mode %v (%v), want %04o", when, path, fi.Mode().Perm(), err, mode)
			}
		}
	}
	url, stop := start(t, server.Options{DataDir: dir, BcryptCost: bcrypt.MinCost, AdminPassword: "admin-password"})
	if _, err := newClient(t, url).Login(t.Context(), "admin", "admin-password"); err != nil { // writes: WAL in use
		t.Fatal(err)
	}
	check("fresh start, server running")
	stop()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"switchyard.db", "switchyard.db-wal", "switchyard.db-shm"} {
		os.Chmod(filepath.Join(dir, f), 0o644)
	}
	url, stop = start(t, server.Options{DataDir: dir, BcryptCost: bcrypt.MinCost, AdminPassword: "admin-password"})
	defer stop()
	if _, err := newClient(t, url).Login(t.Context(), "admin", "admin-password"); err != nil {
		t.Fatal(err)
	}
	check("restart after loosening the modes")
}
