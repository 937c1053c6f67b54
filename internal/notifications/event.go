package notifications

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/switchyard/switchyard/internal/cluster"
	"github.com/switchyard/switchyard/internal/release"
	"github.com/switchyard/switchyard/internal/store"
)

// Event is one thing that happened to a job, as a delivery's generic JSON
// body carries it.
type Event struct {
	// Key is the event's idempotency key: built from what the cluster says,
	// so every replica that sees the event builds the same one.
	Key       string `json:"id"`
	Kind      Kind   `json:"event"`
	Workspace string `json:"workspace"`
	Job       string `json:"job"`
	Cluster   string `json:"cluster"`
	Namespace string `json:"namespace"`
	Phase     string `json:"phase,omitempty"`
	// Revision and Images are the version the event is about: the new one,
	// or the one traffic went back to.
	Revision int      `json:"revision,omitempty"`
	Images   []string `json:"images,omitempty"`
	// Check is the failed check (Argo's metric name) of a check-failed event.
	Check string `json:"check,omitempty"`
	// Message is Argo's or Switchyard's status message.
	Message string `json:"message,omitempty"`
	// Text says it all in one sentence, as a Slack message does.
	Text       string    `json:"text"`
	DetectedAt time.Time `json:"detectedAt"`
}

// Detect returns the events a job's live view and its Rollout (nil when
// missing) show. It is pure, and its keys depend only on what the cluster
// says, so replicas reading the same state (even late) derive the same
// events: the outbox keeps the first of each.
//
//   - awaiting-promotion: once per new version (revision and pod hash);
//   - promoted: traffic on the newest version, once per revision > 1 (the
//     first revision is the job's creation, not a release);
//   - switched-back: traffic on the newest revision whose ReplicaSet is older
//     than another (a rollback; Argo bumps the old ReplicaSet's revision),
//     or an abort by a failed post-promotion analysis (Argo moves traffic back);
//   - aborted: any other abort, once per Argo abortedAt;
//   - check-failed: an abort by a failed analysis run, once per abortedAt;
//   - degraded: once per newest version;
//   - deleted: once per job.
func Detect(ws string, job store.Job, v release.View, ro *unstructured.Unstructured, now time.Time) []Event {
	base := Event{Workspace: ws, Job: job.Name, Cluster: job.ClusterName, Namespace: job.Namespace,
		Phase: string(v.Status.Phase), Message: v.Status.Message, DetectedAt: now.UTC()}
	key := func(parts ...any) string {
		s := fmt.Sprintf("job/%d", job.ID)
		for _, p := range parts {
			s += "/" + fmt.Sprint(p)
		}
		return s
	}
	if job.State == store.JobDeleted {
		e := base
		e.Phase, e.Message = string(release.PhaseDeleted), ""
		e.Kind, e.Key = KindDeleted, key(KindDeleted)
		return []Event{e.withText()}
	}
	if v.Stale || job.State != store.JobActive {
		return nil
	}
	vs := v.Status.Versions
	if len(vs) == 0 {
		return nil
	}
	newest, active := vs[0], activeVersion(vs)
	var out []Event
	add := func(k Kind, ver *release.Version, parts ...any) {
		e := base
		e.Kind, e.Key = k, key(append([]any{k}, parts...)...)
		if ver != nil {
			e.Revision, e.Images = ver.Revision, ver.Images
		}
		out = append(out, e)
	}
	switch v.Status.Phase {
	case release.PhaseAwaitingPromotion:
		add(KindAwaitingPromotion, &newest, newest.Revision, newest.PodHash)
	case release.PhaseDegraded:
		add(KindDegraded, &newest, newest.Revision, newest.PodHash)
	case release.PhaseAborted:
		at := cluster.AbortedAt(ro)
		if at == "" {
			break
		}
		failed, post, metric := cluster.AbortByAnalysis(v.Status.Message)
		if failed {
			add(KindCheckFailed, &newest, at)
			out[len(out)-1].Check = metric
		}
		if post {
			// Argo moves traffic back to the stable version (perhaps a reconcile after the abort is seen).
			add(KindSwitchedBack, stableVersion(vs), "abort", at)
		} else {
			add(KindAborted, &newest, at)
		}
	}
	if active != nil && active.PodHash == newest.PodHash && newest.Revision > 1 && v.Status.Phase != release.PhaseAborted {
		if olderThanAnother(newest, vs) {
			add(KindSwitchedBack, &newest, newest.Revision, newest.PodHash)
		} else {
			add(KindPromoted, &newest, newest.Revision, newest.PodHash)
		}
	}
	for i := range out {
		out[i] = out[i].withText()
	}
	return out
}

func activeVersion(vs []release.Version) *release.Version {
	for i := range vs {
		if vs[i].Active {
			return &vs[i]
		}
	}
	return nil
}

func stableVersion(vs []release.Version) *release.Version {
	for i := range vs {
		if vs[i].Stable {
			return &vs[i]
		}
	}
	return nil
}

// olderThanAnother reports whether v's ReplicaSet was made before another
// version's: v is an earlier version brought back.
func olderThanAnother(v release.Version, vs []release.Version) bool {
	for _, o := range vs {
		if o.PodHash != v.PodHash && o.CreatedAt.After(v.CreatedAt) {
			return true
		}
	}
	return false
}

// withText fills Text, the one-sentence summary.
func (e Event) withText() Event {
	ver := fmt.Sprintf("revision %d", e.Revision)
	if len(e.Images) > 0 {
		ver += " (" + strings.Join(e.Images, ", ") + ")"
	}
	who := fmt.Sprintf("Job %s in workspace %s", e.Job, e.Workspace)
	switch e.Kind {
	case KindAwaitingPromotion:
		e.Text = fmt.Sprintf("%s: %s is ready and awaits promotion.", who, ver)
	case KindPromoted:
		e.Text = fmt.Sprintf("%s: traffic switched to %s.", who, ver)
	case KindSwitchedBack:
		e.Text = fmt.Sprintf("%s: traffic switched back to %s.", who, ver)
	case KindAborted:
		e.Text = fmt.Sprintf("%s: the release of %s was aborted; traffic stays on the previous version.", who, ver)
	case KindCheckFailed:
		e.Text = fmt.Sprintf("%s: check %q failed for %s.", who, e.Check, ver)
		if e.Check == "" {
			e.Text = fmt.Sprintf("%s: a check failed for %s.", who, ver)
		}
	case KindDegraded:
		e.Text = fmt.Sprintf("%s: the release of %s is degraded.", who, ver)
	case KindDeleted:
		e.Text = fmt.Sprintf("%s was deleted: its Deployment and Service are plain again.", who)
	}
	if e.Message != "" && e.Kind != KindAwaitingPromotion && e.Kind != KindPromoted {
		e.Text += " " + e.Message
	}
	return e
}

// Body returns a delivery's body in a subscription's format.
func Body(format string, e Event) ([]byte, error) {
	if format == store.FormatSlack {
		return json.Marshal(map[string]string{"text": slackEscape(e.Text)})
	}
	return json.Marshal(e)
}

// slackEscape escapes the three characters Slack's message format treats
// as control characters.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
