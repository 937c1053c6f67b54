package testenv

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Prometheus is a running Prometheus server, the metrics source of the
// Prometheus-kind check tests.
type Prometheus struct {
	URL string // http://127.0.0.1:<port>
	log *syncBuffer
}

// StartPrometheus runs Prometheus (SWITCHYARD_TEST_PROMETHEUS, built by
// hack/prometheus/build.sh) on a free loopback port with a throw-away
// database, scraping targets (host:port, path /metrics) every second, and
// stops it when the test ends. It skips the test when the binary is not
// configured, unless SWITCHYARD_REQUIRE_TOOLS=1.
func StartPrometheus(t testing.TB, targets ...string) *Prometheus {
	t.Helper()
	bin := need(t, "SWITCHYARD_TEST_PROMETHEUS", "SWITCHYARD_REQUIRE_TOOLS", "Prometheus (hack/prometheus/build.sh)")
	dir := t.TempDir()
	cfg, err := json.Marshal(map[string]any{ // JSON is YAML: Prometheus reads it as is
		"global": map[string]any{"scrape_interval": "1s", "evaluation_interval": "1s"},
		"scrape_configs": []any{map[string]any{
			"job_name": "test", "static_configs": []any{map[string]any{"targets": targets}},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	addr := FreeAddr(t)
	p := &Prometheus{URL: "http://" + addr, log: &syncBuffer{}}
	cmd := exec.Command(bin, "--config.file="+cfgPath, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--log.level=warn")
	cmd.Stdout, cmd.Stderr = p.log, p.log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start prometheus: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("prometheus log:\n%s", p.log.String())
		}
	})
	p.waitReady(t, exited)
	return p
}

func (p *Prometheus) waitReady(t testing.TB, exited <-chan error) {
	t.Helper()
	var last error
	for range 600 { // about 30 s: a cold start replays no WAL, but the machine is busy
		select {
		case err := <-exited:
			t.Fatalf("prometheus exited before it was ready (%v); log:\n%s", err, p.log.String())
		default:
		}
		resp, err := http.Get(p.URL + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			err = fmt.Errorf("GET /-/ready: %s", resp.Status)
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("prometheus never became ready: %v; log:\n%s", last, p.log.String())
}
