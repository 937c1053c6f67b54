package testenv

import (
	"context"
	"sync"
	"testing"

	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
)

// EndpointWatch records the number of ready endpoints behind a Service on
// every change of its EndpointSlices: the proof that a release never left the
// Service without serving pods.
type EndpointWatch struct {
	mu     sync.Mutex
	slices map[string]int
	min    int // -1 until the first change
	last   int
	events int
}

// WatchEndpoints starts an EndpointWatch on Service svc; it stops when the test ends.
func WatchEndpoints(ctx context.Context, t testing.TB, kc kubernetes.Interface, ns, svc string) *EndpointWatch {
	t.Helper()
	w, err := kc.DiscoveryV1().EndpointSlices(ns).Watch(ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=" + svc})
	if err != nil {
		t.Fatalf("watch endpointslices of %s/%s: %v", ns, svc, err)
	}
	ew := &EndpointWatch{slices: map[string]int{}, min: -1}
	go func() {
		for ev := range w.ResultChan() {
			if es, ok := ev.Object.(*discoveryv1.EndpointSlice); ok {
				ew.record(ev.Type, es)
			}
		}
	}()
	t.Cleanup(w.Stop)
	return ew
}

func (ew *EndpointWatch) record(typ watch.EventType, es *discoveryv1.EndpointSlice) {
	ew.mu.Lock()
	defer ew.mu.Unlock()
	if typ == watch.Deleted {
		delete(ew.slices, es.Name)
	} else {
		ew.slices[es.Name] = ReadyEndpoints(es)
	}
	total := 0
	for _, n := range ew.slices {
		total += n
	}
	ew.events++
	ew.last = total
	if ew.min < 0 || total < ew.min {
		ew.min = total
	}
}

// Stats returns the fewest ready endpoints seen (-1 before any change), the
// latest count, and how many changes were seen.
func (ew *EndpointWatch) Stats() (min, last, events int) {
	ew.mu.Lock()
	defer ew.mu.Unlock()
	return ew.min, ew.last, ew.events
}

// ReadyEndpoints counts the ready endpoints of a slice (no condition means ready).
func ReadyEndpoints(es *discoveryv1.EndpointSlice) int {
	n := 0
	for _, ep := range es.Endpoints {
		if ep.Conditions.Ready == nil || *ep.Conditions.Ready {
			n++
		}
	}
	return n
}
