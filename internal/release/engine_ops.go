package release

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
)

// Deploy ships a new version: it sets the image of each named container in the
// Deployment's pod template (the Rollout follows it through workloadRef), with
// a GET + Update retried on conflict, as the Argo CLI's set image does. images
// maps container name to image; an unknown container is a *FieldError.
func (e *Engine) Deploy(ctx context.Context, t Target, images map[string]string) error {
	if len(images) == 0 {
		return &FieldError{Field: "images", Rule: "name at least one container and its new image"}
	}
	for name, image := range images {
		if strings.TrimSpace(image) == "" || strings.ContainsAny(image, " \t\n") {
			return &FieldError{Field: "images." + name, Rule: "must be a container image reference without spaces"}
		}
	}
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		deps := e.Kube.AppsV1().Deployments(t.Spec.Namespace)
		dep, err := deps.Get(ctx, t.Spec.Deployment, metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("get deployment %s/%s: %w", t.Spec.Namespace, t.Spec.Deployment, err)
		}
		if err := setImages(&dep.Spec.Template.Spec, images); err != nil {
			return err
		}
		_, err = deps.Update(ctx, dep, metav1.UpdateOptions{FieldManager: FieldManager})
		return err
	})
}

func setImages(pod *corev1.PodSpec, images map[string]string) error {
	known := map[string]bool{}
	for i := range pod.Containers {
		c := &pod.Containers[i]
		known[c.Name] = true
		if img, ok := images[c.Name]; ok {
			c.Image = img
		}
	}
	for name := range images {
		if !known[name] {
			return &FieldError{Field: "images." + name, Rule: fmt.Sprintf("the Deployment has no container %q", name)}
		}
	}
	return nil
}

// Promote switches traffic to the new version, as `kubectl argo rollouts
// promote` does: unpause, then clear the pause conditions on the status
// subresource. full skips every remaining pause and analysis. It returns once
// Argo Rollouts has taken the promote (or after ObserveTimeout); a promote
// Argo undid is a *ConflictError saying what the job shows instead.
func (e *Engine) Promote(ctx context.Context, t Target, full bool) error {
	if err := e.promote(ctx, t, full); err != nil {
		return err
	}
	return e.awaitPromote(ctx, t)
}

func (e *Engine) promote(ctx context.Context, t Target, full bool) error {
	ro, err := e.seenRollout(ctx, t)
	if err != nil {
		return err
	}
	st := Observe(ro, nil)
	if st.Phase == PhaseAborted {
		return &ConflictError{Reason: "the release was aborted: retry it before promoting", Phase: st.Phase}
	}
	if str(ro, "status", "currentPodHash") == str(ro, "status", "stableRS") && str(ro, "status", "stableRS") != "" {
		return &ConflictError{Reason: "there is no new version to promote: the job is on its stable version", Phase: st.Phase}
	}
	if err := checksPending(ro, full); err != nil {
		return err
	}
	if boolean(ro, "spec", "paused") {
		if err := e.patchRollout(ctx, t, map[string]any{"spec": map[string]any{"paused": false}}); err != nil {
			return err
		}
	}
	// Argo's promote lifts the pause the release waits in. Before the release
	// reaches it (green still coming up, or a retry not yet processed) there
	// is none to lift, and the pause that comes next would undo the promote:
	// promote fully instead, so that traffic switches as soon as green is ready.
	//
	// A pause with an auto-promotion countdown ends only at its deadline:
	// clearing it leaves traffic where it is and Argo pauses again with a
	// fresh countdown (see timedPauseSeconds). Only a full promote ends it.
	if !pausedForPromotion(ro) || strings.HasPrefix(str(ro, "status", "message"), "RolloutAborted") || timedPauseSeconds(ro) > 0 {
		full = true
	}
	if full {
		return e.patchRollout(ctx, t, map[string]any{"status": map[string]any{"promoteFull": true}}, "status")
	}
	return e.patchRollout(ctx, t, map[string]any{"status": map[string]any{"pauseConditions": nil}}, "status")
}

