package notifications

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/switchyard/switchyard/internal/cluster"
	"github.com/switchyard/switchyard/internal/release"
	"github.com/switchyard/switchyard/internal/store"
)

// maxSeen bounds the seen cache; past it the cache starts afresh (the
// outbox's UNIQUE key still keeps each event once).
const maxSeen = 100_000

func (d *Dispatcher) known(key string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.seen[key]
}

func (d *Dispatcher) remember(key string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.seen == nil || len(d.seen) >= maxSeen {
		d.seen = map[string]bool{}
	}
	d.seen[key] = true
}

// watch looks at the jobs of every namespace the informers report a change
// in, and at every job each Sweep (a replica that was down catches up, and
// changes another replica made to job records arrive through RelayChanges).
func (d *Dispatcher) watch(ctx context.Context) {
	var mu sync.Mutex
	pending := map[cluster.Change]bool{}
	signal, stop := d.Clusters.Changes.Subscribe(func(c cluster.Change) bool {
		mu.Lock()
		pending[c] = true
		mu.Unlock()
		return true
	})
	defer stop()
	sweep := time.NewTicker(or(d.Sweep, DefaultSweep))
	defer sweep.Stop()
	d.ScanAll(ctx)
	var pruned time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-sweep.C:
			d.ScanAll(ctx)
			if now := d.now(); now.Sub(pruned) > pruneEvery {
				pruned = now
				if err := d.Store.PruneNotifications(ctx, now.Add(-keepDone), now.Add(-keepDeleted)); err != nil && ctx.Err() == nil {
					d.log().Warn("notifications: prune", "err", err)
				}
			}
		case <-signal:
			mu.Lock()
			batch := pending
			pending = map[cluster.Change]bool{}
			mu.Unlock()
			for c := range batch {
				d.scanNamespace(ctx, c)
			}
			d.scanDeleted(ctx)
		}
	}
}

// ScanAll looks at every live job and every job deleted lately, and records
// the events they show.
func (d *Dispatcher) ScanAll(ctx context.Context) {
	d.scan(ctx, store.JobFilter{})
	d.scanDeleted(ctx)
}

func (d *Dispatcher) scanNamespace(ctx context.Context, c cluster.Change) {
	cl, err := d.Store.GetCluster(ctx, c.ClusterID)
	if err != nil {
		if ctx.Err() == nil && !errors.Is(err, store.ErrNotFound) {
			d.log().Warn("notifications: read cluster", "cluster_id", c.ClusterID, "err", err)
		}
		return
	}
	d.scan(ctx, store.JobFilter{Cluster: cl.Name, Namespace: c.Namespace})
}

// scan records the events of the live jobs f selects.
func (d *Dispatcher) scan(ctx context.Context, f store.JobFilter) {
	f.States, f.Limit, f.Sort = []string{store.JobActive}, 500, "created"
	for {
		views, total, err := d.Jobs.List(ctx, f)
		if err != nil {
			if ctx.Err() == nil {
				d.log().Warn("notifications: list jobs", "err", err)
			}
			return
		}
		for _, v := range views {
			d.record(ctx, v.Job, v, d.rollout(ctx, v.Job))
		}
		f.Offset += len(views)
		if len(views) == 0 || f.Offset >= total {
			return
		}
	}
}

func (d *Dispatcher) scanDeleted(ctx context.Context) {
	jobs, err := d.Store.JobsDeletedSince(ctx, d.now().Add(-deletedWindow))
	if err != nil {
		if ctx.Err() == nil {
			d.log().Warn("notifications: list deleted jobs", "err", err)
		}
		return
	}
	for _, j := range jobs {
		d.record(ctx, j, release.View{Job: j}, nil)
	}
}

// rollout reads a job's Rollout from the informer cache; nil when it can't.
func (d *Dispatcher) rollout(ctx context.Context, job store.Job) *unstructured.Unstructured {
	conn, err := d.Clusters.Conn(ctx, job.ClusterID)
	if err != nil {
		return nil
	}
	ro, err := conn.Rollout(ctx, job.Namespace, job.Name)
	if err != nil {
		return nil
	}
	return ro
}

// record adds the events a job shows to the outbox and wakes the sender when
// one is new.
func (d *Dispatcher) record(ctx context.Context, job store.Job, v release.View, ro *unstructured.Unstructured) {
	now := d.now()
	fresh := false
	for _, e := range Detect("", job, v, ro, now) {
		fresh = fresh || !d.known(e.Key)
	}
	if !fresh {
		return // the usual case: nothing new since the last look
	}
	ws, err := d.Store.GetWorkspace(ctx, job.WorkspaceID)
	if err != nil {
		return // deleted with its jobs
	}
	for _, e := range Detect(ws.Name, job, v, ro, now) {
		if d.known(e.Key) {
			continue
		}
		payload, err := json.Marshal(e)
		if err != nil {
			continue
		}
		created, err := d.Store.RecordEvent(ctx, store.NotificationEvent{Key: e.Key, WorkspaceID: job.WorkspaceID, JobID: job.ID,
			Kind: string(e.Kind), Payload: string(payload)})
		if err != nil {
			if ctx.Err() == nil {
				d.log().Warn("notifications: record event", "key", e.Key, "err", err)
			}
			continue
		}
		d.remember(e.Key)
		if created {
			d.log().Info("notification event", "key", e.Key, "job", job.Name, "event", e.Kind)
			d.Wake()
		}
	}
}

// Wake makes the sender look for due deliveries now.
func (d *Dispatcher) Wake() {
	d.init()
	select {
	case d.wake <- struct{}{}:
	default:
	}
}
