package testenv

import (
	"context"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
)

// App creates in ns a Deployment name (replicas pods labelled app=name, one
// container "app" with podAnnotations on the pod template) and a Service name
// selecting those pods on port 80 → 8080. It does not wait: callers wait for
// what their test needs (Deployment ready, endpoints).
func App(ctx context.Context, t testing.TB, kc kubernetes.Interface, ns, name string, replicas int32, podAnnotations map[string]string) {
	t.Helper()
	lbl := map[string]string{"app": name}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{Replicas: &replicas, Selector: &metav1.LabelSelector{MatchLabels: lbl},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: lbl, Annotations: podAnnotations},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "example/app:1"}}}}},
	}
	if _, err := kc.AppsV1().Deployments(ns).Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create deployment %s/%s: %v", ns, name, err)
	}
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.ServiceSpec{Selector: lbl,
		Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080)}}}}
	if _, err := kc.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create service %s/%s: %v", ns, name, err)
	}
}

// NeverReadyAnnotation on a pod keeps it from ever getting ready on the test
// clusters (hack/cluster/stages.yaml).
const NeverReadyAnnotation = "switchyard.dev/never-ready"

// NeverReadyPatch is a strategic merge patch for an App's Deployment that
// ships a new version (image example/app:never) whose pods never get ready.
const NeverReadyPatch = `{"spec":{"template":{"metadata":{"annotations":{"` + NeverReadyAnnotation + `":"true"}},` +
	`"spec":{"containers":[{"name":"app","image":"example/app:never"}]}}}}`

// Eventually polls ok every 100 ms until it holds, failing the test after
// 90 s (or when ctx ends); describe, if given, says what was seen last.
func Eventually(ctx context.Context, t testing.TB, what string, ok func() bool, describe ...func() string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	for !ok() {
		select {
		case <-ctx.Done():
			last := ""
			if len(describe) > 0 {
				last = ": " + describe[0]()
			}
			t.Fatalf("timed out waiting for %s%s", what, last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
