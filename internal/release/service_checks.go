package release

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/switchyard/switchyard/internal/checks"
	"github.com/switchyard/switchyard/internal/cluster"
	"github.com/switchyard/switchyard/internal/store"
)

// ChecksRequest is what SetChecks replaces a job's checks with.
type ChecksRequest struct {
	Checks                []checks.Check `json:"checks"`
	PromoteWhenChecksPass bool           `json:"promote_when_checks_pass"`
}

// SetChecks replaces a live job's checks and its promote-when-checks-pass
// option: validated (each problem a *FieldError, nothing changed), stored,
// then made in the cluster (AnalysisTemplates and the Rollout's analysis).
// A release in flight keeps the runs Argo already started; the next run
// uses the new checks. Warnings say what could not be validated.
func (s *Service) SetChecks(ctx context.Context, ws store.Workspace, name string, req ChecksRequest) (View, []string, error) {
	job, err := s.Store.GetJobByName(ctx, ws.ID, name)
	if err != nil {
		return View{}, nil, err
	}
	if err := ValidateChecks(req.Checks, req.PromoteWhenChecksPass); err != nil {
		return View{}, nil, err
	}
	if job.State != store.JobActive {
		return View{}, nil, &ConflictError{Reason: fmt.Sprintf("the job is %s: its checks can be changed once it is active", job.State)}
	}
	warnings, err := s.checkQueries(ctx, req.Checks)
	if err != nil {
		return View{}, nil, err
	}
	eng, err := s.engine(ctx, job.ClusterID)
	if err != nil {
		return View{}, nil, cluster.WrapUnreachable(job.ClusterName, err)
	}
	err = s.withLease(ctx, job.ID, func(ctx context.Context) error {
		if err := s.Store.SetJobChecks(ctx, job.ID, encodeChecks(req.Checks), req.PromoteWhenChecksPass); err != nil {
			return err
		}
		job.Checks, job.PromoteWhenChecksPass = encodeChecks(req.Checks), req.PromoteWhenChecksPass
		s.checkpoint("record checks")
		return eng.SetChecks(ctx, target(ws.Name, job))
	})
	if err != nil {
		return View{}, nil, cluster.WrapUnreachable(job.ClusterName, err)
	}
	s.changed(job)
	return s.liveView(ctx, eng, job), warnings, nil
}

// checkQueries asks each Prometheus check's server whether its query
// parses; a rejected one is a *FieldError naming it.
func (s *Service) checkQueries(ctx context.Context, cs []checks.Check) ([]string, error) {
	warnings, err := checks.CheckQueries(ctx, nil, cs)
	return warnings, fieldErrors(err)
}

// encodeChecks is the stored form of a job's checks.
func encodeChecks(cs []checks.Check) string {
	if len(cs) == 0 {
		return "[]"
	}
	b, err := json.Marshal(cs)
	if err != nil {
		panic(fmt.Sprintf("encode checks: %v", err)) // plain structs always encode
	}
	return string(b)
}
