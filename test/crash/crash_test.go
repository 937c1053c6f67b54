// Package crash kills a real `switchyard serve` (SIGKILL) in the middle of
// creating and of deleting a blue-green job, restarts it on the same data,
// and checks that nothing is left half done: no orphan Rollout or preview
// Service, the job finished (or cleanly undone), and the application's
// Service never without ready endpoints.
package crash

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/switchyard/switchyard/client"
	"github.com/switchyard/switchyard/internal/release"
	"github.com/switchyard/switchyard/internal/testenv"
)

const password = "crash-test-password"

// server is one run of the switchyard binary on a data directory.
type server struct {
	cmd  *exec.Cmd
	url  string
	done chan struct{}
}

// bin is the switchyard binary TestMain builds for the whole run.
var bin string

func TestMain(m *testing.M) {
	// Only this build of the server reads SWITCHYARD_TEST_CRASH_AFTER
	// (internal/server/crash_crashtest.go).
	os.Exit(testenv.RunWithBinary(m, func(path string) { bin = path }, "-tags", "crashtest"))
}

// start runs the server on dataDir and waits until it is ready. crashAfter,
// when set, makes it kill itself after that step.
func start(t *testing.T, dataDir, addr, crashAfter string) *server {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--addr", addr, "--data-dir", dataDir)
	cmd.Env = append(os.Environ(), "SWITCHYARD_ADMIN_PASSWORD="+password, "SWITCHYARD_TEST_CRASH_AFTER="+crashAfter)
	logf, err := os.OpenFile(filepath.Join(dataDir, "server.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, url: "http://" + addr, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); logf.Close(); close(s.done) }()
	t.Cleanup(func() { s.kill() })
	testenv.WaitReady(t, s.url)
	return s
}

func (s *server) kill() {
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
}

// waitDied waits for the server to kill itself and checks it died of SIGKILL.
func (s *server) waitDied(t *testing.T) {
	t.Helper()
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		t.Fatal("server did not crash at the crash point")
	}
	ws, ok := s.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("server exited with %v, want killed by SIGKILL", s.cmd.ProcessState)
	}
}

func (s *server) admin(t *testing.T) *client.Client {
	t.Helper()
	return testenv.SignIn(t, s.url, "admin", password)
}

// fixture is the application under test and the watch on its Service.
type fixture struct {
	kube  kubernetes.Interface
	ns    string
	watch *testenv.EndpointWatch
}

// newFixture makes Deployment "app" (3 replicas whose pods get ready readyDelay
// after they start) and Service "app", and starts counting the Service's ready endpoints.
func newFixture(ctx context.Context, t *testing.T, readyDelay string) *fixture {
	t.Helper()
	kc, _ := testenv.Clients(t, testenv.Kubeconfig(t))
	ns := testenv.Namespace(t, kc, "crash")
	testenv.App(ctx, t, kc, ns, "app", 3, map[string]string{"pod-ready.stage.kwok.x-k8s.io/delay": readyDelay})
	f := &fixture{kube: kc, ns: ns}
	testenv.Eventually(ctx, t, "the app's endpoints", func() bool { return f.readyEndpoints(ctx) == 3 })
	f.watch = testenv.WatchEndpoints(ctx, t, kc, ns, "app")
	return f
}

