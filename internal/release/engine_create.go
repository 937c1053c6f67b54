package release

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	"github.com/switchyard/switchyard/internal/cluster"
)

// Check verifies, against the cluster, everything creation needs: the
// Deployment exists, has replicas and no other Rollout targets it; the Service
// exists, selects the Deployment's pods and no other Rollout manages it; the
// job's name is free as a Rollout and as a preview Service. Each failure is a
// *FieldError naming the input at fault. A Rollout or preview Service that is
// already this job's (a half-done creation) is not a failure.
func (e *Engine) Check(ctx context.Context, t Target) error {
	s := t.Spec
	dep, err := e.Kube.AppsV1().Deployments(s.Namespace).Get(ctx, s.Deployment, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return &FieldError{Field: "deployment", Rule: fmt.Sprintf("Deployment %q does not exist in namespace %q", s.Deployment, s.Namespace)}
	}
	if err != nil {
		return fmt.Errorf("get deployment %s/%s: %w", s.Namespace, s.Deployment, err)
	}
	svc, err := e.Kube.CoreV1().Services(s.Namespace).Get(ctx, s.Service, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return &FieldError{Field: "service", Rule: fmt.Sprintf("Service %q does not exist in namespace %q", s.Service, s.Namespace)}
	}
	if err != nil {
		return fmt.Errorf("get service %s/%s: %w", s.Namespace, s.Service, err)
	}
	if err := e.checkRollouts(ctx, t, dep); err != nil {
		return err
	}
	if ok, why := cluster.SelectsPods(svc, dep); !ok {
		return &FieldError{Field: "service", Rule: why}
	}
	if owner := svc.Annotations[cluster.ManagedByRolloutAnnotation]; owner != "" && owner != s.Name {
		return &FieldError{Field: "service", Rule: fmt.Sprintf("Service %q is already managed by Rollout %q", s.Service, owner)}
	}
	return e.checkPreviewName(ctx, t)
}

// checkRollouts refuses a job whose name is another Rollout's, or whose
// Deployment another Rollout already targets.
func (e *Engine) checkRollouts(ctx context.Context, t Target, dep *appsv1.Deployment) error {
	list, err := e.rollouts(t.Spec.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("list rollouts in %s: %w", t.Spec.Namespace, err)
	}
	for _, ro := range list.Items {
		if ro.GetName() == t.Spec.Name && !t.owns(ro.GetLabels()) {
			return &FieldError{Field: "name", Rule: fmt.Sprintf("a Rollout named %q already exists in namespace %q", t.Spec.Name, t.Spec.Namespace)}
		}
		if str(&ro, "spec", "workloadRef", "name") == dep.Name && ro.GetName() != t.Spec.Name {
			return &FieldError{Field: "deployment", Rule: fmt.Sprintf("Deployment %q is already released by Rollout %q", dep.Name, ro.GetName())}
		}
	}
	if dep.Spec.Replicas != nil && *dep.Spec.Replicas == 0 && !hasRollout(list.Items, t.Spec.Name) {
		return &FieldError{Field: "deployment", Rule: fmt.Sprintf("Deployment %q has 0 replicas: scale it up first, a blue-green job needs serving pods", dep.Name)}
	}
	return nil
}

func (e *Engine) checkPreviewName(ctx context.Context, t Target) error {
	svc, found, err := e.getPreview(ctx, t)
	if err != nil || !found {
		return err
	}
	if !t.owns(svc.Labels) {
		return &FieldError{Field: "name", Rule: fmt.Sprintf("the preview Service %q this job needs already exists and is not Switchyard's", svc.Name)}
	}
	return nil
}

// getPreview gets the job's preview Service; found is false when there is none.
func (e *Engine) getPreview(ctx context.Context, t Target) (svc *corev1.Service, found bool, err error) {
	name := PreviewServiceName(t.Spec.Name)
	svc, err = e.Kube.CoreV1().Services(t.Spec.Namespace).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("get service %s/%s: %w", t.Spec.Namespace, name, err)
	}
	return svc, true, nil
}

