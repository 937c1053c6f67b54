package release

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/switchyard/switchyard/internal/cluster"
	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/testenv"
)

// newManager opens a SQLite store and a cluster Manager on it, both closed
// when the test ends.
func newManager(ctx context.Context, t *testing.T) (*store.Store, *cluster.Manager) {
	t.Helper()
	st, err := store.Open(ctx, store.Options{DataDir: t.TempDir()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	key, _ := cluster.NewKeyring([]byte("0123456789abcdef0123456789abcdef"))
	mgr := &cluster.Manager{Store: st, Keyring: key, Logger: slog.New(slog.DiscardHandler)}
	t.Cleanup(mgr.Close)
	return st, mgr
}

// newService returns a Service on SQLite with the local cluster registered as
// "local" and workspace "team" bound to ns.
func newService(ctx context.Context, t *testing.T, ns string) (*Service, store.Workspace) {
	t.Helper()
	st, mgr := newManager(ctx, t)
	c, err := mgr.RegisterFromPath(ctx, "local", testenv.Kubeconfig(t), "")
	if err != nil {
		t.Fatal(err)
	}
	ws, err := st.CreateWorkspace(ctx, store.Workspace{Name: "team"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateBinding(ctx, store.Binding{WorkspaceID: ws.ID, ClusterID: c.ID, Namespace: ns}); err != nil {
		t.Fatal(err)
	}
	return &Service{Store: st, Clusters: mgr, Owner: "r1"}, ws
}

// TestCreateAgainFinishes: a job a crash left recorded but not made is
// finished by creating it again with the same target; a different target
// under the same name is refused.
func TestCreateAgainFinishes(t *testing.T) {
	e := engine(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ns := testenv.Namespace(t, e.Kube, "again")
	app(ctx, t, e, ns)
	svc, ws := newService(ctx, t, ns)
	c, _ := svc.Store.GetClusterByName(ctx, "local")
	if _, err := svc.Store.CreateJob(ctx, store.Job{WorkspaceID: ws.ID, Name: "app-bg", ClusterID: c.ID, ClusterName: "local",
		Namespace: ns, Deployment: "app", Service: "app", CreatedBy: "alice"}); err != nil {
		t.Fatal(err)
	}
	req := CreateRequest{Cluster: "local", Spec: Spec{Name: "app-bg", Namespace: ns, Deployment: "app", Service: "app"}}

	other := req
	other.Service = "nope"
	var fe *FieldError
	if _, _, err := svc.Create(ctx, ws, "alice", other); !errors.As(err, &fe) || fe.Field != "name" {
		t.Fatalf("create with the half-made job's name but another target = %v, want a FieldError on name", err)
	}
	v, _, err := svc.Create(ctx, ws, "alice", req)
	if err != nil {
		t.Fatalf("create again: %v", err)
	}
	if v.Job.State != store.JobActive {
		t.Fatalf("after creating again the job is %s, want active", v.Job.State)
	}
	if _, err := e.WaitPhase(ctx, Target{Workspace: "team", Spec: req.Spec}, PhaseHealthy); err != nil {
		t.Fatal(err)
	}
}

// TestCreateRace: two jobs created at once, under different names, for the
// same Deployment and Service: exactly one is made, the other is refused on
// the Deployment, and the cluster has one Rollout.
func TestCreateRace(t *testing.T) {
	e := engine(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ns := testenv.Namespace(t, e.Kube, "race")
	app(ctx, t, e, ns)
	svc, ws := newService(ctx, t, ns)

	errs := make(chan error, 2)
	for _, name := range []string{"app-a", "app-b"} {
		go func() {
			_, _, err := svc.Create(ctx, ws, "alice", CreateRequest{Cluster: "local", Spec: Spec{Name: name, Namespace: ns, Deployment: "app", Service: "app"}})
			errs <- err
		}()
	}
	var made int
	for range 2 {
		var fe *FieldError
		switch err := <-errs; {
		case err == nil:
			made++
		case errors.As(err, &fe) && fe.Field == "deployment":
			t.Logf("refused: %v", err)
		default:
			t.Errorf("create = %v, want success or a FieldError on deployment", err)
		}
	}
	if made != 1 {
		t.Fatalf("%d of two racing jobs for one Deployment were made, want 1", made)
	}
	ros, err := e.Dynamic.Resource(cluster.RolloutGVR).Namespace(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ros.Items) != 1 {
		t.Fatalf("%d Rollouts in the namespace, want 1", len(ros.Items))
	}
}
