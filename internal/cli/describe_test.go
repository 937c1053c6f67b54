package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/client"
)

// TestDescribeJob checks job describe: settings, versions with marks, every
// pod and the latest events, oldest of them first.
func TestDescribeJob(t *testing.T) {
	now := time.Now()
	auto := int32(600)
	j := &client.Job{Name: "web-bg", Workspace: "shop", Cluster: "prod", Namespace: "web", Deployment: "web", Service: "web",
		PreviewService: "web-bg-preview", Phase: client.PhaseAwaitingPromotion, Message: "the new version is ready",
		ScaleDownDelaySeconds: 45, AutoPromotionSeconds: &auto, CreatedBy: "erin", CreatedAt: now.Add(-3 * time.Minute),
		ActiveImages: []string{"web:1"}, PreviewImages: []string{"web:2"},
		Versions: []client.Version{
			{Revision: 2, ReplicaSet: "web-bg-2", Images: []string{"web:2"}, Ready: 1, Desired: 1, Preview: true,
				Pods: []client.Pod{{Name: "web-bg-2-a", Phase: "Running", Ready: true, CreatedAt: now}}},
			{Revision: 1, ReplicaSet: "web-bg-1", Images: []string{"web:1"}, Ready: 1, Desired: 1, Active: true, Stable: true,
				Pods: []client.Pod{{Name: "web-bg-1-a", Phase: "Running", Ready: true, CreatedAt: now}}},
		}}
	tl := []client.TimelineEntry{ // newest first, as the server sends them
		{Time: now.Add(-time.Minute), Source: "switchyard", Action: "job.deploy", Actor: "erin", Outcome: "success", Message: "images app=web:2"},
		{Time: now.Add(-2 * time.Minute), Source: "kubernetes", Action: "RolloutCompleted", Message: "Initial deploy"},
	}
	out := string(describeJob(j, tl, now))
	for _, want := range []string{"Name:", "web-bg", "Preview Service:", "web-bg-preview", "Phase:", "Awaiting promotion",
		"Standby:", "45s after a switch", "Auto-promotion:", "after 10m", "Preview replicas:", "as many as the Deployment",
		"by erin (3m ago)", "Versions:", "ACTIVE,STABLE", "web-bg-1", "Pods:", "web-bg-2-a", "web-bg-1-a", "Events (latest last):"} {
		if !strings.Contains(out, want) {
			t.Errorf("describe lacks %q:\n%s", want, out)
		}
	}
	if strings.Index(out, "RolloutCompleted") > strings.Index(out, "job.deploy") {
		t.Errorf("events not oldest first:\n%s", out)
	}
	if out := string(describeJob(j, nil, now)); strings.Contains(out, "Events") {
		t.Errorf("describe with --events 0 shows an events section:\n%s", out)
	}
}

// TestDescribeStaleJob: a job on a cluster that can't be read shows why, and
// the last phase seen with its age, in describe and in the table.
func TestDescribeStaleJob(t *testing.T) {
	now := time.Now()
	seen := now.Add(-5 * time.Minute)
	j := &client.Job{Name: "web-bg", Phase: client.PhaseUnknown, Stale: true, StaleReason: "cluster prod is unreachable",
		LastPhase: client.PhaseHealthy, ObservedAt: &seen, Versions: []client.Version{}}
	out := string(describeJob(j, nil, now))
	if !strings.Contains(out, "Unknown: cluster prod is unreachable; last known Healthy, 5m ago") {
		t.Errorf("describe of a stale job:\n%s", out)
	}
	var b strings.Builder
	_ = jobTable([]client.Job{*j}, false, now).write(&b, true)
	if !strings.Contains(b.String(), "Unknown (was Healthy)") {
		t.Errorf("table row of a stale job:\n%s", b.String())
	}
}
