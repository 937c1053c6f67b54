package release

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/switchyard/switchyard/internal/store"
)

// Run keeps the jobs' stored phases current (watchPhases) and finishes,
// every ReconcileEvery until ctx ends, what requests left half done: jobs still creating (the server crashed mid-creation) are made, or
// undone when they no longer can be; jobs still deleting are deleted. Each job
// is worked on under its lease, so several replicas running Run on one
// database never do a step twice at the same time.
func (s *Service) Run(ctx context.Context) error {
	every := s.ReconcileEvery
	if every == 0 {
		every = DefaultReconcileEvery
	}
	if s.Clusters != nil {
		go s.watchPhases(ctx)
	}
	for {
		if err := s.ReconcileOnce(ctx); err != nil && ctx.Err() == nil {
			s.log().WarnContext(ctx, "finish half-done jobs", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(every):
		}
	}
}

// ReconcileOnce runs one round of Run.
func (s *Service) ReconcileOnce(ctx context.Context) error {
	jobs, _, err := s.Store.ListJobs(ctx, store.JobFilter{States: []string{store.JobCreating, store.JobDeleting}, Sort: "created", Limit: 500})
	if err != nil {
		return err
	}
	var errs []error
	for _, j := range jobs {
		err := s.withLease(ctx, j.ID, func(ctx context.Context) error { return s.finish(ctx, j.ID) })
		if err != nil && !errors.Is(err, ErrBusy) {
			errs = append(errs, fmt.Errorf("job %s: %w", j.Name, err))
		}
	}
	return errors.Join(errs...)
}

// finish takes one half-done job a step further, re-reading it under the lease.
func (s *Service) finish(ctx context.Context, id int64) error {
	job, err := s.Store.GetJob(ctx, id)
	if err != nil {
		return err
	}
	ws, err := s.Store.GetWorkspace(ctx, job.WorkspaceID)
	if err != nil {
		return err
	}
	eng, err := s.engine(ctx, job.ClusterID)
	if err != nil {
		return err // unreachable: try again next round
	}
	t := target(ws.Name, job)
	switch job.State {
	case store.JobCreating:
		if err := eng.Check(ctx, t); err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) {
				return err
			}
			s.log().WarnContext(ctx, "half-made job can't be finished: undoing it", "job", job.Name, "reason", err)
			return s.undo(ctx, eng, t, job, err)
		}
		if err := s.finishCreate(ctx, eng, t, job); err != nil {
			return err
		}
		s.audit(ctx, job, "job.create", store.OutcomeSuccess, "finished after an interruption")
	case store.JobDeleting:
		if err := eng.Delete(ctx, t, true); err != nil {
			return err
		}
		if err := s.setState(ctx, job, store.JobDeleting, store.JobDeleted, job.ForceDelete); err != nil {
			return err
		}
		s.audit(ctx, job, "job.delete", store.OutcomeSuccess, "finished after an interruption")
	}
	return nil
}

// undo removes what a half-made job created and marks it deleted.
func (s *Service) undo(ctx context.Context, eng *Engine, t Target, job store.Job, why error) error {
	if err := s.setState(ctx, job, store.JobCreating, store.JobDeleting, true); err != nil {
		return err
	}
	if err := eng.Delete(ctx, t, true); err != nil {
		return err
	}
	if err := s.setState(ctx, job, store.JobDeleting, store.JobDeleted, true); err != nil {
		return err
	}
	s.audit(ctx, job, "job.create", store.OutcomeFailure, "undone after an interruption: "+why.Error())
	return nil
}

func (s *Service) audit(ctx context.Context, job store.Job, action, outcome, detail string) {
	ws := job.WorkspaceID
	_, err := s.Store.AppendAudit(ctx, store.AuditEvent{Actor: "switchyard", WorkspaceID: &ws, Target: "job " + job.Name,
		Action: action, Outcome: outcome, Detail: detail})
	if err != nil {
		s.log().WarnContext(ctx, "audit", "job", job.Name, "err", err)
	}
}
