package api_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/client"
)

// scrape returns the server's /metrics text.
func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d %v", resp.StatusCode, err)
	}
	return string(b)
}

// waitMetric scrapes until the sample line (name{labels} value) appears.
func waitMetric(ctx context.Context, t *testing.T, url, sample string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		text := scrape(t, url)
		if hasSample(text, sample) {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("metrics never had %q; last scrape:\n%s", sample, grepSwitchyard(text))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func hasSample(text, sample string) bool {
	for l := range strings.SplitSeq(text, "\n") {
		if l == sample {
			return true
		}
	}
	return false
}

func grepSwitchyard(text string) string {
	var out []string
	for l := range strings.SplitSeq(text, "\n") {
		if strings.HasPrefix(l, "switchyard_") && !strings.HasPrefix(l, "switchyard_http_") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestReleaseMetrics carries a job through deploy → promote → rollback on
// the local cluster and reads what a release team graphs and alerts on:
// jobs by live phase, operations by kind and outcome, the switch and
// switch-back durations (observed once each), cluster reachability and the
// build info.
func TestReleaseMetrics(t *testing.T) {
	e := newJobsEnv(t)
	e.api.Metrics.WatchJobs(e.jobs, e.api.Clusters)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	ns := e.app(ctx)
	ws, _ := e.boundWorkspace(ctx, ns)

	text := scrape(t, e.url)
	for _, want := range []string{
		`switchyard_jobs{phase="Healthy"} 0`,
		`switchyard_cluster_reachable{cluster="local"} 1`,
		`switchyard_cluster_reachable{cluster="down"} 0`,
	} {
		if !hasSample(text, want) {
			t.Errorf("before any job: no %q in\n%s", want, grepSwitchyard(text))
		}
	}
	if !strings.Contains(text, "switchyard_build_info{goversion=\"go") {
		t.Errorf("no switchyard_build_info in\n%s", grepSwitchyard(text))
	}

	if _, err := e.admin.CreateJob(ctx, ws, client.NewJob{Name: "app-bg", Cluster: "local", Namespace: ns, Deployment: "app", Service: "app"}); err != nil {
		t.Fatalf("create job: %v", err)
	}
	waitPhase(ctx, t, e.admin, ws, "app-bg", client.PhaseHealthy)
	waitMetric(ctx, t, e.url, `switchyard_jobs{phase="Healthy"} 1`)
	time.Sleep(1100 * time.Millisecond) // see release.TestFullPath: Argo's one-second clock

	_, err := e.admin.Promote(ctx, ws, "app-bg", false)
	wantStatus(t, "promote with nothing to promote", err, http.StatusConflict)
	if _, err := e.admin.Deploy(ctx, ws, "app-bg", map[string]string{"app": "example/app:2"}); err != nil {
		t.Fatalf("deploy: %v", err)
	}
	waitPhase(ctx, t, e.admin, ws, "app-bg", client.PhaseAwaitingPromotion)
	waitMetric(ctx, t, e.url, `switchyard_jobs{phase="Awaiting promotion"} 1`)
	if _, err := e.admin.Promote(ctx, ws, "app-bg", false); err != nil {
		t.Fatalf("promote: %v", err)
	}
	waitPhase(ctx, t, e.admin, ws, "app-bg", client.PhaseHealthy)
	waitMetric(ctx, t, e.url, `switchyard_switch_duration_seconds_count{kind="switch"} 1`)

	if _, err := e.admin.Rollback(ctx, ws, "app-bg", 0); err != nil {
		t.Fatalf("rollback: %v", err)
	}
	waitMetric(ctx, t, e.url, `switchyard_switch_duration_seconds_count{kind="switch_back"} 1`)

	text = scrape(t, e.url)
	for _, want := range []string{
		`switchyard_job_operations_total{operation="create",outcome="success"} 1`,
		`switchyard_job_operations_total{operation="deploy",outcome="success"} 1`,
		`switchyard_job_operations_total{operation="promote",outcome="success"} 1`,
		`switchyard_job_operations_total{operation="promote",outcome="refused"} 1`,
		`switchyard_job_operations_total{operation="rollback",outcome="success"} 1`,
		`switchyard_switch_duration_seconds_count{kind="switch"} 1`,
	} {
		if !hasSample(text, want) {
			t.Errorf("after the release: no %q in\n%s", want, grepSwitchyard(text))
		}
	}
	for l := range strings.SplitSeq(text, "\n") {
		if strings.HasPrefix(l, "switchyard_switch_duration_seconds_sum") {
			t.Log(l)
		}
	}
}
