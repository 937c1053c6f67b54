package release

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/switchyard/switchyard/internal/checks"
	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/testenv"
)

// healthServer is the test's HTTP check server on 127.0.0.1, which the Argo
// controller (it runs on this machine) calls. It answers per version: it
// looks up the ReplicaSet of the pod-template hash it is asked about and
// reads its image. An image tagged "bad" is unhealthy on /before and
// /after; one tagged "flaky" is healthy on /before and unhealthy on /after.
type healthServer struct {
	URL   string
	calls atomic.Int64
}

func startHealthServer(t *testing.T, e *Engine, ns string) *healthServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &healthServer{URL: "http://" + ln.Addr().String()}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hs.calls.Add(1)
		hash := r.URL.Query().Get("hash")
		rss, err := e.Kube.AppsV1().ReplicaSets(ns).List(r.Context(), metav1.ListOptions{LabelSelector: HashLabel + "=" + hash})
		if err != nil || len(rss.Items) != 1 {
			http.Error(w, "no version with hash "+hash, http.StatusNotFound)
			return
		}
		image := rss.Items[0].Spec.Template.Spec.Containers[0].Image
		healthy := !strings.HasSuffix(image, ":bad") && !(r.URL.Path == "/after" && strings.HasSuffix(image, ":flaky"))
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"healthy": healthy, "image": image})
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return hs
}

