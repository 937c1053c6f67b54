package api_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"

	"github.com/switchyard/switchyard/client"
	"github.com/switchyard/switchyard/internal/access"
	"github.com/switchyard/switchyard/internal/api"
	"github.com/switchyard/switchyard/internal/auth"
	"github.com/switchyard/switchyard/internal/cluster"
	"github.com/switchyard/switchyard/internal/release"
	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/testenv"
)

// jobsEnv is an API with clusters and jobs wired in, over SQLite, with the
// local clusters registered: "local" (Argo Rollouts) and "noargo".
type jobsEnv struct {
	*env
	kube kubernetes.Interface
	jobs *release.Service
	api  *api.API
	logs *logRecorder // what the server logged at WARN and above
}

func newJobsEnv(t testing.TB) *jobsEnv {
	t.Helper()
	kubeconfig, noArgo := testenv.Kubeconfig(t), testenv.KubeconfigNoArgo(t)
	ctx := t.Context()
	dir := t.TempDir()
	st, err := store.Open(ctx, store.Options{DataDir: dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	logs := &logRecorder{}
	logger := slog.New(logs)
	hasher := &auth.Hasher{Cost: bcrypt.MinCost}
	if err := auth.Bootstrap(ctx, st, hasher, adminPassword, logger); err != nil {
		t.Fatal(err)
	}
	keyring, err := cluster.LoadKeyring(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	mgr := &cluster.Manager{Store: st, Keyring: keyring, Logger: logger}
	t.Cleanup(mgr.Close)
	for name, path := range map[string]string{"local": kubeconfig, "noargo": noArgo, "down": closedPortKubeconfig(t, kubeconfig)} {
		if _, err := mgr.RegisterFromPath(ctx, name, path, ""); err != nil {
			t.Fatalf("register cluster %s: %v", name, err)
		}
	}
	jobs := &release.Service{Store: st, Clusters: mgr, Logger: logger, Owner: "test", WaitTimeout: time.Minute}
	a := &api.API{Store: st, Auth: auth.NewAuthenticator(st, hasher), Access: &access.Checker{Store: st},
		Metrics: api.NewMetrics(), Logger: logger, Clusters: mgr, Jobs: jobs}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	e := &env{t: t, store: st, url: srv.URL}
	e.admin = e.login("admin", adminPassword)
	kc, _ := testenv.Clients(t, kubeconfig)
	return &jobsEnv{env: e, kube: kc, jobs: jobs, api: a, logs: logs}
}

// closedPortKubeconfig writes a copy of kubeconfig whose server is a closed port.
func closedPortKubeconfig(t testing.TB, kubeconfig string) string {
	t.Helper()
	cfg := testenv.RESTConfig(t, kubeconfig)
	data, err := os.ReadFile(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	out := []byte(strings.ReplaceAll(string(data), cfg.Host, "https://127.0.0.1:1"))
	path := filepath.Join(t.TempDir(), "down.yaml")
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// app makes Deployment "app" (3 replicas) with Service "app" selecting it,
// and Service "other" that selects nothing there, in a fresh namespace.
func (e *jobsEnv) app(ctx context.Context) string {
	ns := testenv.Namespace(e.t, e.kube, "api-jobs")
	e.workload(ctx, ns, "app", 3)
	e.service(ctx, ns, "other", map[string]string{"app": "other"})
	return ns
}

// workload makes Deployment name (replicas pods of example/app:1, labelled
// app=name, container "app") and Service name selecting it, in ns.
func (e *jobsEnv) workload(ctx context.Context, ns, name string, replicas int32) {
	lbl := map[string]string{"app": name}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{Replicas: &replicas, Selector: &metav1.LabelSelector{MatchLabels: lbl},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: lbl},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "example/app:1"}}}}},
	}
	if _, err := e.kube.AppsV1().Deployments(ns).Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		e.t.Fatal(err)
	}
	e.service(ctx, ns, name, lbl)
}

