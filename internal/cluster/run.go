package cluster

import (
	"context"
	"fmt"
	"sync"
	"time"

	"k8s.io/client-go/rest"

	"github.com/switchyard/switchyard/internal/store"
)

// Run probes every cluster now and then every ProbeInterval until ctx ends,
// and keeps the Conns in step with the store. It closes every Conn when it
// returns.
func (m *Manager) Run(ctx context.Context) error {
	defer m.Close()
	t := time.NewTicker(orDefault(m.ProbeInterval, DefaultProbeInterval))
	defer t.Stop()
	for {
		if err := m.ProbeAll(ctx); err != nil && ctx.Err() == nil {
			m.logger().Warn("cluster probe round failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// ProbeAll re-reads the clusters from the store, closes the Conns of
// clusters no longer there (removed by this or another replica), and probes
// every cluster concurrently. A slow or unreachable cluster holds up no
// other: each probe has its own timeout.
func (m *Manager) ProbeAll(ctx context.Context) error {
	cs, err := m.Store.ListClusters(ctx)
	if err != nil {
		return fmt.Errorf("probe clusters: %w", err)
	}
	m.dropMissing(cs)
	sem := make(chan struct{}, probeConcurrency)
	var wg sync.WaitGroup
	for _, c := range cs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if _, err := m.probe(ctx, c); err != nil && ctx.Err() == nil {
				m.logger().Warn("cluster probe failed", "cluster", c.Name, "err", err)
			}
		})
	}
	wg.Wait()
	return nil
}

// Conn returns the live connection to a cluster, building it on first use
// and waiting (up to SyncTimeout from its start) for its caches to fill. A
// cluster whose last probe failed, or whose caches do not fill in time,
// gives an *UnreachableError; an unknown ID a *store.NotFoundError.
func (m *Manager) Conn(ctx context.Context, id int64) (*Conn, error) {
	conn := m.cached(id)
	if conn == nil {
		var err error
		if conn, err = m.connect(ctx, id); err != nil {
			return nil, err
		}
	}
	if err := conn.waitSynced(ctx, orDefault(m.SyncTimeout, DefaultSyncTimeout)); err != nil {
		if ctx.Err() == nil {
			m.drop(id, conn) // the next call starts afresh
		}
		return nil, err
	}
	if reason := conn.unreachableReason(); reason != "" {
		return nil, &UnreachableError{Cluster: conn.ClusterName, Server: conn.Server, Reason: reason}
	}
	return conn, nil
}

// Client returns the live connection to a cluster for requests straight to
// its API server, building it on first use. Unlike Conn it does not wait for
// the informer caches: creating jobs and operating on them must neither wait
// for a cache still filling nor fail because of one. A cluster whose last
// probe failed gives an *UnreachableError; an unknown ID a *store.NotFoundError.
func (m *Manager) Client(ctx context.Context, id int64) (*Conn, error) {
	conn := m.cached(id)
	if conn == nil {
		var err error
		if conn, err = m.connect(ctx, id); err != nil {
			return nil, err
		}
	}
	if reason := conn.unreachableReason(); reason != "" {
		return nil, &UnreachableError{Cluster: conn.ClusterName, Server: conn.Server, Reason: reason}
	}
	return conn, nil
}

// connect builds and starts the Conn of a cluster, unless another caller
// did meanwhile.
func (m *Manager) connect(ctx context.Context, id int64) (*Conn, error) {
	c, err := m.Store.GetCluster(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("connect to cluster: %w", err)
	}
	rc, err := m.open(c)
	if err != nil {
		return nil, fmt.Errorf("connect to cluster %s: %w", c.Name, err)
	}
	if st := c.Status; st.ProbedAt != nil && !st.Reachable {
		return nil, &UnreachableError{Cluster: c.Name, Server: rc.Host, Reason: st.Error}
	}
	conn, err := newConn(c, rc, m.logger(), &m.Changes)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if existing := m.conns[id]; existing != nil {
		return existing, nil
	}
	if m.conns == nil {
		m.conns = map[int64]*Conn{}
	}
	conn.sealed = c.SealedKubeconfig
	m.conns[id] = conn
	conn.start(c.Status.ArgoInstalled)
	return conn, nil
}

// open unseals a stored kubeconfig into a client config; the in-cluster
// cluster has the pod's ServiceAccount instead.
func (m *Manager) open(c store.Cluster) (*rest.Config, error) {
	if c.InCluster {
		return inClusterConfig()
	}
	raw, err := m.Keyring.Open(c.SealedKubeconfig)
	if err != nil {
		return nil, err
	}
	rc, err := restConfig(raw)
	if err != nil {
		return nil, fmt.Errorf("stored kubeconfig: %w", err)
	}
	return rc, nil
}

func (m *Manager) cached(id int64) *Conn {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.conns[id]
}

// drop closes and forgets the Conn of a cluster; when only is non-nil, only
// if that is still the cached one.
func (m *Manager) drop(id int64, only *Conn) {
	m.mu.Lock()
	conn := m.conns[id]
	if conn == nil || (only != nil && conn != only) {
		m.mu.Unlock()
		return
	}
	delete(m.conns, id)
	m.mu.Unlock()
	conn.close()
}

// dropMissing closes the Conns of clusters not in cs.
func (m *Manager) dropMissing(cs []store.Cluster) {
	keep := make(map[int64]bool, len(cs))
	for _, c := range cs {
		keep[c.ID] = true
	}
	m.mu.Lock()
	var gone []int64
	for id := range m.conns {
		if !keep[id] {
			gone = append(gone, id)
		}
	}
	m.mu.Unlock()
	for _, id := range gone {
		m.logger().Info("cluster removed elsewhere; closing its connection", "id", id)
		m.drop(id, nil)
	}
}

// Close closes every Conn. The Manager may be used again afterwards.
func (m *Manager) Close() {
	m.mu.Lock()
	conns := m.conns
	m.conns = nil
	m.mu.Unlock()
	for _, c := range conns {
		c.close()
	}
}
