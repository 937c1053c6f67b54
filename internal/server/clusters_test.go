package server_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/switchyard/switchyard/client"
	"github.com/switchyard/switchyard/internal/cluster"
	"github.com/switchyard/switchyard/internal/server"
	"github.com/switchyard/switchyard/internal/testenv"
)

// unreachableKubeconfig is a self-contained kubeconfig for a port nothing
// listens on: registering it needs no cluster.
const unreachableKubeconfig = `apiVersion: v1
kind: Config
clusters:
- {name: gone, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}
users:
- {name: gone, user: {token: secret-token}}
contexts:
- {name: gone, context: {cluster: gone, user: gone}}
current-context: gone
`

func key(b byte) string { return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, 32)) }

// TestSecretKeyChecked registers a cluster, then restarts the server with
// another key, with no key (a fresh key file) and with a malformed key: each
// start fails with an error that says what is wrong; the right key starts.
func TestSecretKeyChecked(t *testing.T) {
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
			ctx := context.Background()
			opts := tc.opts(t)
			opts.BcryptCost, opts.AdminPassword, opts.SecretKey = bcrypt.MinCost, "admin-password", key(1)
			url, stop := start(t, opts)
			admin := newClient(t, url)
			mustDo(t, func() error { _, err := admin.Login(ctx, "admin", "admin-password"); return err })
			mustDo(t, func() error {
				_, err := admin.CreateCluster(ctx, client.NewCluster{Name: "gone", Kubeconfig: unreachableKubeconfig})
				return err
			})
			stop()

			for _, bad := range []struct {
				name, key string
				want      error
				says      []string
			}{
				{"another key", key(2), cluster.ErrWrongKey, []string{"cluster gone", "SWITCHYARD_SECRET_KEY", "do not open"}},
				{"no key: a fresh key file", "", cluster.ErrWrongKey, []string{"cluster gone", "SWITCHYARD_SECRET_KEY", "do not open"}},
				{"malformed key", "not base64!", cluster.ErrBadKey, []string{"SWITCHYARD_SECRET_KEY", "base64"}},
				{"short key", base64.StdEncoding.EncodeToString([]byte("short")), cluster.ErrBadKey, []string{"SWITCHYARD_SECRET_KEY", "32 bytes"}},
			} {
				t.Run(bad.name, func(t *testing.T) {
					o := opts
					o.SecretKey = bad.key
					s, err := server.New(ctx, o, slog.New(slog.DiscardHandler))
					if err == nil {
						s.Close()
						t.Fatal("server started; want an error about the secret key")
					}
					if !errors.Is(err, bad.want) {
						t.Errorf("error = %v; want one matching %v", err, bad.want)
					}
					for _, s := range bad.says {
						if !strings.Contains(err.Error(), s) {
							t.Errorf("error = %q; want it to say %q", err, s)
						}
					}
				})
			}

			url, stop = start(t, opts)
			defer stop()
			admin = newClient(t, url)
			mustDo(t, func() error { _, err := admin.Login(ctx, "admin", "admin-password"); return err })
			c, err := admin.ProbeCluster(ctx, "gone")
			if err != nil || c.Status.Reachable || !strings.Contains(c.Status.Error, "connection refused") {
				t.Errorf("probe after a restart with the right key = %+v, %v; want the kubeconfig opened, cluster unreachable", c, err)
			}
		})
	}
}

// TestDemo starts the server as `make demo` does, twice: the local cluster
// is registered as "local" and bound to workspace "demo" once, and its
// Deployments can be picked.
func TestDemo(t *testing.T) {
	kubeconfig := testenv.Kubeconfig(t)
	ctx := context.Background()
	opts := server.Options{DataDir: t.TempDir(), BcryptCost: bcrypt.MinCost, AdminPassword: "admin-password", DemoKubeconfig: kubeconfig}
	for run := range 2 {
		url, stop := start(t, opts)
		admin := newClient(t, url)
		mustDo(t, func() error { _, err := admin.Login(ctx, "admin", "admin-password"); return err })
		cs, err := admin.Clusters(ctx)
		if err != nil || len(cs) != 1 || cs[0].Name != server.DemoCluster || !cs[0].Status.Reachable || !cs[0].Status.ArgoInstalled {
			t.Errorf("run %d: clusters = %+v, %v; want only %s, reachable with Argo", run, cs, err, server.DemoCluster)
		}
		wcs, err := admin.WorkspaceClusters(ctx, server.DemoWorkspace)
		if err != nil || len(wcs) != 1 || !wcs[0].Available || len(wcs[0].Namespaces) != 1 || wcs[0].Namespaces[0].Name != server.DemoNamespace {
			t.Errorf("run %d: demo workspace clusters = %+v, %v; want local with namespace demo, available", run, wcs, err)
		}
		ds, err := admin.Deployments(ctx, server.DemoWorkspace, server.DemoCluster, server.DemoNamespace)
		if err != nil || len(ds) != 2 {
			t.Errorf("run %d: demo deployments = %+v, %v; want web and worker", run, ds, err)
		}
		events, err := admin.Audit(ctx, client.AuditQuery{})
		creates := 0
		for _, ev := range events {
			if ev.Action == "cluster.create" && ev.Actor == "switchyard" && ev.Outcome == "success" {
				creates++
			}
		}
		if err != nil || creates != 1 {
			t.Errorf("run %d: %d cluster.create events by switchyard, %v; want 1", run, creates, err)
		}
		stop()
	}
	opts.DemoKubeconfig = t.TempDir() + "/missing.yaml"
	opts.DataDir = t.TempDir()
	if s, err := server.New(ctx, opts, slog.New(slog.DiscardHandler)); err == nil {
		s.Close()
		t.Error("demo with a missing kubeconfig started; want an error")
	} else if !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("demo with a missing kubeconfig: %v; want the path named", err)
	}
}
