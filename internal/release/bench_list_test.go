package release

import (
	"context"
	"fmt"
	"log/slog"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/switchyard/switchyard/internal/cluster"
	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/testenv"
)

// BenchmarkList measures the job list's first page (50 jobs, status read
// from the informer caches) under each filter and sort, and the full page of
// 500, at N jobs spread over four registered clusters (the local cluster
// registered four times: four connections with their own caches) and 100
// namespaces each. A third of the jobs are creating (phase Creating), a
// third active without a Rollout (Degraded) and a third deleting (Deleting):
// phases that stay put, so every iteration reads the same pages.
//
//	go test -run '^$' -bench 'List/' -benchtime 200x ./internal/release
//	go test -run '^$' -bench 'List/jobs=10000' -benchtime 200x ./internal/release
func BenchmarkList(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("jobs=%d", n), func(b *testing.B) {
			s, ws := benchJobs(b, n)
			for _, q := range []struct {
				name string
				f    store.JobFilter
			}{
				{"first-page", store.JobFilter{}},
				{"phase=Degraded", store.JobFilter{Phase: "degraded"}},
				{"phase=Creating,sort=name", store.JobFilter{Phase: "Creating", Sort: "name"}},
				{"phase=Healthy", store.JobFilter{Phase: "Healthy"}},
				{"phase=Deleting,sort=-cluster", store.JobFilter{Phase: "Deleting", Sort: "-cluster"}},
				{"cluster,sort=namespace", store.JobFilter{Cluster: "c2", Sort: "namespace"}},
				{"namespace", store.JobFilter{Namespace: "ns-42"}},
				{"name-contains", store.JobFilter{NameContains: "7-1"}},
				{"all-500", store.JobFilter{Limit: 500}},
			} {
				b.Run(q.name, func(b *testing.B) {
					f := q.f
					f.WorkspaceID = &ws.ID
					if f.Limit == 0 {
						f.Limit = 50
					}
					ctx := context.Background()
					if _, _, err := s.List(ctx, f); err != nil { // warm: connections, first confirmations
						b.Fatal(err)
					}
					for b.Loop() {
						if _, _, err := s.List(ctx, f); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}

// benchJobs returns a Service on SQLite holding n jobs in workspace "team",
// over four registrations of the local cluster.
func benchJobs(b *testing.B, n int) (*Service, store.Workspace) {
	b.Helper()
	kubeconfig := testenv.Kubeconfig(b)
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{DataDir: b.TempDir()}, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	key, _ := cluster.NewKeyring([]byte("0123456789abcdef0123456789abcdef"))
	mgr := &cluster.Manager{Store: st, Keyring: key, Logger: slog.New(slog.DiscardHandler)}
	b.Cleanup(mgr.Close)
	var cs []store.Cluster
	for i := range 4 {
		c, err := mgr.RegisterFromPath(ctx, fmt.Sprintf("c%d", i+1), kubeconfig, "")
		must(b, err)
		cs = append(cs, c)
	}
	ws, err := st.CreateWorkspace(ctx, store.Workspace{Name: "team"})
	must(b, err)
	for i := range n {
		c := cs[i%len(cs)]
		name := fmt.Sprintf("app-%d", i)
		j, err := st.CreateJob(ctx, store.Job{WorkspaceID: ws.ID, Name: name, ClusterID: c.ID, ClusterName: c.Name,
			Namespace: fmt.Sprintf("ns-%02d", i/len(cs)%100), Deployment: name, Service: name, CreatedBy: "bench"})
		must(b, err)
		switch i % 3 {
		case 1:
			must(b, st.SetJobState(ctx, j.ID, store.JobCreating, store.JobActive, false))
		case 2:
			must(b, st.SetJobState(ctx, j.ID, store.JobCreating, store.JobDeleting, false))
		}
	}
	s := &Service{Store: st, Clusters: mgr}
	s.observeJobs(ctx, store.JobFilter{}) // what watchPhases does first
	return s, ws
}

// BenchmarkObserve measures mapping a Rollout in a blue-green switch, its two
// ReplicaSets and Deployment, and six pods to a job's Status: the work of
// one job's view once its objects are read from the caches. No cluster.
//
//	go test -run '^$' -bench Observe ./internal/release
func BenchmarkObserve(b *testing.B) {
	ro := &unstructured.Unstructured{Object: map[string]any{
		"metadata": map[string]any{"name": "web", "generation": int64(2)},
		"status": map[string]any{"observedGeneration": "2", "phase": "Progressing", "currentPodHash": "g", "stableRS": "b",
			"workloadObservedGeneration": "2", "blueGreen": map[string]any{"activeSelector": "b", "previewSelector": "g"}},
	}}
	tmpl := func(image, hash string) corev1.PodTemplateSpec {
		return corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web", HashLabel: hash}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: image}}}}
	}
	rs := func(hash, rev, image string) *appsv1.ReplicaSet {
		r := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "web-" + hash, Labels: map[string]string{HashLabel: hash},
			Annotations: map[string]string{RevisionAnno: rev}}, Spec: appsv1.ReplicaSetSpec{Replicas: ptr(int32(3)), Template: tmpl(image, hash)}}
		r.Status.AvailableReplicas = 3
		return r
	}
	rss := []*appsv1.ReplicaSet{rs("g", "2", "web:2"), rs("b", "1", "web:1")}
	dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Generation: 2}, Spec: appsv1.DeploymentSpec{Template: tmpl("web:2", "")}}
	var pods []*corev1.Pod
	for _, h := range []string{"g", "b"} {
		for i := range 3 {
			pods = append(pods, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("web-%s-%d", h, i), Labels: map[string]string{HashLabel: h}},
				Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}}})
		}
	}
	for b.Loop() {
		st := ObserveWorkload(ro, rss, dep)
		AttachPods(&st, pods)
		if st.Phase != PhaseSwitching {
			b.Fatalf("phase %s, want %s", st.Phase, PhaseSwitching)
		}
	}
}

// BenchmarkChangesPublish measures publishing one informer event to 1,000
// open change streams (console pages), each watching its own namespace:
// the cost every event of a busy cluster pays. No cluster.
//
//	go test -run '^$' -bench ChangesPublish ./internal/release
func BenchmarkChangesPublish(b *testing.B) {
	var h cluster.Changes
	for i := range 1000 {
		ns := fmt.Sprintf("ns-%d", i)
		ch, stop := h.Subscribe(func(c cluster.Change) bool { return c.Namespace == ns })
		b.Cleanup(stop)
		go func() {
			for range ch { // a reader that re-reads its page once per signal
			}
		}()
	}
	i := 0
	for b.Loop() {
		h.Publish(cluster.Change{ClusterID: 1, Namespace: fmt.Sprintf("ns-%d", i%1000)})
		i++
	}
}