func (f *fixture) readyEndpoints(ctx context.Context) int {
	list, err := f.kube.DiscoveryV1().EndpointSlices(f.ns).List(ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=app"})
	if err != nil {
		return -1
	}
	n := 0
	for i := range list.Items {
		n += testenv.ReadyEndpoints(&list.Items[i])
	}
	return n
}

// setup registers the local cluster and a workspace bound to the fixture's namespace.
func setup(ctx context.Context, t *testing.T, c *client.Client, f *fixture) string {
	t.Helper()
	if _, err := c.CreateCluster(ctx, client.NewCluster{Name: "local", Kubeconfig: string(testenv.FlatKubeconfig(t, testenv.Kubeconfig(t)))}); err != nil {
		t.Fatalf("register cluster: %v", err)
	}
	if _, err := c.CreateWorkspace(ctx, client.NewWorkspace{Name: "team"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateBinding(ctx, "team", client.NewBinding{Cluster: "local", Namespace: f.ns}); err != nil {
		t.Fatal(err)
	}
	return "team"
}

func waitJob(ctx context.Context, t *testing.T, c *client.Client, ws, name string, ok func(j *client.Job, err error) bool) {
	t.Helper()
	testenv.Eventually(ctx, t, "job "+name, func() bool {
		j, err := c.Job(ctx, ws, name)
		return ok(j, err)
	})
}

// TestCrashDuringCreate kills the server after each step of a creation and
// checks that the restarted server finishes the job.
func TestCrashDuringCreate(t *testing.T) {
	for _, point := range []string{"record", "apply preview service", "apply rollout"} {
		t.Run(point, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			f := newFixture(ctx, t, "0s")
			data, addr := t.TempDir(), testenv.FreeAddr(t)
			s := start(t, data, addr, "")
			ws := setup(ctx, t, s.admin(t), f)
			s.kill()

			s = start(t, data, addr, point)
			_, err := s.admin(t).CreateJob(ctx, ws, client.NewJob{Name: "app-bg", Cluster: "local", Namespace: f.ns, Deployment: "app", Service: "app"})
			if err == nil {
				t.Fatalf("create returned success although the server was to crash after %q", point)
			}
			s.waitDied(t)

			s = start(t, data, addr, "")
			c := s.admin(t)
			waitJob(ctx, t, c, ws, "app-bg", func(j *client.Job, err error) bool { return err == nil && j.Phase == client.PhaseHealthy })
			preview, err := f.kube.CoreV1().Services(f.ns).Get(ctx, release.PreviewServiceName("app-bg"), metav1.GetOptions{})
			if err != nil || len(preview.OwnerReferences) != 1 || preview.OwnerReferences[0].Kind != "Rollout" {
				t.Fatalf("preview Service after recovery: %v, %v; want it owned by the Rollout", preview.OwnerReferences, err)
			}
			checkEndpoints(t, f)
		})
	}
}

// TestCrashDuringDelete kills the server while a deletion waits for the
// Deployment's pods (slowed to 3 s) and checks that the restarted server
// finishes the deletion with the app serving throughout.
func TestCrashDuringDelete(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	f := newFixture(ctx, t, "3s")
	data, addr := t.TempDir(), testenv.FreeAddr(t)
	s := start(t, data, addr, "")
	c := s.admin(t)
	ws := setup(ctx, t, c, f)
	if _, err := c.CreateJob(ctx, ws, client.NewJob{Name: "app-bg", Cluster: "local", Namespace: f.ns, Deployment: "app", Service: "app"}); err != nil {
		t.Fatalf("create: %v", err)
	}
	waitJob(ctx, t, c, ws, "app-bg", func(j *client.Job, err error) bool { return err == nil && j.Phase == client.PhaseHealthy })

	errc := make(chan error, 1)
	go func() { _, err := c.DeleteJob(ctx, ws, "app-bg", false); errc <- err }()
	// Kill once the deletion has scaled the Deployment up: its pods take 3 s to get ready.
	testenv.Eventually(ctx, t, "the deletion to scale the Deployment up", func() bool {
		select {
		case err := <-errc:
			t.Fatalf("delete returned before the server was killed: %v", err)
		default:
		}
		d, err := f.kube.AppsV1().Deployments(f.ns).Get(ctx, "app", metav1.GetOptions{})
		return err == nil && d.Spec.Replicas != nil && *d.Spec.Replicas == 3 && d.Status.Replicas > 0
	})
	s.kill()
	if err := <-errc; err == nil {
		t.Fatal("delete returned success although the server was killed mid-way")
	}

	s = start(t, data, addr, "")
	c = s.admin(t)
	if j, err := c.Job(ctx, ws, "app-bg"); err != nil || j.Phase != client.PhaseDeleting {
		t.Fatalf("after the crash the job is %+v, %v; want it Deleting", j, err)
	}
	restarted := time.Now()
	waitJob(ctx, t, c, ws, "app-bg", func(_ *client.Job, err error) bool { return client.StatusOf(err) == http.StatusNotFound })
	t.Logf("deletion finished %v after the restart", time.Since(restarted).Round(time.Millisecond))
	_, err := f.kube.CoreV1().Services(f.ns).Get(ctx, release.PreviewServiceName("app-bg"), metav1.GetOptions{})
	if err == nil {
		t.Fatal("preview Service left behind after the recovered deletion")
	}
	svc, err := f.kube.CoreV1().Services(f.ns).Get(ctx, "app", metav1.GetOptions{})
	if err != nil || len(svc.Spec.Selector) != 1 {
		t.Fatalf("Service selector after deletion: %v, %v; want app=app only", svc.Spec.Selector, err)
	}
	d, err := f.kube.AppsV1().Deployments(f.ns).Get(ctx, "app", metav1.GetOptions{})
	if err != nil || d.Status.AvailableReplicas != 3 {
		t.Fatalf("Deployment after deletion: %d available, %v; want 3", d.Status.AvailableReplicas, err)
	}
	checkEndpoints(t, f)
}

func checkEndpoints(t *testing.T, f *fixture) {
	t.Helper()
	min, _, events := f.watch.Stats()
	t.Logf("app Service: %d endpoint changes, minimum %d ready", events, min)
	if min == 0 {
		t.Fatalf("the app Service had 0 ready endpoints at some point (%d changes seen)", events)
	}
}
