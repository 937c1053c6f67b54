package store

import (
	"testing"
)

// TestJobChecks: a job's checks and its promote-when-checks-pass option are
// stored at creation, default to none, and are replaced in place; a deleted
// job's are not (SQLite and PostgreSQL).
func TestJobChecks(t *testing.T) {
	openEach(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		ws, c := mustWorkspace(t, s, "a"), mustCluster(t, s, "prod")
		plain, err := s.CreateJob(ctx, newJob(ws, c, "plain", "shop"))
		checkErr(t, "CreateJob(no checks)", err, nil)
		if plain.Checks != "[]" || plain.PromoteWhenChecksPass {
			t.Fatalf("a job made without checks has checks %q, promote %v; want [] and false", plain.Checks, plain.PromoteWhenChecksPass)
		}
		j := newJob(ws, c, "gated", "shop")
		j.Deployment, j.Service = "api", "api"
		j.Checks, j.PromoteWhenChecksPass = `[{"name":"smoke","kind":"http","when":"before","url":"http://x/"}]`, true
		j, err = s.CreateJob(ctx, j)
		checkErr(t, "CreateJob(checks)", err, nil)
		if got, _ := s.GetJob(ctx, j.ID); got.Checks != j.Checks || !got.PromoteWhenChecksPass {
			t.Fatalf("stored checks %q promote %v, want %q and true", got.Checks, got.PromoteWhenChecksPass, j.Checks)
		}
		checkErr(t, "SetJobChecks", s.SetJobChecks(ctx, j.ID, "", false), nil)
		if got, _ := s.GetJob(ctx, j.ID); got.Checks != "[]" || got.PromoteWhenChecksPass {
			t.Fatalf("after clearing: checks %q promote %v, want [] and false", got.Checks, got.PromoteWhenChecksPass)
		}
		checkErr(t, "SetJobState", s.SetJobState(ctx, j.ID, JobCreating, JobDeleted, false), nil)
		checkErr(t, "SetJobChecks(deleted)", s.SetJobChecks(ctx, j.ID, "[]", true), ErrNotFound)
	})
}