// checksPending refuses a plain promote while the job's checks before the
// switch have not passed on the new version: with no pause to lift yet, it
// would be a full promotion, and Argo skips analysis on those. A person who
// means to skip the checks promotes fully.
func checksPending(ro *unstructured.Unstructured, full bool) error {
	if full {
		return nil
	}
	if _, has, _ := unstructured.NestedMap(ro.Object, "spec", "strategy", "blueGreen", "prePromotionAnalysis"); !has {
		return nil
	}
	status := str(ro, "status", "blueGreen", "prePromotionAnalysisRunStatus", "status")
	// Argo names a run <rollout>-<pod hash>-<revision>-pre: one of an older version does not count.
	if run := str(ro, "status", "blueGreen", "prePromotionAnalysisRunStatus", "name"); !strings.Contains(run, "-"+str(ro, "status", "currentPodHash")+"-") {
		status = ""
	}
	if status == "Successful" {
		return nil
	}
	if status == "" {
		status = "not started yet"
	}
	return &ConflictError{Reason: fmt.Sprintf("the checks before the switch have not passed on the new version (%s): "+
		"wait for them (the job switches, or waits for a promote, once they pass), or promote fully to skip them", strings.ToLower(status)),
		Phase: Observe(ro, nil).Phase}
}

// awaitPromote waits (at most ObserveTimeout) until Argo shows the promote
// taken: traffic on the new version (Verifying or Healthy), or, while the new
// version is still coming up, Argo's reconcile after the promote with no
// pause left to wait in (Progressing). A job back in a pause then is a
// *ConflictError: Argo undid the promote.
func (e *Engine) awaitPromote(ctx context.Context, t Target) error {
	wctx, cancel := context.WithTimeout(ctx, ObserveTimeout)
	defer cancel()
	var st Status
	_ = e.wait(wctx, "argo to take the promote", func(ctx context.Context) (bool, error) {
		s, err := e.Status(ctx, t)
		if err != nil {
			return false, nil //nolint:nilerr // keep waiting, bounded
		}
		st = s
		return promoteTaken(st), nil
	})
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if st.Phase == PhaseAwaitingPromotion || st.Phase == PhasePaused {
		return &ConflictError{Reason: fmt.Sprintf("Argo Rollouts did not take the promote: the job is %s (%s)", st.Phase, st.Message), Phase: st.Phase}
	}
	return nil
}

// promoteTaken reports whether a job's status shows a promote acted on:
// traffic moved, or green still coming up with no pause in its way.
func promoteTaken(st Status) bool {
	switch st.Phase {
	case PhaseVerifying, PhaseHealthy, PhaseDegraded, PhaseAborted:
		return true
	case PhaseProgressing:
		return st.Message != msgUnobserved
	}
	return false
}

// seenRollout returns the job's Rollout once Argo has seen the Deployment's
// latest change (a version shipped a moment ago), waiting at most
// ObserveTimeout for it: until then the Rollout still describes the version
// before.
func (e *Engine) seenRollout(ctx context.Context, t Target) (*unstructured.Unstructured, error) {
	ro, err := e.getRollout(ctx, t)
	if err != nil {
		return nil, err
	}
	dep, err := e.Kube.AppsV1().Deployments(t.Spec.Namespace).Get(ctx, t.Spec.Deployment, metav1.GetOptions{})
	if err != nil {
		return ro, nil //nolint:nilerr // no Deployment to compare with: judge by the Rollout alone
	}
	want := strconv.FormatInt(dep.Generation, 10)
	if seen := str(ro, "status", "workloadObservedGeneration"); seen == "" || seen == want {
		return ro, nil
	}
	wctx, cancel := context.WithTimeout(ctx, ObserveTimeout)
	defer cancel()
	_ = e.wait(wctx, "argo to see the deployment's change", func(ctx context.Context) (bool, error) {
		if r, err := e.getRollout(ctx, t); err == nil {
			ro = r
		}
		return str(ro, "status", "workloadObservedGeneration") == want, nil
	})
	return ro, nil
}

// Abort keeps (or puts back) traffic on the stable version and scales the
// new one down, in any state with a release in flight. It returns once Argo
// Rollouts has taken the abort (or after ObserveTimeout with the abort still
// set, Argo being slow); an abort Argo undid is a *ConflictError saying what
// the Rollout shows instead.
//
// Argo clears status.abort on every reconcile while status.promoteFull is
// set (syncRolloutStatusBlueGreen), and Promote sets promoteFull when green is
// still coming up: the abort clears it in the same patch, or it never takes.
func (e *Engine) Abort(ctx context.Context, t Target) error {
	ro, err := e.getRollout(ctx, t)
	if err != nil {
		return err
	}
	if str(ro, "status", "currentPodHash") == str(ro, "status", "stableRS") && !boolean(ro, "status", "abort") {
		return &ConflictError{Reason: "there is no release in flight to abort", Phase: Observe(ro, nil).Phase}
	}
	patch := map[string]any{"status": map[string]any{"abort": true, "promoteFull": nil}}
	if err := e.patchRollout(ctx, t, patch, "status"); err != nil {
		return err
	}
	return e.awaitAbort(ctx, t)
}

