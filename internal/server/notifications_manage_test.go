package server_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/switchyard/switchyard/client"
	"github.com/switchyard/switchyard/internal/server"
	"github.com/switchyard/switchyard/internal/testenv"
)

// notifyServer runs a real server with no cluster on SQLite and on
// PostgreSQL, and gives f an admin client and a workspace "team".
func notifyServer(t *testing.T, f func(t *testing.T, ctx context.Context, admin *client.Client)) {
	for name, db := range map[string]func(t *testing.T) string{
		"sqlite":   func(*testing.T) string { return "" },
		"postgres": func(t *testing.T) string { return testenv.PostgresDatabase(t) },
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			key := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
			url := replica(t, server.Options{DataDir: t.TempDir(), DatabaseURL: db(t), SecretKey: key,
				BcryptCost: bcrypt.MinCost, AdminPassword: "admin-password"})
			admin := newClient(t, url)
			if _, err := admin.Login(ctx, "admin", "admin-password"); err != nil {
				t.Fatal(err)
			}
			mustDo(t, func() error { _, err := admin.CreateWorkspace(ctx, client.NewWorkspace{Name: "team"}); return err })
			f(t, ctx, admin)
		})
	}
}

// lastAudit returns the newest audit entry of an action in workspace team.
func lastAudit(ctx context.Context, t *testing.T, c *client.Client, action string) client.AuditEvent {
	t.Helper()
	evs, err := c.WorkspaceAudit(ctx, "team", client.AuditQuery{Action: action, Limit: 1})
	if err != nil || len(evs) == 0 {
		t.Fatalf("audit %s: %v, %v; want an entry", action, evs, err)
	}
	return evs[0]
}

// TestNotificationTest sends a test event: the receiver gets it signed with
// the subscription's secret (which asks for promoted only), the answer and
// the delivery log say it was delivered, the audit log has it. A receiver
// that answers 500 makes the answer say so; an unknown id is a 404.
func TestNotificationTest(t *testing.T) {
	notifyServer(t, func(t *testing.T, ctx context.Context, admin *client.Client) {
		good := newReceiver(t, 0)
		n, err := admin.CreateNotification(ctx, "team", client.NewNotification{URL: good.srv.URL + "/hook", Events: []string{"promoted"}})
		if err != nil {
			t.Fatal(err)
		}
		good.mu.Lock()
		good.secret = []byte(n.Secret)
		good.mu.Unlock()
		a, err := admin.TestNotification(ctx, "team", n.ID)
		if err != nil || a.Outcome != "delivered" || a.StatusCode != http.StatusNoContent || a.Event != "test" {
			t.Fatalf("test: %+v, %v; want delivered, 204", a, err)
		}
		good.mu.Lock()
		got := good.got
		good.mu.Unlock()
		if len(got) != 1 || got[0].kind != "test" || got[0].event.Workspace != "team" || got[0].event.Text == "" {
			t.Fatalf("receiver got %+v, want one test event of team", got)
		}
		log, err := admin.NotificationDeliveries(ctx, "team", n.ID)
		if err != nil || len(log) != 1 || log[0].Delivery != a.Delivery || log[0].Outcome != "delivered" {
			t.Fatalf("delivery log %+v, %v; want the test", log, err)
		}
		if ev := lastAudit(ctx, t, admin, "notification.test"); ev.Outcome != client.OutcomeSuccess || ev.Target != "notification "+itoa(n.ID) {
			t.Errorf("audit %+v, want a success on the notification", ev)
		}

		bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "nope", http.StatusInternalServerError)
		}))
		t.Cleanup(bad.Close)
		nb, err := admin.CreateNotification(ctx, "team", client.NewNotification{URL: bad.URL})
		if err != nil {
			t.Fatal(err)
		}
		a, err = admin.TestNotification(ctx, "team", nb.ID)
		if err != nil || a.Outcome != "retrying" || a.StatusCode != 500 || a.Error == "" {
			t.Fatalf("test of a failing receiver: %+v, %v; want retrying after a 500", a, err)
		}

		var ce *client.Error
		if _, err := admin.TestNotification(ctx, "team", 999); !errors.As(err, &ce) || ce.Status != http.StatusNotFound {
			t.Errorf("test of notification 999: %v, want 404", err)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
