package store

import (
	"fmt"
	"testing"
	"time"
)

// TestListJobsByPhase: the list filters on the stored phase, the jobs of
// stale clusters counting as the stale phase whatever they last showed; the
// clusters of the selected jobs come from one query; TouchJobs confirms a
// page of statuses in one write.
func TestListJobsByPhase(t *testing.T) {
	openEach(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		ws := mustWorkspace(t, s, "a")
		prod, dev := mustCluster(t, s, "prod"), mustCluster(t, s, "dev")
		var ids []int64
		for _, j := range []struct {
			c           Cluster
			name, phase string
		}{{prod, "web", "Healthy"}, {dev, "api", "Degraded"}, {prod, "blog", "Healthy"}, {dev, "shop", "Healthy"}} {
			job := newJob(ws, j.c, j.name, "ns-"+j.name)
			got, err := s.CreateJob(ctx, job)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.ObserveJob(ctx, got.ID, j.phase, "", "", testTime); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, got.ID)
		}
		w := ws.ID
		for _, tt := range []struct {
			name string
			f    JobFilter
			want string
		}{
			{"phase", JobFilter{Phase: "Healthy"}, "[blog shop web] 3"},
			{"phase, a cluster stale", JobFilter{Phase: "Healthy", Stale: []int64{prod.ID}, StalePhase: "Unknown"}, "[shop] 1"},
			{"the stale phase", JobFilter{Phase: "Unknown", Stale: []int64{prod.ID}, StalePhase: "Unknown"}, "[blog web] 2"},
			{"the stale phase, none stale", JobFilter{Phase: "Unknown", StalePhase: "Unknown"}, "[] 0"},
			{"cluster id", JobFilter{ClusterID: dev.ID}, "[api shop] 2"},
			{"phase and namespace", JobFilter{Phase: "Healthy", Namespace: "ns-web"}, "[web] 1"},
		} {
			tt.f.WorkspaceID, tt.f.Sort = &w, "name"
			got, total, err := s.ListJobs(ctx, tt.f)
			if g := fmt.Sprintf("%s %d", names(got, func(j Job) string { return j.Name }), total); g != tt.want || err != nil {
				t.Errorf("%s: ListJobs = %s, %v; want %s", tt.name, g, err, tt.want)
			}
		}
		cs, err := s.JobClusters(ctx, JobFilter{WorkspaceID: &w, Phase: "Healthy"})
		if err != nil || fmt.Sprint(cs) != fmt.Sprint([]int64{prod.ID, dev.ID}) && fmt.Sprint(cs) != fmt.Sprint([]int64{dev.ID, prod.ID}) || len(cs) != 2 {
			t.Errorf("JobClusters = %v, %v; want prod and dev", cs, err)
		}
		later := testTime.Add(time.Hour)
		if err := s.TouchJobs(ctx, ids[:2], later); err != nil {
			t.Fatal(err)
		}
		for i, id := range ids {
			j, err := s.GetJob(ctx, id)
			if want := map[bool]time.Time{true: later, false: testTime}[i < 2]; err != nil || j.ObservedAt == nil || !j.ObservedAt.Equal(want.Truncate(time.Microsecond)) || j.LastPhase == "" {
				t.Errorf("job %s observed at %v (phase %q), want %v", j.Name, j.ObservedAt, j.LastPhase, want)
			}
		}
	})
}
