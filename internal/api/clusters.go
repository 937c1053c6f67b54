package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/switchyard/switchyard/internal/access"
	"github.com/switchyard/switchyard/internal/auth"
	"github.com/switchyard/switchyard/internal/cluster"
	"github.com/switchyard/switchyard/internal/store"
)

// clusterBodyBytes caps the body of a cluster registration: a kubeconfig may
// be up to 1 MiB, and JSON escaping can nearly double it.
const clusterBodyBytes = 2<<20 + 64<<10

func (a *API) clusterRoutes() []route {
	return []route{
		{pattern: "POST /api/v1/clusters", handle: a.createCluster, maxBody: clusterBodyBytes},
		{pattern: "GET /api/v1/clusters", handle: a.listClusters},
		{pattern: "GET /api/v1/clusters/{name}", handle: a.getCluster},
		{pattern: "PATCH /api/v1/clusters/{name}", handle: a.updateCluster},
		{pattern: "PUT /api/v1/clusters/{name}/kubeconfig", handle: a.replaceKubeconfig, maxBody: clusterBodyBytes},
		{pattern: "POST /api/v1/clusters/{name}/probe", handle: a.probeCluster},
		{pattern: "DELETE /api/v1/clusters/{name}", handle: a.deleteCluster},
	}
}

type createClusterRequest struct {
	Name       string `json:"name"`
	Kubeconfig string `json:"kubeconfig"` // the file's content; never echoed, logged or audited
	Context    string `json:"context"`
	// ArgoInstanceID is the --instance-id the cluster's Argo Rollouts
	// controller runs with, if any.
	ArgoInstanceID string `json:"argo_instance_id"`
}

// createCluster registers a cluster (platform admins). The cluster is
// probed at once; an unreachable one is still stored, with its error.
func (a *API) createCluster(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req createClusterRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	err := a.authorize(r.Context(), p, access.ClusterCreate, 0)
	var c store.Cluster
	if err == nil {
		c, err = a.Clusters.Register(r.Context(), req.Name, []byte(req.Kubeconfig), req.Context, cluster.WithArgoInstanceID(req.ArgoInstanceID))
	}
	ev := clusterEvent(p, "cluster.create", req.Name, c.Status)
	if err := a.record(r.Context(), ev, err); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toCluster(c))
	return nil
}

// listClusters lists every registered cluster (platform admins; members see
// their workspace's clusters under /workspaces/{ws}/clusters).
func (a *API) listClusters(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	if err := a.authorize(r.Context(), p, access.ClusterView, 0); err != nil {
		return err
	}
	cs, err := a.Clusters.Clusters(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, mapAll(cs, toCluster))
	return nil
}

// getCluster shows one cluster with its last probe (platform admins).
func (a *API) getCluster(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	if err := a.authorize(r.Context(), p, access.ClusterView, 0); err != nil {
		return err
	}
	c, err := a.clusterByName(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toCluster(c))
	return nil
}

type updateClusterRequest struct {
	ArgoInstanceID *string `json:"argo_instance_id"`
}

// updateCluster changes a cluster's settings (platform admins): the Argo
// instance ID, which jobs created from then on label their Rollouts with.
func (a *API) updateCluster(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req updateClusterRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	err := a.authorize(r.Context(), p, access.ClusterUpdate, 0)
	var c store.Cluster
	if err == nil {
		c, err = a.clusterByName(r)
	}
	ev := event{actor: p.User.Username, action: "cluster.update", target: "cluster " + r.PathValue("name")}
	if err == nil && req.ArgoInstanceID != nil {
		ev.detail = fmt.Sprintf("argo_instance_id %q", *req.ArgoInstanceID)
		if err = a.Clusters.SetArgoInstanceID(r.Context(), c.ID, *req.ArgoInstanceID); err == nil {
			c.ArgoInstanceID = *req.ArgoInstanceID
		}
	}
	if err := a.record(r.Context(), ev, err); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toCluster(c))
	return nil
}

type replaceKubeconfigRequest struct {
	Kubeconfig string `json:"kubeconfig"` // never echoed, logged or audited
	Context    string `json:"context"`
}

// replaceKubeconfig gives a cluster new credentials (platform admins), as
// `cluster rotate-credentials` does after making a new token: checked like
// a registration's, probed, and stored in place of the old; the cluster's
// settings and workspace bindings stay.
func (a *API) replaceKubeconfig(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req replaceKubeconfigRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	err := a.authorize(r.Context(), p, access.ClusterUpdate, 0)
	var c store.Cluster
	if err == nil {
		c, err = a.clusterByName(r)
	}
	if err == nil {
		c, err = a.Clusters.ReplaceKubeconfig(r.Context(), c.ID, []byte(req.Kubeconfig), req.Context)
	}
	ev := clusterEvent(p, "cluster.kubeconfig", r.PathValue("name"), c.Status)
	if err := a.record(r.Context(), ev, err); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toCluster(c))
	return nil
}

