package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/dynamic"

	"github.com/switchyard/switchyard/client"
	"github.com/switchyard/switchyard/internal/release"
	"github.com/switchyard/switchyard/internal/testenv"
)

// TestMissingObjects: when a job's Rollout or Deployment is deleted outside
// Switchyard, the job says so (Degraded, naming what is missing) and its
// operations answer 409 "missing" with the reason, never a 500; deleting the
// job still works.
func TestMissingObjects(t *testing.T) {
	e := newJobsEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ns := e.app(ctx)
	ws := e.workspace(nil)
	if _, err := e.admin.CreateBinding(ctx, ws, client.NewBinding{Cluster: "local", Namespace: ns}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"app-bg", "dep-bg"} {
		j := client.NewJob{Name: name, Cluster: "local", Namespace: ns, Deployment: "app", Service: "app"}
		if name == "dep-bg" {
			j.Deployment, j.Service = "app2", "app2"
			e.second(ctx, ns)
		}
		if _, err := e.admin.CreateJob(ctx, ws, j); err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		waitPhase(ctx, t, e.admin, ws, name, "Healthy")
	}

	// The Rollout goes.
	dyn, err := dynamic.NewForConfig(testenv.RESTConfig(t, testenv.Kubeconfig(t)))
	if err != nil {
		t.Fatal(err)
	}
	if err := dyn.Resource(release.RolloutGVR).Namespace(ns).Delete(ctx, "app-bg", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	j := waitPhase(ctx, t, e.admin, ws, "app-bg", "Degraded")
	t.Logf("job without its Rollout: %s", j.Message)
	if !strings.Contains(j.Message, "missing") {
		t.Errorf("job without its Rollout: message %q does not say it is missing", j.Message)
	}
	missing := func(what string, err error) {
		t.Helper()
		t.Logf("%s: %v", what, err)
		if ce := wantStatus(t, what, err, http.StatusConflict); ce != nil && (ce.Code != "missing" || !strings.Contains(ce.Message, "missing from the cluster")) {
			t.Errorf("%s: code %q, message %q; want code missing and the reason", what, ce.Code, ce.Message)
		}
	}
	_, err = e.admin.Promote(ctx, ws, "app-bg", false)
	missing("promote without a Rollout", err)
	_, err = e.admin.Operate(ctx, ws, "app-bg", "abort", client.Operation{IfPhase: "Degraded"})
	missing("abort with if_phase without a Rollout", err)
	_, err = e.admin.Rollback(ctx, ws, "app-bg", 0)
	missing("rollback without a Rollout", err)
	if _, err := e.admin.DeleteJob(ctx, ws, "app-bg", false); err != nil {
		t.Errorf("delete a job whose Rollout is gone: %v", err)
	}

	// The Deployment goes.
	if err := e.kube.AppsV1().Deployments(ns).Delete(ctx, "app2", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err = e.admin.Deploy(ctx, ws, "dep-bg", map[string]string{"app": "example/app:2"})
	t.Logf("deploy without a Deployment: %v", err)
	if ce := wantStatus(t, "deploy without a Deployment", err, http.StatusConflict); ce != nil && !strings.Contains(ce.Message, `"app2" not found`) {
		t.Errorf("deploy without a Deployment: message %q does not name it", ce.Message)
	}
}

// second makes Deployment "app2" (1 replica) and Service "app2" selecting it in ns.
func (e *jobsEnv) second(ctx context.Context, ns string) {
	t := e.t
	lbl := map[string]string{"app": "app2"}
	replicas := int32(1)
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "app2"},
		Spec: appsv1.DeploymentSpec{Replicas: &replicas, Selector: &metav1.LabelSelector{MatchLabels: lbl},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: lbl},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "example/app:1"}}}}},
	}
	if _, err := e.kube.AppsV1().Deployments(ns).Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "app2"}, Spec: corev1.ServiceSpec{Selector: lbl,
		Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080)}}}}
	if _, err := e.kube.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}
