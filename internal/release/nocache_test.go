package release

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/cluster"
	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/testenv"
)

// TestNoCacheWait creates jobs in parallel, and operates on one, on a
// cluster whose caches never count as synced (SyncTimeout of 1 ns: each
// cache read gives up at once, as it did under load when 30 s were not
// enough). Creation and operations talk to the API server directly, so
// every one of them succeeds; before, each was refused with 422 "cluster:
// cluster local unreachable: caches did not sync".
func TestNoCacheWait(t *testing.T) {
	const jobs = 6
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	e := engine(t)
	st, mgr := newManager(ctx, t)
	mgr.SyncTimeout = time.Nanosecond
	c, err := mgr.RegisterFromPath(ctx, "local", testenv.Kubeconfig(t), "")
	if err != nil {
		t.Fatal(err)
	}
	ws, err := st.CreateWorkspace(ctx, store.Workspace{Name: "team"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mgr.Conn(ctx, c.ID); !errors.Is(err, cluster.ErrUnreachable) {
		t.Fatalf("cache read with a 1 ns sync timeout: %v; want it to give up (the condition under test)", err)
	}
	nss := make([]string, jobs)
	for i := range nss {
		nss[i] = testenv.Namespace(t, e.Kube, "nocache")
		app(ctx, t, e, nss[i])
		if _, err := st.CreateBinding(ctx, store.Binding{WorkspaceID: ws.ID, ClusterID: c.ID, Namespace: nss[i]}); err != nil {
			t.Fatal(err)
		}
	}
	svc := &Service{Store: st, Clusters: mgr, Owner: "r1"}
	errs := make([]error, jobs)
	var wg sync.WaitGroup
	for i, ns := range nss {
		wg.Go(func() {
			_, _, errs[i] = svc.Create(ctx, ws, "alice", CreateRequest{Cluster: "local", Spec: Spec{Name: fmt.Sprintf("app-%d", i), Namespace: ns, Deployment: "app", Service: "app"}})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("create app-%d: %v", i, err)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	tg := Target{Workspace: ws.Name, Spec: Spec{Name: "app-0", Namespace: nss[0], Deployment: "app", Service: "app"}}
	mustPhase(ctx, t, e, tg, PhaseHealthy)
	time.Sleep(1100 * time.Millisecond) // Argo's one-second clock (see TestFullPath)
	v, err := svc.Operate(ctx, ws, "app-0", OpDeploy, OperateRequest{Images: map[string]string{"app": "example/app:2"}})
	if err != nil {
		t.Fatalf("deploy: %v", err)
	}
	if v.Stale {
		t.Errorf("deploy answered a stale view (%s): the answer is read from the API server", v.Reason)
	}
	mustPhase(ctx, t, e, tg, PhaseAwaitingPromotion)
	if v, err = svc.Operate(ctx, ws, "app-0", OpPromote, OperateRequest{}); err != nil {
		t.Fatalf("promote: %v", err)
	}
	mustPhase(ctx, t, e, tg, PhaseHealthy)
}
