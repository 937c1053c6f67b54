package release

import (
	"fmt"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/internal/store"
)

// TestListPhasePaging: filtering on the live phase reads every job in
// batches, then pages the matches, so the total counts every match and a page
// holds only its own.
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
	s := &Service{Store: st, Clusters: mgr, ListBatch: 3} // several batches for 10 jobs
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
