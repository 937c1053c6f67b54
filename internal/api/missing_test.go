package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/switchyard/switchyard/client"
	"github.com/switchyard/switchyard/internal/cluster"
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
	ws, _ := e.boundWorkspace(ctx, ns)
	for _, name := range []string{"app-bg", "dep-bg"} {
		j := client.NewJob{Name: name, Cluster: "local", Namespace: ns, Deployment: "app", Service: "app"}
		if name == "dep-bg" {
			j.Deployment, j.Service = "app2", "app2"
			e.workload(ctx, ns, "app2", 1)
		}
		if _, err := e.admin.CreateJob(ctx, ws, j); err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		waitPhase(ctx, t, e.admin, ws, name, "Healthy")
	}

	// The Rollout goes.
	_, dyn := testenv.Clients(t, testenv.Kubeconfig(t))
	if err := dyn.Resource(cluster.RolloutGVR).Namespace(ns).Delete(ctx, "app-bg", metav1.DeleteOptions{}); err != nil {
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
	_, err := e.admin.Promote(ctx, ws, "app-bg", false)
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
