package release

import (
	"context"
	"errors"
	"fmt"

	"github.com/switchyard/switchyard/internal/store"
)

// Operation names, as the API and the audit log spell them.
const (
	OpDeploy      = "deploy"
	OpPromote     = "promote"
	OpPromoteFull = "promote-full"
	OpAbort       = "abort"
	OpRetry       = "retry"
	OpRollback    = "rollback"
)

// OperateRequest carries an operation's arguments.
type OperateRequest struct {
	Images   map[string]string `json:"images,omitempty"`   // deploy: container name → image
	Revision int               `json:"revision,omitempty"` // rollback: 0 means the previous one
	// IfPhase, when set, makes the operation conditional: if the job is no
	// longer in that phase (it moved on since the caller looked), the request
	// is refused with a *ConflictError carrying the current phase.
	IfPhase Phase `json:"if_phase,omitempty"`
}

// Operate runs one operation on an active job, holding the job's lease so
// that concurrent operations on it (from any replica) run one after another:
// the second sees the state the first left. It returns the job's view after
// the operation.
func (s *Service) Operate(ctx context.Context, ws store.Workspace, name, op string, req OperateRequest) (View, error) {
	job, err := s.Store.GetJobByName(ctx, ws.ID, name)
	if err != nil {
		return View{}, err
	}
	if job.State != store.JobActive {
		return View{}, &ConflictError{Reason: fmt.Sprintf("job %q is %s: operations need an active job", name, job.State), Phase: s.view(ctx, job).Status.Phase}
	}
	eng, _, err := s.engine(ctx, job.ClusterID)
	if err != nil {
		return View{}, err
	}
	t := target(ws.Name, job)
	err = s.withLease(ctx, job.ID, func(ctx context.Context) error {
		if req.IfPhase != "" {
			st, err := eng.Status(ctx, t)
			if err != nil {
				return err
			}
			if st.Phase != req.IfPhase {
				return &ConflictError{Reason: fmt.Sprintf("the job is %s, not %s: it moved on, look again", st.Phase, req.IfPhase), Phase: st.Phase}
			}
		}
		return run(ctx, eng, t, op, req)
	})
	if err != nil {
		return View{}, err
	}
	return s.view(ctx, job), nil
}

func run(ctx context.Context, eng *Engine, t Target, op string, req OperateRequest) error {
	switch op {
	case OpDeploy:
		return eng.Deploy(ctx, t, req.Images)
	case OpPromote:
		return eng.Promote(ctx, t, false)
	case OpPromoteFull:
		return eng.Promote(ctx, t, true)
	case OpAbort:
		return eng.Abort(ctx, t)
	case OpRetry:
		return eng.Retry(ctx, t)
	case OpRollback:
		_, err := eng.Rollback(ctx, t, req.Revision)
		return err
	}
	return &FieldError{Field: "operation", Rule: "must be one of deploy, promote, promote-full, abort, retry, rollback"}
}

// Delete hands the job's application back as a plain Deployment + Service
// and keeps the job's record as deleted. While a release is in flight it
// refuses (*ConflictError) unless force. It waits up to WaitTimeout; if the
// cluster takes longer the job stays Deleting and Run finishes it.
func (s *Service) Delete(ctx context.Context, ws store.Workspace, name string, force bool) (View, error) {
	job, err := s.Store.GetJobByName(ctx, ws.ID, name)
	if err != nil {
		return View{}, err
	}
	eng, _, err := s.engine(ctx, job.ClusterID)
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
