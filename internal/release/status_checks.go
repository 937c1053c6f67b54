package release

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/switchyard/switchyard/internal/checks"
)

// AttachChecks gives st the runs of the job's checks (newest first) and,
// when the current version's latest run is under way or has failed, says so
// in st.Message ("Checking green: 3 of 5 passed", "Check error-rate failed:
// switched back to blue (…)"); a failed one also names its check in
// st.FailedCheck, for the job list. It is pure.
func AttachChecks(st *Status, ro *unstructured.Unstructured, runs []checks.Run) {
	if runs == nil {
		runs = []checks.Run{}
	}
	st.CheckRuns = runs
	if ro == nil {
		return
	}
	current := str(ro, "status", "currentPodHash")
	for _, r := range runs {
		if r.Revision != current {
			continue
		}
		switch {
		case r.Failed():
			st.Message = r.Words()
			if res := r.FailedCheck(); res != nil {
				st.FailedCheck = res.Check
			}
		case !r.Done() && st.Phase != PhaseAborted:
			st.Message = r.Words()
		}
		return // only the latest run of the current version counts
	}
}
