package notifications_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/cluster"
	"github.com/switchyard/switchyard/internal/notifications"
	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/testenv"
)

// TestDispatcherTakesOver runs the sending half of two dispatchers on one
// real store (SQLite, and PostgreSQL): the first claims a delivery and dies
// before answering; once its lease ends the second delivers it, signed,
// with the same X-Switchyard-Delivery. A receiver that fails twice gets the
// third try, and the log says so.
func TestDispatcherTakesOver(t *testing.T) {
	for name, opts := range map[string]func(t *testing.T) store.Options{
		"sqlite":   func(t *testing.T) store.Options { return store.Options{DataDir: t.TempDir()} },
		"postgres": func(t *testing.T) store.Options { return store.Options{DatabaseURL: testenv.PostgresDatabase(t)} },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			st, err := store.Open(ctx, opts(t), nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			keys, err := cluster.NewKeyring(bytes.Repeat([]byte{3}, 32))
			if err != nil {
				t.Fatal(err)
			}
			ws, err := st.CreateWorkspace(ctx, store.Workspace{Name: "team"})
			if err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			var tries []string // X-Switchyard-Delivery of each try
			var secret []byte
			recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				mu.Lock()
				defer mu.Unlock()
				if !notifications.Verify(secret, r.Header.Get(notifications.HeaderTimestamp), body, r.Header.Get(notifications.HeaderSignature)) {
					t.Errorf("bad signature on %s", body)
				}
				tries = append(tries, r.Header.Get(notifications.HeaderDelivery))
				if len(tries) <= 2 {
					w.WriteHeader(http.StatusServiceUnavailable)
					return
				}
				w.WriteHeader(http.StatusOK)
			}))
			t.Cleanup(recv.Close)
			subs := &notifications.Subscriptions{Store: st, Keyring: keys}
			sub, sec, err := subs.Create(ctx, ws.ID, "alice", notifications.Request{URL: recv.URL + "/hook", Events: []string{"promoted"}})
			if err != nil {
				t.Fatal(err)
			}
			secret = []byte(sec)
			payload, _ := json.Marshal(notifications.Event{Key: "job/1/promoted/2/abc", Kind: notifications.KindPromoted, Job: "app"})
			if _, err := st.RecordEvent(ctx, store.NotificationEvent{Key: "job/1/promoted/2/abc", WorkspaceID: ws.ID, JobID: 1,
				Kind: "promoted", Payload: string(payload)}); err != nil {
				t.Fatal(err)
			}
			// Replica a claims the delivery and dies holding it.
			if claimed, err := st.ClaimDeliveries(ctx, "a", 300*time.Millisecond, 10); err != nil || len(claimed) != 1 {
				t.Fatalf("a claimed %d, %v; want 1", len(claimed), err)
			}
			b := &notifications.Dispatcher{Store: st, Keyring: keys, Owner: "b", RetryBase: 50 * time.Millisecond, Lease: time.Minute}
			if n := b.SendDue(ctx); n != 0 {
				t.Fatalf("b sent %d while a's lease lasts, want 0", n)
			}
			testenv.Eventually(ctx, t, "the third try", func() bool {
				b.SendDue(ctx)
				mu.Lock()
				defer mu.Unlock()
				return len(tries) >= 3
			})
			time.Sleep(200 * time.Millisecond)
			b.SendDue(ctx)
			mu.Lock()
			defer mu.Unlock()
			if len(tries) != 3 || tries[0] != tries[1] || tries[1] != tries[2] {
				t.Fatalf("tries %v, want three with one delivery ID", tries)
			}
			log, err := st.ListAttempts(ctx, sub.ID)
			if err != nil || len(log) != 3 {
				t.Fatalf("log %+v, %v; want 3 attempts", log, err)
			}
			if log[0].Outcome != store.AttemptDelivered || log[1].StatusCode != 503 || log[2].Outcome != store.AttemptRetrying || log[0].JobName != "app" {
				t.Errorf("log %+v, want delivered after two 503s", log)
			}
		})
	}
}
