package cluster

import (
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/tools/cache"
)

// Change says that something a job shows may have changed: an object in a
// namespace of a cluster (a Rollout, ReplicaSet, Pod, Deployment or Event),
// or a job's record.
type Change struct {
	ClusterID int64
	Namespace string
}

// Changes fans Change notices out to subscribers. A subscriber gets a signal,
// not the changes themselves: notices that arrive while it is busy coalesce
// into one, so a slow reader never blocks the informers and always re-reads
// the latest state. The zero value is ready to use.
type Changes struct {
	mu   sync.Mutex
	subs map[*subscriber]struct{}
}

type subscriber struct {
	match func(Change) bool
	ch    chan struct{}
}

// Subscribe returns a channel that receives a signal after each Change that
// match accepts (nil accepts every one), and a function that ends the
// subscription.
func (h *Changes) Subscribe(match func(Change) bool) (<-chan struct{}, func()) {
	s := &subscriber{match: match, ch: make(chan struct{}, 1)}
	h.mu.Lock()
	if h.subs == nil {
		h.subs = map[*subscriber]struct{}{}
	}
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	return s.ch, func() {
		h.mu.Lock()
		delete(h.subs, s)
		h.mu.Unlock()
	}
}

// Publish signals every subscriber that accepts c. It never blocks.
func (h *Changes) Publish(c Change) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		if s.match != nil && !s.match(c) {
			continue
		}
		select {
		case s.ch <- struct{}{}:
		default: // a signal is already pending: this change rides with it
		}
	}
}

// Subscribers returns how many subscriptions are open (for tests and metrics).
func (h *Changes) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

// publishing is an informer event handler that publishes the namespace of
// every object added, updated or deleted.
func publishing(h *Changes, clusterID int64) cache.ResourceEventHandler {
	pub := func(obj any) {
		if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = t.Obj
		}
		if m, err := meta.Accessor(obj); err == nil {
			h.Publish(Change{ClusterID: clusterID, Namespace: m.GetNamespace()})
		}
	}
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    pub,
		UpdateFunc: func(_, obj any) { pub(obj) },
		DeleteFunc: pub,
	}
}
