package cluster

import (
	"context"
	"testing"
	"time"
)

// TestWaitSyncedAfterTimeout: a Conn whose caches filled long ago is synced
// on every call, however long since it started. Before the fix half of the
// calls made after the sync timeout answered "caches did not sync" (and the
// Manager then dropped the good connection).
func TestWaitSyncedAfterTimeout(t *testing.T) {
	c := &Conn{ClusterName: "local", started: time.Now().Add(-time.Hour), synced: make(chan struct{}), stop: make(chan struct{})}
	close(c.synced)
	for i := range 200 {
		if err := c.waitSynced(context.Background(), 30*time.Second); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
}

// TestWaitSyncedTimesOut: caches that never fill are an *UnreachableError
// once the timeout has passed since start.
func TestWaitSyncedTimesOut(t *testing.T) {
	c := &Conn{ClusterName: "local", started: time.Now().Add(-time.Minute), synced: make(chan struct{}), stop: make(chan struct{})}
	err := c.waitSynced(context.Background(), 30*time.Second)
	if _, ok := err.(*UnreachableError); !ok {
		t.Fatalf("waitSynced = %v; want an *UnreachableError", err)
	}
}