func hasRollout(items []unstructured.Unstructured, name string) bool {
	for _, ro := range items {
		if ro.GetName() == name {
			return true
		}
	}
	return false
}

// Create makes the job in the cluster, idempotently: running it again after a
// crash at any point finishes the job. The preview Service comes first (Argo
// waits for it) and the checks' AnalysisTemplates (the Rollout names them),
// then the Rollout, then the Service and the templates are made the
// Rollout's so that they are garbage-collected with it.
func (e *Engine) Create(ctx context.Context, t Target) error {
	return e.runSteps(ctx, t, []step{
		{"apply preview service", e.applyPreview},
		{"apply check templates", e.applyCheckTemplates},
		{"apply rollout", e.applyRolloutFor},
		{"own preview service", e.ownPreview},
		{"own check templates", e.ownCheckTemplates},
	})
}

func (e *Engine) applyPreview(ctx context.Context, t Target) error {
	active, err := e.Kube.CoreV1().Services(t.Spec.Namespace).Get(ctx, t.Spec.Service, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("get service %s/%s: %w", t.Spec.Namespace, t.Spec.Service, err)
	}
	body, err := json.Marshal(PreviewService(t, active))
	if err != nil {
		return fmt.Errorf("encode preview service: %w", err)
	}
	name := PreviewServiceName(t.Spec.Name)
	_, err = e.Kube.CoreV1().Services(t.Spec.Namespace).Patch(ctx, name, types.ApplyPatchType, body,
		metav1.PatchOptions{FieldManager: FieldManager, Force: ptr(true)})
	if err != nil {
		return fmt.Errorf("apply service %s/%s: %w", t.Spec.Namespace, name, err)
	}
	return nil
}

func (e *Engine) applyRolloutFor(ctx context.Context, t Target) error {
	dep, err := e.Kube.AppsV1().Deployments(t.Spec.Namespace).Get(ctx, t.Spec.Deployment, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("get deployment %s/%s: %w", t.Spec.Namespace, t.Spec.Deployment, err)
	}
	ro := Rollout(t, dep)
	if e.ArgoInstanceID != "" {
		// The cluster's controller runs with --instance-id: without this label it would ignore the Rollout.
		labels := ro.GetLabels()
		labels[LabelInstanceID] = e.ArgoInstanceID
		ro.SetLabels(labels)
	}
	// After a crash Argo may already have scaled the Deployment down: keep the
	// replica count the existing Rollout has rather than the Deployment's 0.
	if existing, err := e.getRollout(ctx, t); err == nil {
		if n, found, _ := unstructured.NestedInt64(existing.Object, "spec", "replicas"); found && n > 0 {
			ro.Object["spec"].(map[string]any)["replicas"] = n
		}
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	return e.applyRollout(ctx, ro)
}

func (e *Engine) ownPreview(ctx context.Context, t Target) error {
	ro, err := e.getRollout(ctx, t)
	if err != nil {
		return err
	}
	patch := map[string]any{"metadata": map[string]any{"ownerReferences": []metav1.OwnerReference{{
		APIVersion: cluster.RolloutAPIVersion, Kind: cluster.RolloutKind, Name: ro.GetName(), UID: ro.GetUID(),
	}}}}
	body, err := json.Marshal(patch)
	if err != nil {
		return fmt.Errorf("encode owner patch: %w", err)
	}
	name := PreviewServiceName(t.Spec.Name)
	_, err = e.Kube.CoreV1().Services(t.Spec.Namespace).Patch(ctx, name, types.MergePatchType, body, metav1.PatchOptions{FieldManager: FieldManager})
	if err != nil {
		return fmt.Errorf("set owner of service %s/%s: %w", t.Spec.Namespace, name, err)
	}
	return nil
}

func ptr[T any](v T) *T { return &v }
