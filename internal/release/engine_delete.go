package release

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/util/retry"

	"github.com/switchyard/switchyard/internal/cluster"
)

// Delete hands the application back as a plain Deployment + Service, never
// leaving the Service without ready pods:
//
//  1. stop Argo from scaling the Deployment down (workloadRef scaleDown: never);
//  2. scale the Deployment back up with the stable version's template and wait
//     until it is available (its pods are not selected yet: the Service still
//     carries Argo's hash);
//  3. detach the Rollout from its controller (the controller-instance-id label
//     hides it from a controller without that instance ID), so that Argo no
//     longer puts its hash back into the Service;
//  4. drop Argo's hash from the Service's selector: it now selects the
//     Deployment's pods and the Rollout's alike;
//  5. delete the Rollout (its ReplicaSets and the preview Service go with it).
//
// The Rollout is not orphaned on purpose: an orphaned ReplicaSet matching the
// Deployment's selector is adopted by the Deployment and scaled to 0 at once.
// Every step is idempotent, so running Delete again after a crash finishes the
// work. While a release is in flight Delete refuses with a *ConflictError
// unless force is set.
func (e *Engine) Delete(ctx context.Context, t Target, force bool) error {
	ro, err := e.getRollout(ctx, t)
	switch {
	case errors.Is(err, ErrNotFound):
		// The Rollout is gone (a crash after step 5): finish the cleanup.
		return e.runSteps(ctx, t, e.cleanupSteps())
	case err != nil:
		return err
	}
	detached := ro.GetLabels()[LabelInstanceID] == DetachedInstanceID
	if st := Observe(ro, nil); st.Phase.InFlight() && !force && !detached {
		return &ConflictError{Reason: fmt.Sprintf("a release is in flight (%s): promote or abort it first, or delete with force", st.Phase), Phase: st.Phase}
	}
	replicas := int32(1)
	if n, found, _ := unstructured.NestedInt64(ro.Object, "spec", "replicas"); found && n > 0 {
		replicas = int32(n)
	}
	rss, err := e.ReplicaSets(ctx, t, ro)
	if err != nil {
		return err
	}
	stable := findHash(rss, str(ro, "status", "stableRS"))
	if stable == nil {
		// No stable version yet (the first round never finished): what serves is the active one.
		stable = findHash(rss, str(ro, "status", "blueGreen", "activeSelector"))
	}
	var steps []step
	if !detached {
		steps = append(steps, step{"stop scaling the deployment down", func(ctx context.Context, t Target) error {
			if err := e.patchRollout(ctx, t, map[string]any{"spec": map[string]any{"workloadRef": map[string]any{"scaleDown": "never"}}}); err != nil {
				return ignoreGone(err)
			}
			e.awaitObserved(ctx, t)
			return nil
		}})
	}
	steps = append(steps,
		step{"scale the deployment up", func(ctx context.Context, t Target) error { return e.restoreDeployment(ctx, t, stable, replicas) }},
		step{"wait for the deployment", func(ctx context.Context, t Target) error { return e.waitDeployment(ctx, t, stable, replicas) }},
		step{"detach the rollout from argo", func(ctx context.Context, t Target) error {
			return ignoreGone(e.patchRollout(ctx, t, map[string]any{"metadata": map[string]any{"labels": map[string]any{LabelInstanceID: DetachedInstanceID}}}))
		}},
		step{"restore the service selector", e.restoreService},
		step{"delete the rollout", e.deleteRollout},
	)
	return e.runSteps(ctx, t, append(steps, e.cleanupSteps()...))
}

