package api_test

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/switchyard/switchyard/client"
	"github.com/switchyard/switchyard/internal/cluster"
	"github.com/switchyard/switchyard/internal/testenv"
)

// TestJobChecksThroughAPI: checks set at creation and replaced later through
// the public client; bad input is 422 naming the field with nothing created
// or changed, a query the real Prometheus rejects included.
func TestJobChecksThroughAPI(t *testing.T) {
	e := newJobsEnv(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	prom := testenv.StartPrometheus(t)
	ns := e.app(ctx)
	ws, _ := e.boundWorkspace(ctx, ns)
	_, dyn := testenv.Clients(t, testenv.Kubeconfig(t))
	smoke := client.Check{Name: "smoke", Kind: "http", When: "before", URL: "http://{{preview}}:8080/healthz", Interval: "1s", Count: 2}
	errRate := client.Check{Name: "error-rate", Kind: "prometheus", When: "after", Address: prom.URL,
		Query: `sum(rate(http_requests_total{namespace="{{namespace}}",code=~"5.."}[1m]))`, Condition: "result[0] < 0.01"}
	newJob := func(cs ...client.Check) client.NewJob {
		return client.NewJob{Name: "app-bg", Cluster: "local", Namespace: ns, Deployment: "app", Service: "app", Checks: cs}
	}
	with := func(mod func(c *client.Check), base client.Check) client.Check { mod(&base); return base }
	bad := []struct {
		name  string
		job   client.NewJob
		field string
	}{
		{"url not http", newJob(with(func(c *client.Check) { c.URL = "ftp://example/x" }, smoke)), "checks[0].url"},
		{"url unknown placeholder", newJob(with(func(c *client.Check) { c.URL = "http://{{green}}/x" }, smoke)), "checks[0].url"},
		{"condition does not parse", newJob(smoke, with(func(c *client.Check) { c.Condition = "result[0] <" }, errRate)), "checks[1].condition"},
		{"query Prometheus rejects", newJob(smoke, with(func(c *client.Check) { c.Query = "sum(rate(http_requests_total[1m]" }, errRate)), "checks[1].query"},
		{"promote with nothing to wait for", func() client.NewJob { j := newJob(errRate); j.PromoteWhenChecksPass = true; return j }(), "promote_when_checks_pass"},
	}
	for _, tc := range bad {
		t.Run("refused: "+tc.name, func(t *testing.T) {
			_, err := e.admin.CreateJob(ctx, ws, tc.job)
			if ce := wantStatus(t, "create", err, 422); ce != nil && ce.Field != tc.field {
				t.Errorf("create: field %q (%s), want %q", ce.Field, ce.Message, tc.field)
			}
		})
	}
	t.Run("nothing was created", func(t *testing.T) {
		list, err := e.admin.Jobs(ctx, ws, client.JobQuery{})
		if err != nil || list.Total != 0 {
			t.Fatalf("jobs after refused creations: %+v, %v; want none", list, err)
		}
		tmpls, err := dyn.Resource(cluster.AnalysisTemplateGVR).Namespace(ns).List(ctx, metav1.ListOptions{})
		if err != nil || len(tmpls.Items) != 0 {
			t.Fatalf("analysis templates after refused creations: %d, %v; want none", len(tmpls.Items), err)
		}
		ros, err := dyn.Resource(cluster.RolloutGVR).Namespace(ns).List(ctx, metav1.ListOptions{})
		if err != nil || len(ros.Items) != 0 {
			t.Fatalf("rollouts after refused creations: %d, %v; want none", len(ros.Items), err)
		}
	})

	j, err := e.admin.CreateJob(ctx, ws, newJob(smoke, errRate))
	if err != nil {
		t.Fatalf("create with checks: %v", err)
	}
	if len(j.Checks) != 2 || j.Checks[1].Query != errRate.Query || j.CheckRuns == nil {
		t.Fatalf("created job checks %+v runs %v, want smoke and error-rate, runs []", j.Checks, j.CheckRuns)
	}
	templates := func() int {
		t.Helper()
		l, err := dyn.Resource(cluster.AnalysisTemplateGVR).Namespace(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return len(l.Items)
	}
	if n := templates(); n != 2 {
		t.Fatalf("analysis templates: %d, want 2 (before, after)", n)
	}

	t.Run("a bad replacement changes nothing", func(t *testing.T) {
		_, err := e.admin.SetChecks(ctx, ws, "app-bg", []client.Check{with(func(c *client.Check) { c.Interval = "forever" }, smoke)}, false)
		if ce := wantStatus(t, "set checks", err, 422); ce != nil && ce.Field != "checks[0].interval" {
			t.Errorf("set checks: field %q, want checks[0].interval", ce.Field)
		}
		if got, err := e.admin.Job(ctx, ws, "app-bg"); err != nil || len(got.Checks) != 2 {
			t.Fatalf("checks after a refused replacement: %+v, %v; want the 2 of before", got, err)
		}
	})
	t.Run("replaced in place", func(t *testing.T) {
		got, err := e.admin.SetChecks(ctx, ws, "app-bg", []client.Check{smoke}, true)
		if err != nil || len(got.Checks) != 1 || !got.PromoteWhenChecksPass {
			t.Fatalf("set checks: %+v, %v; want smoke only, promote when checks pass", got, err)
		}
		if n := templates(); n != 1 {
			t.Fatalf("analysis templates: %d, want 1", n)
		}
		got, err = e.admin.SetChecks(ctx, ws, "app-bg", nil, false)
		if err != nil || len(got.Checks) != 0 {
			t.Fatalf("remove every check: %+v, %v", got, err)
		}
		if n := templates(); n != 0 {
			t.Fatalf("analysis templates after removing every check: %d, want 0", n)
		}
	})
}
