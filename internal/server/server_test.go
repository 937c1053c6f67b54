package server_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/switchyard/switchyard/client"
	"github.com/switchyard/switchyard/internal/server"
	"github.com/switchyard/switchyard/internal/testenv"
)

// start runs a server with opts until the returned stop is called.
func start(t *testing.T, opts server.Options) (url string, stop func()) {
	t.Helper()
	s, err := server.New(t.Context(), opts, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	hs := httptest.NewServer(s.Handler())
	return hs.URL, func() {
		hs.Close()
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}
}

func newClient(t *testing.T, url string, opts ...client.Option) *client.Client {
	t.Helper()
	c, err := client.New(url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRestartKeepsEverything creates users, a token, a workspace and a
// membership, stops the server, starts a new one on the same data and reads
// them all back.
func TestRestartKeepsEverything(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts func(t *testing.T) server.Options
	}{
		{"sqlite", func(t *testing.T) server.Options { return server.Options{DataDir: t.TempDir()} }},
		{"postgres", func(t *testing.T) server.Options {
			return server.Options{DataDir: t.TempDir(), DatabaseURL: testenv.PostgresDatabase(t)}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts(t)
			opts.BcryptCost, opts.AdminPassword = bcrypt.MinCost, "first-password"
			ctx := context.Background()

			url, stop := start(t, opts)
			admin := newClient(t, url)
			if _, err := admin.Login(ctx, "admin", "first-password"); err != nil {
				t.Fatalf("bootstrap admin login: %v", err)
			}
			mustDo(t, func() error {
				_, err := admin.CreateUser(ctx, client.NewUser{Username: "dana", Password: "dana-password"})
				return err
			})
			mustDo(t, func() error { _, err := admin.CreateWorkspace(ctx, client.NewWorkspace{Name: "payments"}); return err })
			mustDo(t, func() error { _, err := admin.PutMember(ctx, "payments", "dana", client.RoleEditor); return err })
			tok, err := admin.CreateToken(ctx, "ci", 0)
			if err != nil {
				t.Fatal(err)
			}
			stop()

			opts.AdminPassword = "second-password" // ignored: admin exists
			url, stop = start(t, opts)
			defer stop()
			dana := newClient(t, url)
			if _, err := dana.Login(ctx, "dana", "dana-password"); err != nil {
				t.Fatalf("login after restart: %v", err)
			}
			ws, err := dana.Workspace(ctx, "payments")
			if err != nil || ws.Role != client.RoleEditor {
				t.Errorf("workspace after restart = %+v, %v; want payments with role editor", ws, err)
			}
			byToken := newClient(t, url, client.WithToken(tok.Secret))
			events, err := byToken.Audit(ctx, client.AuditQuery{})
			if err != nil || len(events) < 5 {
				t.Errorf("audit after restart = %d events, %v; want the first run's", len(events), err)
			}
			if _, err := newClient(t, url).Login(ctx, "admin", "second-password"); client.StatusOf(err) != 401 {
				t.Errorf("admin re-created on restart: login with the new password = %v, want 401", err)
			}
		})
	}
}

func mustDo(t *testing.T, f func() error) {
	t.Helper()
	if err := f(); err != nil {
		t.Fatal(err)
	}
}
