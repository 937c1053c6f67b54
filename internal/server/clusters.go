package server

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/switchyard/switchyard/internal/cluster"
	"github.com/switchyard/switchyard/internal/store"
)

// newClusters loads the secret key, checks that it opens every stored
// kubeconfig (a wrong or missing key is an error now, not garbage later),
// and returns the cluster Manager. With opts.DemoKubeconfig it also sets up
// the demo cluster and workspace.
func newClusters(ctx context.Context, st *store.Store, opts Options, logger *slog.Logger) (*cluster.Manager, error) {
	keys, err := cluster.LoadKeyring(opts.DataDir, opts.SecretKey)
	if err != nil {
		return nil, fmt.Errorf("load the secret key of cluster kubeconfigs: %w", err)
	}
	m := &cluster.Manager{Store: st, Keyring: keys, Logger: logger}
	if err := m.VerifyKeys(ctx); err != nil {
		return nil, err
	}
	if opts.InCluster != "" {
		if err := setupInCluster(ctx, st, m, opts.InCluster, logger); err != nil {
			m.Close()
			return nil, err
		}
	}
	if opts.DemoKubeconfig != "" {
		if err := setupDemo(ctx, st, m, opts.DemoKubeconfig, logger); err != nil {
			m.Close()
			return nil, err
		}
	}
	return m, nil
}

// runClusters re-probes the clusters and keeps their connections in step
// with the store until ctx ends.
func (s *Server) runClusters(ctx context.Context, logger *slog.Logger) {
	if err := s.clusters.Run(ctx); err != nil {
		logger.Error("cluster manager stopped", "err", err)
	}
}

// setupInCluster registers the cluster the server runs in as name, unless
// it is registered already (a restart, another replica).
func setupInCluster(ctx context.Context, st *store.Store, m *cluster.Manager, name string, logger *slog.Logger) error {
	if c, err := st.GetClusterByName(ctx, name); err == nil && c.InCluster {
		return nil
	}
	_, err := m.RegisterInCluster(ctx, name)
	ev := store.AuditEvent{Actor: demoActor, Target: "cluster " + name, Action: "cluster.create",
		Outcome: store.OutcomeSuccess, Detail: "serve --in-cluster"}
	if err != nil {
		ev.Outcome, ev.Detail = store.OutcomeFailure, "serve --in-cluster: "+err.Error()
	}
	if _, aerr := st.AppendAudit(ctx, ev); aerr != nil {
		logger.Error("append audit event", "action", ev.Action, "err", aerr)
	}
	if err != nil {
		return fmt.Errorf("--in-cluster %s: %w", name, err)
	}
	return nil
}