// ignoreGone treats a Rollout that vanished mid-way (deleted by someone else,
// or by an earlier, interrupted run) as a step already done: the remaining
// steps restore the Service and remove the preview either way.
func ignoreGone(err error) error {
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

func (e *Engine) cleanupSteps() []step {
	return []step{
		{"restore the service selector", e.restoreService},
		{"delete the preview service", e.deletePreview},
		{"delete the check templates", e.deleteCheckTemplates},
	}
}

func findHash(rss []*appsv1.ReplicaSet, hash string) *appsv1.ReplicaSet {
	for _, rs := range rss {
		if hash != "" && rs.Labels[HashLabel] == hash {
			return rs
		}
	}
	return nil
}

// restoreDeployment gives the Deployment the stable template (when known) and
// the Rollout's replica count.
func (e *Engine) restoreDeployment(ctx context.Context, t Target, stable *appsv1.ReplicaSet, replicas int32) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		deps := e.Kube.AppsV1().Deployments(t.Spec.Namespace)
		dep, err := deps.Get(ctx, t.Spec.Deployment, metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("get deployment %s/%s: %w", t.Spec.Namespace, t.Spec.Deployment, err)
		}
		if stable != nil {
			tmpl := stable.Spec.Template.DeepCopy()
			delete(tmpl.Labels, HashLabel)
			dep.Spec.Template = *tmpl
		}
		dep.Spec.Replicas = &replicas
		_, err = deps.Update(ctx, dep, metav1.UpdateOptions{FieldManager: FieldManager})
		return err
	})
}

// awaitObserved waits, for at most ObserveTimeout, until the Argo controller
// has seen the Rollout's latest spec, so that a reconcile still working from
// the old spec (scaleDown: progressively) does not scale the Deployment back
// down after restoreDeployment scaled it up. It gives up quietly: a stopped
// controller scales nothing, and waitDeployment scales up again if need be.
func (e *Engine) awaitObserved(ctx context.Context, t Target) {
	ctx, cancel := context.WithTimeout(ctx, ObserveTimeout)
	defer cancel()
	_ = e.wait(ctx, "argo to observe the rollout", func(ctx context.Context) (bool, error) {
		ro, err := e.getRollout(ctx, t)
		if err != nil {
			return true, nil
		}
		return str(ro, "status", "observedGeneration") == strconv.FormatInt(ro.GetGeneration(), 10), nil
	})
}

// waitDeployment waits until the Deployment has rolled out and all its
// replicas are available. Should something (a controller that had not yet
// seen scaleDown: never) scale it below the wanted count meanwhile, it
// scales it up again.
func (e *Engine) waitDeployment(ctx context.Context, t Target, stable *appsv1.ReplicaSet, replicas int32) error {
	return e.wait(ctx, "the deployment to be available", func(ctx context.Context) (bool, error) {
		dep, err := e.Kube.AppsV1().Deployments(t.Spec.Namespace).Get(ctx, t.Spec.Deployment, metav1.GetOptions{})
		if err != nil {
			return false, fmt.Errorf("get deployment %s/%s: %w", t.Spec.Namespace, t.Spec.Deployment, err)
		}
		if dep.Spec.Replicas != nil && *dep.Spec.Replicas < replicas {
			e.log().InfoContext(ctx, "deployment scaled down during deletion: scaling it up again", "namespace", t.Spec.Namespace, "deployment", t.Spec.Deployment, "replicas", *dep.Spec.Replicas)
			return false, e.restoreDeployment(ctx, t, stable, replicas)
		}
		if !DeploymentAvailable(dep) {
			return false, nil
		}
		// The Deployment's status sums its ReplicaSets' statuses, which may
		// not have caught up with a scale-down and up again yet (3 available
		// from before the scale-down, 0 a moment later): believe it only once
		// every ReplicaSet it scales has observed its own latest spec.
		rss, err := e.deploymentReplicaSets(ctx, dep)
		if err != nil {
			return false, err
		}
		return replicaSetsCaughtUp(rss, desiredReplicas(dep)), nil
	})
}