// awaitAbort waits (at most ObserveTimeout) until Argo shows the abort taken:
// status.abort still set, the Rollout Degraded with Argo's RolloutAborted
// message, and the active Service back on the stable ReplicaSet.
func (e *Engine) awaitAbort(ctx context.Context, t Target) error {
	wctx, cancel := context.WithTimeout(ctx, ObserveTimeout)
	defer cancel()
	var ro *unstructured.Unstructured
	_ = e.wait(wctx, "argo to take the abort", func(ctx context.Context) (bool, error) {
		r, err := e.getRollout(ctx, t)
		if err != nil {
			return false, nil //nolint:nilerr // keep waiting, bounded
		}
		ro = r
		return abortTaken(ro), nil
	})
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if ro != nil && !boolean(ro, "status", "abort") {
		st := Observe(ro, nil)
		return &ConflictError{Reason: fmt.Sprintf("Argo Rollouts did not take the abort: the Rollout is %s (%s)", st.Phase, str(ro, "status", "message")), Phase: st.Phase}
	}
	return nil
}

// abortTaken reports whether Argo has acted on status.abort: it is still
// set, promoteFull is not, the phase is Degraded with Argo's RolloutAborted
// message, and the active selector is the stable ReplicaSet's hash.
func abortTaken(ro *unstructured.Unstructured) bool {
	stable := str(ro, "status", "stableRS")
	return boolean(ro, "status", "abort") && !boolean(ro, "status", "promoteFull") &&
		str(ro, "status", "phase") == "Degraded" && strings.HasPrefix(str(ro, "status", "message"), "RolloutAborted") &&
		(stable == "" || str(ro, "status", "blueGreen", "activeSelector") == stable)
}

// Retry starts an aborted release again.
func (e *Engine) Retry(ctx context.Context, t Target) error {
	ro, err := e.getRollout(ctx, t)
	if err != nil {
		return err
	}
	if !boolean(ro, "status", "abort") {
		return &ConflictError{Reason: "only an aborted release can be retried", Phase: Observe(ro, nil).Phase}
	}
	body, _ := json.Marshal(map[string]any{"status": map[string]any{"abort": false}})
	patched, err := e.rollouts(t.Spec.Namespace).Patch(ctx, t.Spec.Name, types.MergePatchType, body, metav1.PatchOptions{FieldManager: FieldManager}, "status")
	if err != nil {
		return fmt.Errorf("patch rollout %s/%s: %w", t.Spec.Namespace, t.Spec.Name, err)
	}
	// Until Argo processes the retry, the Rollout still shows the pause it was
	// aborted in, and a promote lifting that pause would be undone by the
	// fresh one Argo sets. Wait (briefly) for Argo's own answer.
	wctx, cancel := context.WithTimeout(ctx, ObserveTimeout)
	defer cancel()
	_ = e.wait(wctx, "argo to process the retry", func(ctx context.Context) (bool, error) {
		ro, err := e.getRollout(ctx, t)
		if err != nil {
			return false, nil //nolint:nilerr // keep waiting, bounded
		}
		return ro.GetResourceVersion() != patched.GetResourceVersion() && !strings.HasPrefix(str(ro, "status", "message"), "RolloutAborted"), nil
	})
	return nil
}

// Rollback writes the pod template of an earlier revision back into the
// Deployment. While that revision's ReplicaSet is still on standby Argo
// switches back at once (fast rollback); otherwise a new blue-green round
// starts with the old template. revision 0 means the one before the current.
// It returns the revision rolled back to.
func (e *Engine) Rollback(ctx context.Context, t Target, revision int) (int, error) {
	ro, err := e.getRollout(ctx, t)
	if err != nil {
		return 0, err
	}
	rss, err := e.ReplicaSets(ctx, t, ro)
	if err != nil {
		return 0, err
	}
	target, err := pickRevision(rss, str(ro, "status", "currentPodHash"), revision)
	if err != nil {
		return 0, err
	}
	tmpl := target.Spec.Template.DeepCopy()
	delete(tmpl.Labels, HashLabel)
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		deps := e.Kube.AppsV1().Deployments(t.Spec.Namespace)
		dep, err := deps.Get(ctx, t.Spec.Deployment, metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("get deployment %s/%s: %w", t.Spec.Namespace, t.Spec.Deployment, err)
		}
		dep.Spec.Template = *tmpl
		_, err = deps.Update(ctx, dep, metav1.UpdateOptions{FieldManager: FieldManager})
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("write revision back to deployment: %w", err)
	}
	rev, _ := strconv.Atoi(target.Annotations[RevisionAnno])
	return rev, nil
}

