package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/switchyard/switchyard/client"
)

// TestGoldenChecks keeps how a job's checks and their runs show in job
// describe, job watch and a job list row (the failed check at a glance).
func TestGoldenChecks(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	j := goldenJobs()[0]
	j.Phase, j.Message, j.FailedCheck, j.PromoteWhenChecksPass = client.PhaseAborted,
		"Check error-rate failed: switched back to blue (measured [0.2], which does not meet result[0] < 0.01; 1 of 2 measurements failed)", "error-rate", true
	j.Checks = []client.Check{
		{Name: "smoke", Kind: "http", When: "before", URL: "http://{{preview}}/healthz", JSONPath: "{$.ok}", Condition: "result == true", Interval: "5s", Count: 2},
		{Name: "error-rate", Kind: "prometheus", When: "after", Address: "http://prometheus:9090", Query: "sum(rate(errors[1m]))", Condition: "result[0] < 0.01", FailureLimit: 1},
	}
	j.CheckRuns = []client.CheckRun{
		{Name: "web-bg-6d4f-2-post", When: "after", Revision: "6d4f", Phase: "Failed", StartedAt: at, Results: []client.CheckResult{
			{Check: "error-rate", Phase: "Failed", Count: 3, Passed: 1, Failed: 2, Measurements: []client.CheckMeasurement{
				{Value: "[0.001]", Phase: "Successful", Passed: true}, {Value: "[0.2]", Phase: "Failed"}, {Value: "[0.3]", Phase: "Failed"}}}}},
		{Name: "web-bg-6d4f-2-pre", When: "before", Revision: "6d4f", Phase: "Successful", StartedAt: at, Results: []client.CheckResult{
			{Check: "smoke", Phase: "Successful", Count: 2, Passed: 2, Measurements: []client.CheckMeasurement{
				{Value: "true", Phase: "Successful", Passed: true}, {Phase: "Error", Message: "received non 2xx response code: 503"}}}}},
	}
	var list bytes.Buffer
	_ = jobTable([]client.Job{j}, false, at).write(&list, true)
	golden(t, filepath.Join("output", "checks-job-list.golden"), list.String())
	golden(t, filepath.Join("output", "checks-job-describe.golden"), string(describeJob(&j, nil, at)))
	golden(t, filepath.Join("output", "checks-job-watch.golden"), string(watchFrame(&j, nil, at)))
}

// TestReadChecks: a checks file is YAML or JSON; unknown fields are refused.
func TestReadChecks(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, body string
		want       int
		ok         bool
	}{
		{"yaml", "- name: smoke\n  kind: http\n  when: before\n  url: http://x/\n", 1, true},
		{"json", `[{"name":"a","kind":"http","when":"after","url":"http://x/"},{"name":"b","kind":"http","when":"both","url":"http://y/"}]`, 2, true},
		{"empty", "[]", 0, true},
		{"unknown field", "- name: smoke\n  urll: http://x/\n", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.name)
			if err := os.WriteFile(p, []byte(tc.body), 0o600); err != nil {
				t.Fatal(err)
			}
			cs, err := (&cli{}).readChecks(p)
			if (err == nil) != tc.ok || len(cs) != tc.want {
				t.Fatalf("readChecks = %d checks, %v; want %d, ok %v", len(cs), err, tc.want, tc.ok)
			}
		})
	}
}
