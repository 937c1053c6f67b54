package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestJobChangeNotices checks that a job change notified through one Store
// reaches a listener on another Store of the same PostgreSQL database (two
// replicas), and that SQLite's listener just waits.
func TestJobChangeNotices(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db testDB) {
		a, b := db.open(t), db.open(t)
		ctx, cancel := context.WithCancel(t.Context())
		got, ready, done := make(chan JobChange, 10), make(chan struct{}), make(chan error, 1)
		go func() { done <- b.ListenJobChanges(ctx, func() { close(ready) }, func(c JobChange) { got <- c }) }()
		select {
		case <-ready:
		case err := <-done:
			t.Fatalf("listener ended before it was ready: %v", err)
		case <-time.After(10 * time.Second):
			t.Fatal("listener not ready after 10 s")
		}
		want := JobChange{ClusterID: 7, Namespace: "shop"}
		if err := a.NotifyJobChange(ctx, want); err != nil {
			t.Fatal(err)
		}
		if db.kind() == "postgres" {
			select {
			case c := <-got:
				if c != want {
					t.Errorf("notice %+v, want %+v", c, want)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("no notice on the other replica within 10 s")
			}
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("listener ended with %v, want context.Canceled", err)
		}
		if len(got) > 0 {
			t.Errorf("unexpected notices: %d", len(got))
		}
		// The listening connection is not handed back to the pool: the store still works.
		if _, err := b.ListUsers(t.Context()); err != nil {
			t.Errorf("store after the listener ended: %v", err)
		}
	})
}
