package release

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/switchyard/switchyard/internal/cluster"
	"github.com/switchyard/switchyard/internal/testenv"
)

// app creates a Deployment "app" (3 replicas, container "app") and a Service
// "app" selecting it, and waits until the Deployment is available.
func app(ctx context.Context, t testing.TB, e *Engine, ns string) {
	t.Helper()
	lbl := map[string]string{"app": "app"}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "app", Labels: lbl},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr(int32(3)),
			Selector: &metav1.LabelSelector{MatchLabels: lbl},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: lbl},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "example/app:1"}}},
			},
		},
	}
	if _, err := e.Kube.AppsV1().Deployments(ns).Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create deployment: %v", err)
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "app"},
		Spec:       corev1.ServiceSpec{Selector: lbl, Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080)}}},
	}
	if _, err := e.Kube.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create service: %v", err)
	}
	if err := e.waitDeployment(ctx, Target{Spec: Spec{Namespace: ns, Deployment: "app"}}, nil, 3); err != nil {
		t.Fatal(err)
	}
}

func selectorHash(ctx context.Context, t *testing.T, e *Engine, ns, svc string) string {
	t.Helper()
	s, err := e.Kube.CoreV1().Services(ns).Get(ctx, svc, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get service %s: %v", svc, err)
	}
	return s.Spec.Selector[HashLabel]
}

func engine(t *testing.T) *Engine {
	kc, dc := testenv.Clients(t, testenv.Kubeconfig(t))
	return &Engine{Kube: kc, Dynamic: dc, Poll: 100 * time.Millisecond}
}

