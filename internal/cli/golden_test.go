package cli

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/client"
)

// update rewrites the golden files: go test ./internal/cli -run Golden -update
var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or writes it there with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/cli -run Golden -update to write it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (go test ./internal/cli -run Golden -update rewrites it)\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// TestGoldenHelp keeps the --help of every command, the groups' and the
// top level's in testdata/help: a change to help text shows in review.
func TestGoldenHelp(t *testing.T) {
	cmds := append([][]string{{}, {"job"}, {"cluster"}, {"workspace"}, {"member"}, {"binding"}, {"token"}, {"user"}, {"audit"}, {"context"}, {"completion"}}, commands(t)...)
	for _, cmd := range cmds {
		name := "switchyard"
		if len(cmd) > 0 {
			name = strings.Join(cmd, "_")
		}
		t.Run(name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := Run(context.Background(), append(cmd, "--help"), &stdout, &stderr); code != ExitOK {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			golden(t, filepath.Join("help", name+".golden"), stdout.String())
		})
	}
}

// goldenJobs are two jobs with every field the outputs show; times are
// zero so ages print as "-" and the files stay the same from run to run.
func goldenJobs() []client.Job {
	auto := int32(600)
	return []client.Job{
		{Name: "web-bg", Workspace: "demo", Type: "blue-green", Cluster: "local", Namespace: "demo", Deployment: "web", Service: "web",
			PreviewService: "web-bg-preview", ScaleDownDelaySeconds: 300, AutoPromotionSeconds: &auto, State: "active",
			Phase: client.PhaseAwaitingPromotion, Message: "the new version is ready", ActiveImages: []string{"example/web:1.0.0"},
			PreviewImages: []string{"example/web:1.1.0"}, Versions: []client.Version{}, CreatedBy: "admin"},
		{Name: "api-bg", Workspace: "demo", Type: "blue-green", Cluster: "local", Namespace: "demo", Deployment: "api", Service: "api",
			PreviewService: "api-bg-preview", ScaleDownDelaySeconds: 30, State: "active", Phase: client.PhaseUnknown, Stale: true,
			StaleReason: "cluster local is unreachable", LastPhase: client.PhaseHealthy, ActiveImages: []string{"example/api:2"},
			Versions: []client.Version{}, CreatedBy: "alice"},
	}
}

// TestGoldenOutput keeps every output format of a list and of one object
// in testdata/output.
func TestGoldenOutput(t *testing.T) {
	jobs := goldenJobs()
	list := func(wide bool) listing {
		return jobListing(&client.JobList{Items: jobs, Total: 2, Limit: 50}, "demo", wide)
	}
	one := func(wide bool) listing {
		l := list(wide)
		l.single, l.items, l.names, l.table.rows = true, &jobs[0], l.names[:1], l.table.rows[:1]
		return l
	}
	clusters := []client.Cluster{
		{Name: "local", Status: client.ClusterStatus{Reachable: true, KubernetesVersion: "v1.34.5", ArgoInstalled: true, ArgoVersion: "v1.8.3", IstioInstalled: true}},
		{Name: "far", ArgoInstanceID: "team-a", Status: client.ClusterStatus{Error: "dial tcp: connection refused"}},
	}
	formats := []struct{ name, format string }{
		{"table", "table"}, {"wide", "wide"}, {"json", "json"}, {"yaml", "yaml"}, {"name", "name"},
		{"jsonpath", "jsonpath={range .items[*]}{.name}{\"\\t\"}{.phase}{\"\\n\"}{end}"},
		{"custom-columns", "custom-columns=NAME:.name,PHASE:.phase,ACTIVE:.active_images[*],MISSING:.nope"},
	}
	for _, f := range formats {
		for _, noHeaders := range []bool{false, true} {
			if noHeaders && f.name != "table" && f.name != "wide" && f.name != "custom-columns" {
				continue
			}
			suffix := ""
			if noHeaders {
				suffix = "-no-headers"
			}
			o := outputFlags{format: f.format, noHeaders: noHeaders}
			for _, tc := range []struct {
				what string
				l    listing
			}{
				{"job-list", list(o.wide())}, {"job-get", one(o.wide())},
				{"cluster-list", listing{kind: "Cluster", items: clusters, table: clusterTable(clusters, o.wide()),
					names: names("cluster", clusters, func(c client.Cluster) string { return c.Name })}},
			} {
				t.Run(tc.what+"-"+f.name+suffix, func(t *testing.T) {
					o := o
					if f.name == "jsonpath" && tc.what != "job-list" { // a template fits one shape
						o.format = map[string]string{"job-get": "jsonpath={.name} {.phase}", "cluster-list": "jsonpath=.items[*].name"}[tc.what]
					}
					if err := o.check(); err != nil {
						t.Fatal(err)
					}
					var stdout, stderr bytes.Buffer
					c := &cli{stdout: &stdout, stderr: &stderr}
					if err := c.print(o, tc.l); err != nil {
						t.Fatal(err)
					}
					golden(t, filepath.Join("output", tc.what+"-"+f.name+suffix+".golden"), stdout.String())
				})
			}
		}
	}
}