// pickRevision finds the ReplicaSet of revision (0: the newest one older than
// the current pod hash's).
func pickRevision(rss []*appsv1.ReplicaSet, currentHash string, revision int) (*appsv1.ReplicaSet, error) {
	sort.Slice(rss, func(i, j int) bool { return revisionOf(rss[i]) > revisionOf(rss[j]) })
	current := 0
	for _, rs := range rss {
		if rs.Labels[HashLabel] == currentHash {
			current = revisionOf(rs)
		}
	}
	for _, rs := range rss {
		r := revisionOf(rs)
		switch {
		case revision == 0 && r < current && r > 0:
			return rs, nil
		case revision != 0 && r == revision:
			if rs.Labels[HashLabel] == currentHash {
				return nil, &FieldError{Field: "revision", Rule: fmt.Sprintf("revision %d is the current one", revision)}
			}
			return rs, nil
		}
	}
	if revision == 0 {
		return nil, &ConflictError{Reason: "there is no earlier revision to roll back to"}
	}
	return nil, &FieldError{Field: "revision", Rule: fmt.Sprintf("revision %d is not in the job's history", revision)}
}

func revisionOf(rs *appsv1.ReplicaSet) int {
	r, _ := strconv.Atoi(rs.Annotations[RevisionAnno])
	return r
}

// ReplicaSets lists the ReplicaSets the Rollout owns, live from the API server.
func (e *Engine) ReplicaSets(ctx context.Context, t Target, ro *unstructured.Unstructured) ([]*appsv1.ReplicaSet, error) {
	uid := string(ro.GetUID())
	// Only Argo's (they carry its hash) that the Rollout's selector matches:
	// not every ReplicaSet of the namespace, which can be thousands.
	sel := HashLabel
	if ml, found, _ := unstructured.NestedStringMap(ro.Object, "spec", "selector", "matchLabels"); found && len(ml) > 0 {
		sel += "," + labels.SelectorFromSet(ml).String()
	}
	list, err := e.Kube.AppsV1().ReplicaSets(t.Spec.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return nil, fmt.Errorf("list replicasets in %s: %w", t.Spec.Namespace, err)
	}
	var out []*appsv1.ReplicaSet
	for i := range list.Items {
		for _, o := range list.Items[i].OwnerReferences {
			if string(o.UID) == uid {
				out = append(out, &list.Items[i])
			}
		}
	}
	return out, nil
}

// Status reads the job's status live from the API server (the server reads it
// from informer caches instead; this is for operations and tests).
func (e *Engine) Status(ctx context.Context, t Target) (Status, error) {
	ro, err := e.getRollout(ctx, t)
	if err != nil {
		return Status{}, err
	}
	rss, err := e.ReplicaSets(ctx, t, ro)
	if err != nil {
		return Status{}, err
	}
	dep, err := e.Kube.AppsV1().Deployments(t.Spec.Namespace).Get(ctx, t.Spec.Deployment, metav1.GetOptions{})
	if err != nil {
		dep = nil // gone or unreadable: judge by the Rollout alone
	}
	return ObserveWorkload(ro, rss, dep), nil
}

// attachPods gives each version of st its pods, read from the API server.
func (e *Engine) attachPods(ctx context.Context, t Target, st *Status) error {
	hashes := versionHashes(st.Versions)
	if len(hashes) == 0 {
		return nil
	}
	req, err := labels.NewRequirement(HashLabel, selection.In, hashes)
	if err != nil {
		return fmt.Errorf("select pods: %w", err)
	}
	list, err := e.Kube.CoreV1().Pods(t.Spec.Namespace).List(ctx, metav1.ListOptions{LabelSelector: labels.NewSelector().Add(*req).String()})
	if err != nil {
		return fmt.Errorf("list pods in %s: %w", t.Spec.Namespace, err)
	}
	pods := make([]*corev1.Pod, len(list.Items))
	for i := range list.Items {
		pods[i] = &list.Items[i]
	}
	AttachPods(st, pods)
	return nil
}

// WaitPhase waits until the job reaches one of the phases, or ctx ends.
func (e *Engine) WaitPhase(ctx context.Context, t Target, phases ...Phase) (Status, error) {
	var st Status
	err := e.wait(ctx, fmt.Sprintf("phase %v", phases), func(ctx context.Context) (bool, error) {
		var err error
		st, err = e.Status(ctx, t)
		if err != nil {
			return false, nil //nolint:nilerr // not there yet: keep waiting
		}
		for _, p := range phases {
			if st.Phase == p {
				return true, nil
			}
		}
		return false, nil
	})
	return st, err
}
