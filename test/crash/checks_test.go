package crash

import (
	"context"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/switchyard/switchyard/client"
	"github.com/switchyard/switchyard/internal/checks"
	"github.com/switchyard/switchyard/internal/cluster"
	"github.com/switchyard/switchyard/internal/release"
	"github.com/switchyard/switchyard/internal/testenv"
)

// TestChecksSurviveCrash: a job's checks outlive the server. A creation
// killed right after the check templates were applied is finished by the
// restarted server with its checks; a server killed (SIGKILL) while the
// checks before the switch run does not stop them: Argo runs them on its own
// and, with promote-when-checks-pass, switches with nobody there; the
// restarted server shows the checks and their runs.
func TestChecksSurviveCrash(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	var calls atomic.Int64
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		_, _ = w.Write([]byte(`{"healthy": true}`))
	})}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close() })

	f := newFixture(ctx, t, "0s")
	data, addr := t.TempDir(), testenv.FreeAddr(t)
	s := start(t, data, addr, "")
	ws := setup(ctx, t, s.admin(t), f)
	s.kill()

	check := client.Check{Name: "smoke", Kind: "http", When: "before", URL: "http://" + ln.Addr().String() + "/health",
		JSONPath: "{$.healthy}", Condition: "result == true", Interval: "2s", Count: 4}
	t.Run("a creation killed after the check templates is finished with them", func(t *testing.T) {
		s = start(t, data, addr, "apply check templates")
		_, err := s.admin(t).CreateJob(ctx, ws, client.NewJob{Name: "app-bg", Cluster: "local", Namespace: f.ns, Deployment: "app",
			Service: "app", Checks: []client.Check{check}, PromoteWhenChecksPass: true})
		if err == nil {
			t.Fatal("create returned success although the server was to crash after the check templates")
		}
		s.waitDied(t)
		s = start(t, data, addr, "")
		c := s.admin(t)
		waitJob(ctx, t, c, ws, "app-bg", func(j *client.Job, err error) bool { return err == nil && j.Phase == client.PhaseHealthy })
		j, err := c.Job(ctx, ws, "app-bg")
		if err != nil || len(j.Checks) != 1 || !j.PromoteWhenChecksPass {
			t.Fatalf("job after recovery: %+v, %v; want its check and promote when checks pass", j, err)
		}
		_, dyn := testenv.Clients(t, testenv.Kubeconfig(t))
		tmpl, err := dyn.Resource(cluster.AnalysisTemplateGVR).Namespace(f.ns).Get(ctx, checks.TemplateName("app-bg", checks.Before), metav1.GetOptions{})
		if err != nil || len(tmpl.GetOwnerReferences()) != 1 || tmpl.GetOwnerReferences()[0].Kind != "Rollout" {
			t.Fatalf("check template after recovery: %v; want it owned by the Rollout", err)
		}
	})

	t.Run("a server killed while the checks run: Argo finishes them and switches", func(t *testing.T) {
		s = start(t, data, addr, "") // the last subtest's server ended with it
		c := s.admin(t)
		time.Sleep(1100 * time.Millisecond) // Argo's one-second clock
		if _, err := c.Deploy(ctx, ws, "app-bg", map[string]string{"app": "example/app:2"}); err != nil {
			t.Fatal(err)
		}
		waitJob(ctx, t, c, ws, "app-bg", func(j *client.Job, err error) bool {
			return err == nil && len(j.CheckRuns) > 0 && j.CheckRuns[0].Phase == "Running"
		})
		s.kill()
		t.Logf("server killed with the check running (%d calls so far)", calls.Load())
		// With no server up, the active Service comes to select what the
		// preview Service does (green) once Argo's check passes.
		testenv.Eventually(ctx, t, "Argo to switch with no server", func() bool {
			preview, err := f.kube.CoreV1().Services(f.ns).Get(ctx, release.PreviewServiceName("app-bg"), metav1.GetOptions{})
			active, err2 := f.kube.CoreV1().Services(f.ns).Get(ctx, "app", metav1.GetOptions{})
			return err == nil && err2 == nil && preview.Spec.Selector[cluster.RolloutHashLabel] != "" &&
				active.Spec.Selector[cluster.RolloutHashLabel] == preview.Spec.Selector[cluster.RolloutHashLabel]
		})
		s = start(t, data, addr, "")
		c = s.admin(t)
		waitJob(ctx, t, c, ws, "app-bg", func(j *client.Job, err error) bool { return err == nil && j.Phase == client.PhaseHealthy })
		j, err := c.Job(ctx, ws, "app-bg")
		if err != nil || len(j.Checks) != 1 || len(j.CheckRuns) == 0 {
			t.Fatalf("job after the restart: %+v, %v; want its check and its run", j, err)
		}
		if r := j.CheckRuns[0]; r.Phase != "Successful" || r.Results[0].Passed != 4 {
			t.Fatalf("check run after the restart: %+v; want Successful, 4 passed", r)
		}
		if len(j.ActiveImages) != 1 || j.ActiveImages[0] != "example/app:2" {
			t.Fatalf("active images %v, want example/app:2", j.ActiveImages)
		}
	})
	checkEndpoints(t, f)
}
