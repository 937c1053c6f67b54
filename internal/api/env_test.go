package api_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/switchyard/switchyard/client"
	"github.com/switchyard/switchyard/internal/access"
	"github.com/switchyard/switchyard/internal/api"
	"github.com/switchyard/switchyard/internal/auth"
	"github.com/switchyard/switchyard/internal/cluster"
	"github.com/switchyard/switchyard/internal/notifications"
	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/testenv"
)

const adminPassword = "admin-password-1"

// env is a running API over a real store, reached through the public client.
type env struct {
	t        testing.TB
	store    *store.Store
	clusters *cluster.Manager
	url      string
	admin    *client.Client // the bootstrap platform admin, signed in by session
	n        atomic.Int64
}

// forEachStore runs fn on SQLite, and on PostgreSQL when
// SWITCHYARD_TEST_POSTGRES_URL is set.
func forEachStore(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, newEnv(t, store.Options{DataDir: t.TempDir()}))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		fn(t, newEnv(t, store.Options{DatabaseURL: testenv.PostgresDatabase(t)}))
	})
}

func newEnv(t *testing.T, opts store.Options) *env {
	t.Helper()
	ctx := t.Context()
	st, err := store.Open(ctx, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	hasher := &auth.Hasher{Cost: bcrypt.MinCost}
	logger := slog.New(slog.DiscardHandler)
	if err := auth.Bootstrap(ctx, st, hasher, adminPassword, logger); err != nil {
		t.Fatal(err)
	}
	keys, err := cluster.NewKeyring(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	mgr := &cluster.Manager{Store: st, Keyring: keys, Logger: logger, ProbeTimeout: 5 * time.Second, SyncTimeout: 15 * time.Second}
	t.Cleanup(mgr.Close)
	a := &api.API{
		Store:        st,
		Auth:         auth.NewAuthenticator(st, hasher),
		Access:       &access.Checker{Store: st},
		Metrics:      api.NewMetrics(),
		Logger:       logger,
		MaxBodyBytes: 64 << 10,
		Clusters:     mgr,

		Notifications: &notifications.Subscriptions{Store: st, Keyring: keys},
	}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	e := &env{t: t, store: st, clusters: mgr, url: srv.URL}
	e.admin = e.login("admin", adminPassword)
	return e
}

// client returns a client with no credentials.
func (e *env) client(opts ...client.Option) *client.Client {
	e.t.Helper()
	c, err := client.New(e.url, opts...)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// login returns a client signed in by session.
func (e *env) login(username, password string) *client.Client {
	e.t.Helper()
	c := e.client()
	if _, err := c.Login(context.Background(), username, password); err != nil {
		e.t.Fatalf("login %s: %v", username, err)
	}
	return c
}

// name returns a fresh name with the prefix.
func (e *env) name(prefix string) string { return fmt.Sprintf("%s-%d", prefix, e.n.Add(1)) }

// user creates a user through the API and returns a client signed in as them.
func (e *env) user(username string, platformAdmin bool) *client.Client {
	e.t.Helper()
	_, err := e.admin.CreateUser(context.Background(), client.NewUser{Username: username, Password: "password-" + username, PlatformAdmin: platformAdmin})
	if err != nil {
		e.t.Fatalf("create user %s: %v", username, err)
	}
	return e.login(username, "password-"+username)
}

// workspace creates a workspace with the given members (username → role).
func (e *env) workspace(members map[string]string) string {
	e.t.Helper()
	ctx := context.Background()
	name := e.name("ws")
	if _, err := e.admin.CreateWorkspace(ctx, client.NewWorkspace{Name: name}); err != nil {
		e.t.Fatalf("create workspace: %v", err)
	}
	for _, u := range slices.Sorted(maps.Keys(members)) {
		if _, err := e.admin.PutMember(ctx, name, u, members[u]); err != nil {
			e.t.Fatalf("put member %s: %v", u, err)
		}
	}
	return name
}

// cluster stores a cluster whose kubeconfig points at a closed port,
// sealed with the env's key and not probed yet: enough for bindings and for
// probes, which find it unreachable at once.
func (e *env) cluster() string {
	e.t.Helper()
	name := e.name("cluster")
	sealed, err := e.clusters.Keyring.Seal([]byte(unreachableKubeconfig))
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.store.CreateCluster(context.Background(), store.Cluster{Name: name, SealedKubeconfig: sealed}); err != nil {
		e.t.Fatal(err)
	}
	return name
}

// userID returns the ID of a user.
func (e *env) userID(username string) int64 {
	e.t.Helper()
	u, err := e.store.GetUserByName(context.Background(), username)
	if err != nil {
		e.t.Fatal(err)
	}
	return u.ID
}

// wantStatus fails unless err is a *client.Error with the status (0: no error).
func wantStatus(t *testing.T, what string, err error, status int) *client.Error {
	t.Helper()
	var ce *client.Error
	switch {
	case status == 0 && err != nil:
		t.Errorf("%s: %v, want success", what, err)
	case status != 0 && !errors.As(err, &ce):
		t.Errorf("%s: err = %v, want HTTP %d", what, err, status)
	case status != 0 && ce.Status != status:
		t.Errorf("%s: %v, want HTTP %d", what, err, status)
	}
	return ce
}

func storeOptsSQLite(t *testing.T) store.Options { return store.Options{DataDir: t.TempDir()} }
