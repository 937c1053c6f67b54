package release

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"

	"github.com/switchyard/switchyard/internal/checks"
	"github.com/switchyard/switchyard/internal/cluster"
	"github.com/switchyard/switchyard/internal/store"
)

// View is a job with its live status.
type View struct {
	Job    store.Job
	Status Status
	// Stale is set when the cluster could not be read: Status is the last known
	// one, observed at Job.ObservedAt, and Reason says why.
	Stale  bool
	Reason string
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
		st, err = s.observeCached(ctx, conn, job)
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
	return View{Job: job, Status: last, Stale: true, Reason: staleReason(err)}
}

// staleReason says why a job's cluster could not be read, to any member of
// its workspace: without where the cluster's API server is.
func staleReason(err error) string {
	var ue *cluster.UnreachableError
	if errors.As(err, &ue) {
		return ue.Redacted().Error()
	}
	return err.Error()
}

// liveView reads a job's status straight from the API server: the answer to
// a creation or an operation is what the cluster says once it is done, not
// what a cache may not have caught up with yet. When that read fails it
// falls back to view.
func (s *Service) liveView(ctx context.Context, eng *Engine, job store.Job) View {
	t := target("", job)
	st, err := eng.Status(ctx, t)
	if err == nil {
		err = eng.attachPods(ctx, t, &st)
	}
	if err == nil {
		eng.attachChecks(ctx, t, &st)
	}
	if err != nil {
		return s.view(ctx, job)
	}
	if job.State == store.JobCreating {
		st.Phase, st.Message = PhaseCreating, "creating the job's objects in the cluster"
	}
	s.remember(ctx, &job, st)
	return View{Job: job, Status: st}
}

// observeCached builds a job's status from the informer caches.
func (s *Service) observeCached(ctx context.Context, conn *cluster.Conn, job store.Job) (Status, error) {
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
	NoticeStall(&st, ro, time.Now(), orDefault(s.StallAfter, DefaultStallAfter))
	if runs, err := conn.AnalysisRuns(ctx, job.Namespace); err == nil {
		AttachChecks(&st, ro, checks.Runs(runs, ro.GetUID()))
	} else {
		s.log().Debug("read check runs", "job", job.Name, "err", err)
	}
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
	f.Phase, f.Limit, f.Offset = "", s.listBatch(), 0
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

// DefaultListBatch is how many jobs List reads from the store at a time when
// it filters on the live phase.
const DefaultListBatch = 500

func (s *Service) listBatch() int {
	if s.ListBatch > 0 {
		return s.ListBatch
	}
	return DefaultListBatch
}
