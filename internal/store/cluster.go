package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Cluster is a Kubernetes cluster Switchyard deploys to.
type Cluster struct {
	ID   int64
	Name string // unique
	// SealedKubeconfig is the kubeconfig encrypted by the caller; the store
	// never sees it in clear. Never log it.
	SealedKubeconfig []byte
	Context          string // kubeconfig context to use; empty means its current context
	// ArgoInstanceID is the --instance-id its Argo Rollouts controller runs
	// with; Rollouts must carry it as a label. Empty: none.
	ArgoInstanceID string
	// InCluster marks the cluster the server runs in, reached through its
	// pod's ServiceAccount: it has no SealedKubeconfig.
	InCluster bool
	CreatedAt time.Time
	Status    ClusterStatus
}

// ClusterStatus is what the last probe of a cluster found.
type ClusterStatus struct {
	Reachable         bool
	Error             string // why the probe failed; empty when it did not
	KubernetesVersion string
	ArgoInstalled     bool
	ArgoVersion       string
	IstioInstalled    bool
	ProbedAt          *time.Time // nil until the first probe
}

const (
	clusterInsertColumns = "name, sealed_kubeconfig, context, argo_instance_id, created_at, reachable, status_error," +
		" kubernetes_version, argo_installed, argo_version, istio_installed, probed_at, in_cluster"
	clusterColumns = "id, " + clusterInsertColumns
)

func scanCluster(r rowScanner) (Cluster, error) {
	var c Cluster
	var probed sql.Null[time.Time]
	st := &c.Status
	err := r.Scan(&c.ID, &c.Name, &c.SealedKubeconfig, &c.Context, &c.ArgoInstanceID, &c.CreatedAt, &st.Reachable, &st.Error,
		&st.KubernetesVersion, &st.ArgoInstalled, &st.ArgoVersion, &st.IstioInstalled, &probed, &c.InCluster)
	c.CreatedAt, st.ProbedAt = c.CreatedAt.UTC(), timePtr(probed)
	return c, err
}

// CreateCluster adds a cluster and returns it with ID and CreatedAt set. Its
// Status is stored as given (usually empty until the first probe). A taken
// name is a *ConflictError.
func (s *Store) CreateCluster(ctx context.Context, c Cluster) (Cluster, error) {
	if err := validateCluster(c); err != nil {
		return Cluster{}, fmt.Errorf("create cluster: %w", err)
	}
	c.CreatedAt = dbTime(s.now())
	st := &c.Status
	if st.ProbedAt != nil {
		t := dbTime(*st.ProbedAt)
		st.ProbedAt = &t
	}
	err := s.queryRow(ctx,
		"INSERT INTO clusters ("+clusterInsertColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
		c.Name, sealedOrEmpty(c.SealedKubeconfig), c.Context, c.ArgoInstanceID, c.CreatedAt, st.Reachable, st.Error,
		st.KubernetesVersion, st.ArgoInstalled, st.ArgoVersion, st.IstioInstalled, nullTime(st.ProbedAt), c.InCluster).Scan(&c.ID)
	if err != nil {
		return Cluster{}, fmt.Errorf("create cluster: %w", s.constraint(err, conflict("cluster", fmt.Sprintf("%q", c.Name)), nil))
	}
	return c, nil
}

func validateCluster(c Cluster) error {
	var sealed error
	switch {
	case c.InCluster && len(c.SealedKubeconfig) > 0:
		sealed = &ValidationError{Field: "kubeconfig", Problem: "must be empty for the in-cluster cluster"}
	case !c.InCluster && len(c.SealedKubeconfig) == 0:
		sealed = &ValidationError{Field: "kubeconfig", Problem: "must not be empty"}
	}
	return errors.Join(required("name", c.Name), sealed)
}

