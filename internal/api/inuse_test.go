package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/client"
)

// TestInUse: a binding, workspace or cluster that live jobs depend on can't
// be removed (409 in_use naming the jobs): without its binding a job would
// stay reachable to a workspace no longer allowed there, and without its
// workspace or cluster its Rollout would be left unmanaged. Once the job is
// deleted they go.
func TestInUse(t *testing.T) {
	e := newJobsEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ns := e.app(ctx)
	ws, b := e.boundWorkspace(ctx, ns)
	if _, err := e.admin.CreateJob(ctx, ws, client.NewJob{Name: "app-bg", Cluster: "local", Namespace: ns, Deployment: "app", Service: "app"}); err != nil {
		t.Fatal(err)
	}
	waitPhase(ctx, t, e.admin, ws, "app-bg", "Healthy")

	inUse := func(what string, err error) {
		t.Helper()
		if ce := wantStatus(t, what, err, http.StatusConflict); ce != nil && (ce.Code != "in_use" || !strings.Contains(ce.Message, "app-bg")) {
			t.Errorf("%s: code %q, message %q; want in_use naming job app-bg", what, ce.Code, ce.Message)
		}
	}
	inUse("remove the job's binding", e.admin.DeleteBinding(ctx, ws, b.ID))
	inUse("delete the job's workspace", e.admin.DeleteWorkspace(ctx, ws))
	inUse("remove the job's cluster", e.admin.DeleteCluster(ctx, "local"))
	if j, err := e.admin.Job(ctx, ws, "app-bg"); err != nil || j.Phase != "Healthy" {
		t.Fatalf("after the refusals the job is %+v, %v; want it Healthy", j, err)
	}

	if _, err := e.admin.DeleteJob(ctx, ws, "app-bg", false); err != nil {
		t.Fatal(err)
	}
	if err := e.admin.DeleteBinding(ctx, ws, b.ID); err != nil {
		t.Errorf("remove the binding once the job is deleted: %v", err)
	}
	if err := e.admin.DeleteWorkspace(ctx, ws); err != nil {
		t.Errorf("delete the workspace once the job is deleted: %v", err)
	}
}