// TestFullPath walks a job through its whole life on the real controller while
// a watcher counts the ready endpoints of the active Service: create → Healthy
// → deploy → Awaiting promotion → promote → roll back inside the standby window
// → deploy → abort → delete. The endpoints must never reach 0.
func TestFullPath(t *testing.T) {
	e := engine(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	ns := testenv.Namespace(t, e.Kube, "release")
	app(ctx, t, e, ns)
	watcher := testenv.WatchEndpoints(ctx, t, e.Kube, ns, "app")
	tg := Target{Workspace: "team", Spec: Spec{Name: "app-bg", Namespace: ns, Deployment: "app", Service: "app"}}

	if err := e.Check(ctx, tg); err != nil {
		t.Fatalf("check: %v", err)
	}
	if err := e.Create(ctx, tg); err != nil {
		t.Fatalf("create: %v", err)
	}
	st := mustPhase(ctx, t, e, tg, PhaseHealthy)
	blue := st.Versions[0].PodHash
	// Argo tells a roll back from a roll forward by the ReplicaSets' creation
	// times, which have one-second resolution; kwok is fast enough to create
	// blue and green within one second, which no real release does.
	time.Sleep(1100 * time.Millisecond)

	if err := e.Deploy(ctx, tg, map[string]string{"app": "example/app:2"}); err != nil {
		t.Fatalf("deploy: %v", err)
	}
	st = mustPhase(ctx, t, e, tg, PhaseAwaitingPromotion)
	green := st.Versions[0].PodHash
	if green == blue || !st.Versions[0].Preview || st.Versions[0].Active {
		t.Fatalf("awaiting promotion: versions %+v, want newest = green (preview, not active)", st.Versions)
	}
	if got := selectorHash(ctx, t, e, ns, "app"); got != blue {
		t.Fatalf("active Service selects %q before promotion, want blue %q", got, blue)
	}

	if err := e.Promote(ctx, tg, false); err != nil {
		t.Fatalf("promote: %v", err)
	}
	st = mustPhase(ctx, t, e, tg, PhaseHealthy)
	if got := selectorHash(ctx, t, e, ns, "app"); got != green {
		t.Fatalf("active Service selects %q after promotion, want green %q", got, green)
	}
	if old := st.Versions[1]; old.PodHash != blue || old.Ready == 0 || old.ScaleDownAt == nil {
		t.Fatalf("after promotion blue should stand by with a scale-down deadline: %+v", old)
	}

	start := time.Now()
	if rev, err := e.Rollback(ctx, tg, 0); err != nil || rev != 1 {
		t.Fatalf("rollback: revision %d, %v; want revision 1", rev, err)
	}
	waitSelector(ctx, t, e, ns, "app", blue)
	t.Logf("roll back inside the standby window: active Service back on blue after %v", time.Since(start))
	mustPhase(ctx, t, e, tg, PhaseHealthy)

	if err := e.Deploy(ctx, tg, map[string]string{"app": "example/app:3"}); err != nil {
		t.Fatalf("deploy 3: %v", err)
	}
	mustPhase(ctx, t, e, tg, PhaseAwaitingPromotion)
	var conflict *ConflictError
	if err := e.Delete(ctx, tg, false); !errors.As(err, &conflict) {
		t.Fatalf("delete while awaiting promotion: %v, want a ConflictError", err)
	}
	if err := e.Abort(ctx, tg); err != nil {
		t.Fatalf("abort: %v", err)
	}
	mustPhase(ctx, t, e, tg, PhaseAborted)
	if got := selectorHash(ctx, t, e, ns, "app"); got != blue {
		t.Fatalf("after abort the active Service selects %q, want blue %q", got, blue)
	}

	if err := e.Delete(ctx, tg, false); err != nil {
		t.Fatalf("delete: %v", err)
	}
	assertPlain(ctx, t, e, tg, "example/app:1")
	time.Sleep(2 * time.Second) // let the endpoint controller catch up with the last deletions
	min, last, events := watcher.Stats()
	t.Logf("active Service endpoints: %d changes seen, minimum %d ready, last %d", events, min, last)
	if events == 0 || min <= 0 || last != 3 {
		t.Fatalf("ready endpoints of the active Service: min %d, last %d over %d changes; want min > 0 and last 3", min, last, events)
	}
}

// assertPlain checks the application is a plain Deployment + Service again.
func assertPlain(ctx context.Context, t *testing.T, e *Engine, tg Target, image string) {
	t.Helper()
	ns := tg.Spec.Namespace
	if _, err := e.getRollout(ctx, tg); !errors.Is(err, ErrNotFound) {
		t.Fatalf("rollout after delete: %v, want not found", err)
	}
	if _, err := e.Kube.CoreV1().Services(ns).Get(ctx, PreviewServiceName(tg.Spec.Name), metav1.GetOptions{}); err == nil {
		t.Fatalf("preview service still exists after delete")
	}
	svc, err := e.Kube.CoreV1().Services(ns).Get(ctx, "app", metav1.GetOptions{})
	if err != nil || len(svc.Spec.Selector) != 1 || svc.Annotations[cluster.ManagedByRolloutAnnotation] != "" {
		t.Fatalf("service after delete: %+v %v; want selector app=app only, no managed-by annotation", svc.Spec.Selector, err)
	}
	dep, err := e.Kube.AppsV1().Deployments(ns).Get(ctx, "app", metav1.GetOptions{})
	if err != nil || !DeploymentAvailable(dep) || *dep.Spec.Replicas != 3 || dep.Spec.Template.Spec.Containers[0].Image != image {
		t.Fatalf("deployment after delete: replicas %v image %s available %v (%v); want 3 × %s available",
			dep.Spec.Replicas, dep.Spec.Template.Spec.Containers[0].Image, DeploymentAvailable(dep), err, image)
	}
	err = e.wait(ctx, "the rollout's replicasets to go", func(ctx context.Context) (bool, error) {
		list, err := e.Kube.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		for _, rs := range list.Items {
			if _, ok := rs.Labels[HashLabel]; ok {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func mustPhase(ctx context.Context, t *testing.T, e *Engine, tg Target, p Phase) Status {
	t.Helper()
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	st, err := e.WaitPhase(wctx, tg, p)
	if err != nil {
		t.Fatalf("job never reached %q: last status %+v: %v", p, st, err)
	}
	return st
}

func waitSelector(ctx context.Context, t *testing.T, e *Engine, ns, svc, want string) {
	t.Helper()
	err := e.wait(ctx, "service "+svc+" to select "+want, func(ctx context.Context) (bool, error) {
		return selectorHash(ctx, t, e, ns, svc) == want, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func deployment(name string, replicas int32, lbl map[string]string) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: lbl},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: lbl},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: name, Image: "example/" + name + ":1"}}},
			},
		},
	}
}

