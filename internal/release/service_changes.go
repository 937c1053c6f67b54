package release

import (
	"context"
	"time"

	"github.com/switchyard/switchyard/internal/cluster"
	"github.com/switchyard/switchyard/internal/store"
)

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
			s.log().WarnContext(ctx, "tell other replicas of a job change", "job", job.Name, "err", err)
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
		s.log().WarnContext(ctx, "listen for other replicas' job changes: retrying", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(2 * time.Second):
		}
	}
}
