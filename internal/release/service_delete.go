package release

import (
	"context"
	"errors"
	"fmt"

	"github.com/switchyard/switchyard/internal/cluster"
	"github.com/switchyard/switchyard/internal/store"
)

// Delete hands the job's application back as a plain Deployment + Service
// and keeps the job's record as deleted. While a release is in flight it
// refuses (*ConflictError) unless force. It waits up to WaitTimeout; if the
// cluster takes longer the job stays Deleting and Run finishes it.
func (s *Service) Delete(ctx context.Context, ws store.Workspace, name string, force bool) (View, error) {
	job, err := s.Store.GetJobByName(ctx, ws.ID, name)
	if err != nil {
		return View{}, err
	}
	v, err := s.delete(ctx, ws, job, force)
	return v, cluster.WrapUnreachable(job.ClusterName, err)
}

func (s *Service) delete(ctx context.Context, ws store.Workspace, job store.Job, force bool) (View, error) {
	eng, err := s.engine(ctx, job.ClusterID)
	if err != nil {
		return View{}, err
	}
	t := target(ws.Name, job)
	err = s.withLease(ctx, job.ID, func(ctx context.Context) error {
		if job.State == store.JobActive && !force {
			// A status that can't be read is not taken for "nothing in flight":
			// only a Rollout that is gone has no release to interrupt.
			st, err := eng.Status(ctx, t)
			switch {
			case err != nil && !errors.Is(err, ErrNotFound):
				return fmt.Errorf("read the job's status before deleting it: %w", err)
			case err == nil && st.Phase.InFlight():
				return &ConflictError{Reason: fmt.Sprintf("a release is in flight (%s): promote or abort it first, or delete with force", st.Phase), Phase: st.Phase}
			}
		}
		if job.State != store.JobDeleting {
			if err := s.setState(ctx, job, job.State, store.JobDeleting, force); err != nil {
				return err
			}
		}
		wait := s.WaitTimeout
		if wait == 0 {
			wait = DefaultWaitTimeout
		}
		dctx, cancel := context.WithTimeout(ctx, wait)
		defer cancel()
		if err := eng.Delete(dctx, t, true); err != nil {
			if dctx.Err() != nil && ctx.Err() == nil {
				return nil // still going: the background loop finishes it
			}
			return err
		}
		return s.setState(ctx, job, store.JobDeleting, store.JobDeleted, force)
	})
	if err != nil {
		return View{}, err
	}
	job, err = s.Store.GetJob(ctx, job.ID)
	if err != nil {
		return View{}, err
	}
	return s.view(ctx, job), nil
}
