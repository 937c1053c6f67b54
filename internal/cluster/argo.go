package cluster

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Facts of Argo Rollouts and Kubernetes that Switchyard relies on, written
// once here and imported wherever they are needed.
const (
	// RolloutAPIVersion and RolloutKind name Argo's Rollout type.
	RolloutAPIVersion = "argoproj.io/v1alpha1"
	RolloutKind       = "Rollout"
	// RolloutHashLabel is the label Argo Rollouts puts on the ReplicaSets and
	// pods of a Rollout, and adds to the selector of each Service it switches.
	RolloutHashLabel = "rollouts-pod-template-hash"
	// ManagedByRolloutAnnotation is set by Argo Rollouts on the Services it
	// switches; its value names the Rollout.
	ManagedByRolloutAnnotation = "argo-rollouts.argoproj.io/managed-by-rollouts"
	// ManagedByLabel=ManagedByValue marks what Switchyard made (its jobs'
	// Rollouts): the Rollout cache holds only what carries it.
	ManagedByLabel = "app.kubernetes.io/managed-by"
	ManagedByValue = "switchyard"
)

// RolloutGVR is the Argo Rollouts Rollout resource.
var RolloutGVR = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "rollouts"}

// AnalysisTemplateGVR and AnalysisRunGVR are Argo Rollouts' analysis
// resources: a job's checks are AnalysisTemplates, each run of them an
// AnalysisRun that the Rollout owns.
var (
	AnalysisTemplateGVR = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "analysistemplates"}
	AnalysisRunGVR      = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "analysisruns"}
)

// AnalysisTemplateKind is the kind of AnalysisTemplateGVR.
const AnalysisTemplateKind = "AnalysisTemplate"

// DNSLabelRule is the rule of names that must be DNS-1123 labels
// (namespaces, clusters, workspaces, jobs), in the words users see.
const DNSLabelRule = "must be a DNS-1123 label: at most 63 characters, lowercase letters, digits and '-', starting and ending with a lowercase letter or digit"

// IsDNSLabel reports whether s is a DNS-1123 label (DNSLabelRule).
func IsDNSLabel(s string) bool { return len(validation.IsDNS1123Label(s)) == 0 }
