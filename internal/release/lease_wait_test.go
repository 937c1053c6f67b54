package release

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/store"
)

// TestOperationWaitsForLease: an operation arriving while another one holds
// the job (Roll back clicked while Promote still waits for the switch) runs
// once the first lets go, instead of answering ErrBusy; a wait of 0 (the
// background loop) still answers ErrBusy at once.
func TestOperationWaitsForLease(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := store.Open(ctx, store.Options{DataDir: t.TempDir()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ws, err := st.CreateWorkspace(ctx, store.Workspace{Name: "team"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := st.CreateCluster(ctx, store.Cluster{Name: "local", InCluster: true})
	if err != nil {
		t.Fatal(err)
	}
	job, err := st.CreateJob(ctx, store.Job{WorkspaceID: ws.ID, Name: "app-bg", ClusterID: c.ID, ClusterName: "local",
		Namespace: "ns", Deployment: "app", Service: "app", CreatedBy: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	s := &Service{Store: st, Owner: "r1"}
	if ok, err := st.ClaimJob(ctx, job.ID, "first", time.Minute); err != nil || !ok {
		t.Fatalf("first claim: %v %v", ok, err)
	}
	ran := false
	if err := s.withLease(ctx, job.ID, func(context.Context) error { ran = true; return nil }); !errors.Is(err, ErrBusy) || ran {
		t.Fatalf("withLease while held: %v (ran %v); want ErrBusy", err, ran)
	}
	go func() {
		time.Sleep(300 * time.Millisecond)
		_ = st.ReleaseJob(context.WithoutCancel(ctx), job.ID, "first")
	}()
	if err := s.withLeaseWaiting(ctx, job.ID, OperationLeaseWait, func(context.Context) error { ran = true; return nil }); err != nil || !ran {
		t.Fatalf("withLeaseWaiting: %v (ran %v); want it to run once the first let go", err, ran)
	}
}
