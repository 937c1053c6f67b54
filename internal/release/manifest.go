package release

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/switchyard/switchyard/internal/checks"
	"github.com/switchyard/switchyard/internal/cluster"
)

// Labels and annotations Switchyard puts on what it creates.
const (
	LabelManagedBy = cluster.ManagedByLabel // the Rollout cache holds only what carries it
	ManagedByValue = cluster.ManagedByValue
	LabelJob       = "switchyard.dev/job"
	LabelWorkspace = "switchyard.dev/workspace"
	FieldManager   = "switchyard"
	HashLabel      = cluster.RolloutHashLabel // the caches hold only what carries it
	RevisionAnno   = "rollout.argoproj.io/revision"
	ScaleDownAnno  = "scale-down-deadline"
	// LabelInstanceID is Argo's controller-instance-id label: a controller
	// started without --instance-id ignores Rollouts that carry it.
	LabelInstanceID = "argo-rollouts.argoproj.io/controller-instance-id"
	// DetachedInstanceID marks a Rollout being deleted, which no controller should touch.
	DetachedInstanceID = "switchyard-detached"
)

// Target is where a job lives: its workspace (for labels) and its spec.
type Target struct {
	Workspace string
	Spec      Spec
}

func (t Target) labels() map[string]string {
	return map[string]string{LabelManagedBy: ManagedByValue, LabelJob: t.Spec.Name, LabelWorkspace: t.Workspace}
}

// owns says whether labels mark an object as this job's, made by Switchyard.
func (t Target) owns(labels map[string]string) bool {
	return labels[LabelJob] == t.Spec.Name && labels[LabelManagedBy] == ManagedByValue
}

// PreviewService builds the preview Service of a job: the active Service's
// ports and selector (without Argo's hash, which Argo sets), type ClusterIP.
func PreviewService(t Target, active *corev1.Service) *corev1.Service {
	ports := make([]corev1.ServicePort, 0, len(active.Spec.Ports))
	for _, p := range active.Spec.Ports {
		ports = append(ports, corev1.ServicePort{Name: p.Name, Protocol: p.Protocol, Port: p.Port, TargetPort: p.TargetPort, AppProtocol: p.AppProtocol})
	}
	selector := map[string]string{}
	for k, v := range active.Spec.Selector {
		if k != HashLabel {
			selector[k] = v
		}
	}
	return &corev1.Service{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{
			Name:      PreviewServiceName(t.Spec.Name),
			Namespace: t.Spec.Namespace,
			Labels:    t.labels(),
		},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, Ports: ports, Selector: selector},
	}
}

// Rollout builds the job's blue-green Rollout: workloadRef to the Deployment
// (scaleDown progressively, so the Deployment's pods go only as the Rollout's
// become ready), its replicas and selector, and the job's settings.
func Rollout(t Target, dep *appsv1.Deployment) *unstructured.Unstructured {
	s := t.Spec
	replicas := int64(1)
	if dep.Spec.Replicas != nil {
		replicas = int64(*dep.Spec.Replicas)
	}
	// With scaleDown progressively Argo scales the Deployment to 0; the
	// Rollout must keep the replica count the Deployment had.
	if replicas == 0 {
		replicas = 1
	}
	bg := map[string]any{
		"activeService":         s.Service,
		"previewService":        PreviewServiceName(s.Name),
		"autoPromotionEnabled":  s.AutoPromotionSeconds != nil || s.PromoteWhenChecksPass,
		"scaleDownDelaySeconds": int64(s.scaleDownDelay()),
	}
	if s.AutoPromotionSeconds != nil {
		bg["autoPromotionSeconds"] = int64(*s.AutoPromotionSeconds)
	}
	if s.PreviewReplicaCount != nil {
		bg["previewReplicaCount"] = int64(*s.PreviewReplicaCount)
	}
	// The job's checks: Argo runs the template of each moment that has any.
	// A server-side apply without them removes them from the Rollout.
	before, after := checks.Moments(s.Checks)
	if before {
		bg["prePromotionAnalysis"] = checks.Analysis(s.Name, checks.Before)
	}
	if after {
		bg["postPromotionAnalysis"] = checks.Analysis(s.Name, checks.After)
	}
	spec := map[string]any{
		"replicas":             replicas,
		"revisionHistoryLimit": int64(10),
		"workloadRef": map[string]any{
			"apiVersion": "apps/v1", "kind": "Deployment", "name": dep.Name, "scaleDown": "progressively",
		},
		"strategy": map[string]any{"blueGreen": bg},
	}
	if dep.Spec.Selector != nil {
		sel, _ := runtime.DefaultUnstructuredConverter.ToUnstructured(dep.Spec.Selector)
		spec["selector"] = sel
	}
	labels := map[string]any{}
	for k, v := range t.labels() {
		labels[k] = v
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": cluster.RolloutAPIVersion,
		"kind":       cluster.RolloutKind,
		"metadata":   map[string]any{"name": s.Name, "namespace": s.Namespace, "labels": labels},
		"spec":       spec,
	}}
}
