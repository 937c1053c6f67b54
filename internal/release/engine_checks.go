package release

import (
	"context"
	"encoding/json"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"

	"github.com/switchyard/switchyard/internal/checks"
	"github.com/switchyard/switchyard/internal/cluster"
)

// SetChecks makes the job's checks in the cluster what t.Spec says, in
// place: the AnalysisTemplates first (the Rollout must never name a missing
// one), then the Rollout's pre- and post-promotion analysis and its
// auto-promotion, then the templates are made the Rollout's, and the ones no
// check needs any more go. Every step is idempotent.
func (e *Engine) SetChecks(ctx context.Context, t Target) error {
	return e.runSteps(ctx, t, []step{
		{"apply check templates", e.applyCheckTemplates},
		{"apply rollout", e.applyRolloutFor},
		{"own check templates", e.ownCheckTemplates},
		{"prune check templates", e.pruneCheckTemplates},
	})
}

func (e *Engine) templates(ns string) dynamic.ResourceInterface {
	return e.Dynamic.Resource(cluster.AnalysisTemplateGVR).Namespace(ns)
}

// checkJob is what the checks package builds a job's templates for.
func (t Target) checkJob() checks.Job {
	return checks.Job{Name: t.Spec.Name, Namespace: t.Spec.Namespace, ActiveService: t.Spec.Service,
		PreviewService: PreviewServiceName(t.Spec.Name), Labels: t.labels()}
}

func (e *Engine) applyCheckTemplates(ctx context.Context, t Target) error {
	for _, tmpl := range checks.Templates(t.checkJob(), t.Spec.Checks) {
		_, err := e.templates(t.Spec.Namespace).Apply(ctx, tmpl.GetName(), tmpl, metav1.ApplyOptions{FieldManager: FieldManager, Force: true})
		if err != nil {
			return fmt.Errorf("apply analysis template %s/%s: %w", t.Spec.Namespace, tmpl.GetName(), err)
		}
	}
	return nil
}

// jobTemplates lists the AnalysisTemplates Switchyard made for the job.
func (e *Engine) jobTemplates(ctx context.Context, t Target) ([]unstructured.Unstructured, error) {
	sel := labels.SelectorFromSet(labels.Set{LabelManagedBy: ManagedByValue, LabelJob: t.Spec.Name}).String()
	list, err := e.templates(t.Spec.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return nil, fmt.Errorf("list analysis templates in %s: %w", t.Spec.Namespace, err)
	}
	return list.Items, nil
}

// ownCheckTemplates makes the Rollout the owner of the job's templates, so
// that they are garbage-collected with it.
func (e *Engine) ownCheckTemplates(ctx context.Context, t Target) error {
	items, err := e.jobTemplates(ctx, t)
	if err != nil || len(items) == 0 {
		return err
	}
	ro, err := e.getRollout(ctx, t)
	if err != nil {
		return err
	}
	body, err := json.Marshal(map[string]any{"metadata": map[string]any{"ownerReferences": []metav1.OwnerReference{{
		APIVersion: cluster.RolloutAPIVersion, Kind: cluster.RolloutKind, Name: ro.GetName(), UID: ro.GetUID(),
	}}}})
	if err != nil {
		return fmt.Errorf("encode owner patch: %w", err)
	}
	for _, it := range items {
		_, err := e.templates(t.Spec.Namespace).Patch(ctx, it.GetName(), types.MergePatchType, body, metav1.PatchOptions{FieldManager: FieldManager})
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("set owner of analysis template %s/%s: %w", t.Spec.Namespace, it.GetName(), err)
		}
	}
	return nil
}

// pruneCheckTemplates deletes the job's templates that no check needs now
// (every check after the switch removed, say). The Rollout no longer names
// them: SetChecks applied it first.
func (e *Engine) pruneCheckTemplates(ctx context.Context, t Target) error {
	items, err := e.jobTemplates(ctx, t)
	if err != nil {
		return err
	}
	keep := map[string]bool{}
	for _, tmpl := range checks.Templates(t.checkJob(), t.Spec.Checks) {
		keep[tmpl.GetName()] = true
	}
	for _, it := range items {
		if keep[it.GetName()] {
			continue
		}
		if err := e.templates(t.Spec.Namespace).Delete(ctx, it.GetName(), metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete analysis template %s/%s: %w", t.Spec.Namespace, it.GetName(), err)
		}
	}
	return nil
}

// deleteCheckTemplates deletes every template of the job (its deletion).
func (e *Engine) deleteCheckTemplates(ctx context.Context, t Target) error {
	t.Spec.Checks = nil
	return e.pruneCheckTemplates(ctx, t)
}

// CheckRuns reads the runs of the job's checks from the API server, newest
// first. A Rollout that is gone has none.
func (e *Engine) CheckRuns(ctx context.Context, t Target, rolloutUID types.UID) ([]checks.Run, error) {
	list, err := e.Dynamic.Resource(cluster.AnalysisRunGVR).Namespace(t.Spec.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list analysis runs in %s: %w", t.Spec.Namespace, err)
	}
	objs := make([]*unstructured.Unstructured, 0, len(list.Items))
	for i := range list.Items {
		objs = append(objs, &list.Items[i])
	}
	return checks.Runs(objs, rolloutUID), nil
}

// attachChecks gives st the runs of the job's checks, read from the API
// server. A failure to read them leaves st as it is: the job's status does
// not depend on them.
func (e *Engine) attachChecks(ctx context.Context, t Target, st *Status) {
	ro, err := e.getRollout(ctx, t)
	if err != nil {
		return
	}
	runs, err := e.CheckRuns(ctx, t, ro.GetUID())
	if err != nil {
		e.log().Debug("read check runs", "job", t.Spec.Name, "err", err)
		return
	}
	AttachChecks(st, ro, runs)
}