// service makes Service name with selector sel (port 80 to 8080) in ns.
func (e *jobsEnv) service(ctx context.Context, ns, name string, sel map[string]string) {
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.ServiceSpec{Selector: sel,
		Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080)}}}}
	if _, err := e.kube.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		e.t.Fatal(err)
	}
}

// boundWorkspace creates a workspace (no members but admin) bound to
// namespace ns of cluster local.
func (e *jobsEnv) boundWorkspace(ctx context.Context, ns string) (string, *client.Binding) {
	ws := e.workspace(nil)
	b, err := e.admin.CreateBinding(ctx, ws, client.NewBinding{Cluster: "local", Namespace: ns})
	if err != nil {
		e.t.Fatal(err)
	}
	return ws, b
}

// waitPhase polls the job through the API until it reaches phase.
func waitPhase(ctx context.Context, t *testing.T, c *client.Client, ws, name, phase string) *client.Job {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	var last *client.Job
	for {
		j, err := c.Job(ctx, ws, name)
		if err == nil {
			last = j
			if j.Phase == phase {
				return j
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("job %s never reached %q; last %+v, %v", name, phase, last, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// TestJobsThroughAPI walks a job's life through the public client against a
// real server and the local cluster, with the negative cases of creation and
// of the role checks on the way.
func TestJobsThroughAPI(t *testing.T) {
	e := newJobsEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	ns := e.app(ctx)
	editor, viewer, outsider := e.user("ed", false), e.user("vi", false), e.user("out", false)
	ws := e.workspace(map[string]string{"ed": "editor", "vi": "viewer"})
	e.workspace(map[string]string{"out": "admin"})
	for _, b := range []client.NewBinding{{Cluster: "local", Namespace: ns}, {Cluster: "noargo", Namespace: "demo"}, {Cluster: "down", Namespace: "demo"}} {
		if _, err := e.admin.CreateBinding(ctx, ws, b); err != nil {
			t.Fatalf("bind %s/%s: %v", b.Cluster, b.Namespace, err)
		}
	}
	good := client.NewJob{Name: "app-bg", Cluster: "local", Namespace: ns, Deployment: "app", Service: "app"}

	refusals := []struct {
		name   string
		c      *client.Client
		job    func(j client.NewJob) client.NewJob
		status int
		field  string
	}{
		{"viewer", viewer, func(j client.NewJob) client.NewJob { return j }, http.StatusForbidden, ""},
		{"outsider", outsider, func(j client.NewJob) client.NewJob { return j }, http.StatusNotFound, ""},
		{"bad name", editor, func(j client.NewJob) client.NewJob { j.Name = "App_BG"; return j }, http.StatusUnprocessableEntity, "name"},
		{"name too long", editor, func(j client.NewJob) client.NewJob { j.Name = strings.Repeat("a", 64); return j }, http.StatusUnprocessableEntity, "name"},
		{"unbound namespace", editor, func(j client.NewJob) client.NewJob { j.Namespace = "demo"; return j }, http.StatusUnprocessableEntity, "namespace"},
		{"unknown cluster", editor, func(j client.NewJob) client.NewJob { j.Cluster = "nope"; return j }, http.StatusUnprocessableEntity, "cluster"},
		{"cluster without argo", editor, func(j client.NewJob) client.NewJob {
			j.Cluster, j.Namespace, j.Deployment, j.Service = "noargo", "demo", "web", "web"
			return j
		}, http.StatusUnprocessableEntity, "cluster"},
		{"service selects other pods", editor, func(j client.NewJob) client.NewJob { j.Service = "other"; return j }, http.StatusUnprocessableEntity, "service"},
		{"missing deployment", editor, func(j client.NewJob) client.NewJob { j.Deployment = "nope"; return j }, http.StatusUnprocessableEntity, "deployment"},
		{"negative standby", editor, func(j client.NewJob) client.NewJob { d := int32(-5); j.ScaleDownDelaySeconds = &d; return j }, http.StatusUnprocessableEntity, "scale_down_delay_seconds"},
	}
	for _, r := range refusals {
		_, err := r.c.CreateJob(ctx, ws, r.job(good))
		ce := wantStatus(t, "create job: "+r.name, err, r.status)
		if ce != nil && r.field != "" && ce.Field != r.field {
			t.Errorf("create job (%s): field %q, want %q (%s)", r.name, ce.Field, r.field, ce.Message)
		}
	}
	t.Run("cluster unreachable", func(t *testing.T) { checkUnreachableCreate(ctx, t, e, editor, ws) })
	// Several bad fields at once: each is named, so a form can mark them all.
	bad := client.NewJob{Name: "App_BG", Namespace: ns, Deployment: "app", Service: "", ScaleDownDelaySeconds: ptr(int32(-5))}
	_, err := editor.CreateJob(ctx, ws, bad)
	if ce := wantStatus(t, "create job with four bad fields", err, http.StatusUnprocessableEntity); ce != nil {
		var got []string
		for _, f := range ce.Fields {
			got = append(got, f.Field)
			if !strings.HasPrefix(f.Message, f.Field+": ") {
				t.Errorf("field problem %+v: message does not name its field", f)
			}
		}
		if want := []string{"name", "service", "scale_down_delay_seconds", "cluster"}; !slices.Equal(got, want) || ce.Field != "name" {
			t.Errorf("fields at fault %v (first %q), want %v", got, ce.Field, want)
		}
	}
	if l, err := e.admin.Jobs(ctx, ws, client.JobQuery{}); err != nil || l.Total != 0 {
		t.Fatalf("after refused creations: %d jobs, %v; want none created", l.Total, err)
	}

	j, err := editor.CreateJob(ctx, ws, good)
	if err != nil {
		t.Fatalf("create job: %v", err)
	}
	if j.Name != "app-bg" || j.PreviewService != "app-bg-preview" || j.ScaleDownDelaySeconds != 30 || j.CreatedBy != "ed" {
		t.Fatalf("created job = %+v", j)
	}
	_, err = editor.CreateJob(ctx, ws, good)
	wantStatus(t, "create the same job twice", err, http.StatusUnprocessableEntity)
	waitPhase(ctx, t, viewer, ws, "app-bg", client.PhaseHealthy)
	time.Sleep(1100 * time.Millisecond) // see release.TestFullPath: Argo's one-second clock

	_, err = viewer.Deploy(ctx, ws, "app-bg", map[string]string{"app": "example/app:2"})
	wantStatus(t, "viewer deploys", err, http.StatusForbidden)
	_, err = editor.Deploy(ctx, ws, "app-bg", map[string]string{"nope": "example/app:2"})
	wantStatus(t, "deploy to an unknown container", err, http.StatusUnprocessableEntity)
	if _, err := editor.Deploy(ctx, ws, "app-bg", map[string]string{"app": "example/app:2"}); err != nil {
		t.Fatalf("deploy: %v", err)
	}
	j = waitPhase(ctx, t, editor, ws, "app-bg", client.PhaseAwaitingPromotion)
	if c := j.Versions[0].Containers; len(c) != 1 || c[0].Name != "app" || c[0].Image != "example/app:2" {
		t.Fatalf("newest version's containers = %+v, want app=example/app:2", c)
	}
	if len(j.PreviewImages) != 1 || j.PreviewImages[0] != "example/app:2" || j.ActiveImages[0] != "example/app:1" {
		t.Fatalf("awaiting promotion: active %v preview %v; want app:1 active, app:2 preview", j.ActiveImages, j.PreviewImages)
	}
	// Each version lists its own pods, ready, by name (the pod cache may trail the ReplicaSets a moment).
	podsReady := func(v client.Version) bool {
		n := 0
		for _, p := range v.Pods {
			if p.Ready && p.Phase == "Running" && strings.HasPrefix(p.Name, v.ReplicaSet+"-") {
				n++
			}
		}
		return n == 3 && len(v.Pods) == 3
	}
	for deadline := time.Now().Add(10 * time.Second); len(j.Versions) < 2 || !podsReady(j.Versions[0]) || !podsReady(j.Versions[1]); {
		if time.Now().After(deadline) {
			t.Fatalf("awaiting promotion: versions %+v; want 3 ready pods of its own in each", j.Versions)
		}
		time.Sleep(100 * time.Millisecond)
		if j, err = editor.Job(ctx, ws, "app-bg"); err != nil {
			t.Fatal(err)
		}
	}
	_, err = e.admin.DeleteJob(ctx, ws, "app-bg", false)
	if ce := wantStatus(t, "delete while awaiting promotion", err, http.StatusConflict); ce != nil && ce.Phase != client.PhaseAwaitingPromotion {
		t.Errorf("409 phase = %q, want %q", ce.Phase, client.PhaseAwaitingPromotion)
	}

	// Two promotes at once: both end in one state (traffic on green), and a
	// caller whose view is stale (if_phase) is told the current phase.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func() { defer wg.Done(); _, errs[i] = editor.Promote(ctx, ws, "app-bg", false) }()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil && client.StatusOf(err) != http.StatusConflict {
			t.Fatalf("concurrent promote: %v, want success or 409", err)
		}
	}
	j = waitPhase(ctx, t, editor, ws, "app-bg", client.PhaseHealthy)
	if j.ActiveImages[0] != "example/app:2" {
		t.Fatalf("after promote the active version runs %v, want example/app:2", j.ActiveImages)
	}
	_, err = editor.Operate(ctx, ws, "app-bg", "abort", client.Operation{IfPhase: client.PhaseAwaitingPromotion})
	if ce := wantStatus(t, "stale abort", err, http.StatusConflict); ce != nil && ce.Phase != client.PhaseHealthy {
		t.Errorf("stale abort: phase %q, want %q", ce.Phase, client.PhaseHealthy)
	}

	start := time.Now()
	if _, err := editor.Rollback(ctx, ws, "app-bg", 0); err != nil {
		t.Fatalf("rollback: %v", err)
	}
	j = waitPhase(ctx, t, editor, ws, "app-bg", client.PhaseHealthy)
	for j.ActiveImages[0] != "example/app:1" {
		j = waitPhase(ctx, t, editor, ws, "app-bg", client.PhaseHealthy)
	}
	t.Logf("roll back through the API: app:1 serving again after %v", time.Since(start))

	// A promote racing an abort: each succeeds or is refused with 409, and the
	// job settles in one well-defined state whichever wins.
	if _, err := editor.Deploy(ctx, ws, "app-bg", map[string]string{"app": "example/app:3"}); err != nil {
		t.Fatalf("deploy 3: %v", err)
	}
	waitPhase(ctx, t, editor, ws, "app-bg", client.PhaseAwaitingPromotion)
	var race sync.WaitGroup
	raceErrs := make([]error, 2)
	race.Go(func() { _, raceErrs[0] = editor.Promote(ctx, ws, "app-bg", false) })
	race.Go(func() { _, raceErrs[1] = e.admin.Abort(ctx, ws, "app-bg") })
	race.Wait()
	for i, err := range raceErrs {
		if err != nil && client.StatusOf(err) != http.StatusConflict {
			t.Fatalf("%s racing: %v, want success or 409", []string{"promote", "abort"}[i], err)
		}
	}
	settled := func() *client.Job {
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
			j, err := editor.Job(ctx, ws, "app-bg")
			if err == nil && (j.Phase == client.PhaseHealthy || j.Phase == client.PhaseAborted) {
				return j
			}
			if time.Now().After(deadline) {
				t.Fatalf("promote racing abort never settled: %+v, %v", j, err)
			}
		}
	}()
	switch {
	case settled.Phase == client.PhaseHealthy && settled.ActiveImages[0] == "example/app:3":
		t.Logf("promote racing abort: promote won (%v)", raceErrs)
	case settled.Phase == client.PhaseAborted && settled.ActiveImages[0] == "example/app:1":
		t.Logf("promote racing abort: abort won (%v)", raceErrs)
		if _, err := editor.Retry(ctx, ws, "app-bg"); err != nil {
			t.Fatalf("retry after the race: %v", err)
		}
		waitPhase(ctx, t, editor, ws, "app-bg", client.PhaseAwaitingPromotion)
		if _, err := editor.Promote(ctx, ws, "app-bg", false); err != nil {
			t.Fatalf("promote after the race: %v", err)
		}
		waitPhase(ctx, t, editor, ws, "app-bg", client.PhaseHealthy)
	default:
		t.Fatalf("promote racing abort settled %s with %v active: neither outcome", settled.Phase, settled.ActiveImages)
	}
	time.Sleep(1100 * time.Millisecond) // Argo's one-second clock, before the next version

	if _, err := editor.Deploy(ctx, ws, "app-bg", map[string]string{"app": "example/app:4"}); err != nil {
		t.Fatalf("deploy 4: %v", err)
	}
	waitPhase(ctx, t, editor, ws, "app-bg", client.PhaseAwaitingPromotion)
	if _, err := editor.Abort(ctx, ws, "app-bg"); err != nil {
		t.Fatalf("abort: %v", err)
	}
	waitPhase(ctx, t, editor, ws, "app-bg", client.PhaseAborted)

	tl, err := viewer.Timeline(ctx, ws, "app-bg")
	if err != nil || !hasEntry(tl, "switchyard", "job.create") || !hasEntry(tl, "switchyard", "job.abort") || !hasEntry(tl, "kubernetes", "SwitchService") {
		t.Fatalf("timeline = %+v, %v; want job.create, job.abort and Argo's SwitchService events", tl, err)
	}

	_, err = viewer.DeleteJob(ctx, ws, "app-bg", false)
	wantStatus(t, "viewer deletes", err, http.StatusForbidden)
	j, err = editor.DeleteJob(ctx, ws, "app-bg", false)
	if err != nil || j.Phase != client.PhaseDeleted || j.DeletedAt == nil {
		t.Fatalf("delete: %+v, %v; want phase Deleted", j, err)
	}
	_, err = editor.Job(ctx, ws, "app-bg")
	wantStatus(t, "get a deleted job", err, http.StatusNotFound)
	if l, err := viewer.Jobs(ctx, ws, client.JobQuery{IncludeDeleted: true}); err != nil || l.Total != 1 || l.Items[0].Phase != client.PhaseDeleted {
		t.Fatalf("list with deleted jobs = %+v, %v; want the deleted job on record", l, err)
	}
	if l, err := viewer.Jobs(ctx, ws, client.JobQuery{}); err != nil || l.Total != 0 {
		t.Fatalf("list = %+v, %v; want no live job", l, err)
	}
	dep, err := e.kube.AppsV1().Deployments(ns).Get(ctx, "app", metav1.GetOptions{})
	if err != nil || *dep.Spec.Replicas != 3 || dep.Status.AvailableReplicas != 3 || dep.Spec.Template.Spec.Containers[0].Image != "example/app:3" {
		t.Fatalf("after delete the Deployment is %d replicas, %d available, image %s (%v); want 3 available on app:3, the stable version",
			*dep.Spec.Replicas, dep.Status.AvailableReplicas, dep.Spec.Template.Spec.Containers[0].Image, err)
	}
	// The name is free again; a Healthy job deletes without force.
	if _, err := editor.CreateJob(ctx, ws, good); err != nil {
		t.Fatalf("create again after delete: %v", err)
	}
	waitPhase(ctx, t, editor, ws, "app-bg", client.PhaseHealthy)
	if j, err := editor.DeleteJob(ctx, ws, "app-bg", false); err != nil || j.Phase != client.PhaseDeleted {
		t.Fatalf("delete a Healthy job: %+v, %v; want phase Deleted", j, err)
	}
}

func hasEntry(tl []client.TimelineEntry, source, action string) bool {
	for _, e := range tl {
		if e.Source == source && e.Action == action {
			return true
		}
	}
	return false
}

func ptr[T any](v T) *T { return &v }
