package release

import (
	"context"
	"sync"
	"time"

	"github.com/switchyard/switchyard/internal/cluster"
	"github.com/switchyard/switchyard/internal/store"
)

// DefaultPhaseCoalesce is how long watchPhases gathers informer events
// before it re-reads the jobs they touch.
const DefaultPhaseCoalesce = 200 * time.Millisecond

// watchPhases keeps the stored status of every live job current, until ctx
// ends, so that List answers a filter on the phase from the store's index
// instead of viewing every job: each change the clusters' informers (and job
// records) publish re-reads the live jobs of its cluster namespace from the
// caches and records those whose status changed. It reads every live job
// once first: caches that filled before it subscribed told it nothing.
func (s *Service) watchPhases(ctx context.Context) {
	var mu sync.Mutex
	dirty := map[cluster.Change]struct{}{}
	signal, stop := s.Clusters.Changes.Subscribe(func(c cluster.Change) bool {
		mu.Lock()
		dirty[c] = struct{}{}
		mu.Unlock()
		return true
	})
	defer stop()
	s.observeJobs(ctx, store.JobFilter{})
	for {
		select {
		case <-ctx.Done():
			return
		case <-signal:
		}
		select { // gather the rest of the burst
		case <-ctx.Done():
			return
		case <-time.After(orDefault(s.PhaseCoalesce, DefaultPhaseCoalesce)):
		}
		mu.Lock()
		batch := dirty
		dirty = map[cluster.Change]struct{}{}
		mu.Unlock()
		for c := range batch {
			s.observeJobs(ctx, store.JobFilter{ClusterID: c.ClusterID, Namespace: c.Namespace})
		}
	}
}

// observeJobs views the live jobs f selects, a page at a time, recording
// their status where it changed.
func (s *Service) observeJobs(ctx context.Context, f store.JobFilter) {
	f.States, f.Sort, f.Limit = []string{store.JobCreating, store.JobActive}, "created", 500
	for f.Offset = 0; ctx.Err() == nil; f.Offset += f.Limit {
		jobs, total, err := s.Store.ListJobs(ctx, f)
		if err != nil {
			if ctx.Err() == nil {
				s.log().Warn("keep job phases current", "err", err)
			}
			return
		}
		s.views(ctx, jobs)
		if f.Offset+len(jobs) >= total || len(jobs) == 0 {
			return
		}
	}
}
