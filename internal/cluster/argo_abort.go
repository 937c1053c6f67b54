package cluster

import (
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// What Argo Rollouts (v1.10, rollout/analysis.go and rollout/sync.go) writes
// in a Rollout's status.message when it aborts an update itself:
// "Rollout aborted update to revision N: Blue/green post-promotion analysis
// phase error/failed: Metric \"x\" assessed Failed due to …". The analysis
// part is there only when a failed AnalysisRun made it abort.
const (
	// ArgoAnalysisFailed is in the abort message when an analysis run failed or erred.
	ArgoAnalysisFailed = "analysis phase error/failed"
	// ArgoPostPromotionAnalysis is in it when the run was the one after the
	// switch: the active Service then goes back to the stable ReplicaSet.
	ArgoPostPromotionAnalysis = "post-promotion analysis"
)

// argoMetric finds the metric an AnalysisRun's message names.
var argoMetric = regexp.MustCompile(`Metric "([^"]+)"`)

// AbortedAt is a Rollout's status.abortedAt as Argo wrote it ("" when the
// Rollout is not aborted): the same string on every reader, so it tells one
// abort from the next.
func AbortedAt(ro *unstructured.Unstructured) string {
	if ro == nil {
		return ""
	}
	s, _, _ := unstructured.NestedString(ro.Object, "status", "abortedAt")
	return s
}

// AbortByAnalysis reports whether an abort message is Argo's for a failed
// analysis run, whether that run was the post-promotion one (traffic went
// back), and the metric it names ("" when none).
func AbortByAnalysis(message string) (failed, postPromotion bool, metric string) {
	if !strings.Contains(message, ArgoAnalysisFailed) {
		return false, false, ""
	}
	if m := argoMetric.FindStringSubmatch(message); m != nil {
		metric = m[1]
	}
	return true, strings.Contains(message, ArgoPostPromotionAnalysis), metric
}
