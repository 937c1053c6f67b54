package cluster

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"

	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/testenv"
)

// ignoredInstance labels the test's Rollouts for a controller instance that
// does not run: the cluster's Argo Rollouts controller leaves them alone.
const ignoredInstance = "switchyard-test-ignored"

// rollout is a Rollout of Deployment "app" the way a job makes one
// (managed true) or another tool would (false), with a last-applied copy
// of itself as kubectl apply leaves.
func rollout(name string, managed bool) *unstructured.Unstructured {
	labels := map[string]any{"argo-rollouts.argoproj.io/controller-instance-id": ignoredInstance}
	if managed {
		labels[ManagedByLabel] = ManagedByValue
	}
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": RolloutAPIVersion, "kind": RolloutKind,
		"metadata": map[string]any{"name": name, "labels": labels},
		"spec": map[string]any{
			"workloadRef": map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "name": "app"},
			"strategy":    map[string]any{"blueGreen": map[string]any{"activeService": name}},
		},
	}}
	b, _ := u.MarshalJSON()
	u.SetAnnotations(map[string]string{lastApplied: string(b)})
	return u
}

// TestCachesHoldOnlyManaged: the caches hold the Rollouts Switchyard made
// and not the others, the pods Argo Rollouts made and not the others, and
// what they hold is trimmed: no managedFields, no last-applied copy, pods
// without their containers' specs.
func TestCachesHoldOnlyManaged(t *testing.T) {
	ctx := context.Background()
	conn, kc := connectLocal(t)
	_, dyn := testenv.Clients(t, testenv.Kubeconfig(t))
	ns := testenv.Namespace(t, kc, "cache-scope")
	for _, r := range []*unstructured.Unstructured{rollout("ours", true), rollout("theirs", false)} {
		if _, err := dyn.Resource(RolloutGVR).Namespace(ns).Create(ctx, r, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	pod := func(name string, labels map[string]string) {
		t.Helper()
		p := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels, Annotations: map[string]string{"note": "kept", lastApplied: "{}"}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "example/app:1",
				Env: []corev1.EnvVar{{Name: "A", Value: "a"}}, Args: []string{"--serve"}}}},
		}
		if _, err := kc.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	pod("argo-made", map[string]string{RolloutHashLabel: "abc"})
	pod("plain", map[string]string{"app": "plain"})

	testenv.Eventually(ctx, t, "our Rollout and Argo's pod in the caches", func() bool {
		_, rerr := conn.Rollout(ctx, ns, "ours")
		_, perr := conn.Listers.Pods.Pods(ns).Get("argo-made")
		return rerr == nil && perr == nil
	})
	ro, _ := conn.Rollout(ctx, ns, "ours")
	if len(ro.GetManagedFields()) > 0 || ro.GetAnnotations()[lastApplied] != "" {
		t.Errorf("cached Rollout keeps managedFields (%d) or its last-applied copy (%d bytes)", len(ro.GetManagedFields()), len(ro.GetAnnotations()[lastApplied]))
	}
	if _, err := conn.Rollout(ctx, ns, "theirs"); err == nil {
		t.Error("a Rollout Switchyard did not make is cached")
	}
	p, _ := conn.Listers.Pods.Pods(ns).Get("argo-made")
	if len(p.Spec.Containers) > 0 || len(p.ManagedFields) > 0 || len(p.Annotations) > 0 || p.Labels[RolloutHashLabel] != "abc" || p.CreationTimestamp.IsZero() {
		t.Errorf("cached pod not trimmed to what a view reads: %+v", p)
	}
	if _, err := conn.Listers.Pods.Pods(ns).Get("plain"); err == nil {
		t.Error("a pod Argo Rollouts did not make is cached")
	}
}

var benchRollouts = flag.Int("bench-rollouts", 200, "BenchmarkCacheHeap: Rollouts Switchyard made, and as many it did not")

// BenchmarkCacheHeap reports the heap a cluster connection's caches grow by
// per 1,000 Rollouts Switchyard made (heap-B/1000-rollouts), and the heap
// that as many Rollouts it did not make add (unrelated-B/1000-rollouts:
// about zero, they are not cached). The heap is read after two GCs with a
// fresh connection each time, so the figures are noisy at small sizes. Rollouts are created in a namespace of
// the local cluster, for a controller instance that does not run; use a
// cluster of your own for thousands (-bench-rollouts 10000).
//
//	go test -run '^$' -bench CacheHeap -benchtime 1x ./internal/cluster
func BenchmarkCacheHeap(b *testing.B) {
	ctx := context.Background()
	kubeconfig := testenv.Kubeconfig(b)
	kc, dyn := testenv.Clients(b, kubeconfig)
	n := *benchRollouts
	for b.Loop() {
		ns := testenv.Namespace(b, kc, "cache-heap")
		base := connectedHeap(ctx, b, kubeconfig, ns, 0)
		create(ctx, b, dyn, ns, "ours", n, true)
		ours := connectedHeap(ctx, b, kubeconfig, ns, n)
		create(ctx, b, dyn, ns, "theirs", n, false)
		both := connectedHeap(ctx, b, kubeconfig, ns, n)
		b.ReportMetric(float64(int64(ours)-int64(base))*1000/float64(n), "heap-B/1000-rollouts")
		b.ReportMetric(float64(int64(both)-int64(ours))*1000/float64(n), "unrelated-B/1000-rollouts")
	}
}

func create(ctx context.Context, b *testing.B, dyn dynamic.Interface, ns, prefix string, n int, managed bool) {
	b.Helper()
	for i := range n {
		if _, err := dyn.Resource(RolloutGVR).Namespace(ns).Create(ctx, rollout(fmt.Sprintf("%s-%d", prefix, i), managed), metav1.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// connectedHeap connects to the cluster with a fresh Manager, waits until
// its caches are filled and its Rollout cache holds want of ns's Rollouts,
// and returns the live heap then, the Manager still open. Then it closes it.
func connectedHeap(ctx context.Context, b *testing.B, kubeconfig string, ns string, want int) uint64 {
	b.Helper()
	st, err := store.Open(ctx, store.Options{DataDir: b.TempDir()}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	key, _ := NewKeyring([]byte("0123456789abcdef0123456789abcdef"))
	m := &Manager{Store: st, Keyring: key}
	defer m.Close()
	c, err := m.RegisterFromPath(ctx, "heap", kubeconfig, "")
	if err != nil {
		b.Fatal(err)
	}
	conn, err := m.Conn(ctx, c.ID)
	if err != nil {
		b.Fatal(err)
	}
	testenv.Eventually(ctx, b, fmt.Sprintf("%d Rollouts cached", want), func() bool {
		ros, err := conn.Rollouts(ctx, ns)
		return err == nil && len(ros) == want
	})
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
