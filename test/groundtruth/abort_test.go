package groundtruth

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	"github.com/switchyard/switchyard/internal/testenv"
)

// TestAbortUnderPromoteFull checks the Argo fact Switchyard's abort relies on
// (domain.md, "Facts measured"): while status.promoteFull is set the
// controller clears status.abort on its next reconcile, so an abort alone
// never takes; cleared in the same patch, it does: Degraded with
// RolloutAborted, the active Service left on blue. Green never gets ready.
func TestAbortUnderPromoteFull(t *testing.T) {
	kc, dc := testenv.Clients(t, testenv.Kubeconfig(t))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ns := testenv.Namespace(t, kc, "groundtruth-abort")
	createApp(ctx, t, kc, ns)
	rollouts := dc.Resource(rolloutsGVR).Namespace(ns)
	if _, err := rollouts.Create(ctx, rolloutObject(ns), metav1.CreateOptions{}); err != nil {
		t.Fatalf("create rollout: %v", err)
	}
	ro := waitRollout(ctx, t, rollouts, "phase Healthy", func(ro *unstructured.Unstructured) bool { return phase(ro) == "Healthy" })
	blue := str(ro, "status", "stableRS")
	waitSelector(ctx, t, kc, ns, "app-active", blue)

	if _, err := kc.AppsV1().Deployments(ns).Patch(ctx, "app", types.StrategicMergePatchType, []byte(testenv.NeverReadyPatch), metav1.PatchOptions{}); err != nil {
		t.Fatalf("ship a never-ready version: %v", err)
	}
	waitRollout(ctx, t, rollouts, "a green ReplicaSet", func(ro *unstructured.Unstructured) bool {
		h := str(ro, "status", "currentPodHash")
		return h != "" && h != blue
	})
	status := func(body string) {
		t.Helper()
		if _, err := rollouts.Patch(ctx, "app", types.MergePatchType, []byte(body), metav1.PatchOptions{}, "status"); err != nil {
			t.Fatalf("patch status %s: %v", body, err)
		}
	}
	status(`{"status":{"promoteFull":true}}`)
	waitRollout(ctx, t, rollouts, "promoteFull set", func(ro *unstructured.Unstructured) bool { return str(ro, "status", "promoteFull") == "true" })
	status(`{"status":{"abort":true}}`)
	waitRollout(ctx, t, rollouts, "abort cleared by the controller (promoteFull still set)", func(ro *unstructured.Unstructured) bool {
		return str(ro, "status", "abort") != "true" && str(ro, "status", "promoteFull") == "true"
	})

	status(`{"status":{"abort":true,"promoteFull":null}}`)
	ro = waitRollout(ctx, t, rollouts, "aborted", func(ro *unstructured.Unstructured) bool {
		return str(ro, "status", "phase") == "Degraded" && strings.HasPrefix(str(ro, "status", "message"), "RolloutAborted")
	})
	if str(ro, "status", "abort") != "true" {
		t.Fatalf("aborted without status.abort: %v", ro.Object["status"])
	}
	if got := selector(ctx, t, kc, ns, "app-active"); got != blue {
		t.Fatalf("after the abort the active Service selects %q, want blue %q", got, blue)
	}
}
