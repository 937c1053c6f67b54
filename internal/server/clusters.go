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
