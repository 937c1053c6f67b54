package checks

import (
	"fmt"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/switchyard/switchyard/internal/cluster"
)

// Job is what a job's checks are built for: where it lives and the labels its
// objects carry (the release package's managed-by, job and workspace labels).
type Job struct {
	Name, Namespace string
	ActiveService   string
	PreviewService  string
	Labels          map[string]string
}

// argRevision is the one Argo argument of a template: the pod-template hash
// of the version being checked, which the Rollout passes as Argo's
// podTemplateHashValue Latest. Everything else a placeholder stands for is
// known when the template is built.
const argRevision = "revision"

// TemplateName is the name of the job's AnalysisTemplate for moment w.
func TemplateName(job string, w When) string { return fmt.Sprintf("%s-checks-%s", job, w) }

// values are what the placeholders stand for in the job's templates.
func (j Job) values() Values {
	return Values{
		"preview":   serviceDNS(j.PreviewService, j.Namespace),
		"active":    serviceDNS(j.ActiveService, j.Namespace),
		"job":       j.Name,
		"namespace": j.Namespace,
		"revision":  "{{args." + argRevision + "}}",
	}
}

// serviceDNS is a Service's in-cluster name. Without the cluster domain
// (cluster.local by default) it resolves through the search path of any pod,
// the Argo controller's included, whatever the domain is.
func serviceDNS(svc, ns string) string { return svc + "." + ns + ".svc" }

// Templates builds the job's AnalysisTemplates: one per moment that has
// checks (Before, then After), each check a metric. The caller applies them
// and makes them the Rollout's, so that they go with it.
func Templates(j Job, cs []Check) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, w := range []When{Before, After} {
		var metrics []v1alpha1.Metric
		for _, c := range cs {
			if c.Runs(w) {
				metrics = append(metrics, metric(j, c.Defaults()))
			}
		}
		if len(metrics) == 0 {
			continue
		}
		t := &v1alpha1.AnalysisTemplate{
			TypeMeta:   metav1.TypeMeta{APIVersion: cluster.RolloutAPIVersion, Kind: cluster.AnalysisTemplateKind},
			ObjectMeta: metav1.ObjectMeta{Name: TemplateName(j.Name, w), Namespace: j.Namespace, Labels: j.Labels},
			Spec: v1alpha1.AnalysisTemplateSpec{
				Args:    []v1alpha1.Argument{{Name: argRevision}},
				Metrics: metrics,
			},
		}
		obj, err := runtime.DefaultUnstructuredConverter.ToUnstructured(t)
		if err != nil {
			panic(fmt.Sprintf("convert analysis template: %v", err)) // a typed struct always converts
		}
		u := &unstructured.Unstructured{Object: obj}
		unstructured.RemoveNestedField(u.Object, "metadata", "creationTimestamp")
		out = append(out, u)
	}
	return out
}

func metric(j Job, c Check) v1alpha1.Metric {
	limit := intstr.FromInt(c.FailureLimit)
	count := intstr.FromInt(c.Count)
	m := v1alpha1.Metric{
		Name:             c.Name,
		Interval:         v1alpha1.DurationString(c.Interval),
		Count:            &count,
		FailureLimit:     &limit,
		SuccessCondition: c.Condition,
		// An answer that is no measurement (a connection refused, a non-2xx
		// status) counts like a failed one: the same limit, in a row.
		ConsecutiveErrorLimit: &limit,
	}
	vals := j.values()
	switch c.Kind {
	case KindHTTP:
		m.Provider.Web = &v1alpha1.WebMetric{
			Method: v1alpha1.WebMetricMethod(c.Method), URL: Expand(c.URL, vals),
			JSONPath: c.JSONPath, TimeoutSeconds: int64(c.TimeoutSeconds),
		}
	case KindPrometheus:
		m.Provider.Prometheus = &v1alpha1.PrometheusMetric{Address: c.Address, Query: Expand(c.Query, vals)}
	}
	return m
}

// Analysis is the Rollout's prePromotionAnalysis (Before) or
// postPromotionAnalysis (After) that runs the job's template for moment w.
func Analysis(job string, w When) map[string]any {
	return map[string]any{
		"templates": []any{map[string]any{"templateName": TemplateName(job, w)}},
		// Argo copies these labels to the AnalysisRuns it makes: the cache of
		// runs, like the Rollouts', holds only Switchyard's.
		"analysisRunMetadata": map[string]any{"labels": map[string]any{cluster.ManagedByLabel: cluster.ManagedByValue}},
		"args": []any{map[string]any{"name": argRevision,
			"valueFrom": map[string]any{"podTemplateHashValue": string(v1alpha1.Latest)}}},
	}
}

// Moments returns the moments at which some check runs.
func Moments(cs []Check) (before, after bool) {
	for _, c := range cs {
		before = before || c.Runs(Before)
		after = after || c.Runs(After)
	}
	return before, after
}