// TestEmptyList checks an empty list says so on stderr for people, and is
// still a list for scripts.
func TestEmptyList(t *testing.T) {
	for _, tt := range []struct{ format, stdout, stderr string }{
		{"table", "", "No resources found in workspace demo.\n"},
		{"wide", "", "No resources found in workspace demo.\n"},
		{"json", "{\n  \"items\": [],\n  \"kind\": \"JobList\",\n  \"metadata\": {\n    \"limit\": 50,\n    \"offset\": 0,\n    \"total\": 0\n  }\n}\n", ""},
		{"name", "", ""},
		{"jsonpath={.items[*].name}", "", ""},
	} {
		var stdout, stderr bytes.Buffer
		c := &cli{stdout: &stdout, stderr: &stderr}
		if err := c.print(outputFlags{format: tt.format}, jobListing(&client.JobList{Limit: 50}, "demo", false)); err != nil {
			t.Fatal(err)
		}
		if stdout.String() != tt.stdout || stderr.String() != tt.stderr {
			t.Errorf("-o %s of no jobs: stdout %q, stderr %q; want %q, %q", tt.format, stdout.String(), stderr.String(), tt.stdout, tt.stderr)
		}
	}
}

// TestDurations checks the one duration syntax of every flag.
func TestDurations(t *testing.T) {
	const day = 24 * 60 * 60
	for _, tt := range []struct {
		in       string
		bareDays bool
		want     int64 // seconds; -1: refused
	}{
		{"90d", false, 90 * day}, {"12h", false, 12 * 3600}, {"5m", false, 300}, {"30s", false, 30}, {"1h30m", false, 5400},
		{"1d12h", false, day + 12*3600}, {"0s", false, 0}, {"90", false, -1}, {"90", true, 90 * day}, {"-5m", false, -1},
		{"1d-1h", false, -1}, {"d", false, -1}, {"", false, -1}, {"5x", false, -1}, {"1.5d", false, -1},
	} {
		d, err := parseDuration(tt.in, tt.bareDays)
		got := int64(d.Seconds())
		if err != nil {
			got = -1
		}
		if got != tt.want {
			t.Errorf("parseDuration(%q, bare days %v) = %v, %v; want %d s (-1: refused)", tt.in, tt.bareDays, d, err, tt.want)
		}
	}
	for d, want := range map[int64]string{0: "0s", 30: "30s", 300: "5m", 5400: "1h30m", 7200: "2h", day: "1d", 90 * day: "90d"} {
		if got := formatDuration(time_(d)); got != want {
			t.Errorf("formatDuration(%d s) = %q, want %q", d, got, want)
		}
	}
}

func time_(seconds int64) time.Duration { return time.Duration(seconds) * time.Second }