// TestCheckRefuses runs creation's cluster checks against bad targets on the
// real cluster: each must fail with a FieldError on the right field.
func TestCheckRefuses(t *testing.T) {
	e := engine(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ns := testenv.Namespace(t, e.Kube, "check")
	app(ctx, t, e, ns)
	taken := Target{Workspace: "team", Spec: Spec{Name: "taken", Namespace: ns, Deployment: "app", Service: "app"}}
	if err := e.Create(ctx, taken); err != nil {
		t.Fatalf("create: %v", err)
	}
	mustPhase(ctx, t, e, taken, PhaseHealthy)
	// More Deployments: "other" (its own Service "other", and Services that
	// select nothing of it), "zero" (0 replicas) and "app2" (pods the Service
	// "app", now managed by the job "taken", also selects).
	other := deployment("other", 1, map[string]string{"app": "other"})
	for _, d := range []*appsv1.Deployment{other, deployment("zero", 0, map[string]string{"app": "zero"}), deployment("app2", 1, map[string]string{"app": "app", "v": "2"})} {
		if _, err := e.Kube.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for name, sel := range map[string]map[string]string{"other": {"app": "other"}, "zero": {"app": "zero"}, "nothing": {"app": "nothing"}, "empty": nil} {
		svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.ServiceSpec{Selector: sel, Ports: []corev1.ServicePort{{Port: 80}}}}
		if _, err := e.Kube.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name  string
		spec  Spec
		field string
		rule  string
	}{
		{"missing deployment", Spec{Name: "x", Deployment: "nope", Service: "app"}, "deployment", "does not exist"},
		{"missing service", Spec{Name: "x", Deployment: "other", Service: "nope"}, "service", "does not exist"},
		{"deployment already released", Spec{Name: "x", Deployment: "app", Service: "app"}, "deployment", `already released by Rollout "taken"`},
		{"service selects other pods", Spec{Name: "x", Deployment: "other", Service: "nothing"}, "service", "does not select"},
		{"service without selector", Spec{Name: "x", Deployment: "other", Service: "empty"}, "service", "has no selector"},
		{"service managed by another rollout", Spec{Name: "x", Deployment: "app2", Service: "app"}, "service", `already managed by Rollout "taken"`},
		{"deployment scaled to zero", Spec{Name: "x", Deployment: "zero", Service: "zero"}, "deployment", "0 replicas"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.spec.Namespace = ns
			err := e.Check(ctx, Target{Workspace: "team", Spec: tt.spec})
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field || !strings.Contains(fe.Rule, tt.rule) {
				t.Fatalf("Check = %v; want a FieldError on %q containing %q", err, tt.field, tt.rule)
			}
		})
	}
	// A Rollout that is not Switchyard's but has the job's name.
	if err := e.Check(ctx, Target{Spec: Spec{Name: "ok", Namespace: ns, Deployment: "other", Service: "other"}}); err != nil {
		t.Fatalf("Check of a valid target = %v", err)
	}
	foreign := Rollout(Target{Spec: Spec{Name: "foreign", Namespace: ns, Deployment: "zero", Service: "zero"}}, other)
	foreign.SetLabels(nil)
	if _, err := e.rollouts(ns).Create(ctx, foreign, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	err := e.Check(ctx, Target{Spec: Spec{Name: "foreign", Namespace: ns, Deployment: "app", Service: "app"}})
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "name" {
		t.Fatalf("Check with a foreign Rollout's name = %v, want a FieldError on name", err)
	}
}

// TestWaitDeploymentScalesUpAgain plays an Argo reconcile that still works
// from the old spec (scaleDown: progressively) and scales the Deployment back
// to 0 just after a deletion scaled it up: the wait must scale it up again
// rather than wait forever for pods that will never come.
func TestWaitDeploymentScalesUpAgain(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e := engine(t)
	ns := testenv.Namespace(t, e.Kube, "rescale")
	app(ctx, t, e, ns)
	tg := Target{Spec: Spec{Namespace: ns, Deployment: "app"}}
	deps := e.Kube.AppsV1().Deployments(ns)
	if _, err := deps.UpdateScale(ctx, "app", &autoscalingv1.Scale{ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: ns}, Spec: autoscalingv1.ScaleSpec{Replicas: 0}}, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := e.restoreDeployment(ctx, tg, nil, 3); err != nil {
		t.Fatal(err)
	}
	if _, err := deps.UpdateScale(ctx, "app", &autoscalingv1.Scale{ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: ns}, Spec: autoscalingv1.ScaleSpec{Replicas: 0}}, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := e.waitDeployment(ctx, tg, nil, 3); err != nil {
		t.Fatalf("wait after the Deployment was scaled down behind our back: %v", err)
	}
	d, err := deps.Get(ctx, "app", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if *d.Spec.Replicas != 3 || d.Status.AvailableReplicas != 3 {
		t.Fatalf("Deployment after the wait: %d replicas, %d available; want 3 and 3", *d.Spec.Replicas, d.Status.AvailableReplicas)
	}
}

// TestPromoteSticks promotes at the two moments when there is no pause yet
// to lift (right after a retry, before Argo has processed it, and while green
// is still coming up): the release must still end on the new version, not
// wait in a pause that undid the promote.
func TestPromoteSticks(t *testing.T) {
	e := engine(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ns := testenv.Namespace(t, e.Kube, "promote")
	app(ctx, t, e, ns)
	tg := Target{Workspace: "team", Spec: Spec{Name: "app-bg", Namespace: ns, Deployment: "app", Service: "app"}}
	if err := e.Create(ctx, tg); err != nil {
		t.Fatal(err)
	}
	healthyOn := func(image string) {
		t.Helper()
		st, err := e.WaitPhase(ctx, tg, PhaseHealthy)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range st.Versions {
			if v.Active && v.Images[0] != image {
				t.Fatalf("Healthy on %v, want %s", v.Images, image)
			}
		}
		time.Sleep(1100 * time.Millisecond) // Argo's one-second clock
	}
	healthyOn("example/app:1")

	// Right after a retry.
	if err := e.Deploy(ctx, tg, map[string]string{"app": "example/app:2"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.WaitPhase(ctx, tg, PhaseAwaitingPromotion); err != nil {
		t.Fatal(err)
	}
	if err := e.Abort(ctx, tg); err != nil {
		t.Fatal(err)
	}
	if _, err := e.WaitPhase(ctx, tg, PhaseAborted); err != nil {
		t.Fatal(err)
	}
	if err := e.Retry(ctx, tg); err != nil {
		t.Fatal(err)
	}
	if err := e.Promote(ctx, tg, false); err != nil {
		t.Fatalf("promote right after the retry: %v", err)
	}
	healthyOn("example/app:2")

	// While green is still coming up (its pods take 3 s to get ready).
	if _, err := e.Kube.AppsV1().Deployments(ns).Patch(ctx, "app", types.MergePatchType,
		[]byte(`{"spec":{"template":{"metadata":{"annotations":{"pod-ready.stage.kwok.x-k8s.io/delay":"3s"}},"spec":{"containers":[{"name":"app","image":"example/app:3"}]}}}}`),
		metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.WaitPhase(ctx, tg, PhaseProgressing); err != nil {
		t.Fatal(err)
	}
	if err := e.Promote(ctx, tg, false); err != nil {
		t.Fatalf("promote while green comes up: %v", err)
	}
	healthyOn("example/app:3")
}
