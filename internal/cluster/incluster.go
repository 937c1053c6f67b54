package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/client-go/rest"

	"github.com/switchyard/switchyard/internal/store"
)

// RegisterInCluster registers the cluster the server runs in as name,
// reached through its pod's ServiceAccount (client-go's in-cluster config:
// the mounted token, re-read as it rotates, and the cluster's CA). Nothing
// secret is stored: the record only says "in-cluster". Calling it again, on
// a restart or from another replica, returns the registered cluster. A name
// taken by a cluster registered with a kubeconfig is a *store.ConflictError;
// a server not running in a pod gets an error saying so.
func (m *Manager) RegisterInCluster(ctx context.Context, name string) (store.Cluster, error) {
	if err := validateName(name); err != nil {
		return store.Cluster{}, fmt.Errorf("register in-cluster cluster: %w", err)
	}
	if c, err := m.existingInCluster(ctx, name); err == nil || !errors.Is(err, store.ErrNotFound) {
		return c, err
	}
	rc, err := inClusterConfig()
	if err != nil {
		return store.Cluster{}, fmt.Errorf("register in-cluster cluster %s: %w", name, err)
	}
	st := probe(ctx, rc, orDefault(m.ProbeTimeout, DefaultProbeTimeout)).status(time.Now())
	c, err := m.Store.CreateCluster(ctx, store.Cluster{Name: name, InCluster: true, Status: st})
	if errors.Is(err, store.ErrConflict) { // another replica was first
		return m.existingInCluster(ctx, name)
	}
	if err != nil {
		return store.Cluster{}, fmt.Errorf("register in-cluster cluster: %w", err)
	}
	m.logger().Info("in-cluster cluster registered", "cluster", name, "id", c.ID, "server", rc.Host,
		"reachable", st.Reachable, "kubernetes", st.KubernetesVersion, "argo", st.ArgoInstalled, "error", st.Error)
	return c, nil
}

// existingInCluster returns the cluster called name if it is the in-cluster
// one; a store.ErrNotFound error when there is none.
func (m *Manager) existingInCluster(ctx context.Context, name string) (store.Cluster, error) {
	c, err := m.Store.GetClusterByName(ctx, name)
	if err != nil {
		return store.Cluster{}, err
	}
	if !c.InCluster {
		return store.Cluster{}, fmt.Errorf("register in-cluster cluster: %w", &store.ConflictError{Resource: "cluster",
			Key: fmt.Sprintf("%q (registered with a kubeconfig; pick another --in-cluster name)", name)})
	}
	c.SealedKubeconfig = nil
	return c, nil
}

// inClusterConfig is the client config of the pod's ServiceAccount.
func inClusterConfig() (*rest.Config, error) {
	rc, err := rest.InClusterConfig()
	if err != nil {
		return nil, fmt.Errorf("in-cluster config (is the server running in a pod with a ServiceAccount token?): %w", err)
	}
	rc.UserAgent = "switchyard"
	rc.QPS, rc.Burst = ClientQPS, ClientBurst
	return rc, nil
}