// probeCluster probes a cluster now and answers with its new status
// (platform admins).
func (a *API) probeCluster(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	err := a.authorize(r.Context(), p, access.ClusterUpdate, 0)
	var c store.Cluster
	if err == nil {
		c, err = a.clusterByName(r)
	}
	if err == nil {
		c.Status, err = a.Clusters.Probe(r.Context(), c.ID)
	}
	ev := clusterEvent(p, "cluster.probe", r.PathValue("name"), c.Status)
	if err := a.record(r.Context(), ev, err); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toCluster(c))
	return nil
}

// deleteCluster removes a cluster and every workspace binding to it
// (platform admins).
func (a *API) deleteCluster(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	err := a.authorize(r.Context(), p, access.ClusterDelete, 0)
	var c store.Cluster
	if err == nil {
		c, err = a.clusterByName(r)
	}
	if err == nil {
		err = a.refuseLiveJobs(r.Context(), store.JobFilter{Cluster: c.Name}, "cluster "+c.Name)
	}
	if err == nil {
		err = a.Clusters.Remove(r.Context(), c.ID)
	}
	ev := event{actor: p.User.Username, action: "cluster.delete", target: "cluster " + r.PathValue("name")}
	if err := a.record(r.Context(), ev, err); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// clusterByName returns the cluster named by the {name} path value, without
// its kubeconfig.
func (a *API) clusterByName(r *http.Request) (store.Cluster, error) {
	c, err := a.Store.GetClusterByName(r.Context(), r.PathValue("name"))
	c.SealedKubeconfig = nil
	return c, err
}

// clusterEvent is the audit event of a cluster change; on success its
// detail sums up the probe (never the kubeconfig).
func clusterEvent(p auth.Principal, action, name string, st store.ClusterStatus) event {
	return event{actor: p.User.Username, action: action, target: "cluster " + name, detail: statusSummary(st)}
}

// statusSummary describes a probe result in one line.
func statusSummary(st store.ClusterStatus) string {
	if st.ProbedAt == nil {
		return ""
	}
	if !st.Reachable {
		return "unreachable: " + st.Error
	}
	parts := []string{"reachable", "kubernetes " + st.KubernetesVersion}
	parts = append(parts, installed("argo rollouts", st.ArgoInstalled), installed("istio", st.IstioInstalled))
	if st.Error != "" {
		parts = append(parts, st.Error)
	}
	return strings.Join(parts, ", ")
}

func installed(what string, ok bool) string {
	if ok {
		return what + " installed"
	}
	return what + " not installed"
}

// notBound answers a cluster namespace the workspace may not use. It does
// not say whether the cluster or namespace exists.
func notBound(ws store.Workspace, clusterName, ns string) error {
	return &Error{Status: http.StatusNotFound, Code: "not_found",
		Message: fmt.Sprintf("namespace %q of cluster %q is not bound to workspace %q", ns, clusterName, ws.Name)}
}

// clusterError maps the cluster package's errors to HTTP, or returns nil.
// statusFor calls it, having mapped an *cluster.UnreachableError itself
// (who asks decides what that says).
func clusterError(err error) *Error {
	switch {
	case errors.Is(err, cluster.ErrUnreachable):
		return &Error{Status: http.StatusServiceUnavailable, Code: "cluster_unreachable", Message: err.Error() + "; try again later"}
	case errors.Is(err, cluster.ErrWrongKey):
		return &Error{Status: http.StatusInternalServerError, Code: "secret_key_mismatch",
			Message: "the server cannot open this cluster's stored kubeconfig: its secret key (SWITCHYARD_SECRET_KEY or " +
				cluster.KeyFileName + ") is not the one the kubeconfig was sealed with; the server's operator must fix its configuration"}
	}
	return nil
}

// clusterJSON is a cluster as the API shows it: never its kubeconfig.
type clusterJSON struct {
	Name           string            `json:"name"`
	ArgoInstanceID string            `json:"argo_instance_id"`
	CreatedAt      time.Time         `json:"created_at"`
	Status         clusterStatusJSON `json:"status"`
}

type clusterStatusJSON struct {
	Reachable         bool       `json:"reachable"`
	Error             string     `json:"error"`
	KubernetesVersion string     `json:"kubernetes_version"`
	ArgoInstalled     bool       `json:"argo_installed"`
	ArgoVersion       string     `json:"argo_version"`
	IstioInstalled    bool       `json:"istio_installed"`
	ProbedAt          *time.Time `json:"probed_at"`
}

func toCluster(c store.Cluster) clusterJSON {
	st := c.Status
	if st.ProbedAt != nil { // as the store keeps it, whether just probed or read back
		at := st.ProbedAt.UTC().Truncate(time.Microsecond)
		st.ProbedAt = &at
	}
	return clusterJSON{Name: c.Name, ArgoInstanceID: c.ArgoInstanceID, CreatedAt: c.CreatedAt, Status: clusterStatusJSON{
		Reachable: st.Reachable, Error: st.Error, KubernetesVersion: st.KubernetesVersion,
		ArgoInstalled: st.ArgoInstalled, ArgoVersion: st.ArgoVersion, IstioInstalled: st.IstioInstalled,
		ProbedAt: st.ProbedAt,
	}}
}
