package store

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/testenv"
)

func mustSubscription(t *testing.T, s *Store, ws int64, events ...string) Subscription {
	t.Helper()
	sub, err := s.CreateSubscription(t.Context(), Subscription{WorkspaceID: ws, URL: "http://127.0.0.1:1/hook", Events: events,
		Format: FormatJSON, SealedSecret: []byte("sealed"), CreatedBy: "alice"}, 3)
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

// TestSubscriptions covers create, get, list, the per-workspace limit and delete.
func TestSubscriptions(t *testing.T) {
	openEach(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		ws := mustWorkspace(t, s, "team")
		other := mustWorkspace(t, s, "other")
		a := mustSubscription(t, s, ws.ID, "promoted", "aborted")
		got, err := s.GetSubscription(ctx, ws.ID, a.ID)
		if err != nil || got.URL != a.URL || fmt.Sprint(got.Events) != "[promoted aborted]" || string(got.SealedSecret) != "sealed" {
			t.Fatalf("get = %+v, %v; want %+v", got, err, a)
		}
		if _, err := s.GetSubscription(ctx, other.ID, a.ID); err == nil {
			t.Fatal("another workspace's subscription was found")
		}
		mustSubscription(t, s, ws.ID, "deleted")
		mustSubscription(t, s, ws.ID, "deleted")
		_, err = s.CreateSubscription(ctx, Subscription{WorkspaceID: ws.ID, URL: "http://x", Format: FormatJSON, SealedSecret: []byte("x")}, 3)
		checkErr(t, "fourth subscription (limit 3)", err, ErrInvalid)
		_, err = s.CreateSubscription(ctx, Subscription{WorkspaceID: ws.ID, Format: FormatJSON, SealedSecret: []byte("x")}, 3)
		checkErr(t, "no URL", err, ErrInvalid)
		list, err := s.ListSubscriptions(ctx, ws.ID)
		if err != nil || len(list) != 3 {
			t.Fatalf("list = %d, %v; want 3", len(list), err)
		}
		checkErr(t, "delete from another workspace", s.DeleteSubscription(ctx, other.ID, a.ID), ErrNotFound)
		checkErr(t, "delete", s.DeleteSubscription(ctx, ws.ID, a.ID), nil)
		checkErr(t, "delete again", s.DeleteSubscription(ctx, ws.ID, a.ID), ErrNotFound)
	})
}

