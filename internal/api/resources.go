package api

import (
	"net/http"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/switchyard/switchyard/internal/access"
	"github.com/switchyard/switchyard/internal/auth"
	"github.com/switchyard/switchyard/internal/cluster"
	"github.com/switchyard/switchyard/internal/store"
)

// The resource pickers of the job form: a workspace's bound clusters and
// namespaces, the Deployments of a bound namespace and its Services. Cluster
// reads come from the informer caches of the cluster's Conn, never a LIST
// per request.
func (a *API) resourceRoutes() []route {
	return []route{
		{pattern: "GET /api/v1/workspaces/{ws}/clusters", handle: a.listWorkspaceClusters},
		{pattern: "GET /api/v1/workspaces/{ws}/clusters/{cluster}/namespaces/{ns}/deployments", handle: a.listDeployments},
		{pattern: "GET /api/v1/workspaces/{ws}/clusters/{cluster}/namespaces/{ns}/services", handle: a.listServices},
	}
}

// listWorkspaceClusters lists the clusters bound to the workspace, each with
// its last probe, whether jobs can run on it (and why not), and the
// namespaces the workspace may use there. It reads only the store, so an
// unreachable cluster is listed with its error rather than failing the list.
func (a *API) listWorkspaceClusters(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	ws, err := a.workspace(r, p, access.ResourceView)
	if err != nil {
		return err
	}
	bs, err := a.Store.ListBindings(r.Context(), ws.ID)
	if err != nil {
		return err
	}
	out := list[workspaceClusterJSON]{Items: []workspaceClusterJSON{}}
	index := map[int64]int{}
	for _, b := range bs { // ordered by cluster name, then namespace
		i, seen := index[b.ClusterID]
		if !seen {
			c, err := a.Clusters.Cluster(r.Context(), b.ClusterID)
			if err != nil {
				return err
			}
			i, index[b.ClusterID] = len(out.Items), len(out.Items)
			out.Items = append(out.Items, toWorkspaceCluster(c, p.User.PlatformAdmin))
		}
		out.Items[i].Namespaces = append(out.Items[i].Namespaces, namespaceJSON{Name: b.Namespace})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// listDeployments lists the Deployments of a bound namespace.
func (a *API) listDeployments(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	conn, ns, err := a.boundConn(r, p)
	if err != nil {
		return err
	}
	ds := conn.Deployments(ns)
	writeJSON(w, http.StatusOK, mapAll(ds, toDeployment))
	return nil
}

// listServices lists the Services of a bound namespace; with
// ?deployment=NAME each says whether it selects that Deployment's pods.
func (a *API) listServices(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	conn, ns, err := a.boundConn(r, p)
	if err != nil {
		return err
	}
	svcs, err := conn.Services(ns, r.URL.Query().Get("deployment"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, mapAll(svcs, toService))
	return nil
}

// boundConn authorizes a picker read of the {cluster}/{ns} path values and
// returns the cluster's live connection. A namespace not bound to the
// workspace is a 404, whether or not it exists.
func (a *API) boundConn(r *http.Request, p auth.Principal) (*cluster.Conn, string, error) {
	ws, err := a.workspace(r, p, access.ResourceView)
	if err != nil {
		return nil, "", err
	}
	clusterName, ns := r.PathValue("cluster"), r.PathValue("ns")
	bs, err := a.Store.ListBindings(r.Context(), ws.ID)
	if err != nil {
		return nil, "", err
	}
	for _, b := range bs {
		if b.ClusterName == clusterName && b.Namespace == ns {
			conn, err := a.Clusters.Conn(r.Context(), b.ClusterID)
			return conn, ns, err
		}
	}
	return nil, "", notBound(ws, clusterName, ns)
}

// workspaceClusterJSON is a cluster bound to a workspace, as the job form
// shows it: Available says whether jobs can run on it, Reason why not.
type workspaceClusterJSON struct {
	clusterJSON
	Available  bool            `json:"available"`
	Reason     string          `json:"reason"`
	Namespaces []namespaceJSON `json:"namespaces"`
}

type namespaceJSON struct {
	Name string `json:"name"`
}

func toWorkspaceCluster(c store.Cluster, admin bool) workspaceClusterJSON {
	if !admin && c.Status.Error != "" { // members are not told where the API server is
		c.Status.Error = (&cluster.UnreachableError{Cluster: c.Name, Reason: c.Status.Error}).Redacted().Reason
	}
	wc := workspaceClusterJSON{clusterJSON: toCluster(c), Namespaces: []namespaceJSON{}}
	st := c.Status
	switch {
	case st.ProbedAt == nil:
		wc.Reason = "not probed yet"
	case !st.Reachable:
		wc.Reason = "cluster unreachable: " + st.Error
	case !st.ArgoInstalled:
		wc.Reason = "Argo Rollouts not installed"
	default:
		wc.Available = true
	}
	return wc
}

type deploymentJSON struct {
	Namespace     string            `json:"namespace"`
	Name          string            `json:"name"`
	Replicas      int32             `json:"replicas"`
	ReadyReplicas int32             `json:"ready_replicas"`
	Images        []string          `json:"images"`
	Labels        map[string]string `json:"labels"`
	PodLabels     map[string]string `json:"pod_labels"`
}

func toDeployment(d *appsv1.Deployment) deploymentJSON {
	dj := deploymentJSON{Namespace: d.Namespace, Name: d.Name, Replicas: 1, ReadyReplicas: d.Status.ReadyReplicas,
		Images: []string{}, Labels: orEmpty(d.Labels), PodLabels: orEmpty(d.Spec.Template.Labels)}
	if d.Spec.Replicas != nil {
		dj.Replicas = *d.Spec.Replicas
	}
	for _, c := range d.Spec.Template.Spec.Containers {
		dj.Images = append(dj.Images, c.Image)
	}
	return dj
}

type serviceJSON struct {
	Namespace         string            `json:"namespace"`
	Name              string            `json:"name"`
	Type              string            `json:"type"`
	Selector          map[string]string `json:"selector"`
	Ports             []int32           `json:"ports"`
	SelectsDeployment bool              `json:"selects_deployment"`
	Reason            string            `json:"reason"`
	ManagedByRollout  string            `json:"managed_by_rollout"`
}

func toService(s cluster.ServiceInfo) serviceJSON {
	ports := s.Ports
	if ports == nil {
		ports = []int32{}
	}
	return serviceJSON{Namespace: s.Namespace, Name: s.Name, Type: string(s.Type), Selector: orEmpty(s.Selector),
		Ports: ports, SelectsDeployment: s.SelectsDeployment, Reason: s.Reason, ManagedByRollout: s.ManagedByRollout}
}

// orEmpty returns m, or an empty map for nil, so JSON shows {} rather than null.
func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