// deploymentReplicaSets lists the ReplicaSets dep owns, live from the API
// server: those its selector matches, then by owner.
func (e *Engine) deploymentReplicaSets(ctx context.Context, dep *appsv1.Deployment) ([]*appsv1.ReplicaSet, error) {
	sel, err := metav1.LabelSelectorAsSelector(dep.Spec.Selector)
	if err != nil {
		return nil, fmt.Errorf("deployment %s/%s selector: %w", dep.Namespace, dep.Name, err)
	}
	list, err := e.Kube.AppsV1().ReplicaSets(dep.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return nil, fmt.Errorf("list replicasets of deployment %s/%s: %w", dep.Namespace, dep.Name, err)
	}
	var out []*appsv1.ReplicaSet
	for i := range list.Items {
		if metav1.IsControlledBy(&list.Items[i], dep) {
			out = append(out, &list.Items[i])
		}
	}
	return out, nil
}

// desiredReplicas is a Deployment's spec.replicas, 1 when unset.
func desiredReplicas(dep *appsv1.Deployment) int32 {
	if dep.Spec.Replicas != nil {
		return *dep.Spec.Replicas
	}
	return 1
}

// replicaSetsCaughtUp reports whether every ReplicaSet with replicas has
// observed its latest spec and, together, they have want available.
func replicaSetsCaughtUp(rss []*appsv1.ReplicaSet, want int32) bool {
	var available int32
	for _, rs := range rss {
		if rs.Spec.Replicas != nil && *rs.Spec.Replicas == 0 && rs.Status.Replicas == 0 {
			continue
		}
		if rs.Status.ObservedGeneration < rs.Generation {
			return false
		}
		available += rs.Status.AvailableReplicas
	}
	return available >= want
}

// DeploymentAvailable reports whether a Deployment has rolled out its latest
// template with every replica available.
func DeploymentAvailable(dep *appsv1.Deployment) bool {
	want := desiredReplicas(dep)
	s := dep.Status
	return s.ObservedGeneration >= dep.Generation && s.UpdatedReplicas == want && s.AvailableReplicas >= want && s.Replicas == want
}

func (e *Engine) deleteRollout(ctx context.Context, t Target) error {
	background := metav1.DeletePropagationBackground
	err := e.rollouts(t.Spec.Namespace).Delete(ctx, t.Spec.Name, metav1.DeleteOptions{PropagationPolicy: &background})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete rollout %s/%s: %w", t.Spec.Namespace, t.Spec.Name, err)
	}
	return e.wait(ctx, "the rollout to be gone", func(ctx context.Context) (bool, error) {
		_, err := e.getRollout(ctx, t)
		return errors.Is(err, ErrNotFound), nil
	})
}

// restoreService removes Argo's hash from the active Service's selector and
// Argo's managed-by annotation, as Argo does when its Rollout goes away.
func (e *Engine) restoreService(ctx context.Context, t Target) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		svcs := e.Kube.CoreV1().Services(t.Spec.Namespace)
		svc, err := svcs.Get(ctx, t.Spec.Service, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("get service %s/%s: %w", t.Spec.Namespace, t.Spec.Service, err)
		}
		_, hashed := svc.Spec.Selector[HashLabel]
		_, managed := svc.Annotations[cluster.ManagedByRolloutAnnotation]
		if !hashed && !managed {
			return nil
		}
		delete(svc.Spec.Selector, HashLabel)
		delete(svc.Annotations, cluster.ManagedByRolloutAnnotation)
		_, err = svcs.Update(ctx, svc, metav1.UpdateOptions{FieldManager: FieldManager})
		return err
	})
}

func (e *Engine) deletePreview(ctx context.Context, t Target) error {
	svc, found, err := e.getPreview(ctx, t)
	if err != nil || !found {
		return err
	}
	if !t.owns(svc.Labels) {
		return nil // not ours: leave it
	}
	err = e.Kube.CoreV1().Services(t.Spec.Namespace).Delete(ctx, svc.Name, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete service %s/%s: %w", t.Spec.Namespace, svc.Name, err)
	}
	return nil
}
