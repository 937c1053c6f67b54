package release

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/cluster"
	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/testenv"
)

// startArgoController runs another Argo Rollouts controller against the local
// cluster with --instance-id id, and stops it when the test ends.
func startArgoController(t *testing.T, kubeconfig, id string) {
	t.Helper()
	port := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
	}
	logPath := filepath.Join(t.TempDir(), "controller.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(testenv.ArgoController(t), "--kubeconfig", kubeconfig, "--instance-id", id, "--leader-elect=false",
		"--metricsPort", port(), "--healthzPort", port(), "--rollout-resync", "60")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		logf.Close()
		if t.Failed() {
			data, _ := os.ReadFile(logPath)
			t.Logf("controller %s log (tail):\n%s", id, data[max(0, len(data)-3000):])
		}
	})
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		data, _ := os.ReadFile(logPath)
		if strings.Contains(strings.ToLower(string(data)), "started rollout workers") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the controller with --instance-id %s did not start in 30 s:\n%s", id, data)
		}
	}
}

// TestArgoInstanceID runs a job on a cluster whose Argo controller runs with
// --instance-id (a second controller beside the local one, which ignores
// labelled Rollouts): registered with that ID the job's Rollout carries the
// label and reaches Healthy and a clean delete. With an ID no controller has,
// the job's status says after a while that Argo never picked the Rollout up.
func TestArgoInstanceID(t *testing.T) {
	kubeconfig := testenv.Kubeconfig(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	id := fmt.Sprintf("sy-test-%d", time.Now().UnixNano()%100000)
	startArgoController(t, kubeconfig, id)
	e := engine(t)

	st, mgr := newManager(ctx, t)
	if _, err := mgr.RegisterFromPath(ctx, "bad", kubeconfig, "", cluster.WithArgoInstanceID("Not a label value!")); err == nil {
		t.Error("registering with an invalid instance ID succeeded")
	}
	c, err := mgr.RegisterFromPath(ctx, "shared", kubeconfig, "", cluster.WithArgoInstanceID(id))
	if err != nil {
		t.Fatal(err)
	}
	ws, _ := st.CreateWorkspace(ctx, store.Workspace{Name: "team"})
	svc := &Service{Store: st, Clusters: mgr, Owner: "r1"}
	newJob := func(ns string) {
		t.Helper()
		if _, err := st.CreateBinding(ctx, store.Binding{WorkspaceID: ws.ID, ClusterID: c.ID, Namespace: ns}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.Create(ctx, ws, "alice", CreateRequest{Cluster: "shared", Spec: Spec{Name: "app-bg", Namespace: ns, Deployment: "app", Service: "app"}}); err != nil {
			t.Fatalf("create: %v", err)
		}
	}

	ns := testenv.Namespace(t, e.Kube, "instance")
	app(ctx, t, e, ns)
	newJob(ns)
	if err := e.wait(ctx, "Healthy under the controller with the instance ID", func(ctx context.Context) (bool, error) {
		v, err := svc.Get(ctx, ws, "app-bg")
		return err == nil && v.Status.Phase == PhaseHealthy, nil
	}); err != nil {
		t.Fatal(err)
	}
	ro, err := e.getRollout(ctx, Target{Spec: Spec{Name: "app-bg", Namespace: ns}})
	if err != nil || ro.GetLabels()[LabelInstanceID] != id {
		t.Fatalf("Rollout labels %v, %v; want %s=%s", ro.GetLabels(), err, LabelInstanceID, id)
	}
	time.Sleep(1100 * time.Millisecond) // Argo's one-second clock, before the delete scales things
	if _, err := svc.Delete(ctx, ws, "app-bg", false); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := e.getRollout(ctx, Target{Spec: Spec{Name: "app-bg", Namespace: ns}}); err == nil {
		t.Error("Rollout left behind by the delete")
	}

	// An instance ID no controller runs with: the job waits, and says why.
	svc.StallAfter = time.Second
	if err := mgr.SetArgoInstanceID(ctx, c.ID, "nobody"); err != nil {
		t.Fatal(err)
	}
	if err := mgr.SetArgoInstanceID(ctx, c.ID, "Not valid!"); err == nil {
		t.Error("setting an invalid instance ID succeeded")
	}
	ns2 := testenv.Namespace(t, e.Kube, "instance")
	app(ctx, t, e, ns2)
	newJob(ns2)
	var v View
	if err := e.wait(ctx, "the stall hint", func(ctx context.Context) (bool, error) {
		v, err = svc.Get(ctx, ws, "app-bg")
		return err == nil && strings.Contains(v.Status.Message, "--instance-id"), nil
	}); err != nil {
		t.Fatalf("%v; last status %+v", err, v.Status)
	}
	t.Logf("unpicked job: %s: %s", v.Status.Phase, v.Status.Message)
	if v.Status.Phase == PhaseHealthy {
		t.Error("a Rollout no controller handles reads Healthy")
	}
	// Deleting it still hands the application back.
	if _, err := svc.Delete(ctx, ws, "app-bg", true); err != nil {
		t.Fatalf("delete the unpicked job: %v", err)
	}
}
