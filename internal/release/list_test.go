package release

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/switchyard/switchyard/internal/cluster"
	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/testenv"
)

// TestListPhasePaging: a filter on the live phase is answered by the store,
// the jobs of a cluster that can't be read counting as Unknown and deleting
// jobs as Deleting: the total counts every match and a page holds only its own.
func TestListPhasePaging(t *testing.T) {
	ctx := t.Context()
	st, mgr := newManager(ctx, t)

	ws, err := st.CreateWorkspace(ctx, store.Workspace{Name: "team"})
	if err != nil {
		t.Fatal(err)
	}
	// A cluster whose kubeconfig does not open: its jobs' status is Unknown.
	c, err := st.CreateCluster(ctx, store.Cluster{Name: "gone", SealedKubeconfig: []byte("not sealed")})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		j, err := st.CreateJob(ctx, store.Job{WorkspaceID: ws.ID, Name: fmt.Sprintf("job-%02d", i), ClusterID: c.ID, ClusterName: c.Name,
			Namespace: "shop", Deployment: fmt.Sprintf("web-%d", i), Service: fmt.Sprintf("web-%d", i), CreatedBy: "alice"})
		if err != nil {
			t.Fatal(err)
		}
		if i%3 != 0 { // 6 are being deleted; 4 (0, 3, 6, 9) are not
			if err := st.SetJobState(ctx, j.ID, store.JobCreating, store.JobDeleting, false); err != nil {
				t.Fatal(err)
			}
		}
	}
	s := &Service{Store: st, Clusters: mgr}
	list := func(phase string, limit, offset int) string {
		t.Helper()
		views, total, err := s.List(ctx, store.JobFilter{WorkspaceID: &ws.ID, Phase: phase, Sort: "name", Limit: limit, Offset: offset})
		if err != nil {
			t.Fatal(err)
		}
		names := make([]string, len(views))
		for i, v := range views {
			names[i] = v.Job.Name
		}
		return fmt.Sprintf("%d: %s", total, strings.Join(names, " "))
	}
	for _, c := range []struct {
		phase         string
		limit, offset int
		want          string
	}{
		{"Unknown", 50, 0, "4: job-00 job-03 job-06 job-09"},
		{"unknown", 2, 0, "4: job-00 job-03"},
		{"Unknown", 2, 2, "4: job-06 job-09"},
		{"Unknown", 2, 3, "4: job-09"},
		{"Unknown", 2, 9, "4: "},
		{"Deleting", 5, 5, "6: job-08"},
		{"Deleting", 50, 0, "6: job-01 job-02 job-04 job-05 job-07 job-08"},
		{"Healthy", 50, 0, "0: "},
	} {
		if got := list(c.phase, c.limit, c.offset); got != c.want {
			t.Errorf("List(phase %s, limit %d, offset %d) = %q, want %q", c.phase, c.limit, c.offset, got, c.want)
		}
	}
}

// TestListPhaseFollowsCluster: the phase List filters on is kept current from
// the cluster's informers, not from requests: a Rollout deleted behind
// Switchyard's back moves its job from Healthy to Degraded in the list
// without anyone viewing the job in between.
func TestListPhaseFollowsCluster(t *testing.T) {
	e := engine(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ns := testenv.Namespace(t, e.Kube, "phases")
	app(ctx, t, e, ns)
	svc, ws := newService(ctx, t, ns)
	run, stop := context.WithCancel(ctx)
	defer stop()
	go func() { _ = svc.Run(run) }()
	if _, _, err := svc.Create(ctx, ws, "alice", CreateRequest{Cluster: "local", Spec: Spec{Name: "app-bg", Namespace: ns, Deployment: "app", Service: "app"}}); err != nil {
		t.Fatal(err)
	}
	listed := func(phase Phase) func() bool {
		return func() bool {
			views, total, err := svc.List(ctx, store.JobFilter{WorkspaceID: &ws.ID, Phase: string(phase)})
			return err == nil && total == 1 && len(views) == 1 && views[0].Status.Phase == phase
		}
	}
	testenv.Eventually(ctx, t, "the job listed as Healthy", listed(PhaseHealthy))
	if err := e.Dynamic.Resource(cluster.RolloutGVR).Namespace(ns).Delete(ctx, "app-bg", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(ctx, t, "the job listed as Degraded once its Rollout is gone", func() bool {
		j, err := svc.Store.GetJobByName(ctx, ws.ID, "app-bg")
		return err == nil && j.LastPhase == string(PhaseDegraded) // recorded by the informers' events alone
	})
	if !listed(PhaseDegraded)() || listed(PhaseHealthy)() {
		t.Fatal("the phase filter does not follow the recorded phase")
	}
}
