package release

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/switchyard/switchyard/internal/checks"
	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/testenv"
)

// TestPrometheusCheck runs a Prometheus-kind check on the real Argo
// controller against a real Prometheus (hack/prometheus/build.sh) that
// scrapes an error ratio the test serves on 127.0.0.1: while it is low, a
// new version passes and is switched to with no click; once it is high, the
// next one fails the check and traffic stays on blue.
func TestPrometheusCheck(t *testing.T) {
	e := engine(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ratio := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "switchyard_test_error_ratio", Help: "errors per request"}, []string{"release"})
	reg := prometheus.NewRegistry()
	reg.MustRegister(ratio)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	prom := testenv.StartPrometheus(t, ln.Addr().String())
	ratio.WithLabelValues("app-bg").Set(0.001)
	query := `max(switchyard_test_error_ratio{release="{{job}}"})`
	waitScraped(ctx, t, prom.URL, strings.ReplaceAll(query, "{{job}}", "app-bg"))

	ns := testenv.Namespace(t, e.Kube, "promcheck")
	app(ctx, t, e, ns)
	svc, ws := newService(ctx, t, ns)
	spec := Spec{Name: "app-bg", Namespace: ns, Deployment: "app", Service: "app", PromoteWhenChecksPass: true,
		Checks: []checks.Check{{Name: "error-rate", Kind: checks.KindPrometheus, When: checks.Before, Address: prom.URL,
			Query: query, Condition: "result[0] < 0.01", Interval: "1s", Count: 2}}}
	if _, _, err := svc.Create(ctx, ws, "alice", CreateRequest{Cluster: "local", Spec: spec}); err != nil {
		t.Fatalf("create: %v", err)
	}
	tg := Target{Workspace: ws.Name, Spec: spec}
	blue := mustPhase(ctx, t, e, tg, PhaseHealthy).Versions[0].PodHash
	deploy := func(image string) {
		t.Helper()
		time.Sleep(1100 * time.Millisecond) // Argo's one-second clock (see TestFullPath)
		if _, err := svc.Operate(ctx, ws, "app-bg", OpDeploy, OperateRequest{Images: map[string]string{"app": image}}); err != nil {
			t.Fatalf("deploy %s: %v", image, err)
		}
	}

	t.Run("a low error ratio passes and switches", func(t *testing.T) {
		deploy("example/app:2")
		st := waitRunDone(ctx, t, svc, ws, blue)
		if r := st.CheckRuns[0]; r.Phase != "Successful" || r.Results[0].Measurements[0].Value != "[0.001]" {
			t.Fatalf("run %+v, want Successful measuring [0.001]", r)
		}
		green := st.CheckRuns[0].Revision
		waitSelector(ctx, t, e, ns, "app", green)
		blue = green
	})
	t.Run("a high error ratio keeps traffic on blue", func(t *testing.T) {
		ratio.WithLabelValues("app-bg").Set(0.5)
		waitScraped(ctx, t, prom.URL, `max(switchyard_test_error_ratio{release="app-bg"}) > 0.1`)
		deploy("example/app:3")
		st := waitRunDone(ctx, t, svc, ws, blue)
		t.Logf("the job says: %s: %s", st.Phase, st.Message)
		if st.FailedCheck != "error-rate" || !strings.Contains(st.Message, "measured [0.5], which does not meet result[0] < 0.01") {
			t.Fatalf("failed check %q, message %q", st.FailedCheck, st.Message)
		}
		if got := selectorHash(ctx, t, e, ns, "app"); got != blue {
			t.Fatalf("active Service on %q after the failed check, want blue %q", got, blue)
		}
	})
}

// waitRunDone waits until the latest check run is of a version other than
// old and has finished, and returns the job's status then.
func waitRunDone(ctx context.Context, t *testing.T, svc *Service, ws store.Workspace, old string) Status {
	t.Helper()
	var st Status
	for ctx.Err() == nil {
		v, err := svc.Get(ctx, ws, "app-bg")
		if err != nil {
			t.Fatal(err)
		}
		st = v.Status
		if len(st.CheckRuns) > 0 && st.CheckRuns[0].Revision != old && st.CheckRuns[0].Done() {
			return st
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("no finished check run of a new version: %+v", st.CheckRuns)
	return st
}

// waitScraped waits until Prometheus answers query with a sample.
func waitScraped(ctx context.Context, t *testing.T, promURL, query string) {
	t.Helper()
	for ctx.Err() == nil {
		resp, err := http.Get(promURL + "/api/v1/query?" + url.Values{"query": {query}}.Encode())
		if err == nil {
			var a struct {
				Data struct {
					Result []json.RawMessage `json:"result"`
				} `json:"data"`
			}
			err = json.NewDecoder(resp.Body).Decode(&a)
			resp.Body.Close()
			if err == nil && len(a.Data.Result) > 0 {
				return
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("Prometheus never had a sample for %s", query)
}
