package release

import (
	"fmt"
	"sort"
	"strconv"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/switchyard/switchyard/internal/checks"
)

// Phase is a job's status in the words users see.
type Phase string

// The phases of a job.
const (
	PhaseCreating          Phase = "Creating"
	PhaseHealthy           Phase = "Healthy"
	PhaseProgressing       Phase = "Progressing"
	PhaseAwaitingPromotion Phase = "Awaiting promotion"
	PhasePaused            Phase = "Paused"
	PhaseSwitching         Phase = "Switching"
	PhaseVerifying         Phase = "Verifying"
	PhaseDegraded          Phase = "Degraded"
	PhaseAborted           Phase = "Aborted"
	PhaseUnknown           Phase = "Unknown"
	PhaseDeleting          Phase = "Deleting"
	PhaseDeleted           Phase = "Deleted"
)

// Phases lists every phase, for filters and documentation.
var Phases = []Phase{PhaseCreating, PhaseHealthy, PhaseProgressing, PhaseAwaitingPromotion, PhasePaused,
	PhaseSwitching, PhaseVerifying, PhaseDegraded, PhaseAborted, PhaseUnknown, PhaseDeleting, PhaseDeleted}

// InFlight reports whether a release is under way in this phase: a new version
// is coming up, waiting, or traffic is moving. Deleting a job is refused then.
func (p Phase) InFlight() bool {
	switch p {
	case PhaseProgressing, PhaseAwaitingPromotion, PhasePaused, PhaseSwitching, PhaseVerifying:
		return true
	}
	return false
}

// Version is one revision of the application as the job shows it.
type Version struct {
	Revision   int         `json:"revision"`
	ReplicaSet string      `json:"replicaSet"`
	PodHash    string      `json:"podHash"`
	Images     []string    `json:"images"`
	Containers []Container `json:"containers"`
	Ready      int32       `json:"ready"`
	Desired    int32       `json:"desired"`
	Active     bool        `json:"active"`  // the active Service selects it: it serves users
	Preview    bool        `json:"preview"` // the preview Service selects it
	Stable     bool        `json:"stable"`  // Argo's stable ReplicaSet
	CreatedAt  time.Time   `json:"createdAt"`
	// ScaleDownAt is when an old version on standby after a switch goes away;
	// until then a roll back to it is instant.
	ScaleDownAt *time.Time `json:"scaleDownAt,omitempty"`
	// Pods are the version's pods, by name; only live observation fills them.
	Pods []Pod `json:"pods"`
}

