package release

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/switchyard/switchyard/internal/cluster"
	"github.com/switchyard/switchyard/internal/store"
)

// CreateRequest is what the API passes to Create.
type CreateRequest struct {
	Spec
	Cluster string `json:"cluster"`
}

// Create checks a new job against the workspace, the cluster and the objects
// in it, records it, makes it in the cluster and returns it, as the API
// server then tells it, with any warnings (Istio missing). Bad input is a
// *FieldError (nothing is created); a cluster that can't be reached, an
// *cluster.UnreachableError (try again later). Every step talks to the API
// server directly: none waits for the informer caches. Creating a job that
// a crash left half made finishes it.
func (s *Service) Create(ctx context.Context, ws store.Workspace, actor string, req CreateRequest) (View, []string, error) {
	v, warnings, err := s.create(ctx, ws, actor, req)
	return v, warnings, cluster.WrapUnreachable(req.Cluster, err)
}

func (s *Service) create(ctx context.Context, ws store.Workspace, actor string, req CreateRequest) (View, []string, error) {
	if err := errors.Join(req.Spec.Validate(), requiredField("cluster", req.Cluster)); err != nil {
		return View{}, nil, err
	}
	c, err := s.Store.GetClusterByName(ctx, req.Cluster)
	if errors.Is(err, store.ErrNotFound) {
		return View{}, nil, &FieldError{Field: "cluster", Rule: fmt.Sprintf("no cluster named %q is registered", req.Cluster)}
	}
	if err != nil {
		return View{}, nil, err
	}
	if ok, err := s.Store.HasBinding(ctx, ws.ID, c.ID, req.Namespace); err != nil {
		return View{}, nil, err
	} else if !ok {
		return View{}, nil, &FieldError{Field: "namespace", Rule: fmt.Sprintf("namespace %q of cluster %q is not bound to workspace %q: ask a platform administrator to bind it", req.Namespace, c.Name, ws.Name)}
	}
	warnings, err := s.checkCluster(ctx, c)
	if err != nil {
		return View{}, nil, err
	}
	queryWarnings, err := s.checkQueries(ctx, req.Checks)
	if err != nil {
		return View{}, nil, err
	}
	warnings = append(warnings, queryWarnings...)
	eng, err := s.engine(ctx, c.ID)
	if err != nil {
		return View{}, nil, err
	}
	t := Target{Workspace: ws.Name, Spec: req.Spec}
	job, err := s.record(ctx, eng, ws, c, actor, req)
	if err != nil {
		return View{}, nil, err
	}
	s.checkpoint("record")
	err = s.withLease(ctx, job.ID, func(ctx context.Context) error { return s.finishCreate(ctx, eng, t, job) })
	if errors.Is(err, ErrBusy) {
		// Run (here or on another replica) took the job up between its
		// recording and this claim: it makes it; this request waits for it
		// rather than refusing a creation that is under way.
		err = s.waitCreated(ctx, job.ID)
	}
	if err != nil {
		return View{}, nil, err
	}
	if job, err = s.Store.GetJob(ctx, job.ID); err != nil {
		return View{}, nil, err
	}
	return s.liveView(ctx, eng, job), warnings, nil
}

func requiredField(field, v string) error {
	if strings.TrimSpace(v) == "" {
		return &FieldError{Field: field, Rule: "is required"}
	}
	return nil
}

// probeReuse is how recent a probe of a reachable cluster with Argo Rollouts
// a creation trusts instead of probing afresh: under a burst of creations one
// probe serves them all, instead of each opening a connection of its own.
const probeReuse = 2 * time.Second

// checkCluster probes the cluster afresh (unless it was found well less than
// probeReuse ago): it must be reachable (or it is an
// *cluster.UnreachableError: the request was right, the cluster is down) and
// run Argo Rollouts (or the cluster field is at fault); Istio's absence is
// only a warning.
func (s *Service) checkCluster(ctx context.Context, c store.Cluster) ([]string, error) {
	st := c.Status
	if st.ProbedAt == nil || s.now().Sub(*st.ProbedAt) >= probeReuse || !st.Reachable || !st.ArgoInstalled {
		var err error
		st, err = s.Clusters.Probe(ctx, c.ID)
		if err != nil && !errors.Is(err, cluster.ErrUnreachable) {
			return nil, err
		}
	}
	switch {
	case !st.Reachable:
		return nil, &cluster.UnreachableError{Cluster: c.Name, Reason: st.Error}
	case !st.ArgoInstalled:
		return nil, &FieldError{Field: "cluster", Rule: fmt.Sprintf("Argo Rollouts is not installed in cluster %q (no rollouts.argoproj.io CRD): install Argo Rollouts there first", c.Name)}
	}
	if !st.IstioInstalled {
		return []string{fmt.Sprintf("Istio is not installed in cluster %q: the job switches traffic with Kubernetes Services only", c.Name)}, nil
	}
	return nil, nil
}

