package checks

import (
	"fmt"
	"sort"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/switchyard/switchyard/internal/cluster"
)

// Run is one run of a job's checks at one moment for one version: an
// AnalysisRun that Argo Rollouts made from the job's template.
type Run struct {
	Name      string    `json:"name"`     // the AnalysisRun's
	When      When      `json:"when"`     // before or after the switch
	Revision  string    `json:"revision"` // pod-template hash of the version checked
	Phase     string    `json:"phase"`    // Pending, Running, Successful, Failed, Error, Inconclusive
	Message   string    `json:"message,omitempty"`
	StartedAt time.Time `json:"started_at"`
	Results   []Result  `json:"results"` // one per check, in the template's order
}

// Result is one check's part of a run.
type Result struct {
	Check        string        `json:"check"`
	Phase        string        `json:"phase"`
	Message      string        `json:"message,omitempty"`
	Condition    string        `json:"condition,omitempty"`
	Count        int           `json:"count"` // measurements planned
	Passed       int           `json:"passed"`
	Failed       int           `json:"failed"`
	Errors       int           `json:"errors"`
	Inconclusive int           `json:"inconclusive"`
	Measurements []Measurement `json:"measurements"` // oldest first; Argo keeps the last 10
}

// Measurement is one measurement of a check.
type Measurement struct {
	Value      string     `json:"value"`
	Phase      string     `json:"phase"`
	Passed     bool       `json:"passed"`
	Message    string     `json:"message,omitempty"`
	StartedAt  *time.Time `json:"started_at,omitempty"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
}

// Runs reads the AnalysisRuns owned by the Rollout with UID owner into Runs,
// newest first. It is pure: the caller lists them from the cluster.
func Runs(objs []*unstructured.Unstructured, owner types.UID) []Run {
	var out []Run
	for _, o := range objs {
		if !ownedBy(o, owner) {
			continue
		}
		var ar v1alpha1.AnalysisRun
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &ar); err != nil {
			continue // not an AnalysisRun Argo would write: nothing to show
		}
		out = append(out, runOf(&ar))
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].StartedAt.Equal(out[j].StartedAt) {
			return out[i].StartedAt.After(out[j].StartedAt)
		}
		return out[i].Name > out[j].Name
	})
	return out
}

func ownedBy(o *unstructured.Unstructured, uid types.UID) bool {
	for _, r := range o.GetOwnerReferences() {
		if r.UID == uid && r.Kind == cluster.RolloutKind {
			return true
		}
	}
	return false
}

func runOf(ar *v1alpha1.AnalysisRun) Run {
	r := Run{Name: ar.Name, When: After, Revision: ar.Labels[v1alpha1.DefaultRolloutUniqueLabelKey],
		Phase: string(ar.Status.Phase), Message: ar.Status.Message, StartedAt: ar.CreationTimestamp.UTC(), Results: []Result{}}
	if ar.Labels[v1alpha1.RolloutTypeLabel] == v1alpha1.RolloutTypePrePromotionLabel {
		r.When = Before
	}
	if r.Phase == "" {
		r.Phase = string(v1alpha1.AnalysisPhasePending)
	}
	if ar.Status.StartedAt != nil {
		r.StartedAt = ar.Status.StartedAt.UTC()
	}
	results := map[string]v1alpha1.MetricResult{}
	for _, mr := range ar.Status.MetricResults {
		results[mr.Name] = mr
	}
	for _, m := range ar.Spec.Metrics {
		mr := results[m.Name]
		res := Result{Check: m.Name, Phase: string(mr.Phase), Message: mr.Message, Condition: m.SuccessCondition,
			Count: 1, Passed: int(mr.Successful), Failed: int(mr.Failed), Errors: int(mr.Error), Inconclusive: int(mr.Inconclusive),
			Measurements: []Measurement{}}
		if m.Count != nil {
			res.Count = m.Count.IntValue()
		}
		if res.Phase == "" {
			res.Phase = string(v1alpha1.AnalysisPhasePending)
		}
		for _, ms := range mr.Measurements {
			res.Measurements = append(res.Measurements, Measurement{Value: ms.Value, Phase: string(ms.Phase),
				Passed: ms.Phase == v1alpha1.AnalysisPhaseSuccessful, Message: ms.Message,
				StartedAt: timeOf(ms.StartedAt), FinishedAt: timeOf(ms.FinishedAt)})
		}
		r.Results = append(r.Results, res)
	}
	return r
}

func timeOf(t *metav1.Time) *time.Time {
	if t == nil || t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// Done reports whether the run has ended.
func (r Run) Done() bool {
	return v1alpha1.AnalysisPhase(r.Phase).Completed()
}

// Failed reports whether the run ended without passing (Failed, Error or
// Inconclusive: Argo aborts the release on each).
func (r Run) Failed() bool {
	return r.Done() && r.Phase != string(v1alpha1.AnalysisPhaseSuccessful)
}

// FailedCheck is the first check that made a failed run fail, "" otherwise.
func (r Run) FailedCheck() *Result {
	if !r.Failed() {
		return nil
	}
	for i := range r.Results {
		if ph := r.Results[i].Phase; ph == string(v1alpha1.AnalysisPhaseFailed) || ph == string(v1alpha1.AnalysisPhaseError) ||
			ph == string(v1alpha1.AnalysisPhaseInconclusive) {
			return &r.Results[i]
		}
	}
	if len(r.Results) > 0 {
		return &r.Results[0]
	}
	return nil
}

// Why says in words why a check failed: the last bad measurement's error, or
// its value against the condition, and how many failed.
func (res Result) Why() string {
	why := res.Message
	for i := len(res.Measurements) - 1; i >= 0; i-- {
		m := res.Measurements[i]
		if m.Passed || m.Phase == string(v1alpha1.AnalysisPhaseRunning) || m.Phase == string(v1alpha1.AnalysisPhasePending) {
			continue
		}
		switch {
		case m.Message != "":
			why = m.Message
		case res.Condition != "":
			why = fmt.Sprintf("measured %s, which does not meet %s", m.Value, res.Condition)
		default:
			why = "measured " + m.Value
		}
		break
	}
	counts := fmt.Sprintf("%d of %d measurements failed", res.Failed+res.Errors+res.Inconclusive, len(res.Measurements))
	if why == "" {
		return counts
	}
	return why + "; " + counts
}

// Words says where the run is, in the words the job view shows:
// "Checking green: 3 of 5 passed", "Check error-rate failed: switched back
// to blue (measured 0.2, which does not meet result[0] < 0.01; …)".
func (r Run) Words() string {
	if res := r.FailedCheck(); res != nil {
		outcome := "traffic stays on blue"
		if r.When == After {
			outcome = "switched back to blue"
		}
		return fmt.Sprintf("Check %s failed: %s (%s)", res.Check, outcome, res.Why())
	}
	planned, passed := 0, 0
	for _, res := range r.Results {
		planned += res.Count
		passed += res.Passed
	}
	switch {
	case r.Done():
		if r.When == Before {
			return fmt.Sprintf("Checks passed on green: %d of %d", passed, planned)
		}
		return fmt.Sprintf("Checks after the switch passed: %d of %d", passed, planned)
	case r.When == Before:
		return fmt.Sprintf("Checking green: %d of %d passed", passed, planned)
	}
	return fmt.Sprintf("Checking green after the switch: %d of %d passed", passed, planned)
}
