package store

import (
	"errors"
	"testing"
	"time"
)

func newJob(ws Workspace, c Cluster, name, ns string) Job {
	return Job{WorkspaceID: ws.ID, Name: name, ClusterID: c.ID, ClusterName: c.Name, Namespace: ns,
		Deployment: "web", Service: "web", CreatedBy: "alice"}
}

func TestJobs(t *testing.T) {
	openEach(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		now := testTime
		fixedClock(s, &now)
		a, b := mustWorkspace(t, s, "a"), mustWorkspace(t, s, "b")
		prod, dev := mustCluster(t, s, "prod"), mustCluster(t, s, "dev")
		delay := int32(60)
		j := newJob(a, prod, "web-bg", "shop")
		j.ScaleDownDelaySeconds = &delay
		j, err := s.CreateJob(ctx, j)
		checkErr(t, "CreateJob", err, nil)
		if j.State != JobCreating || j.ScaleDownDelaySeconds == nil || *j.ScaleDownDelaySeconds != 60 || j.AutoPromotionSeconds != nil || !j.CreatedAt.Equal(wantTime) {
			t.Fatalf("CreateJob = %+v, want state creating, delay 60, no auto promotion, created %v", j, wantTime)
		}
		// Same name: in the same workspace, or in the same cluster namespace, is a conflict.
		_, err = s.CreateJob(ctx, newJob(a, dev, "web-bg", "other"))
		checkErr(t, "CreateJob(same workspace and name)", err, ErrConflict)
		_, err = s.CreateJob(ctx, newJob(b, prod, "web-bg", "shop"))
		checkErr(t, "CreateJob(same cluster namespace and name)", err, ErrConflict)
		_, err = s.CreateJob(ctx, newJob(b, prod, "web-bg", "other"))
		checkErr(t, "CreateJob(other workspace, other namespace)", err, nil)
		// One live job per Deployment and per Service of a cluster namespace,
		// whatever its name or workspace.
		other := newJob(b, prod, "web-bg-2", "shop")
		clash := func(what, field string) {
			t.Helper()
			_, err := s.CreateJob(ctx, other)
			var ce *ConflictError
			if !errors.As(err, &ce) || ce.Field != field || ce.Holder != "web-bg" {
				t.Fatalf("CreateJob(%s) = %v, want a conflict on %s with job web-bg", what, err, field)
			}
		}
		clash("same Deployment", "deployment")
		other.Deployment = "api"
		clash("same Service", "service")
		other.Service = "api"
		_, err = s.CreateJob(ctx, other)
		checkErr(t, "CreateJob(other Deployment and Service)", err, nil)

		checkErr(t, "SetJobState(creating→active)", s.SetJobState(ctx, j.ID, JobCreating, JobActive, false), nil)
		checkErr(t, "SetJobState(stale)", s.SetJobState(ctx, j.ID, JobCreating, JobActive, false), ErrConflict)
		got, err := s.GetJobByName(ctx, a.ID, "web-bg")
		if err != nil || got.State != JobActive {
			t.Fatalf("GetJobByName = %+v, %v; want state active", got, err)
		}
		_, err = s.GetJobByName(ctx, b.ID, "nope")
		checkErr(t, "GetJobByName(missing)", err, ErrNotFound)

		checkErr(t, "ObserveJob", s.ObserveJob(ctx, j.ID, "Healthy", "", "example/web:1", testTime), nil)
		if got, _ := s.GetJob(ctx, j.ID); got.LastPhase != "Healthy" || got.ObservedAt == nil || !got.ObservedAt.Equal(wantTime) {
			t.Fatalf("after ObserveJob: %+v", got)
		}

		checkErr(t, "SetJobState(active→deleting)", s.SetJobState(ctx, j.ID, JobActive, JobDeleting, true), nil)
		checkErr(t, "SetJobState(deleting→deleted)", s.SetJobState(ctx, j.ID, JobDeleting, JobDeleted, true), nil)
		got, err = s.GetJob(ctx, j.ID)
		if err != nil || got.State != JobDeleted || got.DeletedAt == nil || !got.ForceDelete {
			t.Fatalf("deleted job = %+v, %v; want state deleted with DeletedAt and ForceDelete", got, err)
		}
		_, err = s.GetJobByName(ctx, a.ID, "web-bg")
		checkErr(t, "GetJobByName(deleted)", err, ErrNotFound)
		// The name is free again once the job is deleted.
		_, err = s.CreateJob(ctx, newJob(a, prod, "web-bg", "shop"))
		checkErr(t, "CreateJob(name of a deleted job)", err, nil)
	})
}

