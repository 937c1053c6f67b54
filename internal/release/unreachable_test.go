package release

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/switchyard/switchyard/internal/cluster"
	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/testenv"
)

// farCluster registers the local cluster with a fresh Manager through a TCP
// proxy that the test can cut, and binds namespace ns to a workspace.
func farCluster(ctx context.Context, t *testing.T, ns string) (*testenv.Proxy, string, *cluster.Manager, *store.Store, store.Workspace, int64) {
	t.Helper()
	kubeconfig := testenv.Kubeconfig(t)
	host := strings.TrimPrefix(testenv.RESTConfig(t, kubeconfig).Host, "https://")
	p := testenv.StartProxy(t, host)
	data, err := os.ReadFile(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	viaProxy := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(viaProxy, []byte(strings.ReplaceAll(string(data), host, p.Addr())), 0o600); err != nil {
		t.Fatal(err)
	}
	st, mgr := newManager(ctx, t)
	mgr.ProbeTimeout = time.Second // an outage shows at once
	c, err := mgr.RegisterFromPath(ctx, "far", viaProxy, "")
	if err != nil {
		t.Fatal(err)
	}
	ws, _ := st.CreateWorkspace(ctx, store.Workspace{Name: "team"})
	if _, err := st.CreateBinding(ctx, store.Binding{WorkspaceID: ws.ID, ClusterID: c.ID, Namespace: ns}); err != nil {
		t.Fatal(err)
	}
	return p, host, mgr, st, ws, c.ID
}

// TestUnreachableKeepsLastStatus cuts the network to a job's cluster: the
// job then reads Unknown, marked stale, with its last known status and when
// it was observed.
func TestUnreachableKeepsLastStatus(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e := engine(t)
	ns := testenv.Namespace(t, e.Kube, "unreachable")
	app(ctx, t, e, ns)
	p, _, mgr, st, ws, clusterID := farCluster(ctx, t, ns)
	svc := &Service{Store: st, Clusters: mgr, Owner: "r1"}
	if _, _, err := svc.Create(ctx, ws, "alice", CreateRequest{Cluster: "far", Spec: Spec{Name: "app-bg", Namespace: ns, Deployment: "app", Service: "app"}}); err != nil {
		t.Fatalf("create: %v", err)
	}
	var v View
	var err error
	err = e.wait(ctx, "Healthy through the proxy", func(ctx context.Context) (bool, error) {
		v, err = svc.Get(ctx, ws, "app-bg")
		return err == nil && v.Status.Phase == PhaseHealthy, err
	})
	if err != nil {
		t.Fatal(err)
	}

	p.Close()
	if st, _ := mgr.Probe(ctx, clusterID); st.Reachable {
		t.Fatal("the probe still finds the cluster reachable after the outage")
	}
	v, err = svc.Get(ctx, ws, "app-bg")
	if err != nil {
		t.Fatal(err)
	}
	if v.Status.Phase != PhaseUnknown || !v.Stale || v.Job.ObservedAt == nil || !strings.Contains(v.Status.Message, "Healthy") {
		t.Fatalf("after the outage: phase %q stale %v observed %v message %q; want Unknown, stale, last known Healthy with its time",
			v.Status.Phase, v.Stale, v.Job.ObservedAt, v.Status.Message)
	}
	if _, err := svc.Operate(ctx, ws, "app-bg", OpPromote, OperateRequest{}); err == nil {
		t.Fatal("promote on an unreachable cluster succeeded")
	}
}

// TestOutageDuringDelete cuts the network to the cluster while a deletion
// waits for the Deployment's pods (slowed to 3 s), brings it back, and lets
// the background loop finish: the app's Service never loses its last ready
// endpoint, nothing is left behind, and the job ends Deleted on record.
func TestOutageDuringDelete(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	e := engine(t)
	ns := testenv.Namespace(t, e.Kube, "outage")
	app(ctx, t, e, ns)
	slowPods(ctx, t, e, ns, "3s")
	p, host, mgr, st, ws, clusterID := farCluster(ctx, t, ns)
	svc := &Service{Store: st, Clusters: mgr, Owner: "r1", WaitTimeout: time.Minute}
	if _, _, err := svc.Create(ctx, ws, "alice", CreateRequest{Cluster: "far", Spec: Spec{Name: "app-bg", Namespace: ns, Deployment: "app", Service: "app"}}); err != nil {
		t.Fatalf("create: %v", err)
	}
	// Healthy, and Argo has handed the pods over from the Deployment.
	if err := e.wait(ctx, "Healthy with the Deployment scaled down", func(ctx context.Context) (bool, error) {
		v, err := svc.Get(ctx, ws, "app-bg")
		d, derr := e.Kube.AppsV1().Deployments(ns).Get(ctx, "app", metav1.GetOptions{})
		return err == nil && derr == nil && v.Status.Phase == PhaseHealthy && *d.Spec.Replicas == 0, nil
	}); err != nil {
		t.Fatal(err)
	}
	watcher := testenv.WatchEndpoints(ctx, t, e.Kube, ns, "app")

	deleted := make(chan error, 1)
	go func() { _, err := svc.Delete(ctx, ws, "app-bg", false); deleted <- err }()
	if err := e.wait(ctx, "the deletion to scale the Deployment up", func(ctx context.Context) (bool, error) {
		d, err := e.Kube.AppsV1().Deployments(ns).Get(ctx, "app", metav1.GetOptions{})
		return err == nil && *d.Spec.Replicas == 3, nil
	}); err != nil {
		t.Fatal(err)
	}
	addr := p.Addr()
	p.Close() // the outage, while the deletion waits for the pods
	if err := <-deleted; err == nil {
		t.Log("the deletion returned without an error during the outage: it will finish in the background")
	}
	job, err := st.GetJobByName(ctx, ws.ID, "app-bg")
	if err != nil || job.State != store.JobDeleting {
		t.Fatalf("during the outage the job is %+v, %v; want it on record as deleting", job.State, err)
	}
	if err := svc.ReconcileOnce(ctx); err == nil {
		t.Log("a loop round during the outage reported no error")
	}
	time.Sleep(2 * time.Second)

	testenv.StartProxyAt(t, addr, host) // the network is back
	if st, err := mgr.Probe(ctx, clusterID); err != nil || !st.Reachable {
		t.Fatalf("probe after the outage: %+v, %v", st, err)
	}
	if err := e.wait(ctx, "the loop to finish the deletion", func(ctx context.Context) (bool, error) {
		if err := svc.ReconcileOnce(ctx); err != nil {
			t.Logf("loop round: %v", err)
		}
		j, err := st.GetJob(ctx, job.ID) // by ID: a deleted job has no name any more
		return err == nil && j.State == store.JobDeleted, nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Kube.CoreV1().Services(ns).Get(ctx, PreviewServiceName("app-bg"), metav1.GetOptions{}); err == nil {
		t.Error("preview Service left behind")
	}
	if _, err := e.getRollout(ctx, Target{Spec: Spec{Name: "app-bg", Namespace: ns}}); err == nil {
		t.Error("Rollout left behind")
	}
	svcObj, err := e.Kube.CoreV1().Services(ns).Get(ctx, "app", metav1.GetOptions{})
	if err != nil || len(svcObj.Spec.Selector) != 1 {
		t.Errorf("Service selector %v, %v; want app=app only", svcObj.Spec.Selector, err)
	}
	min, _, events := watcher.Stats()
	t.Logf("app Service: %d endpoint changes, minimum %d ready", events, min)
	if min == 0 {
		t.Fatal("the app Service had 0 ready endpoints during the outage and recovery")
	}
}

// slowPods makes the Deployment's pods take delay to get ready and waits
// until it has rolled out with them.
func slowPods(ctx context.Context, t *testing.T, e *Engine, ns, delay string) {
	t.Helper()
	patch := fmt.Appendf(nil, `{"spec":{"template":{"metadata":{"annotations":{"pod-ready.stage.kwok.x-k8s.io/delay":%q}}}}}`, delay)
	if _, err := e.Kube.AppsV1().Deployments(ns).Patch(ctx, "app", types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := e.wait(ctx, "the slow pods", func(ctx context.Context) (bool, error) {
		d, err := e.Kube.AppsV1().Deployments(ns).Get(ctx, "app", metav1.GetOptions{})
		return err == nil && d.Generation > 1 && DeploymentAvailable(d), nil
	}); err != nil {
		t.Fatal(err)
	}
}
