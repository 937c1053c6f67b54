package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/switchyard/switchyard/internal/cluster"
	"github.com/switchyard/switchyard/internal/store"
)

// What `make demo` sets up: the local cluster, registered as DemoCluster,
// with its namespace DemoNamespace bound to workspace DemoWorkspace.
const (
	DemoCluster   = "local"
	DemoWorkspace = "demo"
	DemoNamespace = "demo"
)

// demoActor is the audit log's actor for what the server sets up itself.
const demoActor = "switchyard"

// setupDemo registers kubeconfig as the demo cluster and binds its demo
// namespace to the demo workspace, each only if absent, so restarts (and
// replicas racing) change nothing. An existing cluster named DemoCluster is
// kept as is, whatever it points at.
func setupDemo(ctx context.Context, st *store.Store, m *cluster.Manager, kubeconfig string, logger *slog.Logger) error {
	c, err := demoCluster(ctx, st, m, kubeconfig, logger)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	ws, err := st.GetWorkspaceByName(ctx, DemoWorkspace)
	if errors.Is(err, store.ErrNotFound) {
		ws, err = st.CreateWorkspace(ctx, store.Workspace{Name: DemoWorkspace, Description: "The demo workload of the local cluster (make demo)."})
		if err == nil {
			demoAudit(ctx, st, logger, &ws.ID, "workspace.create", "workspace "+DemoWorkspace, nil)
		}
	}
	if errors.Is(err, store.ErrConflict) { // another replica was first
		ws, err = st.GetWorkspaceByName(ctx, DemoWorkspace)
	}
	if err != nil {
		return fmt.Errorf("demo: workspace %s: %w", DemoWorkspace, err)
	}
	_, err = st.CreateBinding(ctx, store.Binding{WorkspaceID: ws.ID, ClusterID: c.ID, Namespace: DemoNamespace})
	switch {
	case errors.Is(err, store.ErrConflict):
	case err != nil:
		return fmt.Errorf("demo: bind %s/%s to workspace %s: %w", DemoCluster, DemoNamespace, DemoWorkspace, err)
	default:
		demoAudit(ctx, st, logger, &ws.ID, "binding.create", "binding "+DemoCluster+"/"+DemoNamespace, nil)
	}
	logger.Info("demo set up", "cluster", DemoCluster, "reachable", c.Status.Reachable, "argo", c.Status.ArgoInstalled,
		"workspace", DemoWorkspace, "namespace", DemoNamespace)
	return nil
}

// demoCluster returns the demo cluster, registering it if absent.
func demoCluster(ctx context.Context, st *store.Store, m *cluster.Manager, kubeconfig string, logger *slog.Logger) (store.Cluster, error) {
	c, err := st.GetClusterByName(ctx, DemoCluster)
	if err == nil || !errors.Is(err, store.ErrNotFound) {
		return c, err
	}
	c, err = m.RegisterFromPath(ctx, DemoCluster, kubeconfig, "")
	if errors.Is(err, store.ErrConflict) {
		return st.GetClusterByName(ctx, DemoCluster)
	}
	demoAudit(ctx, st, logger, nil, "cluster.create", "cluster "+DemoCluster, err)
	if err != nil {
		return c, fmt.Errorf("register %s as cluster %s: %w", kubeconfig, DemoCluster, err)
	}
	return c, nil
}

// demoAudit records a change the demo setup made (or failed to make).
func demoAudit(ctx context.Context, st *store.Store, logger *slog.Logger, wsID *int64, action, target string, err error) {
	ev := store.AuditEvent{Actor: demoActor, WorkspaceID: wsID, Target: target, Action: action,
		Outcome: store.OutcomeSuccess, Detail: "make demo"}
	if err != nil {
		ev.WorkspaceID, ev.Outcome, ev.Detail = nil, store.OutcomeFailure, "make demo: "+err.Error()
	}
	if _, err := st.AppendAudit(ctx, ev); err != nil {
		logger.Error("append audit event", "action", action, "err", err)
	}
}

// logDemo tells how to sign in to the demo.
func logDemo(logger *slog.Logger, url string) {
	logger.Info("demo ready: sign in as admin with the password in SWITCHYARD_ADMIN_PASSWORD "+
		"(or the one logged as 'created platform administrator' at first start)",
		"url", url, "workspace", DemoWorkspace, "cluster", DemoCluster,
		"try", "curl -s -c jar -H 'Content-Type: application/json' -d '{\"username\":\"admin\",\"password\":\"…\"}' "+url+"/api/v1/login")
}