// record stores the job in state creating, or returns the half-made job of
// the same name and target so that Create finishes it. The cluster checks run
// first, so a job that can't be made is never recorded.
func (s *Service) record(ctx context.Context, eng *Engine, ws store.Workspace, c store.Cluster, actor string, req CreateRequest) (store.Job, error) {
	existing, err := s.Store.GetJobByName(ctx, ws.ID, req.Name)
	if err == nil {
		if existing.State == store.JobCreating && existing.ClusterID == c.ID && existing.Namespace == req.Namespace &&
			existing.Deployment == req.Deployment && existing.Service == req.Service {
			return existing, nil
		}
		return store.Job{}, &FieldError{Field: "name", Rule: fmt.Sprintf("workspace %q already has a job named %q", ws.Name, req.Name)}
	}
	if !errors.Is(err, store.ErrNotFound) {
		return store.Job{}, err
	}
	if err := eng.Check(ctx, Target{Workspace: ws.Name, Spec: req.Spec}); err != nil {
		return store.Job{}, err
	}
	job, err := s.Store.CreateJob(ctx, store.Job{
		WorkspaceID: ws.ID, Name: req.Name, ClusterID: c.ID, ClusterName: c.Name, Namespace: req.Namespace,
		Deployment: req.Deployment, Service: req.Service, ScaleDownDelaySeconds: req.ScaleDownDelaySeconds,
		AutoPromotionSeconds: req.AutoPromotionSeconds, PreviewReplicaCount: req.PreviewReplicaCount, CreatedBy: actor,
		Checks: encodeChecks(req.Checks), PromoteWhenChecksPass: req.PromoteWhenChecksPass,
	})
	if ce := (*store.ConflictError)(nil); errors.As(err, &ce) && ce.Field != "" {
		// Another creation, racing this one, recorded a job for the same
		// Deployment or Service after the cluster checks passed.
		kind := map[string]string{"deployment": "Deployment", "service": "Service"}[ce.Field]
		return store.Job{}, &FieldError{Field: ce.Field, Rule: fmt.Sprintf("%s %s is already the target of job %q", kind, ce.Key, ce.Holder)}
	}
	if errors.Is(err, store.ErrConflict) {
		return store.Job{}, &FieldError{Field: "name", Rule: fmt.Sprintf("a job named %q already exists in namespace %q of cluster %q", req.Name, req.Namespace, c.Name)}
	}
	if err == nil {
		s.changed(job)
	}
	return job, err
}

// waitCreated waits, up to WaitTimeout, until the job another holder of its
// lease is making is no longer being created: nil once it is active, an
// error when it was undone, ErrBusy when it is still creating.
func (s *Service) waitCreated(ctx context.Context, id int64) error {
	ctx, cancel := context.WithTimeout(ctx, orDefault(s.WaitTimeout, DefaultWaitTimeout))
	defer cancel()
	for {
		job, err := s.Store.GetJob(ctx, id)
		switch {
		case err != nil:
			return err
		case job.State == store.JobActive:
			return nil
		case job.State != store.JobCreating:
			return fmt.Errorf("create job %s: it could not be made and was undone (%s)", job.Name, job.State)
		}
		select {
		case <-ctx.Done():
			return ErrBusy
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// finishCreate makes the job's objects and marks it active.
func (s *Service) finishCreate(ctx context.Context, eng *Engine, t Target, job store.Job) error {
	if err := eng.Create(ctx, t); err != nil {
		return fmt.Errorf("create job %s in cluster: %w", job.Name, err)
	}
	err := s.setState(ctx, job, store.JobCreating, store.JobActive, false)
	if errors.Is(err, store.ErrConflict) {
		return nil // another replica finished it first
	}
	return err
}