func TestListJobs(t *testing.T) {
	openEach(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		now := testTime
		fixedClock(s, &now)
		a, b := mustWorkspace(t, s, "a"), mustWorkspace(t, s, "b")
		prod, dev := mustCluster(t, s, "prod"), mustCluster(t, s, "dev")
		for _, j := range []Job{newJob(a, prod, "web", "shop"), newJob(a, dev, "api", "shop"), newJob(a, prod, "web_2", "blog"), newJob(b, prod, "web", "b")} {
			now = now.Add(time.Second)
			if _, err := s.CreateJob(ctx, j); err != nil {
				t.Fatal(err)
			}
		}
		ws := a.ID
		tests := []struct {
			name  string
			f     JobFilter
			want  string
			total int
		}{
			{"workspace, newest first", JobFilter{WorkspaceID: &ws}, "[web_2 api web]", 3},
			{"by name", JobFilter{WorkspaceID: &ws, Sort: "name"}, "[api web web_2]", 3},
			{"by name descending", JobFilter{WorkspaceID: &ws, Sort: "-name"}, "[web_2 web api]", 3},
			{"cluster", JobFilter{WorkspaceID: &ws, Cluster: "prod", Sort: "name"}, "[web web_2]", 2},
			{"namespace", JobFilter{WorkspaceID: &ws, Namespace: "shop", Sort: "name"}, "[api web]", 2},
			{"name contains, any case", JobFilter{WorkspaceID: &ws, NameContains: "WE", Sort: "name"}, "[web web_2]", 2},
			{"underscore is literal", JobFilter{WorkspaceID: &ws, NameContains: "_", Sort: "name"}, "[web_2]", 1},
			{"paged", JobFilter{WorkspaceID: &ws, Sort: "name", Limit: 1, Offset: 1}, "[web]", 3},
			{"all workspaces", JobFilter{Sort: "cluster"}, "[api web web_2 web]", 4},
		}
		for _, tt := range tests {
			got, total, err := s.ListJobs(ctx, tt.f)
			if names(got, func(j Job) string { return j.Name }) != tt.want || total != tt.total || err != nil {
				t.Errorf("%s: ListJobs = %s (total %d), %v; want %s (total %d)", tt.name, names(got, func(j Job) string { return j.Name }), total, err, tt.want, tt.total)
			}
		}
		_, _, err := s.ListJobs(ctx, JobFilter{Sort: "size"})
		checkErr(t, "ListJobs(bad sort)", err, ErrInvalid)
	})
}

func TestClaimJob(t *testing.T) {
	openEach(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		now := testTime
		fixedClock(s, &now)
		j, err := s.CreateJob(ctx, newJob(mustWorkspace(t, s, "a"), mustCluster(t, s, "prod"), "web", "shop"))
		checkErr(t, "CreateJob", err, nil)
		claim := func(owner string, want bool) {
			t.Helper()
			if got, err := s.ClaimJob(ctx, j.ID, owner, time.Minute); got != want || err != nil {
				t.Fatalf("ClaimJob(%s) = %v, %v; want %v", owner, got, err, want)
			}
		}
		claim("r1", true)
		claim("r2", false) // r1 holds it
		claim("r1", true)  // renewing is fine
		now = now.Add(2 * time.Minute)
		claim("r2", true) // r1's lease ran out
		checkErr(t, "ReleaseJob", s.ReleaseJob(ctx, j.ID, "r2"), nil)
		claim("r1", true)
	})
}
