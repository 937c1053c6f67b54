// Package groundtruth holds tests of the platform Switchyard stands on, not of
// Switchyard itself: they prove that the local control plane runs a real Argo
// Rollouts controller that does blue-green the way domain.md describes. Later
// Switchyard tests build on exactly this behaviour.
package groundtruth

import (
	"context"
	"fmt"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/switchyard/switchyard/internal/cluster"
	"github.com/switchyard/switchyard/internal/testenv"
)

// The Argo facts the tests rely on are Switchyard's own (internal/cluster):
// checking them here checks what Switchyard believes.
var rolloutsGVR = cluster.RolloutGVR

const hashLabel = cluster.RolloutHashLabel

// TestBlueGreenWithWorkloadRef walks one blue-green round on the real controller:
// Healthy → new image → Paused with preview on green and active on blue →
// promote → active on green. Every wait fails if the controller is not running.
func TestBlueGreenWithWorkloadRef(t *testing.T) {
	kc, dc := testenv.Clients(t, testenv.Kubeconfig(t))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	ns := testenv.Namespace(t, kc, "groundtruth")

	createApp(ctx, t, kc, ns)
	rollouts := dc.Resource(rolloutsGVR).Namespace(ns)
	if _, err := rollouts.Create(ctx, rolloutObject(ns), metav1.CreateOptions{}); err != nil {
		t.Fatalf("create rollout: %v", err)
	}

	ro := waitRollout(ctx, t, rollouts, "phase Healthy", func(ro *unstructured.Unstructured) bool {
		return phase(ro) == "Healthy"
	})
	blue := str(ro, "status", "stableRS")
	if blue == "" {
		t.Fatalf("healthy rollout has no status.stableRS: %v", ro.Object["status"])
	}
	waitSelector(ctx, t, kc, ns, "app-active", blue)

	// Ship a new version: with workloadRef it is the Deployment's template that changes.
	patch := `{"spec":{"template":{"spec":{"containers":[{"name":"app","image":"example/app:2.0.0"}]}}}}`
	if _, err := kc.AppsV1().Deployments(ns).Patch(ctx, "app", types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatalf("set new image: %v", err)
	}
	ro = waitRollout(ctx, t, rollouts, "phase Paused with a new pod hash", func(ro *unstructured.Unstructured) bool {
		return phase(ro) == "Paused" && str(ro, "status", "currentPodHash") != blue
	})
	green := str(ro, "status", "currentPodHash")
	waitSelector(ctx, t, kc, ns, "app-preview", green)
	if got := selector(ctx, t, kc, ns, "app-active"); got != blue {
		t.Fatalf("while paused, active Service selects %q, want blue %q", got, blue)
	}

	// Promote as the Argo CLI does: unpause, then clear the pause conditions on the status subresource.
	if _, err := rollouts.Patch(ctx, "app", types.MergePatchType, []byte(`{"spec":{"paused":false}}`), metav1.PatchOptions{}); err != nil {
		t.Fatalf("unpause: %v", err)
	}
	if _, err := rollouts.Patch(ctx, "app", types.MergePatchType, []byte(`{"status":{"pauseConditions":null}}`), metav1.PatchOptions{}, "status"); err != nil {
		t.Fatalf("promote: %v", err)
	}
	waitSelector(ctx, t, kc, ns, "app-active", green)
	waitRollout(ctx, t, rollouts, "phase Healthy on green", func(ro *unstructured.Unstructured) bool {
		return phase(ro) == "Healthy" && str(ro, "status", "stableRS") == green
	})
}

func createApp(ctx context.Context, t *testing.T, kc kubernetes.Interface, ns string) {
	t.Helper()
	labels := map[string]string{"app": "app"}
	replicas := int32(3)
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "app", Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "example/app:1.0.0"}}},
			},
		},
	}
	if _, err := kc.AppsV1().Deployments(ns).Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create deployment: %v", err)
	}
	for _, name := range []string{"app-active", "app-preview"} {
		svc := &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: corev1.ServiceSpec{
				Selector: labels,
				Ports:    []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080)}},
			},
		}
		if _, err := kc.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create service %s: %v", name, err)
		}
	}
}

func rolloutObject(ns string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": cluster.RolloutAPIVersion,
		"kind":       "Rollout",
		"metadata":   map[string]any{"name": "app", "namespace": ns},
		"spec": map[string]any{
			"replicas": int64(3),
			"selector": map[string]any{"matchLabels": map[string]any{"app": "app"}},
			"workloadRef": map[string]any{
				"apiVersion": "apps/v1", "kind": "Deployment", "name": "app", "scaleDown": "progressively",
			},
			"strategy": map[string]any{"blueGreen": map[string]any{
				"activeService":         "app-active",
				"previewService":        "app-preview",
				"autoPromotionEnabled":  false,
				"scaleDownDelaySeconds": int64(30),
			}},
		},
	}}
}

func waitRollout(ctx context.Context, t *testing.T, ri dynamic.ResourceInterface, what string, ok func(*unstructured.Unstructured) bool) *unstructured.Unstructured {
	t.Helper()
	var last *unstructured.Unstructured
	for {
		ro, err := ri.Get(ctx, "app", metav1.GetOptions{})
		if err == nil {
			last = ro
			if ok(ro) {
				t.Logf("rollout reached %s", what)
				return ro
			}
		}
		select {
		case <-ctx.Done():
			if last != nil {
				t.Fatalf("rollout never reached %s (is the Argo Rollouts controller running?); last status: %v", what, last.Object["status"])
			}
			t.Fatalf("rollout never reached %s: %v", what, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func waitSelector(ctx context.Context, t *testing.T, kc kubernetes.Interface, ns, svc, want string) {
	t.Helper()
	for {
		got := selector(ctx, t, kc, ns, svc)
		if got == want {
			t.Logf("Service %s selects %s", svc, want)
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("Service %s selects %s=%q, want %q", svc, hashLabel, got, want)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func selector(ctx context.Context, t *testing.T, kc kubernetes.Interface, ns, svc string) string {
	t.Helper()
	s, err := kc.CoreV1().Services(ns).Get(ctx, svc, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get service %s: %v", svc, err)
	}
	return s.Spec.Selector[hashLabel]
}

func phase(ro *unstructured.Unstructured) string {
	// Argo writes observedGeneration as a string; a stale one means the
	// controller has not looked at the latest spec yet (the Argo CLI says Progressing).
	if str(ro, "status", "observedGeneration") != fmt.Sprint(ro.GetGeneration()) {
		return "Progressing"
	}
	return str(ro, "status", "phase")
}

func str(ro *unstructured.Unstructured, fields ...string) string {
	v, _, _ := unstructured.NestedFieldNoCopy(ro.Object, fields...)
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}
