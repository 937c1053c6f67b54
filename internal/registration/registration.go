// Package registration gives Switchyard a ServiceAccount of its own in a
// cluster the user can reach, the way `argocd cluster add` does: with the
// user's kubeconfig (on the user's machine, where exec credential plugins
// are fine) it creates a ServiceAccount, a ClusterRole of exactly
// cluster.Permissions, their binding and a long-lived token Secret, and
// builds a self-contained kubeconfig carrying that token, which the server
// accepts. Remove deletes them again; Rotate makes a new token and drops the
// old. Each is an ordered list of small idempotent steps that names the one
// that failed.
package registration

import (
	"context"
	"fmt"
	"log/slog"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Defaults of a Plan: the names `argocd cluster add` uses, for Switchyard.
const (
	DefaultNamespace = "kube-system"
	DefaultName      = "switchyard-manager"
	// ManagedByLabel marks what a Registrar created, so Remove deletes only that.
	ManagedByLabel = "app.kubernetes.io/managed-by"
	managedBy      = "switchyard"
)

// Plan names what Add creates in the target cluster.
type Plan struct {
	Namespace      string // of the ServiceAccount and its token Secret
	ServiceAccount string
	ClusterRole    string // also the ClusterRoleBinding's name
}

// DefaultPlan is ServiceAccount, ClusterRole and binding switchyard-manager
// in kube-system.
func DefaultPlan() Plan {
	return Plan{Namespace: DefaultNamespace, ServiceAccount: DefaultName, ClusterRole: DefaultName}
}

// Describe lists what Add creates, one line each, to print before doing it.
func (p Plan) Describe() []string {
	return []string{
		fmt.Sprintf("ServiceAccount %s/%s", p.Namespace, p.ServiceAccount),
		fmt.Sprintf("ClusterRole %s (the rights Switchyard uses; no Secrets)", p.ClusterRole),
		fmt.Sprintf("ClusterRoleBinding %s (ClusterRole %s to ServiceAccount %s/%s)", p.ClusterRole, p.ClusterRole, p.Namespace, p.ServiceAccount),
		fmt.Sprintf("Secret %s/%s-token-… of type kubernetes.io/service-account-token", p.Namespace, p.ServiceAccount),
	}
}

// Registrar creates, rotates and removes Switchyard's ServiceAccount in one
// cluster. Build it with New or set every field.
type Registrar struct {
	Kube kubernetes.Interface // with the user's own credentials
	// Server and CAData are what the built kubeconfig points at and trusts:
	// the user's kubeconfig's cluster.
	Server string
	CAData []byte
	Plan   Plan
	Logger *slog.Logger // nil discards
}

// New builds a Registrar from a kubeconfig file of the user's (and
// kubeContext, empty for its current context); exec plugins and file
// references are fine here.
func New(kubeconfigPath, kubeContext string, plan Plan) (*Registrar, error) {
	loader := &clientcmd.ClientConfigLoadingRules{ExplicitPath: kubeconfigPath}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(loader, &clientcmd.ConfigOverrides{CurrentContext: kubeContext})
	rc, err := cc.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("load kubeconfig %s (context %q): %w", kubeconfigPath, kubeContext, err)
	}
	return NewForConfig(rc, plan)
}

// NewForConfig builds a Registrar from a client config with the user's
// credentials.
func NewForConfig(rc *rest.Config, plan Plan) (*Registrar, error) {
	if err := rest.LoadTLSFiles(rc); err != nil {
		return nil, fmt.Errorf("read the cluster's CA: %w", err)
	}
	kube, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	return &Registrar{Kube: kube, Server: rc.Host, CAData: rc.CAData, Plan: plan}, nil
}

func (r *Registrar) logger() *slog.Logger {
	if r.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Logger
}

// step is one named, idempotent piece of a registration operation.
type step struct {
	name string
	run  func(ctx context.Context) error
}

// runSteps runs steps in order and says which one failed.
func (r *Registrar) runSteps(ctx context.Context, steps []step) error {
	for _, s := range steps {
		if err := s.run(ctx); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		r.logger().Debug("registration step done", "step", s.name)
	}
	return nil
}
