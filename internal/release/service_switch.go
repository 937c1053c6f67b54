package release

import (
	"context"
	"time"

	"github.com/switchyard/switchyard/internal/cluster"
	"github.com/switchyard/switchyard/internal/store"
)

// switchPoll is how often a SwitchWatch looks at the informer cache.
const switchPoll = 100 * time.Millisecond

// SwitchWatch times one traffic switch: from the operation being asked for
// to the job's active Service selecting another version than before (Argo
// rewrites its rollouts-pod-template-hash selector). Take it with
// WatchSwitch before the operation runs.
type SwitchWatch struct {
	conn   *cluster.Conn
	ns     string
	svc    string
	before string
	start  time.Time
	now    func() time.Time
}

// WatchSwitch notes which version the job's active Service selects now (from
// the informer cache: no call to the cluster) and the time. It fails when
// the job or its cluster can't be read.
func (s *Service) WatchSwitch(ctx context.Context, ws store.Workspace, name string) (*SwitchWatch, error) {
	start := s.now()
	job, err := s.Store.GetJobByName(ctx, ws.ID, name)
	if err != nil {
		return nil, err
	}
	conn, err := s.Clusters.Conn(ctx, job.ClusterID)
	if err != nil {
		return nil, err
	}
	w := &SwitchWatch{conn: conn, ns: job.Namespace, svc: job.Service, start: start, now: s.now}
	w.before = w.selected()
	return w, nil
}

// selected is the version (pod template hash) the active Service selects;
// "" when it selects none or can't be read.
func (w *SwitchWatch) selected() string {
	svc, err := w.conn.Listers.Services.Services(w.ns).Get(w.svc)
	if err != nil {
		return ""
	}
	return svc.Spec.Selector[cluster.RolloutHashLabel]
}

// Wait returns the time from WatchSwitch to the active Service selecting
// another version, once it does; false when ctx ends first (no switch
// happened: a promote or rollback that starts a new round instead, or an
// abort before promotion).
func (w *SwitchWatch) Wait(ctx context.Context) (time.Duration, bool) {
	t := time.NewTicker(switchPoll)
	defer t.Stop()
	for {
		if sel := w.selected(); sel != "" && sel != w.before {
			return w.now().Sub(w.start), true
		}
		select {
		case <-ctx.Done():
			return 0, false
		case <-t.C:
		}
	}
}
