package release

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"syscall"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"

	"github.com/switchyard/switchyard/internal/cluster"
	"github.com/switchyard/switchyard/internal/store"
)

// Defaults of the Service's timings.
const (
	DefaultWaitTimeout    = 2 * time.Minute
	DefaultLeaseTTL       = 15 * time.Second
	DefaultReconcileEvery = 5 * time.Second
)

// ErrBusy means another operation holds the job right now (on this replica or
// another): try again in a moment.
var ErrBusy = errors.New("another operation on this job is in progress")

// Service runs release jobs for the API: it keeps their records in the store,
// acts on clusters through an Engine, reads their status from the clusters'
// informer caches, and finishes in the background what a crash left half done.
// Authorization and the audit log are the caller's.
type Service struct {
	Store    *store.Store
	Clusters *cluster.Manager
	Logger   *slog.Logger
	// Owner names this replica in job leases; it must differ between replicas.
	Owner string
	// WaitTimeout bounds how long a request waits for a deletion; past it the
	// job stays Deleting and the background loop finishes it.
	WaitTimeout time.Duration
	// ReconcileEvery is how often Run looks for half-done jobs.
	ReconcileEvery time.Duration
	// LeaseTTL is how long a job's lease lasts unless renewed; zero means
	// DefaultLeaseTTL. A crashed holder's work is taken over after it.
	LeaseTTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// CrashAfter names a step after which the process kills itself with
	// SIGKILL ("record" after the job is stored, or an Engine step such as
	// "apply rollout" or "wait for the deployment"). For crash tests only: the
	// server sets it from SWITCHYARD_TEST_CRASH_AFTER.
	CrashAfter string
}

// CreateRequest is what the API passes to Create.
type CreateRequest struct {
	Spec
	Cluster string `json:"cluster"`
}

// View is a job with its live status.
type View struct {
	Job    store.Job
	Status Status
	// Stale is set when the cluster could not be read: Status is the last known
	// one, observed at Job.ObservedAt, and Reason says why.
	Stale  bool
	Reason string
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) log() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

// target returns the Target of a stored job.
func target(ws string, j store.Job) Target {
	return Target{Workspace: ws, Spec: Spec{
		Name: j.Name, Namespace: j.Namespace, Deployment: j.Deployment, Service: j.Service,
		ScaleDownDelaySeconds: j.ScaleDownDelaySeconds, AutoPromotionSeconds: j.AutoPromotionSeconds, PreviewReplicaCount: j.PreviewReplicaCount,
	}}
}

// engine returns an Engine on the job's cluster, or an *cluster.UnreachableError.
func (s *Service) engine(ctx context.Context, clusterID int64) (*Engine, *cluster.Conn, error) {
	conn, err := s.Clusters.Conn(ctx, clusterID)
	if err != nil {
		return nil, nil, err
	}
	return &Engine{Kube: conn.Kube, Dynamic: conn.Dynamic, AfterStep: s.checkpoint, Logger: s.log(), ArgoInstanceID: conn.ArgoInstanceID()}, conn, nil
}

// checkpoint kills the process after the step named by CrashAfter.
func (s *Service) checkpoint(step string) {
	if s.CrashAfter != "" && step == s.CrashAfter {
		s.log().Error("crash test: killing the process", "after", step)
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // the signal is on its way
	}
}

// Create checks a new job against the workspace, the cluster and the objects
// in it, records it, makes it in the cluster and returns it with any warnings
// (Istio missing). Bad input is a *FieldError (nothing is created). Creating
// a job that a crash left half made finishes it.
func (s *Service) Create(ctx context.Context, ws store.Workspace, actor string, req CreateRequest) (View, []string, error) {
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
	eng, _, err := s.engine(ctx, c.ID)
	if err != nil {
		return View{}, nil, &FieldError{Field: "cluster", Rule: err.Error()}
	}
	t := Target{Workspace: ws.Name, Spec: req.Spec}
	job, err := s.record(ctx, eng, ws, c, actor, req)
	if err != nil {
		return View{}, nil, err
	}
	s.checkpoint("record")
	if err := s.withLease(ctx, job.ID, func(ctx context.Context) error { return s.finishCreate(ctx, eng, t, job) }); err != nil {
		return View{}, nil, err
	}
	v, err := s.Get(ctx, ws, job.Name)
	return v, warnings, err
}

func requiredField(field, v string) error {
	if strings.TrimSpace(v) == "" {
		return &FieldError{Field: field, Rule: "is required"}
	}
	return nil
}