// TestOutboxOnce records one event from many goroutines at once (replicas
// racing): one row, one delivery per subscription that wants the kind.
func TestOutboxOnce(t *testing.T) {
	openEach(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		ws := mustWorkspace(t, s, "team")
		wants := mustSubscription(t, s, ws.ID, "promoted", "aborted")
		mustSubscription(t, s, ws.ID, "deleted") // does not want it
		ev := NotificationEvent{Key: "job/1/promoted/2/abc", WorkspaceID: ws.ID, JobID: 1, Kind: "promoted", Payload: `{"job":"app"}`}
		var wg sync.WaitGroup
		var mu sync.Mutex
		created := 0
		for range 8 {
			wg.Go(func() {
				ok, err := s.RecordEvent(ctx, ev)
				if err != nil {
					t.Error(err)
				}
				if ok {
					mu.Lock()
					created++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if n, _ := s.CountEvents(ctx, ws.ID, "promoted"); created != 1 || n != 1 {
			t.Fatalf("created %d times, %d rows; want 1 and 1", created, n)
		}
		ds, err := s.ClaimDeliveries(ctx, "r1", time.Minute, 10)
		if err != nil || len(ds) != 1 || ds[0].Subscription.ID != wants.ID || ds[0].Event.Payload != ev.Payload {
			t.Fatalf("claimed %+v, %v; want one delivery to subscription %d", ds, err, wants.ID)
		}
		// A prefix of a kind is not the kind.
		if _, err := s.RecordEvent(ctx, NotificationEvent{Key: "k2", WorkspaceID: ws.ID, JobID: 1, Kind: "promote", Payload: "{}"}); err != nil {
			t.Fatal(err)
		}
		if more, _ := s.ClaimDeliveries(ctx, "r1", time.Minute, 10); len(more) != 0 {
			t.Fatalf("kind %q queued %d deliveries, want none", "promote", len(more))
		}
	})
}

// TestDeliveryLease checks that a claimed delivery is nobody else's until
// its lease ends, that a finished attempt moves it on, that a holder whose
// lease was taken over can't finish it, and that the log keeps the last
// MaxAttemptsKept attempts.
func TestDeliveryLease(t *testing.T) {
	openEach(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		now := testTime
		fixedClock(s, &now)
		ws := mustWorkspace(t, s, "team")
		sub := mustSubscription(t, s, ws.ID, "promoted")
		if _, err := s.RecordEvent(ctx, NotificationEvent{Key: "k", WorkspaceID: ws.ID, JobID: 1, Kind: "promoted", Payload: "{}"}); err != nil {
			t.Fatal(err)
		}
		ds, _ := s.ClaimDeliveries(ctx, "r1", time.Minute, 10)
		if len(ds) != 1 {
			t.Fatalf("r1 claimed %d, want 1", len(ds))
		}
		if other, _ := s.ClaimDeliveries(ctx, "r2", time.Minute, 10); len(other) != 0 {
			t.Fatalf("r2 claimed %d while r1 holds the lease, want 0", len(other))
		}
		// r1 stalls past its lease: r2 takes over, and r1's late answer is refused.
		now = now.Add(2 * time.Minute)
		if other, _ := s.ClaimDeliveries(ctx, "r2", time.Minute, 10); len(other) != 1 {
			t.Fatalf("r2 claimed %d after r1's lease ended, want 1", len(other))
		}
		a := Attempt{SubscriptionID: sub.ID, DeliveryID: ds[0].ID, EventKind: "promoted", JobName: "app", Attempt: 1,
			StatusCode: 500, Error: "HTTP 500", Outcome: AttemptRetrying, AttemptedAt: now}
		checkErr(t, "r1 finishing a lease it lost", s.FinishAttempt(ctx, "r1", a, now.Add(time.Second)), ErrNotFound)
		checkErr(t, "r2 finishing", s.FinishAttempt(ctx, "r2", a, now.Add(time.Second)), nil)
		if again, _ := s.ClaimDeliveries(ctx, "r2", time.Minute, 10); len(again) != 0 {
			t.Fatalf("claimed %d before the retry is due, want 0", len(again))
		}
		now = now.Add(2 * time.Second)
		again, _ := s.ClaimDeliveries(ctx, "r2", time.Minute, 10)
		if len(again) != 1 || again[0].Attempts != 1 {
			t.Fatalf("claimed %+v once the retry was due, want one with 1 attempt made", again)
		}
		for i := range MaxAttemptsKept + 5 {
			a.Attempt, a.Outcome = i+2, AttemptRetrying
			checkErr(t, "attempt", s.FinishAttempt(ctx, "r2", a, now), nil)
			if _, err := s.ClaimDeliveries(ctx, "r2", time.Minute, 10); err != nil {
				t.Fatal(err)
			}
		}
		a.Attempt, a.Outcome, a.StatusCode, a.Error, a.AttemptedAt = a.Attempt+1, AttemptDelivered, 204, "", now.Add(time.Second)
		checkErr(t, "delivered", s.FinishAttempt(ctx, "r2", a, now), nil)
		if done, _ := s.ClaimDeliveries(ctx, "r2", time.Minute, 10); len(done) != 0 {
			t.Fatalf("claimed %d delivered deliveries, want 0", len(done))
		}
		log, err := s.ListAttempts(ctx, sub.ID)
		if err != nil || len(log) != MaxAttemptsKept {
			t.Fatalf("log has %d attempts, %v; want %d", len(log), err, MaxAttemptsKept)
		}
		if log[0].Outcome != AttemptDelivered || log[0].StatusCode != 204 || !log[0].AttemptedAt.Equal(dbTime(now.Add(time.Second))) {
			t.Fatalf("newest attempt %+v, want the delivered one", log[0])
		}
	})
}

// TestPruneNotifications keeps live jobs' events and pending deliveries,
// and drops old finished deliveries and the events of long-deleted jobs.
func TestPruneNotifications(t *testing.T) {
	openEach(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		now := testTime
		fixedClock(s, &now)
		ws := mustWorkspace(t, s, "team")
		sub := mustSubscription(t, s, ws.ID, "promoted", "deleted")
		live, err := s.CreateJob(ctx, Job{WorkspaceID: ws.ID, Name: "live", ClusterID: 1, ClusterName: "c", Namespace: "ns",
			Deployment: "a", Service: "a", State: JobActive, CreatedBy: "alice"})
		if err != nil {
			t.Fatal(err)
		}
		gone, err := s.CreateJob(ctx, Job{WorkspaceID: ws.ID, Name: "gone", ClusterID: 1, ClusterName: "c", Namespace: "ns",
			Deployment: "b", Service: "b", State: JobActive, CreatedBy: "alice"})
		if err != nil {
			t.Fatal(err)
		}
		checkErr(t, "delete job", s.SetJobState(ctx, gone.ID, gone.State, JobDeleted, true), nil)
		for _, ev := range []NotificationEvent{
			{Key: "job/live/promoted", JobID: live.ID, Kind: "promoted"},
			{Key: "job/live/promoted/3", JobID: live.ID, Kind: "promoted"},
			{Key: "job/gone/deleted", JobID: gone.ID, Kind: "deleted"},
		} {
			ev.WorkspaceID, ev.Payload = ws.ID, "{}"
			if _, err := s.RecordEvent(ctx, ev); err != nil {
				t.Fatal(err)
			}
		}
		ds, _ := s.ClaimDeliveries(ctx, "r", time.Minute, 1)
		checkErr(t, "finish", s.FinishAttempt(ctx, "r", Attempt{SubscriptionID: sub.ID, DeliveryID: ds[0].ID, EventKind: "promoted",
			Attempt: 1, StatusCode: 200, Outcome: AttemptDelivered, AttemptedAt: now}, now), nil)
		now = now.Add(48 * time.Hour)
		checkErr(t, "prune", s.PruneNotifications(ctx, now.Add(-24*time.Hour), now.Add(-24*time.Hour)), nil)
		if n, _ := s.CountEvents(ctx, ws.ID, ""); n != 2 {
			t.Errorf("%d events left, want the live job's 2", n)
		}
		pending, _ := s.ClaimDeliveries(ctx, "r", time.Minute, 10)
		if len(pending) != 1 || pending[0].Event.Key != "job/live/promoted/3" {
			t.Errorf("pending after prune %+v, want only the live job's undelivered one", pending)
		}
		if log, _ := s.ListAttempts(ctx, sub.ID); len(log) != 0 {
			t.Errorf("log after prune has %d attempts, want none (their delivery is gone)", len(log))
		}
	})
}

// BenchmarkOutbox measures one event's way through the outbox: recorded
// with its delivery queued, claimed, and its attempt recorded, on each
// dialect.
//
//	go test -run '^$' -bench Outbox -benchtime 200x ./internal/store
func BenchmarkOutbox(b *testing.B) {
	for _, db := range []struct {
		name string
		opts func(b *testing.B) Options
	}{
		{"sqlite", func(b *testing.B) Options { return Options{DataDir: b.TempDir()} }},
		{"postgres", func(b *testing.B) Options { return Options{DatabaseURL: testenv.PostgresDatabase(b)} }},
	} {
		b.Run(db.name, func(b *testing.B) {
			ctx := b.Context()
			s, err := Open(ctx, db.opts(b), nil)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			ws, err := s.CreateWorkspace(ctx, Workspace{Name: "team"})
			if err != nil {
				b.Fatal(err)
			}
			sub, err := s.CreateSubscription(ctx, Subscription{WorkspaceID: ws.ID, URL: "http://x", Events: []string{"promoted"},
				Format: FormatJSON, SealedSecret: []byte("x")}, 1)
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; b.Loop(); i++ {
				key := fmt.Sprintf("job/1/promoted/%d/abc", i)
				if _, err := s.RecordEvent(ctx, NotificationEvent{Key: key, WorkspaceID: ws.ID, JobID: 1, Kind: "promoted", Payload: "{}"}); err != nil {
					b.Fatal(err)
				}
				ds, err := s.ClaimDeliveries(ctx, "r1", time.Minute, 10)
				if err != nil || len(ds) != 1 {
					b.Fatalf("claimed %d, %v", len(ds), err)
				}
				a := Attempt{SubscriptionID: sub.ID, DeliveryID: ds[0].ID, EventKind: "promoted", JobName: "app", Attempt: 1,
					StatusCode: 204, Outcome: AttemptDelivered, AttemptedAt: time.Now()}
				if err := s.FinishAttempt(ctx, "r1", a, time.Now()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestTestEventsAndEdits: a test event is queued to its one subscription
// only (not to another of the workspace, nor across workspaces), counts as
// pending, and is pruned with its delivery; an edit changes only the fields
// it sets.
func TestTestEventsAndEdits(t *testing.T) {
	openEach(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		now := testTime
		fixedClock(s, &now)
		ws, other := mustWorkspace(t, s, "team"), mustWorkspace(t, s, "other")
		sub := mustSubscription(t, s, ws.ID, "promoted")
		mustSubscription(t, s, ws.ID, "promoted", "test")
		ev := NotificationEvent{Key: "test/1/abc", WorkspaceID: other.ID, Kind: EventTest, Payload: "{}"}
		_, err := s.RecordTestEvent(ctx, ev, sub.ID)
		checkErr(t, "test event to another workspace's subscription", err, ErrNotFound)
		if n, _ := s.CountEvents(ctx, other.ID, ""); n != 0 {
			t.Fatalf("%d events recorded for the refused test, want none", n)
		}
		ev.WorkspaceID = ws.ID
		id, err := s.RecordTestEvent(ctx, ev, sub.ID)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := s.CountPendingDeliveries(ctx); err != nil || n != 1 {
			t.Fatalf("pending = %d, %v; want 1", n, err)
		}
		ds, _ := s.ClaimDeliveries(ctx, "r", time.Minute, 10)
		if len(ds) != 1 || ds[0].ID != id || ds[0].Subscription.ID != sub.ID || ds[0].Event.Kind != EventTest {
			t.Fatalf("claimed %+v, want only the test delivery %d to subscription %d", ds, id, sub.ID)
		}
		checkErr(t, "finish", s.FinishAttempt(ctx, "r", Attempt{SubscriptionID: sub.ID, DeliveryID: id, EventKind: EventTest,
			Attempt: 1, StatusCode: 204, Outcome: AttemptDelivered, AttemptedAt: now}, now), nil)
		if n, _ := s.CountPendingDeliveries(ctx); n != 0 {
			t.Errorf("pending after delivery = %d, want 0", n)
		}
		now = now.Add(48 * time.Hour)
		checkErr(t, "prune", s.PruneNotifications(ctx, now.Add(-24*time.Hour), now.Add(-24*time.Hour)), nil)
		if n, _ := s.CountEvents(ctx, ws.ID, EventTest); n != 0 {
			t.Errorf("%d test events left after prune, want 0", n)
		}

		slack := FormatSlack
		got, err := s.UpdateSubscription(ctx, ws.ID, sub.ID, SubscriptionChange{Format: &slack})
		if err != nil || got.Format != FormatSlack || got.URL != sub.URL || fmt.Sprint(got.Events) != "[promoted]" || string(got.SealedSecret) != "sealed" {
			t.Fatalf("update format = %+v, %v; want slack and the rest kept", got, err)
		}
		url := "https://hooks.example.com/new"
		got, err = s.UpdateSubscription(ctx, ws.ID, sub.ID, SubscriptionChange{URL: &url, Events: []string{"promoted", "deleted"}, SealedSecret: []byte("new")})
		if err != nil || got.URL != url || fmt.Sprint(got.Events) != "[promoted deleted]" || got.Format != FormatSlack || string(got.SealedSecret) != "new" {
			t.Fatalf("update url, events, secret = %+v, %v", got, err)
		}
		_, err = s.UpdateSubscription(ctx, other.ID, sub.ID, SubscriptionChange{Format: &slack})
		checkErr(t, "update from another workspace", err, ErrNotFound)
		_, err = s.UpdateSubscription(ctx, ws.ID, sub.ID, SubscriptionChange{SealedSecret: []byte{}})
		checkErr(t, "empty sealed secret", err, ErrInvalid)
		all, err := s.ListAllSubscriptions(ctx)
		if err != nil || len(all) != 2 || all[0].ID != sub.ID {
			t.Errorf("all subscriptions = %+v, %v; want 2, oldest first", all, err)
		}
	})
}