// sealedOrEmpty stores an absent kubeconfig (in-cluster) as empty, not NULL.
func sealedOrEmpty(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// GetCluster returns the cluster with the given ID.
func (s *Store) GetCluster(ctx context.Context, id int64) (Cluster, error) {
	c, err := scanCluster(s.queryRow(ctx, "SELECT "+clusterColumns+" FROM clusters WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Cluster{}, notFound("cluster", id)
	}
	if err != nil {
		return Cluster{}, fmt.Errorf("get cluster %d: %w", id, err)
	}
	return c, nil
}

// GetClusterByName returns the cluster with the given name.
func (s *Store) GetClusterByName(ctx context.Context, name string) (Cluster, error) {
	c, err := scanCluster(s.queryRow(ctx, "SELECT "+clusterColumns+" FROM clusters WHERE name = ?", name))
	if errors.Is(err, sql.ErrNoRows) {
		return Cluster{}, notFound("cluster", fmt.Sprintf("%q", name))
	}
	if err != nil {
		return Cluster{}, fmt.Errorf("get cluster %q: %w", name, err)
	}
	return c, nil
}

// ListClusters returns every cluster, ordered by name.
func (s *Store) ListClusters(ctx context.Context) ([]Cluster, error) {
	rows, err := s.query(ctx, "SELECT "+clusterColumns+" FROM clusters ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("list clusters: %w", err)
	}
	cs, err := scanAll(rows, scanCluster)
	if err != nil {
		return nil, fmt.Errorf("list clusters: %w", err)
	}
	return cs, nil
}

// UpdateClusterStatus replaces the cluster's status with the result of a probe.
func (s *Store) UpdateClusterStatus(ctx context.Context, id int64, st ClusterStatus) error {
	err := s.execOne(ctx, notFound("cluster", id),
		"UPDATE clusters SET reachable = ?, status_error = ?, kubernetes_version = ?, argo_installed = ?,"+
			" argo_version = ?, istio_installed = ?, probed_at = ? WHERE id = ?",
		st.Reachable, st.Error, st.KubernetesVersion, st.ArgoInstalled, st.ArgoVersion, st.IstioInstalled,
		nullTime(st.ProbedAt), id)
	if err != nil {
		return fmt.Errorf("update status of cluster %d: %w", id, err)
	}
	return nil
}

// SetClusterArgoInstanceID records the --instance-id the cluster's Argo
// Rollouts controller runs with ("" for none).
func (s *Store) SetClusterArgoInstanceID(ctx context.Context, id int64, instanceID string) error {
	if err := s.execOne(ctx, notFound("cluster", id), "UPDATE clusters SET argo_instance_id = ? WHERE id = ?", instanceID, id); err != nil {
		return fmt.Errorf("set the Argo instance ID of cluster %d: %w", id, err)
	}
	return nil
}

// SetClusterKubeconfig replaces a cluster's sealed kubeconfig, its context
// and its status (the probe with the new credentials) in one statement, as
// rotating its credentials does.
func (s *Store) SetClusterKubeconfig(ctx context.Context, id int64, sealed []byte, kubeContext string, st ClusterStatus) error {
	err := s.execOne(ctx, notFound("cluster", id),
		"UPDATE clusters SET sealed_kubeconfig = ?, context = ?, reachable = ?, status_error = ?, kubernetes_version = ?,"+
			" argo_installed = ?, argo_version = ?, istio_installed = ?, probed_at = ? WHERE id = ? AND NOT in_cluster",
		sealed, kubeContext, st.Reachable, st.Error, st.KubernetesVersion, st.ArgoInstalled, st.ArgoVersion, st.IstioInstalled,
		nullTime(st.ProbedAt), id)
	if err != nil {
		return fmt.Errorf("replace the kubeconfig of cluster %d: %w", id, err)
	}
	return nil
}

// DeleteCluster removes a cluster and every workspace binding to it.
func (s *Store) DeleteCluster(ctx context.Context, id int64) error {
	if err := s.execOne(ctx, notFound("cluster", id), "DELETE FROM clusters WHERE id = ?", id); err != nil {
		return fmt.Errorf("delete cluster %d: %w", id, err)
	}
	return nil
}
