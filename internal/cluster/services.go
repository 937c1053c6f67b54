package cluster

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
)

// ManagedByRolloutAnnotation is set by Argo Rollouts on the Services it
// switches; its value names the Rollout.
const ManagedByRolloutAnnotation = "argo-rollouts.argoproj.io/managed-by-rollouts"

// ServiceInfo is a Service as the job form shows it: whether it selects a
// given Deployment's pods, and whether a Rollout already switches it.
type ServiceInfo struct {
	Namespace string
	Name      string
	Type      corev1.ServiceType
	Selector  map[string]string
	Ports     []int32
	// SelectsDeployment is true iff the selector is non-empty and a subset of
	// the Deployment's pod-template labels.
	SelectsDeployment bool
	// Reason says why SelectsDeployment is false; empty when it is true.
	Reason string
	// ManagedByRollout names the Rollout that switches this Service, if any.
	ManagedByRollout string
}

// serviceInfo describes svc relative to the pod-template labels of a
// Deployment (nil podLabels: no Deployment given).
func serviceInfo(svc *corev1.Service, deployment string, podLabels map[string]string) ServiceInfo {
	si := ServiceInfo{
		Namespace:        svc.Namespace,
		Name:             svc.Name,
		Type:             svc.Spec.Type,
		Selector:         svc.Spec.Selector,
		ManagedByRollout: svc.Annotations[ManagedByRolloutAnnotation],
	}
	for _, p := range svc.Spec.Ports {
		si.Ports = append(si.Ports, p.Port)
	}
	if deployment == "" {
		si.Reason = "no deployment given"
		return si
	}
	si.SelectsDeployment, si.Reason = selects(svc.Spec.Selector, podLabels)
	if si.Reason != "" {
		si.Reason = fmt.Sprintf("does not select the pods of deployment %s: %s", deployment, si.Reason)
	}
	return si
}

// selects reports whether a Service selector selects pods labelled
// podLabels: it must be non-empty and each of its pairs must be among the
// labels. When it does not, reason says why (the first mismatch by key).
func selects(selector, podLabels map[string]string) (ok bool, reason string) {
	if len(selector) == 0 {
		return false, "the service has no selector"
	}
	keys := make([]string, 0, len(selector))
	for k := range selector {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v, has := podLabels[k]
		switch {
		case !has:
			return false, fmt.Sprintf("selector %s=%s, but the pod template has no label %s", k, selector[k], k)
		case v != selector[k]:
			return false, fmt.Sprintf("selector %s=%s, but the pod template has %s=%s", k, selector[k], k, v)
		}
	}
	return true, ""
}
