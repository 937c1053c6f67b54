package release

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/switchyard/switchyard/internal/checks"
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
	// StallAfter is how long a Rollout may go unpicked by Argo Rollouts before
	// the job's status hints at why; zero means DefaultStallAfter.
	StallAfter time.Duration
	// PhaseCoalesce is how long watchPhases gathers the burst of informer
	// events one change makes before it re-reads the jobs they touch; zero
	// means DefaultPhaseCoalesce.
	PhaseCoalesce time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// AfterStep, when set, is called with the name of each step of a creation
	// or an operation once it is done: "record" after the job is stored, and
	// every Engine step ("apply rollout", "wait for the deployment"…). The
	// crash tests' build of the server kills itself there; nil otherwise.
	AfterStep func(step string)
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
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
		Checks: JobChecks(j), PromoteWhenChecksPass: j.PromoteWhenChecksPass,
	}}
}

// JobChecks decodes a stored job's checks. The store holds what Validate
// passed, so a failure to decode means no checks rather than an error.
func JobChecks(j store.Job) []checks.Check {
	var cs []checks.Check
	if j.Checks == "" || json.Unmarshal([]byte(j.Checks), &cs) != nil {
		return nil
	}
	return cs
}

// engine returns an Engine on the job's cluster, or an
// *cluster.UnreachableError. It talks to the API server directly and does
// not wait for the cluster's caches.
func (s *Service) engine(ctx context.Context, clusterID int64) (*Engine, error) {
	conn, err := s.Clusters.Client(ctx, clusterID)
	if err != nil {
		return nil, err
	}
	return &Engine{Kube: conn.Kube, Dynamic: conn.Dynamic, AfterStep: s.checkpoint, Logger: s.log(), ArgoInstanceID: conn.ArgoInstanceID()}, nil
}

// checkpoint reports a finished step to AfterStep.
func (s *Service) checkpoint(step string) {
	if s.AfterStep != nil {
		s.AfterStep(step)
	}
}
