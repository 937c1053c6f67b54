package release

import (
	"context"
	"fmt"

	"github.com/switchyard/switchyard/internal/cluster"
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
// the operation, read from the API server (not the caches, which may lag).
// A cluster that can't be reached is an *cluster.UnreachableError.
func (s *Service) Operate(ctx context.Context, ws store.Workspace, name, op string, req OperateRequest) (View, error) {
	job, err := s.Store.GetJobByName(ctx, ws.ID, name)
	if err != nil {
		return View{}, err
	}
	v, err := s.operate(ctx, ws, job, op, req)
	return v, cluster.WrapUnreachable(job.ClusterName, err)
}

func (s *Service) operate(ctx context.Context, ws store.Workspace, job store.Job, op string, req OperateRequest) (View, error) {
	name := job.Name
	if job.State != store.JobActive {
		return View{}, &ConflictError{Reason: fmt.Sprintf("job %q is %s: operations need an active job", name, job.State), Phase: s.view(ctx, job).Status.Phase}
	}
	eng, err := s.engine(ctx, job.ClusterID)
	if err != nil {
		return View{}, err
	}
	t := target(ws.Name, job)
	err = s.withLeaseWaiting(ctx, job.ID, OperationLeaseWait, func(ctx context.Context) error {
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
	return s.liveView(ctx, eng, job), nil
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
