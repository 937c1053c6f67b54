package release

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/switchyard/switchyard/internal/cluster"
	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/testenv"
)

// TestReplicasFinishOnce leaves a job half made (recorded, nothing in the
// cluster: a crash right after the record) and lets two replicas on one
// PostgreSQL database race to finish it, several times over: each time the job
// must be finished exactly once.
func TestReplicasFinishOnce(t *testing.T) {
	kubeconfig := testenv.Kubeconfig(t)
	dbURL := testenv.PostgresDatabase(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	e := engine(t)
	replicas := make([]*Service, 2)
	var st *store.Store
	for i := range replicas {
		s, err := store.Open(ctx, store.Options{DatabaseURL: dbURL}, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		key, err := cluster.NewKeyring([]byte("0123456789abcdef0123456789abcdef"))
		if err != nil {
			t.Fatal(err)
		}
		mgr := &cluster.Manager{Store: s, Keyring: key, Logger: slog.New(slog.DiscardHandler)}
		t.Cleanup(mgr.Close)
		if i == 0 {
			st = s
			if _, err := mgr.RegisterFromPath(ctx, "local", kubeconfig, ""); err != nil {
				t.Fatal(err)
			}
		}
		replicas[i] = &Service{Store: s, Clusters: mgr, Owner: []string{"r1", "r2"}[i]}
	}
	c, err := st.GetClusterByName(ctx, "local")
	if err != nil {
		t.Fatal(err)
	}
	ws, err := st.CreateWorkspace(ctx, store.Workspace{Name: "team"})
	if err != nil {
		t.Fatal(err)
	}
	lastAudit := int64(0)
	for round := range 3 {
		ns := testenv.Namespace(t, e.Kube, "replicas")
		app(ctx, t, e, ns)
		job, err := st.CreateJob(ctx, store.Job{WorkspaceID: ws.ID, Name: "app-bg", ClusterID: c.ID, ClusterName: c.Name,
			Namespace: ns, Deployment: "app", Service: "app", CreatedBy: "alice"})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for _, r := range replicas {
			wg.Go(func() {
				for {
					if err := r.ReconcileOnce(ctx); err != nil {
						t.Errorf("round %d: %s: %v", round, r.Owner, err)
					}
					j, err := r.Store.GetJob(ctx, job.ID)
					if err != nil || j.State != store.JobCreating || ctx.Err() != nil {
						return
					}
					time.Sleep(50 * time.Millisecond)
				}
			})
		}
		wg.Wait()
		got, err := st.GetJob(ctx, job.ID)
		if err != nil || got.State != store.JobActive {
			t.Fatalf("round %d: job %+v, %v; want active", round, got, err)
		}
		evs, err := st.ListAudit(ctx, store.AuditFilter{WorkspaceID: &ws.ID})
		if err != nil {
			t.Fatal(err)
		}
		finished := 0
		for _, ev := range evs {
			if ev.ID > lastAudit && ev.Action == "job.create" && strings.Contains(ev.Detail, "interruption") {
				finished++
			}
		}
		if len(evs) > 0 {
			lastAudit = evs[0].ID // newest first
		}
		if finished != 1 {
			t.Fatalf("round %d: the job was finished %d times, want exactly once", round, finished)
		}
		if _, err := e.Kube.CoreV1().Services(ns).Get(ctx, PreviewServiceName("app-bg"), metav1.GetOptions{}); err != nil {
			t.Fatalf("round %d: preview Service: %v", round, err)
		}
		// Free the name for the next round.
		if err := st.SetJobState(ctx, job.ID, store.JobActive, store.JobDeleted, true); err != nil {
			t.Fatal(err)
		}
	}
}

// TestReplicaChangeNotices checks that a job change on one replica reaches
// the live streams of another replica sharing the PostgreSQL database.
func TestReplicaChangeNotices(t *testing.T) {
	dbURL := testenv.PostgresDatabase(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var replicas [2]*Service
	for i := range replicas {
		s, err := store.Open(ctx, store.Options{DatabaseURL: dbURL}, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		replicas[i] = &Service{Store: s, Clusters: &cluster.Manager{Store: s}, Owner: []string{"r1", "r2"}[i]}
	}
	a, b := replicas[0], replicas[1]
	signal, stop := b.Clusters.Changes.Subscribe(func(c cluster.Change) bool { return c.ClusterID == 3 && c.Namespace == "shop" })
	defer stop()
	rctx, stopRelay := context.WithCancel(ctx)
	relayed := make(chan struct{})
	go func() { b.RelayChanges(rctx); close(relayed) }()
	// The relay's LISTEN may not be in place yet: notify until B hears it.
	deadline := time.After(30 * time.Second)
	for heard := false; !heard; {
		a.changed(store.Job{Name: "app-bg", ClusterID: 3, Namespace: "shop"})
		select {
		case <-signal:
			heard = true
		case <-time.After(200 * time.Millisecond):
		case <-deadline:
			t.Fatal("replica B never heard of replica A's job change")
		}
	}
	stopRelay()
	select {
	case <-relayed:
	case <-time.After(10 * time.Second):
		t.Fatal("RelayChanges did not end with its context")
	}
}

// TestReplicaSetsCaughtUp: a ReplicaSet whose status is from before its
// latest spec (scaled down and up again, still saying 3 available from before)
// is not believed; a scaled-down old one doesn't count.
func TestReplicaSetsCaughtUp(t *testing.T) {
	rs := func(gen, observed int64, replicas, statusReplicas, available int32) *appsv1.ReplicaSet {
		r := &appsv1.ReplicaSet{}
		r.Generation, r.Spec.Replicas = gen, &replicas
		r.Status.ObservedGeneration, r.Status.Replicas, r.Status.AvailableReplicas = observed, statusReplicas, available
		return r
	}
	tests := []struct {
		name string
		rss  []*appsv1.ReplicaSet
		want bool
	}{
		{"caught up", []*appsv1.ReplicaSet{rs(3, 3, 3, 3, 3)}, true},
		{"status from before the scale-down", []*appsv1.ReplicaSet{rs(3, 1, 3, 3, 3)}, false},
		{"observed, pods not back yet", []*appsv1.ReplicaSet{rs(3, 3, 3, 3, 0)}, false},
		{"old one scaled down", []*appsv1.ReplicaSet{rs(5, 4, 0, 0, 0), rs(2, 2, 3, 3, 3)}, true},
		{"old one still scaling down", []*appsv1.ReplicaSet{rs(5, 4, 0, 2, 2), rs(2, 2, 3, 3, 3)}, false},
		{"none", nil, false},
	}
	for _, tt := range tests {
		if got := replicaSetsCaughtUp(tt.rss, 3); got != tt.want {
			t.Errorf("%s: replicaSetsCaughtUp = %v, want %v", tt.name, got, tt.want)
		}
	}
}
