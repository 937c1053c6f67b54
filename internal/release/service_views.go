package release

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

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

// view reads the status of a stored job and records it when it changed.
func (s *Service) view(ctx context.Context, job store.Job) View {
	return s.views(ctx, []store.Job{job})[0]
}

// views reads the status of stored jobs and records what changed: a changed
// status one job at a time, the mere confirmation that a status still holds
// (once a minute at most) for all of them in one write.
func (s *Service) views(ctx context.Context, jobs []store.Job) []View {
	out := make([]View, len(jobs))
	var touch []int64
	now := s.now()
	for i, job := range jobs {
		out[i] = s.observeView(ctx, job)
		if out[i].Stale || job.State == store.JobDeleted || job.State == store.JobDeleting {
			continue
		}
		switch s.recordable(job, out[i].Status, now) {
		case statusChanged:
			s.remember(ctx, &out[i].Job, out[i].Status)
		case statusHolds:
			touch = append(touch, job.ID)
		}
	}
	if len(touch) > 0 {
		if err := s.Store.TouchJobs(ctx, touch, now); err != nil {
			s.log().Warn("record job status", "jobs", len(touch), "err", err)
			return out
		}
		for i := range out {
			if slices.Contains(touch, out[i].Job.ID) {
				out[i].Job.ObservedAt = &now
			}
		}
	}
	return out
}

// observeView reads the status of a stored job; it writes nothing.
func (s *Service) observeView(ctx context.Context, job store.Job) View {
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
	owned := conn.ReplicaSetsOwnedBy(ro.GetUID())
	dep, err := conn.Listers.Deployments.Deployments(job.Namespace).Get(job.Deployment)
	if err != nil {
		dep = nil // gone: judge by the Rollout alone
	}
	st := ObserveWorkload(ro, owned, dep)
	NoticeStall(&st, ro, time.Now(), orDefault(s.StallAfter, DefaultStallAfter))
	if runs, err := conn.AnalysisRunsOwnedBy(ctx, ro.GetUID()); err == nil {
		AttachChecks(&st, ro, checks.Runs(runs, ro.GetUID()))
	} else {
		s.log().Debug("read check runs", "job", job.Name, "err", err)
	}
	if hashes := versionHashes(st.Versions); len(hashes) > 0 {
		AttachPods(&st, conn.PodsWithHash(job.Namespace, hashes))
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

// What views does with a status it read.
const (
	statusRecorded = iota // stored and confirmed less than a minute ago: nothing to write
	statusHolds           // stored, but last confirmed a minute ago or more
	statusChanged         // not what is stored
)

// recordable says whether the status read for a job differs from the stored
// one, or only needs confirming.
func (s *Service) recordable(job store.Job, st Status, now time.Time) int {
	if job.LastPhase != string(st.Phase) || job.LastMessage != st.Message || job.LastImages != activeImages(st) {
		return statusChanged
	}
	if job.ObservedAt == nil || now.Sub(*job.ObservedAt) >= time.Minute {
		return statusHolds
	}
	return statusRecorded
}

func activeImages(st Status) string {
	for _, v := range st.Versions {
		if v.Active {
			return strings.Join(v.Images, ",")
		}
	}
	return ""
}

// remember stores the status when it changed (or was last confirmed a
// minute ago or more), so that it can be shown while the cluster is
// unreachable, and so that List can filter on the phase with the store's
// index.
func (s *Service) remember(ctx context.Context, job *store.Job, st Status) {
	now := s.now()
	if s.recordable(*job, st, now) == statusRecorded {
		return
	}
	images := activeImages(st)
	if err := s.Store.ObserveJob(ctx, job.ID, string(st.Phase), st.Message, images, now); err != nil {
		s.log().WarnContext(ctx, "record job status", "job", job.Name, "err", err)
		return
	}
	job.LastPhase, job.LastMessage, job.LastImages, job.ObservedAt = string(st.Phase), st.Message, images, &now
}

// List returns the jobs the filter selects with their live status, and the
// total count for paging. The store answers every filter and sort from its
// indexes, the phase too: watchPhases keeps each job's stored phase current
// from the clusters' informers, and the jobs of a cluster that can't be read
// now count as Unknown, as their views say. Only the page's jobs are viewed.
func (s *Service) List(ctx context.Context, f store.JobFilter) ([]View, int, error) {
	var err error
	if f.Phase != "" {
		var none bool
		if f, none, err = s.phaseFilter(ctx, f); err != nil || none {
			return []View{}, 0, err
		}
	}
	jobs, total, err := s.Store.ListJobs(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	return s.views(ctx, jobs), total, nil
}

// phaseFilter turns a filter on the live phase (any case) into one on the
// job's state and stored phase; none says that no job can match.
func (s *Service) phaseFilter(ctx context.Context, f store.JobFilter) (_ store.JobFilter, none bool, _ error) {
	phase := Phase(f.Phase)
	for _, p := range Phases {
		if strings.EqualFold(string(p), f.Phase) {
			phase = p
		}
	}
	f.Phase = ""
	switch phase {
	case PhaseDeleting:
		f.States = []string{store.JobDeleting}
		return f, false, nil
	case PhaseDeleted:
		f.States = []string{store.JobDeleted}
		return f, !f.IncludeDeleted, nil // deleted jobs are listed only on request
	}
	live := f
	live.States = []string{store.JobCreating, store.JobActive}
	ids, err := s.Store.JobClusters(ctx, live)
	if err != nil {
		return f, false, err
	}
	f.Stale, f.StalePhase = nil, string(PhaseUnknown)
	for _, id := range ids {
		if !s.readable(ctx, id) {
			f.Stale = append(f.Stale, id)
		}
	}
	f.Phase = string(phase)
	switch phase {
	case PhaseCreating:
		f.States = []string{store.JobCreating}
	case PhaseUnknown:
		f.States = live.States
	default:
		f.States = []string{store.JobActive}
	}
	return f, false, nil
}

// readable reports whether the jobs of a cluster can be viewed from its
// caches now (else their views are Unknown, marked Stale).
func (s *Service) readable(ctx context.Context, clusterID int64) bool {
	conn, err := s.Clusters.Conn(ctx, clusterID)
	return err == nil && conn.RolloutsReadable(ctx) == nil
}