// Pod is one pod of a version, in the words `kubectl get pods` uses.
type Pod struct {
	Name      string    `json:"name"`
	Phase     string    `json:"phase"`            // Pending, Running, Succeeded, Failed, Unknown
	Ready     bool      `json:"ready"`            // every container ready: it receives traffic
	Reason    string    `json:"reason,omitempty"` // why it is not ready or not running, when known
	Restarts  int32     `json:"restarts"`
	Node      string    `json:"node,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	Deleting  bool      `json:"deleting,omitempty"` // being shut down
}

// AttachPods gives each version the pods that carry its pod-template hash.
// It is pure; the caller reads the pods from the informer cache.
func AttachPods(st *Status, pods []*corev1.Pod) {
	byHash := map[string][]Pod{}
	for _, p := range pods {
		if h := p.Labels[HashLabel]; h != "" {
			byHash[h] = append(byHash[h], podOf(p))
		}
	}
	for i := range st.Versions {
		ps := byHash[st.Versions[i].PodHash]
		sort.Slice(ps, func(a, b int) bool { return ps[a].Name < ps[b].Name })
		if ps == nil {
			ps = []Pod{}
		}
		st.Versions[i].Pods = ps
	}
}

func podOf(p *corev1.Pod) Pod {
	out := Pod{Name: p.Name, Phase: string(p.Status.Phase), Node: p.Spec.NodeName, CreatedAt: p.CreationTimestamp.UTC(),
		Deleting: p.DeletionTimestamp != nil, Reason: p.Status.Reason}
	if out.Phase == "" {
		out.Phase = string(corev1.PodPending)
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			out.Ready = c.Status == corev1.ConditionTrue
			if !out.Ready && out.Reason == "" && c.Message != "" {
				out.Reason = c.Message
			}
		}
	}
	for _, cs := range p.Status.ContainerStatuses {
		out.Restarts += cs.RestartCount
		if w := cs.State.Waiting; w != nil && w.Reason != "" {
			out.Reason = w.Reason // CrashLoopBackOff, ImagePullBackOff…: the most telling reason
		}
	}
	return out
}

// Container is one container of a version: the name Deploy takes and its image.
type Container struct {
	Name  string `json:"name"`
	Image string `json:"image"`
}

// Status is a job's state read from its Rollout and ReplicaSets.
type Status struct {
	Phase    Phase     `json:"phase"`
	Message  string    `json:"message,omitempty"`
	Versions []Version `json:"versions"` // newest revision first
	// CheckRuns are the runs of the job's checks, newest first; FailedCheck
	// names the check that failed the current version's latest run, if one did.
	CheckRuns   []checks.Run `json:"checkRuns"`
	FailedCheck string       `json:"failedCheck,omitempty"`
}

// Observe maps a Rollout and the ReplicaSets it owns to a Status. It is pure:
// the caller reads both from the cluster's informer caches.
func Observe(ro *unstructured.Unstructured, rss []*appsv1.ReplicaSet) Status {
	if ro == nil {
		return Status{Phase: PhaseCreating, Message: "the Rollout does not exist yet", Versions: []Version{}}
	}
	st := Status{Versions: versions(ro, rss)}
	st.Phase, st.Message = phase(ro, st.Versions)
	return st
}

// ObserveWorkload is Observe that also looks at the Deployment the Rollout
// follows: a version shipped to the Deployment that Argo has not seen yet
// (status.workloadObservedGeneration behind the Deployment's generation) is
// Progressing, not the Healthy of the version before it. A generation bump
// that leaves the pod template as the current version has it is not a new
// version: Argo itself bumps it when it scales the Deployment down
// (scaleDown: progressively). dep may be nil.
func ObserveWorkload(ro *unstructured.Unstructured, rss []*appsv1.ReplicaSet, dep *appsv1.Deployment) Status {
	st := Observe(ro, rss)
	if ro == nil || dep == nil || st.Phase == PhaseAborted {
		return st
	}
	seen := str(ro, "status", "workloadObservedGeneration")
	if seen == "" || seen == strconv.FormatInt(dep.Generation, 10) {
		return st
	}
	if current := findHash(rss, str(ro, "status", "currentPodHash")); current != nil && sameTemplate(dep.Spec.Template, current.Spec.Template) {
		return st
	}
	st.Phase, st.Message = PhaseProgressing, "waiting for Argo Rollouts to see the Deployment's latest change"
	return st
}

// sameTemplate reports whether a Deployment's pod template is the one a
// Rollout's ReplicaSet runs: Argo copies it and adds only its hash label.
func sameTemplate(dep, rs corev1.PodTemplateSpec) bool {
	labels := make(map[string]string, len(rs.Labels))
	for k, v := range rs.Labels {
		if k != HashLabel {
			labels[k] = v
		}
	}
	return equality.Semantic.DeepEqual(dep.Labels, labels) &&
		equality.Semantic.DeepEqual(dep.Annotations, rs.Annotations) &&
		equality.Semantic.DeepEqual(dep.Spec, rs.Spec)
}

// DefaultStallAfter is how long a Rollout may go unseen by Argo Rollouts
// before a job's status says why that may be.
const DefaultStallAfter = 30 * time.Second

// NoticeStall adds a hint to st when Argo Rollouts has never picked the
// Rollout up although it was created more than after before now: its
// controller is not running, or runs with --instance-id and ignores
// Rollouts without that label.
func NoticeStall(st *Status, ro *unstructured.Unstructured, now time.Time, after time.Duration) {
	if ro == nil || str(ro, "status", "observedGeneration") != "" {
		return
	}
	if waited := now.Sub(ro.GetCreationTimestamp().Time); waited > after {
		st.Message = fmt.Sprintf("Argo Rollouts has not picked up the Rollout in %s: check that its controller runs in the cluster "+
			"(a controller started with --instance-id ignores Rollouts without its %s label)", waited.Round(time.Second), LabelInstanceID)
	}
}

// msgUnobserved is the message of a job whose Rollout Argo Rollouts has not
// reconciled since its spec last changed.
const msgUnobserved = "waiting for Argo Rollouts to see the latest change"

func phase(ro *unstructured.Unstructured, vs []Version) (Phase, string) {
	msg := str(ro, "status", "message")
	switch {
	// While promoteFull is set Argo clears abort on its next reconcile: that
	// abort will not take, so it does not make the release Aborted.
	case boolean(ro, "status", "abort") && !boolean(ro, "status", "promoteFull"):
		if msg == "" {
			msg = "the release was aborted: traffic stays on the stable version"
		}
		return PhaseAborted, msg
	case str(ro, "status", "observedGeneration") != strconv.FormatInt(ro.GetGeneration(), 10):
		return PhaseProgressing, msgUnobserved
	}
	switch str(ro, "status", "phase") {
	case "Healthy":
		return PhaseHealthy, msg
	case "Degraded":
		return PhaseDegraded, msg
	case "Paused":
		if pausedForPromotion(ro) {
			if current := currentVersion(ro, vs); current != nil && current.Desired > 0 && current.Ready >= current.Desired {
				if at, ok := autoPromoteAt(ro); ok {
					return PhaseAwaitingPromotion, fmt.Sprintf("the new version is ready: traffic switches to it on its own at %s; promote to switch now", at.Format(time.RFC3339))
				}
				return PhaseAwaitingPromotion, "the new version is ready: promote to switch traffic to it"
			}
			return PhaseProgressing, msg
		}
		return PhasePaused, msg
	case "Progressing":
		return progressing(ro, vs, msg)
	case "":
		return PhaseCreating, "waiting for Argo Rollouts to pick up the Rollout"
	}
	return PhaseUnknown, msg
}

// progressing tells the moments of a Progressing rollout apart: green coming
// up, traffic about to move, or traffic moved and the switch being verified.
func progressing(ro *unstructured.Unstructured, vs []Version, msg string) (Phase, string) {
	hash := str(ro, "status", "currentPodHash")
	active := str(ro, "status", "blueGreen", "activeSelector")
	stable := str(ro, "status", "stableRS")
	current := currentVersion(ro, vs)
	switch {
	case hash != "" && active == hash && stable != hash:
		return PhaseVerifying, "traffic is on the new version; waiting for it to become stable"
	case hash != "" && active != hash && current != nil && current.Desired > 0 && current.Ready >= current.Desired && !pausedForPromotion(ro):
		return PhaseSwitching, "switching traffic to the new version"
	}
	return PhaseProgressing, msg
}

func pausedForPromotion(ro *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(ro.Object, "status", "pauseConditions")
	for _, c := range conds {
		if m, ok := c.(map[string]any); ok && m["reason"] == "BlueGreenPause" {
			return true
		}
	}
	return false
}

func currentVersion(ro *unstructured.Unstructured, vs []Version) *Version {
	hash := str(ro, "status", "currentPodHash")
	for i := range vs {
		if vs[i].PodHash == hash {
			return &vs[i]
		}
	}
	return nil
}

func versions(ro *unstructured.Unstructured, rss []*appsv1.ReplicaSet) []Version {
	active := str(ro, "status", "blueGreen", "activeSelector")
	preview := str(ro, "status", "blueGreen", "previewSelector")
	stable := str(ro, "status", "stableRS")
	vs := make([]Version, 0, len(rss))
	for _, rs := range rss {
		v := Version{
			ReplicaSet: rs.Name,
			PodHash:    rs.Labels[HashLabel],
			Ready:      rs.Status.AvailableReplicas,
			CreatedAt:  rs.CreationTimestamp.UTC(),
		}
		v.Revision, _ = strconv.Atoi(rs.Annotations[RevisionAnno])
		if rs.Spec.Replicas != nil {
			v.Desired = *rs.Spec.Replicas
		}
		for _, c := range rs.Spec.Template.Spec.Containers {
			v.Images = append(v.Images, c.Image)
			v.Containers = append(v.Containers, Container{Name: c.Name, Image: c.Image})
		}
		v.Pods = []Pod{}
		v.Active, v.Preview, v.Stable = v.PodHash == active, v.PodHash == preview, v.PodHash == stable
		if d, err := time.Parse(time.RFC3339, rs.Annotations[ScaleDownAnno]); err == nil && !v.Active {
			d = d.UTC()
			v.ScaleDownAt = &d
		}
		vs = append(vs, v)
	}
	sort.Slice(vs, func(i, j int) bool { return vs[i].Revision > vs[j].Revision })
	return vs
}

func str(o *unstructured.Unstructured, fields ...string) string {
	v, found, _ := unstructured.NestedFieldNoCopy(o.Object, fields...)
	if !found || v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

func boolean(o *unstructured.Unstructured, fields ...string) bool {
	v, _, _ := unstructured.NestedBool(o.Object, fields...)
	return v
}

// autoPromoteAt is when Argo Rollouts switches traffic on its own: the start
// of the blue-green pause plus spec.strategy.blueGreen.autoPromotionSeconds,
// while that pause is on and auto-promotion is enabled with a countdown.
func autoPromoteAt(ro *unstructured.Unstructured) (time.Time, bool) {
	secs := timedPauseSeconds(ro)
	if secs <= 0 {
		return time.Time{}, false
	}
	conds, _, _ := unstructured.NestedSlice(ro.Object, "status", "pauseConditions")
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if !ok || m["reason"] != "BlueGreenPause" {
			continue
		}
		s, _ := m["startTime"].(string)
		start, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return time.Time{}, false
		}
		return start.Add(time.Duration(secs) * time.Second).UTC(), true
	}
	return time.Time{}, false
}

// timedPauseSeconds returns autoPromotionSeconds when Argo Rollouts ends the
// blue-green pause by a countdown (auto-promotion enabled, seconds > 0), else 0.
// Argo counts such a pause as done only once its deadline has passed
// (pauseContext.CompletedBlueGreenPause): clearing status.pauseConditions does
// not end it, and the controller then pauses again with a fresh start time.
func timedPauseSeconds(ro *unstructured.Unstructured) int64 {
	enabled, found, _ := unstructured.NestedBool(ro.Object, "spec", "strategy", "blueGreen", "autoPromotionEnabled")
	if found && !enabled {
		return 0
	}
	secs, _, _ := unstructured.NestedInt64(ro.Object, "spec", "strategy", "blueGreen", "autoPromotionSeconds")
	return secs
}
