package groundtruth

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/switchyard/switchyard/internal/testenv"
)

// TestKwokStages checks the knobs tests use to shape pods (hack/cluster/stages.yaml):
// a delay annotation holds readiness back (a lower bound, so load can't make it flaky),
// never-ready keeps the pod from ever getting ready.
func TestKwokStages(t *testing.T) {
	kc, _ := testenv.Clients(t, testenv.Kubeconfig(t))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ns := testenv.Namespace(t, kc, "stages")
	start := time.Now()
	for name, anno := range map[string]map[string]string{
		"fast":  nil,
		"slow":  {"pod-ready.stage.kwok.x-k8s.io/delay": "3s"},
		"never": {testenv.NeverReadyAnnotation: "true"},
	} {
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: anno},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "example/c:1"}}}}
		if _, err := kc.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	fast := waitReady(ctx, t, kc, ns, "fast")
	slow := waitReady(ctx, t, kc, ns, "slow")
	t.Logf("fast ready after %v, slow after %v", fast.Sub(start).Round(time.Millisecond), slow.Sub(start).Round(time.Millisecond))
	if slow.Sub(start) < 3*time.Second {
		t.Errorf("the pod with a 3 s delay was ready after %v", slow.Sub(start))
	}
	if p, err := kc.CoreV1().Pods(ns).Get(ctx, "never", metav1.GetOptions{}); err != nil || ready(p) {
		t.Errorf("the never-ready pod is ready (%v), 3 s after the others", err)
	}
}

func waitReady(ctx context.Context, t *testing.T, kc kubernetes.Interface, ns, name string) time.Time {
	t.Helper()
	for {
		p, err := kc.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if err == nil && ready(p) {
			return time.Now()
		}
		select {
		case <-ctx.Done():
			t.Fatalf("pod %s never got ready", name)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func ready(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
