package release

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	"github.com/switchyard/switchyard/internal/testenv"
)

// neverReady ships a version whose pods never get ready (hack/cluster/stages.yaml)
// and waits until Argo has made its ReplicaSet, returning the Rollout then.
func neverReady(ctx context.Context, t *testing.T, e *Engine, tg Target, blue string) *unstructured.Unstructured {
	t.Helper()
	if _, err := e.Kube.AppsV1().Deployments(tg.Spec.Namespace).Patch(ctx, tg.Spec.Deployment, types.StrategicMergePatchType, []byte(testenv.NeverReadyPatch), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	var ro *unstructured.Unstructured
	if err := e.wait(ctx, "green's ReplicaSet", func(ctx context.Context) (bool, error) {
		r, err := e.getRollout(ctx, tg)
		ro = r
		return err == nil && str(r, "status", "currentPodHash") != blue && str(r, "status", "currentPodHash") != "", nil
	}); err != nil {
		t.Fatal(err)
	}
	return ro
}

// TestAbortInFlight aborts a release in each state it can be in with green
// never getting ready: coming up, and promoted while coming up (Switchyard
// then sets status.promoteFull, under which Argo clears status.abort on every
// reconcile). Each time the abort must take on the real controller: the
// operation answers Aborted, and the cluster then says the same — abort set,
// the Rollout Degraded with Argo's RolloutAborted, the active Service on blue
// — and so does Argo's own status helper (what `kubectl argo rollouts status`
// prints).
func TestAbortInFlight(t *testing.T) {
	for _, promoteFirst := range []bool{false, true} {
		name := "coming up"
		if promoteFirst {
			name = "promoted while coming up"
		}
		t.Run(name, func(t *testing.T) { abortInFlight(t, promoteFirst) })
	}
}

func abortInFlight(t *testing.T, promoteFirst bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	e := engine(t)
	ns := testenv.Namespace(t, e.Kube, "abort")
	app(ctx, t, e, ns)
	svc, ws := newService(ctx, t, ns)
	tg := Target{Workspace: ws.Name, Spec: Spec{Name: "app-bg", Namespace: ns, Deployment: "app", Service: "app"}}
	if _, _, err := svc.Create(ctx, ws, "alice", CreateRequest{Cluster: "local", Spec: tg.Spec}); err != nil {
		t.Fatalf("create: %v", err)
	}
	blue := mustPhase(ctx, t, e, tg, PhaseHealthy).Versions[0].PodHash
	time.Sleep(1100 * time.Millisecond) // Argo's one-second clock (see TestFullPath)
	neverReady(ctx, t, e, tg, blue)

	if promoteFirst {
		v, err := svc.Operate(ctx, ws, "app-bg", OpPromote, OperateRequest{})
		if err != nil {
			t.Fatalf("promote while green comes up: %v", err)
		}
		ro, err := e.getRollout(ctx, tg)
		if err != nil || !boolean(ro, "status", "promoteFull") {
			t.Fatalf("after an early promote: promoteFull %v, %v; want it set (the case under test)", ro.Object["status"], err)
		}
		if v.Status.Phase != PhaseProgressing {
			t.Errorf("promote answered %q (%s), want Progressing: green is not ready", v.Status.Phase, v.Status.Message)
		}
	}
	v, err := svc.Operate(ctx, ws, "app-bg", OpAbort, OperateRequest{})
	if err != nil {
		t.Fatalf("abort: %v", err)
	}
	if v.Status.Phase != PhaseAborted {
		t.Errorf("abort answered %q (%s), want Aborted", v.Status.Phase, v.Status.Message)
	}
	// What the cluster says, now and after Argo has had further reconciles.
	argo := argoStatus(ctx, t)
	for i := range 3 {
		ro, err := e.getRollout(ctx, tg)
		if err != nil {
			t.Fatal(err)
		}
		st := ro.Object["status"]
		if !boolean(ro, "status", "abort") || boolean(ro, "status", "promoteFull") {
			t.Fatalf("read %d after the abort: status.abort %v, promoteFull %v; want abort set and promoteFull cleared (%v)",
				i, boolean(ro, "status", "abort"), boolean(ro, "status", "promoteFull"), st)
		}
		if p, m := str(ro, "status", "phase"), str(ro, "status", "message"); p != "Degraded" || !strings.HasPrefix(m, "RolloutAborted") {
			t.Fatalf("read %d after the abort: Argo says %s %q, want Degraded, RolloutAborted", i, p, m)
		}
		if got := selectorHash(ctx, t, e, ns, "app"); got != blue {
			t.Fatalf("read %d after the abort: active Service selects %q, want blue %q", i, got, blue)
		}
		if got, _ := e.Status(ctx, tg); got.Phase != PhaseAborted {
			t.Fatalf("read %d after the abort: Switchyard reads %q, want Aborted", i, got.Phase)
		}
		if phase, msg, ok := argo(ro); ok && (phase != "Degraded" || !strings.HasPrefix(msg, "RolloutAborted")) {
			t.Fatalf("read %d after the abort: Argo's status helper says %s %q, want Degraded, RolloutAborted", i, phase, msg)
		}
		time.Sleep(time.Second)
	}
}

// argoStatus returns what `kubectl argo rollouts status` prints for a
// Rollout, computed by Argo's own helper (hack/tools/argostatus, built from
// the Argo module the local controller is built from). Its ok is false, and
// the test says so, when the helper can't be built.
func argoStatus(ctx context.Context, t *testing.T) func(ro *unstructured.Unstructured) (phase, message string, ok bool) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "argostatus")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./argostatus")
	build.Dir = filepath.Join("..", "..", "hack", "tools")
	if out, err := build.CombinedOutput(); err != nil {
		t.Logf("Argo's status helper not compared: build hack/tools/argostatus: %v\n%s", err, out)
		return func(*unstructured.Unstructured) (string, string, bool) { return "", "", false }
	}
	return func(ro *unstructured.Unstructured) (string, string, bool) {
		t.Helper()
		return runArgoStatus(ctx, t, bin, ro)
	}
}

func runArgoStatus(ctx context.Context, t *testing.T, bin string, ro *unstructured.Unstructured) (phase, message string, ok bool) {
	t.Helper()
	body, err := json.Marshal(ro.Object)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, bin)
	cmd.Stdin = bytes.NewReader(body)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("argostatus: %v", err)
	}
	phase, message, _ = strings.Cut(strings.TrimSpace(string(out)), "\t")
	return phase, message, true
}
