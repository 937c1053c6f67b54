package release

import (
	"errors"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestChecksPending: a plain promote waits for the current version's checks
// before the switch to pass; a full one, or a job without them, does not.
func TestChecksPending(t *testing.T) {
	ro := func(analysis bool, run, status string) *unstructured.Unstructured {
		bg := map[string]any{}
		if analysis {
			bg["prePromotionAnalysis"] = map[string]any{"templates": []any{}}
		}
		st := map[string]any{"currentPodHash": "abc"}
		if run != "" {
			st["blueGreen"] = map[string]any{"prePromotionAnalysisRunStatus": map[string]any{"name": run, "status": status}}
		}
		return &unstructured.Unstructured{Object: map[string]any{"spec": map[string]any{"strategy": map[string]any{"blueGreen": bg}}, "status": st}}
	}
	for _, tc := range []struct {
		name    string
		ro      *unstructured.Unstructured
		full    bool
		refused bool
	}{
		{"no checks", ro(false, "", ""), false, false},
		{"not started", ro(true, "", ""), false, true},
		{"running", ro(true, "job-abc-2-pre", "Running"), false, true},
		{"passed", ro(true, "job-abc-2-pre", "Successful"), false, false},
		{"passed on an older version", ro(true, "job-old-1-pre", "Successful"), false, true},
		{"full skips them", ro(true, "job-abc-2-pre", "Running"), true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checksPending(tc.ro, tc.full)
			if got := errors.Is(err, ErrConflict); got != tc.refused {
				t.Fatalf("checksPending = %v, want refused %v", err, tc.refused)
			}
		})
	}
}
