package release

import (
	"context"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/testenv"
)

// TestCreateWhileRunTakesItUp: when the background loop takes a just
// recorded job up before the creating request claims it (as it does under
// load), the request waits for the loop to make the job and answers with it,
// instead of refusing a valid creation as busy.
func TestCreateWhileRunTakesItUp(t *testing.T) {
	e := engine(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ns := testenv.Namespace(t, e.Kube, "busy")
	app(ctx, t, e, ns)
	svc, ws := newService(ctx, t, ns)
	taken := make(chan error, 1)
	svc.AfterStep = func(step string) {
		if step != "record" {
			return
		}
		j, err := svc.Store.GetJobByName(ctx, ws.ID, "app-bg")
		if err == nil {
			var ok bool
			if ok, err = svc.Store.ClaimJob(ctx, j.ID, "run-elsewhere", time.Minute); err == nil && !ok {
				t.Error("could not take the lease of the job just recorded")
			}
		}
		go func() {
			time.Sleep(200 * time.Millisecond) // the request meets the lease held meanwhile
			if err == nil {
				err = svc.Store.ReleaseJob(ctx, j.ID, "run-elsewhere")
			}
			if err == nil {
				err = svc.ReconcileOnce(ctx)
			}
			taken <- err
		}()
	}
	v, _, err := svc.Create(ctx, ws, "alice", CreateRequest{Cluster: "local", Spec: Spec{Name: "app-bg", Namespace: ns, Deployment: "app", Service: "app"}})
	if err != nil {
		t.Fatalf("create while the background loop holds the job: %v, want it made", err)
	}
	if err := <-taken; err != nil {
		t.Fatal(err)
	}
	if v.Job.State != store.JobActive {
		t.Fatalf("the job is %s, want active", v.Job.State)
	}
}