// TestChecksGateTheSwitch runs a job's checks on the real Argo controller,
// through the Service (stored, made, shown), with promote-when-checks-pass:
//   - a version that passes the checks before the switch is switched to
//     with no click, then passes the checks after it;
//   - one that fails the checks after the switch is switched back to blue by
//     Argo on its own, and the job says which check failed and why;
//   - one that fails the checks before the switch never gets the traffic.
//
// Throughout, the active Service never lacks ready endpoints.
func TestChecksGateTheSwitch(t *testing.T) {
	e := engine(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	ns := testenv.Namespace(t, e.Kube, "checks")
	app(ctx, t, e, ns)
	watcher := testenv.WatchEndpoints(ctx, t, e.Kube, ns, "app")
	hs := startHealthServer(t, e, ns)
	svc, ws := newService(ctx, t, ns)
	probe := func(name string, when checks.When, path string) checks.Check {
		return checks.Check{Name: name, Kind: checks.KindHTTP, When: when, URL: hs.URL + path + "?hash={{revision}}",
			JSONPath: "{$.healthy}", Condition: "result == true", Interval: "1s", Count: 2}
	}
	spec := Spec{Name: "app-bg", Namespace: ns, Deployment: "app", Service: "app", PromoteWhenChecksPass: true,
		Checks: []checks.Check{probe("smoke", checks.Before, "/before"), probe("error-rate", checks.After, "/after")}}
	if _, _, err := svc.Create(ctx, ws, "alice", CreateRequest{Cluster: "local", Spec: spec}); err != nil {
		t.Fatalf("create: %v", err)
	}
	tg := Target{Workspace: ws.Name, Spec: spec}
	blue := mustPhase(ctx, t, e, tg, PhaseHealthy).Versions[0].PodHash

	t.Run("the job owns its check templates", func(t *testing.T) {
		items, err := e.jobTemplates(ctx, tg)
		if err != nil || len(items) != 2 {
			t.Fatalf("templates %d, %v; want 2 (before, after)", len(items), err)
		}
		for _, it := range items {
			if refs := it.GetOwnerReferences(); len(refs) != 1 || refs[0].Name != "app-bg" || refs[0].Kind != "Rollout" {
				t.Fatalf("template %s owners %+v, want the Rollout app-bg", it.GetName(), refs)
			}
		}
	})

	deploy := func(image string) string {
		t.Helper()
		time.Sleep(1100 * time.Millisecond) // Argo's one-second clock (see TestFullPath)
		ro, err := e.getRollout(ctx, tg)
		if err != nil {
			t.Fatal(err)
		}
		before := str(ro, "status", "currentPodHash")
		if _, err := svc.Operate(ctx, ws, "app-bg", OpDeploy, OperateRequest{Images: map[string]string{"app": image}}); err != nil {
			t.Fatalf("deploy %s: %v", image, err)
		}
		var hash string
		if err := e.wait(ctx, "the new version", func(ctx context.Context) (bool, error) {
			ro, err := e.getRollout(ctx, tg)
			hash = str(ro, "status", "currentPodHash")
			return err == nil && hash != "" && hash != before, nil
		}); err != nil {
			t.Fatal(err)
		}
		return hash
	}
	view := func() View {
		t.Helper()
		v, err := svc.Get(ctx, ws, "app-bg")
		if err != nil {
			t.Fatal(err)
		}
		return v
	}

	var green string
	t.Run("passing checks switch with no click", func(t *testing.T) {
		green = deploy("example/app:2")
		waitSelector(ctx, t, e, ns, "app", green)
		st := mustPhase(ctx, t, e, tg, PhaseHealthy)
		if got := selectorHash(ctx, t, e, ns, "app"); got != green {
			t.Fatalf("Healthy with the active Service on %q, want green %q", got, green)
		}
		st = waitRuns(ctx, t, svc, ws, green, 2)
		for _, r := range st.CheckRuns[:2] {
			if r.Phase != "Successful" || len(r.Results) != 1 || r.Results[0].Passed != 2 || len(r.Results[0].Measurements) != 2 {
				t.Fatalf("run %s (%s): %+v, want Successful with 2 passed measurements", r.Name, r.When, r)
			}
			if m := r.Results[0].Measurements[0]; !m.Passed || m.Value != "true" || m.FinishedAt == nil {
				t.Fatalf("measurement %+v, want passed, value true, a finish time", m)
			}
		}
		blue = green
	})

	t.Run("a failing check after the switch switches back on its own", func(t *testing.T) {
		flaky := deploy("example/app:flaky")
		var v View
		err := e.wait(ctx, "argo to switch back", func(ctx context.Context) (bool, error) {
			v = view()
			return v.Status.FailedCheck != "" && selectorHash(ctx, t, e, ns, "app") == blue, nil
		})
		if err != nil {
			t.Fatalf("%v: last status %s %q", err, v.Status.Phase, v.Status.Message)
		}
		if v.Status.Phase != PhaseAborted || v.Status.FailedCheck != "error-rate" ||
			!strings.HasPrefix(v.Status.Message, "Check error-rate failed: switched back to blue") ||
			!strings.Contains(v.Status.Message, "measured false, which does not meet result == true") {
			t.Fatalf("after the failed check: %s, failed check %q, message %q", v.Status.Phase, v.Status.FailedCheck, v.Status.Message)
		}
		t.Logf("the job says: %s: %s", v.Status.Phase, v.Status.Message)
		if r := v.Status.CheckRuns[0]; r.Revision != flaky || r.When != checks.After {
			t.Fatalf("latest run %+v, want the after-switch run of %s", r, flaky)
		}
	})

	t.Run("a failing check before the switch keeps traffic on blue", func(t *testing.T) {
		bad := deploy("example/app:bad")
		var v View
		err := e.wait(ctx, "the check to fail", func(ctx context.Context) (bool, error) {
			v = view()
			// The run fails first; Argo aborts the Rollout on its next reconcile.
			return v.Status.Phase == PhaseAborted && v.Status.FailedCheck != "" && len(v.Status.CheckRuns) > 0 && v.Status.CheckRuns[0].Revision == bad && v.Status.CheckRuns[0].Failed(), nil
		})
		if err != nil {
			t.Fatalf("%v: last status %s %q", err, v.Status.Phase, v.Status.Message)
		}
		if got := selectorHash(ctx, t, e, ns, "app"); got != blue {
			t.Fatalf("active Service on %q after the failed check, want blue %q", got, blue)
		}
		if v.Status.Phase != PhaseAborted || v.Status.FailedCheck != "smoke" ||
			!strings.HasPrefix(v.Status.Message, "Check smoke failed: traffic stays on blue") {
			t.Fatalf("after the failed check: %s, failed check %q, message %q", v.Status.Phase, v.Status.FailedCheck, v.Status.Message)
		}
		t.Logf("the job says: %s: %s", v.Status.Phase, v.Status.Message)
		if v.Job.LastPhase != string(PhaseAborted) {
			t.Fatalf("stored phase %q, want Aborted", v.Job.LastPhase)
		}
	})

	t.Run("checks are edited in place", func(t *testing.T) {
		one := []checks.Check{probe("smoke", checks.Before, "/before")}
		v, _, err := svc.SetChecks(ctx, ws, "app-bg", ChecksRequest{Checks: one})
		if err != nil {
			t.Fatal(err)
		}
		if got := JobChecks(v.Job); len(got) != 1 || v.Job.PromoteWhenChecksPass {
			t.Fatalf("stored checks %+v promote %v, want only smoke, promote off", got, v.Job.PromoteWhenChecksPass)
		}
		ro, err := e.getRollout(ctx, tg)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := ro.Object["spec"].(map[string]any)["strategy"].(map[string]any)["blueGreen"].(map[string]any)["postPromotionAnalysis"]; ok {
			t.Fatal("the Rollout still has postPromotionAnalysis after the after-switch check was removed")
		}
		if items, err := e.jobTemplates(ctx, tg); err != nil || len(items) != 1 {
			t.Fatalf("templates %d, %v; want 1 left", len(items), err)
		}
	})

	t.Run("a promote waits for the checks before the switch", func(t *testing.T) {
		slow := probe("smoke", checks.Before, "/before")
		slow.Count = 6
		if _, _, err := svc.SetChecks(ctx, ws, "app-bg", ChecksRequest{Checks: []checks.Check{slow}}); err != nil {
			t.Fatal(err)
		}
		// The last version failed its check: roll forward from blue with a good one.
		next := deploy("example/app:4")
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		var v View
		if err := e.wait(wctx, "the check to run", func(ctx context.Context) (bool, error) {
			v = view()
			return len(v.Status.CheckRuns) > 0 && v.Status.CheckRuns[0].Revision == next && !v.Status.CheckRuns[0].Done(), nil
		}); err != nil {
			ro, _ := e.getRollout(ctx, tg)
			t.Fatalf("%v: job %s %q, runs %+v, rollout status %v", err, v.Status.Phase, v.Status.Message, v.Status.CheckRuns, ro.Object["status"])
		}
		_, err := svc.Operate(ctx, ws, "app-bg", OpPromote, OperateRequest{})
		var conflict *ConflictError
		if !errors.As(err, &conflict) || !strings.Contains(conflict.Reason, "checks before the switch have not passed") {
			t.Fatalf("promote while the check runs: %v, want a ConflictError saying the checks have not passed", err)
		}
		if got := selectorHash(ctx, t, e, ns, "app"); got != blue {
			t.Fatalf("after the refused promote the active Service is on %q, want blue %q", got, blue)
		}
		mustPhase(ctx, t, e, tg, PhaseAwaitingPromotion) // the check passed: now a person promotes
		if _, err := svc.Operate(ctx, ws, "app-bg", OpPromote, OperateRequest{}); err != nil {
			t.Fatalf("promote once the check passed: %v", err)
		}
		waitSelector(ctx, t, e, ns, "app", next)
	})

	if hs.calls.Load() == 0 {
		t.Fatal("the check server was never called")
	}
	min, last, events := watcher.Stats()
	t.Logf("active Service endpoints: %d changes seen, minimum %d ready, last %d; check server calls %d", events, min, last, hs.calls.Load())
	if events == 0 || min <= 0 {
		t.Fatalf("ready endpoints of the active Service: min %d over %d changes; want min > 0", min, events)
	}
}

// waitRuns waits until the job view shows at least n finished check runs of
// the version with pod-template hash rev.
func waitRuns(ctx context.Context, t *testing.T, svc *Service, ws store.Workspace, rev string, n int) Status {
	t.Helper()
	var st Status
	for ctx.Err() == nil {
		v, err := svc.Get(ctx, ws, "app-bg")
		if err != nil {
			t.Fatal(err)
		}
		st = v.Status
		done := 0
		for _, r := range st.CheckRuns {
			if r.Revision == rev && r.Done() {
				done++
			}
		}
		if done >= n {
			return st
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("never %d finished check runs of %s: %+v", n, rev, st.CheckRuns)
	return st
}
