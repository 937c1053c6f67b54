package api_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/switchyard/switchyard/client"
	"github.com/switchyard/switchyard/internal/testenv"
)

// stream runs WatchChanges in the background; its notices arrive on the
// returned channel, and its result on the second once it ends.
func stream(ctx context.Context, t *testing.T, c *client.Client, ws, job string) (<-chan client.Change, <-chan error) {
	t.Helper()
	changes, done := make(chan client.Change, 100), make(chan error, 1)
	go func() {
		done <- c.WatchChanges(ctx, ws, job, func(ch client.Change) { changes <- ch })
	}()
	select {
	case ch := <-changes:
		if !ch.Ready {
			t.Fatalf("first notice %+v, want ready", ch)
		}
	case err := <-done:
		t.Fatalf("change stream ended before it was ready: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("change stream not ready after 10 s")
	}
	return changes, done
}

// awaitChange waits for a notice about cluster/ns and fails on one about
// anything else: the stream must only carry the workspace's namespaces.
func awaitChange(t *testing.T, changes <-chan client.Change, cluster, ns, after string) {
	t.Helper()
	start := time.Now()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case ch := <-changes:
			if ch.Cluster != cluster || ch.Namespace != ns {
				t.Fatalf("notice %+v after %s, want only %s/%s", ch, after, cluster, ns)
			}
			t.Logf("notice after %s: %v", after, time.Since(start).Round(time.Millisecond))
			return
		case <-timeout:
			t.Fatalf("no change notice for %s/%s within 30 s after %s", cluster, ns, after)
		}
	}
}

// TestChangeStream checks the live stream against the local cluster: it is
// refused to outsiders, carries notices for the workspace's namespaces only
// (job records and cluster objects alike), narrows to one job, and ends when
// the server shuts down.
func TestChangeStream(t *testing.T) {
	e := newJobsEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ns, unbound := e.app(ctx), e.app(ctx)
	editor, outsider := e.user("ed", false), e.user("out", false)
	ws := e.workspace(map[string]string{"ed": "editor"})
	if _, err := e.admin.CreateBinding(ctx, ws, client.NewBinding{Cluster: "local", Namespace: ns}); err != nil {
		t.Fatal(err)
	}

	if err := outsider.WatchChanges(ctx, ws, "", func(client.Change) {}); client.StatusOf(err) != http.StatusNotFound {
		t.Errorf("outsider's stream: %v, want 404", err)
	}
	if err := editor.WatchChanges(ctx, ws, "nope", func(client.Change) {}); client.StatusOf(err) != http.StatusNotFound {
		t.Errorf("stream of an unknown job: %v, want 404", err)
	}

	sctx, stop := context.WithCancel(ctx)
	defer stop()
	all, allDone := stream(sctx, t, editor, ws, "")
	// A change in a namespace the workspace is not bound to says nothing.
	scale(ctx, t, e, unbound, 2)
	// The stream connects the cluster itself: nothing else has needed it yet.
	scale(ctx, t, e, ns, 2)
	awaitChange(t, all, "local", ns, "scaling the Deployment before any job")
	for len(all) > 0 { // the cluster's first fill
		<-all
	}
	if _, err := editor.CreateJob(ctx, ws, client.NewJob{Name: "app-bg", Cluster: "local", Namespace: ns, Deployment: "app", Service: "app"}); err != nil {
		t.Fatalf("create job: %v", err)
	}
	awaitChange(t, all, "local", ns, "create")
	waitPhase(ctx, t, editor, ws, "app-bg", client.PhaseHealthy)

	one, oneDone := stream(sctx, t, editor, ws, "app-bg")
	for len(all) > 0 { // drop the burst of the creation
		<-all
	}
	// A change made behind Switchyard's back (kubectl) shows up on both.
	if _, err := e.kube.CoreV1().Events(ns).Create(ctx, &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{GenerateName: "app-bg-"},
		InvolvedObject: corev1.ObjectReference{Kind: "Rollout", Name: "app-bg", Namespace: ns, APIVersion: "argoproj.io/v1alpha1"},
		Reason:         "Test", Message: "poke", Type: corev1.EventTypeNormal,
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	awaitChange(t, one, "local", ns, "a Kubernetes event (job stream)")
	awaitChange(t, all, "local", ns, "a Kubernetes event (workspace stream)")
	scale(ctx, t, e, unbound, 1)

	// Shutdown ends open streams, so that it need not wait for them.
	e.api.CloseStreams()
	for _, done := range []<-chan error{allDone, oneDone} {
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("stream after CloseStreams: %v, want a clean end", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("stream still open 10 s after CloseStreams")
		}
	}
	for len(all) > 0 {
		if ch := <-all; ch.Namespace != ns {
			t.Errorf("workspace stream carried %+v, want only %s", ch, ns)
		}
	}
}

func scale(ctx context.Context, t *testing.T, e *jobsEnv, ns string, n int32) {
	t.Helper()
	patch := fmt.Appendf(nil, `{"spec":{"replicas":%d}}`, n)
	if _, err := e.kube.AppsV1().Deployments(ns).Patch(ctx, "app", types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkChangeNotice measures, on the local cluster, the time from a
// change written to the Kubernetes API (an event in a bound namespace) to
// the notice reaching a client of the change stream: the part of the
// console's and `job watch`'s latency that the stream adds before they
// re-read the job.
//
//	go test -run '^$' -bench ChangeNotice -benchtime 20x ./internal/api
func BenchmarkChangeNotice(b *testing.B) {
	e := newJobsEnv(b)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ns := testenv.Namespace(b, e.kube, "bench-changes")
	ws := e.workspace(nil)
	if _, err := e.admin.CreateBinding(ctx, ws, client.NewBinding{Cluster: "local", Namespace: ns}); err != nil {
		b.Fatal(err)
	}
	notices := make(chan client.Change, 100)
	go func() {
		_ = e.admin.WatchChanges(ctx, ws, "", func(ch client.Change) { notices <- ch })
	}()
	if ch := <-notices; !ch.Ready {
		b.Fatalf("first notice %+v, want ready", ch)
	}
	for b.Loop() {
		if _, err := e.kube.CoreV1().Events(ns).Create(ctx, &corev1.Event{
			ObjectMeta:     metav1.ObjectMeta{GenerateName: "bench-"},
			InvolvedObject: corev1.ObjectReference{Kind: "Rollout", Name: "app-bg", Namespace: ns, APIVersion: "argoproj.io/v1alpha1"},
			Reason:         "Bench", Message: "poke", Type: corev1.EventTypeNormal,
		}, metav1.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
		select {
		case <-notices:
		case <-time.After(30 * time.Second):
			b.Fatal("no notice within 30 s")
		}
	}
}
