package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/switchyard/switchyard/internal/store"
)

// Defaults of the Manager's tunables.
const (
	DefaultProbeInterval = 30 * time.Second
	DefaultSyncTimeout   = 30 * time.Second
	// probeConcurrency bounds how many clusters Run probes at once.
	probeConcurrency = 8
)

// Manager registers clusters, probes them and hands out their Conns. Several
// server replicas may each run one over the same database: each re-reads the
// store on every round, so clusters another replica added or removed are
// picked up. Set the exported fields before first use.
type Manager struct {
	Store   *store.Store
	Keyring *Keyring
	Logger  *slog.Logger // nil discards
	// ProbeInterval is how often Run re-probes every cluster; zero means DefaultProbeInterval.
	ProbeInterval time.Duration
	// ProbeTimeout bounds one probe of one cluster; zero means DefaultProbeTimeout.
	ProbeTimeout time.Duration
	// SyncTimeout bounds the first fill of a Conn's caches; zero means DefaultSyncTimeout.
	SyncTimeout time.Duration
	// Changes publishes every change of the objects jobs are made of, in
	// every connected cluster, and of job records (release.Service publishes
	// those): the API's live streams subscribe to it.
	Changes Changes

	mu    sync.Mutex
	conns map[int64]*Conn
}

func (m *Manager) logger() *slog.Logger {
	if m.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return m.Logger
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Register validates, probes, seals and stores a cluster. kubeconfig must be
// self-contained (no file references, no credential plugins); kubeContext
// picks its context, empty meaning its current-context. Invalid input is a
// *store.ValidationError naming "name", "kubeconfig" or "context"; a taken
// name is a *store.ConflictError. An unreachable cluster is still stored,
// with Reachable=false and the error in its status: it may come up later,
// and Run re-probes it. The result carries no kubeconfig.
func (m *Manager) Register(ctx context.Context, name string, kubeconfig []byte, kubeContext string, opts ...RegisterOption) (store.Cluster, error) {
	var c store.Cluster
	for _, o := range opts {
		o(&c)
	}
	nameErr := validateName(name)
	kc, kcErr := parseKubeconfig(kubeconfig, kubeContext)
	if err := errors.Join(nameErr, kcErr, ValidateArgoInstanceID(c.ArgoInstanceID)); err != nil {
		return store.Cluster{}, fmt.Errorf("register cluster: %w", err)
	}
	return m.register(ctx, name, kc, c)
}

// RegisterOption sets more about a cluster when it is registered.
type RegisterOption func(*store.Cluster)

// WithArgoInstanceID says the cluster's Argo Rollouts controller runs with
// --instance-id id: jobs label their Rollouts with it, or it would ignore them.
func WithArgoInstanceID(id string) RegisterOption {
	return func(c *store.Cluster) { c.ArgoInstanceID = id }
}

// ValidateArgoInstanceID checks an Argo instance ID: a label value.
func ValidateArgoInstanceID(id string) error {
	if msgs := validation.IsValidLabelValue(id); len(msgs) > 0 {
		return invalid("argo_instance_id", "%s", strings.Join(msgs, "; "))
	}
	return nil
}

// SetArgoInstanceID records the --instance-id the cluster's Argo Rollouts
// controller runs with ("" for none); jobs created from now on label their
// Rollouts with it.
func (m *Manager) SetArgoInstanceID(ctx context.Context, id int64, instanceID string) error {
	if err := ValidateArgoInstanceID(instanceID); err != nil {
		return err
	}
	if err := m.Store.SetClusterArgoInstanceID(ctx, id, instanceID); err != nil {
		return err
	}
	if conn := m.cached(id); conn != nil {
		conn.setArgoInstanceID(instanceID)
	}
	return nil
}

// RegisterFromPath registers the cluster of a kubeconfig file on the
// server's machine (for `make demo` and operators), inlining the
// certificate and token files it refers to.
func (m *Manager) RegisterFromPath(ctx context.Context, name, path, kubeContext string, opts ...RegisterOption) (store.Cluster, error) {
	var c store.Cluster
	for _, o := range opts {
		o(&c)
	}
	nameErr := validateName(name)
	kc, kcErr := loadKubeconfigFile(path, kubeContext)
	if err := errors.Join(nameErr, kcErr, ValidateArgoInstanceID(c.ArgoInstanceID)); err != nil {
		return store.Cluster{}, fmt.Errorf("register cluster: %w", err)
	}
	return m.register(ctx, name, kc, c)
}

// register probes and stores a cluster; more carries what options set.
func (m *Manager) register(ctx context.Context, name string, kc kubeconfig, more store.Cluster) (store.Cluster, error) {
	// Fail fast on a taken name, before spending a probe; the store's
	// unique constraint still settles races.
	if _, err := m.Store.GetClusterByName(ctx, name); err == nil {
		return store.Cluster{}, fmt.Errorf("register cluster: %w", &store.ConflictError{Resource: "cluster", Key: fmt.Sprintf("%q", name)})
	} else if !errors.Is(err, store.ErrNotFound) {
		return store.Cluster{}, fmt.Errorf("register cluster %s: %w", name, err)
	}
	st := probe(ctx, kc.rest, orDefault(m.ProbeTimeout, DefaultProbeTimeout)).status(time.Now())
	sealed, err := m.Keyring.Seal(kc.raw)
	if err != nil {
		return store.Cluster{}, fmt.Errorf("register cluster %s: %w", name, err)
	}
	c, err := m.Store.CreateCluster(ctx, store.Cluster{Name: name, SealedKubeconfig: sealed, Context: kc.context, ArgoInstanceID: more.ArgoInstanceID, Status: st})
	if err != nil {
		return store.Cluster{}, fmt.Errorf("register cluster: %w", err)
	}
	m.logger().Info("cluster registered", "cluster", name, "id", c.ID, "reachable", st.Reachable,
		"kubernetes", st.KubernetesVersion, "argo", st.ArgoInstalled, "istio", st.IstioInstalled, "error", st.Error)
	c.SealedKubeconfig = nil
	return c, nil
}

// ReplaceKubeconfig gives a registered cluster new credentials (rotating
// its ServiceAccount token, say): kubeconfig is checked as Register checks
// it, probed, sealed and stored in place of the old one with the probe's
// status; the cluster's name, settings and workspace bindings stay. The
// cached connection, which holds the old credentials, is closed. The
// in-cluster cluster has no kubeconfig to replace: a *store.ValidationError.
func (m *Manager) ReplaceKubeconfig(ctx context.Context, id int64, kubeconfig []byte, kubeContext string) (store.Cluster, error) {
	c, err := m.Store.GetCluster(ctx, id)
	if err != nil {
		return store.Cluster{}, fmt.Errorf("replace kubeconfig: %w", err)
	}
	if c.InCluster {
		return store.Cluster{}, fmt.Errorf("replace kubeconfig of cluster %s: %w", c.Name,
			invalid("kubeconfig", "cluster %s is the one the server runs in: it uses the pod's ServiceAccount and has no kubeconfig", c.Name))
	}
	kc, err := parseKubeconfig(kubeconfig, kubeContext)
	if err != nil {
		return store.Cluster{}, fmt.Errorf("replace kubeconfig of cluster %s: %w", c.Name, err)
	}
	st := probe(ctx, kc.rest, orDefault(m.ProbeTimeout, DefaultProbeTimeout)).status(time.Now())
	sealed, err := m.Keyring.Seal(kc.raw)
	if err != nil {
		return store.Cluster{}, fmt.Errorf("replace kubeconfig of cluster %s: %w", c.Name, err)
	}
	if err := m.Store.SetClusterKubeconfig(ctx, id, sealed, kc.context, st); err != nil {
		return store.Cluster{}, fmt.Errorf("replace kubeconfig of cluster %s: %w", c.Name, err)
	}
	m.drop(id, nil)
	m.logger().Info("cluster kubeconfig replaced", "cluster", c.Name, "id", id, "reachable", st.Reachable, "error", st.Error)
	c.SealedKubeconfig, c.Context, c.Status = nil, kc.context, st
	return c, nil
}

// Cluster returns a registered cluster without its kubeconfig.
func (m *Manager) Cluster(ctx context.Context, id int64) (store.Cluster, error) {
	c, err := m.Store.GetCluster(ctx, id)
	c.SealedKubeconfig = nil
	return c, err
}

// Clusters returns every registered cluster, by name, without kubeconfigs.
func (m *Manager) Clusters(ctx context.Context) ([]store.Cluster, error) {
	cs, err := m.Store.ListClusters(ctx)
	for i := range cs {
		cs[i].SealedKubeconfig = nil
	}
	return cs, err
}

// Remove deletes a cluster (and its workspace bindings) and closes its Conn.
func (m *Manager) Remove(ctx context.Context, id int64) error {
	if err := m.Store.DeleteCluster(ctx, id); err != nil {
		return fmt.Errorf("remove cluster: %w", err)
	}
	m.drop(id, nil)
	return nil
}

// Probe probes one cluster now, stores and returns its status. A kubeconfig
// that does not open is an error matching ErrWrongKey.
func (m *Manager) Probe(ctx context.Context, id int64) (store.ClusterStatus, error) {
	c, err := m.Store.GetCluster(ctx, id)
	if err != nil {
		return store.ClusterStatus{}, fmt.Errorf("probe cluster: %w", err)
	}
	return m.probe(ctx, c)
}

func (m *Manager) probe(ctx context.Context, c store.Cluster) (store.ClusterStatus, error) {
	kc, err := m.open(c)
	if err != nil {
		return store.ClusterStatus{}, fmt.Errorf("probe cluster %s: %w", c.Name, err)
	}
	st := probe(ctx, kc, orDefault(m.ProbeTimeout, DefaultProbeTimeout)).status(time.Now())
	if err := m.Store.UpdateClusterStatus(ctx, c.ID, st); err != nil {
		return store.ClusterStatus{}, fmt.Errorf("probe cluster %s: %w", c.Name, err)
	}
	if was := c.Status; was.Reachable != st.Reachable || was.ArgoInstalled != st.ArgoInstalled || was.IstioInstalled != st.IstioInstalled {
		m.logger().Info("cluster status changed", "cluster", c.Name, "reachable", st.Reachable,
			"argo", st.ArgoInstalled, "istio", st.IstioInstalled, "error", st.Error)
	}
	if conn := m.cached(c.ID); conn != nil && !bytes.Equal(conn.sealed, c.SealedKubeconfig) {
		m.logger().Info("cluster credentials replaced; reconnecting", "cluster", c.Name)
		m.drop(c.ID, conn)
	}
	if conn := m.cached(c.ID); conn != nil {
		reason := ""
		if !st.Reachable {
			reason = st.Error
		}
		conn.setUnreachable(reason)
		if st.Reachable {
			conn.setArgo(st.ArgoInstalled)
		}
	}
	return st, nil
}

// VerifyKeys checks that every stored kubeconfig opens with this keyring,
// so that a wrong or missing key is a clear error at start. The error
// matches ErrWrongKey and names each cluster that does not open.
func (m *Manager) VerifyKeys(ctx context.Context) error {
	cs, err := m.Store.ListClusters(ctx)
	if err != nil {
		return fmt.Errorf("verify cluster keys: %w", err)
	}
	var errs []error
	for _, c := range cs {
		if c.InCluster {
			continue // nothing sealed
		}
		if _, err := m.Keyring.Open(c.SealedKubeconfig); err != nil {
			errs = append(errs, fmt.Errorf("cluster %s: %w", c.Name, err))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%d of %d stored kubeconfigs do not open with secret key %s (set SWITCHYARD_SECRET_KEY or %s to the key they were sealed with): %w",
			len(errs), len(cs), m.Keyring.KeyID(), KeyFileName, errors.Join(errs...))
	}
	return nil
}
