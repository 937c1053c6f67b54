package client

import (
	"context"
	"net/url"
	"time"
)

// Cluster is a registered Kubernetes cluster with what its last probe
// found. The API never returns its kubeconfig.
type Cluster struct {
	Name string `json:"name"`
	// ArgoInstanceID is the --instance-id the cluster's Argo Rollouts
	// controller runs with; jobs label their Rollouts with it. "" for none.
	ArgoInstanceID string        `json:"argo_instance_id"`
	CreatedAt      time.Time     `json:"created_at"`
	Status         ClusterStatus `json:"status"`
}

// ClusterStatus is the outcome of a cluster's last probe.
type ClusterStatus struct {
	Reachable         bool       `json:"reachable"`
	Error             string     `json:"error"` // why it is unreachable, or what could not be detected
	KubernetesVersion string     `json:"kubernetes_version"`
	ArgoInstalled     bool       `json:"argo_installed"`
	ArgoVersion       string     `json:"argo_version"` // "" when the controller's version could not be found
	IstioInstalled    bool       `json:"istio_installed"`
	ProbedAt          *time.Time `json:"probed_at"` // nil until the first probe
}

// NewCluster is what CreateCluster sends: Kubeconfig is the content of a
// self-contained kubeconfig file (`kubectl config view --flatten --minify`);
// Context picks one of its contexts, "" meaning its current context.
type NewCluster struct {
	Name           string `json:"name"`
	Kubeconfig     string `json:"kubeconfig"`
	Context        string `json:"context,omitempty"`
	ArgoInstanceID string `json:"argo_instance_id,omitempty"`
}

// ClusterUpdate is what UpdateCluster sends; nil fields stay as they are.
type ClusterUpdate struct {
	ArgoInstanceID *string `json:"argo_instance_id,omitempty"`
}

// WorkspaceCluster is a cluster bound to a workspace, with the namespaces the
// workspace may use there. Available says whether release jobs can run on it;
// Reason says why not (unreachable, Argo Rollouts not installed, …).
type WorkspaceCluster struct {
	Cluster
	Available  bool        `json:"available"`
	Reason     string      `json:"reason"`
	Namespaces []Namespace `json:"namespaces"`
}

// Namespace is a namespace bound to a workspace.
type Namespace struct {
	Name string `json:"name"`
}

// Deployment is a Deployment as the job form shows it.
type Deployment struct {
	Namespace     string            `json:"namespace"`
	Name          string            `json:"name"`
	Replicas      int32             `json:"replicas"`
	ReadyReplicas int32             `json:"ready_replicas"`
	Images        []string          `json:"images"`
	Labels        map[string]string `json:"labels"`
	PodLabels     map[string]string `json:"pod_labels"` // the pod template's labels
}

// Service is a Service of a namespace, marked relative to a Deployment:
// SelectsDeployment is true when its selector is non-empty and a subset of
// the Deployment's pod labels; Reason says why not.
type Service struct {
	Namespace         string            `json:"namespace"`
	Name              string            `json:"name"`
	Type              string            `json:"type"`
	Selector          map[string]string `json:"selector"`
	Ports             []int32           `json:"ports"`
	SelectsDeployment bool              `json:"selects_deployment"`
	Reason            string            `json:"reason"`
	ManagedByRollout  string            `json:"managed_by_rollout"` // the Argo Rollout that switches it, if any
}

// CreateCluster registers and probes a cluster (platform admins). An
// unreachable cluster is registered too, with the error in its status.
func (c *Client) CreateCluster(ctx context.Context, nc NewCluster) (*Cluster, error) {
	var out Cluster
	return &out, c.do(ctx, "POST", "/api/v1/clusters", nc, &out)
}

// Clusters lists every registered cluster (platform admins).
func (c *Client) Clusters(ctx context.Context) ([]Cluster, error) {
	var l list[Cluster]
	return l.Items, c.do(ctx, "GET", "/api/v1/clusters", nil, &l)
}

// Cluster returns one registered cluster (platform admins).
func (c *Client) Cluster(ctx context.Context, name string) (*Cluster, error) {
	var out Cluster
	return &out, c.do(ctx, "GET", clusterPath(name), nil, &out)
}

// ProbeCluster probes a cluster now and returns it with the new status
// (platform admins).
func (c *Client) ProbeCluster(ctx context.Context, name string) (*Cluster, error) {
	var out Cluster
	return &out, c.do(ctx, "POST", clusterPath(name)+"/probe", nil, &out)
}

// UpdateCluster changes a cluster's settings (platform admins).
func (c *Client) UpdateCluster(ctx context.Context, name string, u ClusterUpdate) (*Cluster, error) {
	var out Cluster
	return &out, c.do(ctx, "PATCH", clusterPath(name), u, &out)
}

// KubeconfigUpdate is what ReplaceClusterKubeconfig sends: a self-contained
// kubeconfig, as NewCluster's, and its context (empty: its current one).
type KubeconfigUpdate struct {
	Kubeconfig string `json:"kubeconfig"`
	Context    string `json:"context,omitempty"`
}

// ReplaceClusterKubeconfig gives a cluster new credentials and probes it with
// them; its settings and workspace bindings stay (platform admins).
func (c *Client) ReplaceClusterKubeconfig(ctx context.Context, name string, u KubeconfigUpdate) (*Cluster, error) {
	var out Cluster
	return &out, c.do(ctx, "PUT", clusterPath(name)+"/kubeconfig", u, &out)
}

// DeleteCluster removes a cluster and its workspace bindings (platform admins).
func (c *Client) DeleteCluster(ctx context.Context, name string) error {
	return c.do(ctx, "DELETE", clusterPath(name), nil, nil)
}

// WorkspaceClusters lists the clusters bound to a workspace with their bound
// namespaces (any member).
func (c *Client) WorkspaceClusters(ctx context.Context, workspace string) ([]WorkspaceCluster, error) {
	var l list[WorkspaceCluster]
	return l.Items, c.do(ctx, "GET", wsPath(workspace)+"/clusters", nil, &l)
}

// Deployments lists the Deployments of a namespace bound to a workspace (any member).
func (c *Client) Deployments(ctx context.Context, workspace, cluster, namespace string) ([]Deployment, error) {
	var l list[Deployment]
	return l.Items, c.do(ctx, "GET", nsPath(workspace, cluster, namespace)+"/deployments", nil, &l)
}

// Services lists the Services of a namespace bound to a workspace, each
// marked with whether it selects the pods of deployment ("" marks none).
func (c *Client) Services(ctx context.Context, workspace, cluster, namespace, deployment string) ([]Service, error) {
	path := nsPath(workspace, cluster, namespace) + "/services"
	if deployment != "" {
		path += "?" + url.Values{"deployment": {deployment}}.Encode()
	}
	var l list[Service]
	return l.Items, c.do(ctx, "GET", path, nil, &l)
}

func clusterPath(name string) string { return "/api/v1/clusters/" + pathEscape(name) }

func nsPath(workspace, cluster, namespace string) string {
	return wsPath(workspace) + "/clusters/" + pathEscape(cluster) + "/namespaces/" + pathEscape(namespace)
}
