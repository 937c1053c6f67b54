package cluster

import (
	"fmt"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// ServiceInfo is a Service as the job form shows it: whether it selects a
// given Deployment's pods, and whether a Rollout already switches it.
type ServiceInfo struct {
	Namespace string
	Name      string
	Type      corev1.ServiceType
	Selector  map[string]string
	Ports     []int32
	// SelectsDeployment is what SelectsPods says of the Service and the
	// Deployment: the same rule job creation checks.
	SelectsDeployment bool
	// Reason says why SelectsDeployment is false; empty when it is true.
	Reason string
	// ManagedByRollout names the Rollout that switches this Service, if any.
	ManagedByRollout string
}

// serviceInfo describes svc relative to a Deployment (nil: none given).
func serviceInfo(svc *corev1.Service, dep *appsv1.Deployment) ServiceInfo {
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
	if dep == nil {
		si.Reason = "no deployment given"
		return si
	}
	si.SelectsDeployment, si.Reason = SelectsPods(svc, dep)
	return si
}

// SelectsPods reports whether svc selects the pods of dep: its selector,
// without Argo's RolloutHashLabel, must be non-empty and each of its pairs
// among the labels of dep's pod template. Argo adds the hash to the selector
// of every Service it switches and a Deployment's own template never has it,
// so counting it would refuse every Service a Rollout once managed. When svc
// does not select the pods, why says so (the first mismatch by key). This is
// the one rule for both the job form's Service picker and job creation.
func SelectsPods(svc *corev1.Service, dep *appsv1.Deployment) (ok bool, why string) {
	sel := make(map[string]string, len(svc.Spec.Selector))
	for k, v := range svc.Spec.Selector {
		if k != RolloutHashLabel {
			sel[k] = v
		}
	}
	if len(sel) == 0 {
		return false, fmt.Sprintf("Service %q has no selector: it must select the pods of Deployment %q", svc.Name, dep.Name)
	}
	pod := dep.Spec.Template.Labels
	if labels.SelectorFromSet(sel).Matches(labels.Set(pod)) {
		return true, ""
	}
	keys := make([]string, 0, len(sel))
	for k := range sel {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if v, has := pod[k]; !has {
			why = fmt.Sprintf("selector %s=%s, but the pod template has no label %s", k, sel[k], k)
			break
		} else if v != sel[k] {
			why = fmt.Sprintf("selector %s=%s, but the pod template has %s=%s", k, sel[k], k, v)
			break
		}
	}
	return false, fmt.Sprintf("Service %q does not select the pods of Deployment %q: %s", svc.Name, dep.Name, why)
}