// checkCluster probes the cluster afresh: it must be reachable and run Argo
// Rollouts; Istio's absence is only a warning.
func (s *Service) checkCluster(ctx context.Context, c store.Cluster) ([]string, error) {
	st, err := s.Clusters.Probe(ctx, c.ID)
	if err != nil && !errors.Is(err, cluster.ErrUnreachable) {
		return nil, err
	}
	switch {
	case !st.Reachable:
		return nil, &FieldError{Field: "cluster", Rule: fmt.Sprintf("cluster %q is unreachable (%s): check its API server and the registered kubeconfig", c.Name, st.Error)}
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

// setState moves a job's record from one state to another and tells live
// streams.
func (s *Service) setState(ctx context.Context, job store.Job, from, to string, force bool) error {
	if err := s.Store.SetJobState(ctx, job.ID, from, to, force); err != nil {
		return err
	}
	s.changed(job)
	return nil
}

// changed publishes a change of a job's record (the cluster's informers
// publish the changes of its objects) here, and through the database to the
// other replicas (RelayChanges).
func (s *Service) changed(job store.Job) {
	if s.Clusters != nil {
		s.Clusters.Changes.Publish(cluster.Change{ClusterID: job.ClusterID, Namespace: job.Namespace})
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Store.NotifyJobChange(ctx, store.JobChange{ClusterID: job.ClusterID, Namespace: job.Namespace}); err != nil {
			s.log().Warn("tell other replicas of a job change", "job", job.Name, "err", err)
		}
	}()
}

// RelayChanges publishes here the job changes other replicas sharing the
// database notify, until ctx ends, so that live streams served by this
// replica see them at once. It reconnects when the database connection
// drops. With SQLite (one process) it only waits.
func (s *Service) RelayChanges(ctx context.Context) {
	for ctx.Err() == nil {
		err := s.Store.ListenJobChanges(ctx, nil, func(c store.JobChange) {
			s.Clusters.Changes.Publish(cluster.Change{ClusterID: c.ClusterID, Namespace: c.Namespace})
		})
		if ctx.Err() != nil {
			return
		}
		s.log().Warn("listen for other replicas' job changes: retrying", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(2 * time.Second):
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

// withLease runs fn holding the job's lease, so that no other request or
// replica works on the job meanwhile. A lease held elsewhere is ErrBusy. The
// lease is short and renewed while fn runs, so that when its holder crashes
// another replica (or the restarted server) takes over within LeaseTTL.
func (s *Service) withLease(ctx context.Context, jobID int64, fn func(ctx context.Context) error) error {
	owner := fmt.Sprintf("%s/%d", s.Owner, s.now().UnixNano())
	ttl := s.leaseTTL()
	ok, err := s.Store.ClaimJob(ctx, jobID, owner, ttl)
	if err != nil {
		return err
	}
	if !ok {
		return ErrBusy
	}
	renewCtx, stopRenew := context.WithCancel(context.WithoutCancel(ctx))
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		s.renewLease(renewCtx, jobID, owner, ttl)
	}()
	defer func() {
		stopRenew()
		<-renewed
		if err := s.Store.ReleaseJob(context.WithoutCancel(ctx), jobID, owner); err != nil {
			s.log().Warn("release job lease", "job", jobID, "err", err)
		}
	}()
	return fn(ctx)
}

func (s *Service) leaseTTL() time.Duration {
	if s.LeaseTTL > 0 {
		return s.LeaseTTL
	}
	return DefaultLeaseTTL
}

// renewLease extends the lease every third of its TTL until ctx ends.
func (s *Service) renewLease(ctx context.Context, jobID int64, owner string, ttl time.Duration) {
	t := time.NewTicker(ttl / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if ok, err := s.Store.ClaimJob(ctx, jobID, owner, ttl); err != nil || !ok {
				s.log().Warn("renew job lease", "job", jobID, "held", ok, "err", err)
			}
		}
	}
}

// Get returns the workspace's live job with its status read from the
// cluster's caches. When the cluster can't be read the last known status is
// returned, marked Stale.
func (s *Service) Get(ctx context.Context, ws store.Workspace, name string) (View, error) {
	job, err := s.Store.GetJobByName(ctx, ws.ID, name)
	if err != nil {
		return View{}, err
	}
	return s.view(ctx, job), nil
}

// view reads the status of a stored job.
func (s *Service) view(ctx context.Context, job store.Job) View {
	switch job.State {
	case store.JobDeleted:
		return View{Job: job, Status: Status{Phase: PhaseDeleted, Versions: []Version{}}}
	case store.JobDeleting:
		return View{Job: job, Status: Status{Phase: PhaseDeleting, Message: "handing the application back as a plain Deployment + Service", Versions: []Version{}}}
	}
	conn, err := s.Clusters.Conn(ctx, job.ClusterID)
	if err == nil {
		var st Status
		st, err = observeCached(ctx, conn, job)
		if err == nil {
			if job.State == store.JobCreating {
				// Not made until every object is: the Rollout alone may already be Healthy.
				st.Phase, st.Message = PhaseCreating, "creating the job's objects in the cluster"
			}
			s.remember(ctx, &job, st)
			return View{Job: job, Status: st}
		}
	}
	last := Status{Phase: PhaseUnknown, Message: job.LastMessage, Versions: []Version{}}
	if job.LastPhase != "" {
		last.Message = fmt.Sprintf("last known status: %s. %s", job.LastPhase, job.LastMessage)
	}
	return View{Job: job, Status: last, Stale: true, Reason: err.Error()}
}

// observeCached builds a job's status from the informer caches.
func observeCached(ctx context.Context, conn *cluster.Conn, job store.Job) (Status, error) {
	ro, err := conn.Rollout(ctx, job.Namespace, job.Name)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return Status{}, err
	}
	if ro == nil {
		if job.State == store.JobActive {
			return Status{Phase: PhaseDegraded, Message: fmt.Sprintf("%s: delete the job to hand the Deployment and Service back "+
				"(the Deployment may need scaling up again: Argo Rollouts scaled it down while the Rollout ran it)", missingRollout(job.Namespace, job.Name)),
				Versions: []Version{}}, nil
		}
		return Observe(nil, nil), nil
	}
	all, err := conn.Listers.ReplicaSets.ReplicaSets(job.Namespace).List(labels.Everything())
	if err != nil {
		return Status{}, fmt.Errorf("list replicasets: %w", err)
	}
	var owned []*appsv1.ReplicaSet
	for _, rs := range all {
		for _, o := range rs.OwnerReferences {
			if o.UID == ro.GetUID() {
				owned = append(owned, rs)
			}
		}
	}
	dep, err := conn.Listers.Deployments.Deployments(job.Namespace).Get(job.Deployment)
	if err != nil {
		dep = nil // gone: judge by the Rollout alone
	}
	st := ObserveWorkload(ro, owned, dep)
	NoticeStall(&st, ro, time.Now())
	if hashes := versionHashes(st.Versions); len(hashes) > 0 {
		req, err := labels.NewRequirement(HashLabel, selection.In, hashes)
		if err != nil {
			return Status{}, fmt.Errorf("select pods: %w", err)
		}
		pods, err := conn.Listers.Pods.Pods(job.Namespace).List(labels.NewSelector().Add(*req))
		if err != nil {
			return Status{}, fmt.Errorf("list pods: %w", err)
		}
		AttachPods(&st, pods)
	}
	return st, nil
}

func versionHashes(vs []Version) []string {
	var out []string
	for _, v := range vs {
		if v.PodHash != "" {
			out = append(out, v.PodHash)
		}
	}
	return out
}

// remember stores the status when it changed, so that it can be shown while
// the cluster is unreachable.
func (s *Service) remember(ctx context.Context, job *store.Job, st Status) {
	images := ""
	for _, v := range st.Versions {
		if v.Active {
			images = strings.Join(v.Images, ",")
		}
	}
	if job.LastPhase == string(st.Phase) && job.LastMessage == st.Message && job.LastImages == images &&
		job.ObservedAt != nil && s.now().Sub(*job.ObservedAt) < time.Minute {
		return
	}
	now := s.now()
	if err := s.Store.ObserveJob(ctx, job.ID, string(st.Phase), st.Message, images, now); err != nil {
		s.log().Warn("record job status", "job", job.Name, "err", err)
		return
	}
	job.LastPhase, job.LastMessage, job.LastImages, job.ObservedAt = string(st.Phase), st.Message, images, &now
}

// List returns the jobs the filter selects with their live status, and the
// total count for paging. Filtering by phase uses the live status: the stored
// phase may lag, so every match of the other filters is read, filtered, and
// then paged.
func (s *Service) List(ctx context.Context, f store.JobFilter) ([]View, int, error) {
	if f.Phase == "" {
		jobs, total, err := s.Store.ListJobs(ctx, f)
		if err != nil {
			return nil, 0, err
		}
		views := make([]View, 0, len(jobs))
		for _, j := range jobs {
			views = append(views, s.view(ctx, j))
		}
		return views, total, nil
	}
	phase, limit, offset := f.Phase, f.Limit, f.Offset
	f.Phase, f.Limit, f.Offset = "", listBatch, 0
	var matched []View
	for {
		jobs, total, err := s.Store.ListJobs(ctx, f)
		if err != nil {
			return nil, 0, err
		}
		for _, j := range jobs {
			if v := s.view(ctx, j); strings.EqualFold(string(v.Status.Phase), phase) {
				matched = append(matched, v)
			}
		}
		f.Offset += len(jobs)
		if len(jobs) == 0 || f.Offset >= total {
			break
		}
	}
	total := len(matched)
	offset = min(max(offset, 0), total)
	end := total
	if limit > 0 && offset+limit < end {
		end = offset + limit
	}
	return matched[offset:end], total, nil
}

// listBatch is how many jobs List reads from the store at a time when it
// filters on the live phase.
var listBatch = 500
