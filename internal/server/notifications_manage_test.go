package server_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
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
	notifyServerURL(t, func(t *testing.T, ctx context.Context, admin *client.Client, _ string) { f(t, ctx, admin) })
}

// notifyServerURL is notifyServer that gives f the server's URL too.
func notifyServerURL(t *testing.T, f func(t *testing.T, ctx context.Context, admin *client.Client, url string)) {
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
			f(t, ctx, admin, url)
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

// TestNotificationUpdate edits a subscription and rotates its secret: the
// fields given change and the others stay, bad input is a 422 naming the
// field with nothing changed, the test event goes to the new URL signed
// with the new secret, and each change is in the audit log.
func TestNotificationUpdate(t *testing.T) {
	notifyServer(t, func(t *testing.T, ctx context.Context, admin *client.Client) {
		first, second := newReceiver(t, 0), newReceiver(t, 0)
		n, err := admin.CreateNotification(ctx, "team", client.NewNotification{URL: first.srv.URL + "/hook", Events: []string{"promoted"}})
		if err != nil {
			t.Fatal(err)
		}
		str := func(s string) *string { return &s }
		events := func(e ...string) *[]string { return &e }

		u, err := admin.UpdateNotification(ctx, "team", n.ID, client.NotificationChange{Events: events("deleted", "promoted", "deleted"), Format: str("slack")})
		if err != nil || u.URL != n.URL || !slices.Equal(u.Events, []string{"promoted", "deleted"}) || u.Format != "slack" || u.Secret != "" {
			t.Fatalf("update: %+v, %v; want events promoted,deleted, format slack, the URL kept, no secret", u, err)
		}
		if ev := lastAudit(ctx, t, admin, "notification.update"); ev.Outcome != client.OutcomeSuccess || !strings.Contains(ev.Detail, "format slack") {
			t.Errorf("audit %+v, want a success saying format slack", ev)
		}
		for _, tc := range []struct {
			ch    client.NotificationChange
			field string
		}{
			{client.NotificationChange{URL: str("ftp://hooks.example.com/x")}, "url"},
			{client.NotificationChange{URL: str("https://user:pw@hooks.example.com/x"), Format: str("json")}, "url"},
			{client.NotificationChange{Events: events("promoted", "nope"), Format: str("json")}, "events"},
			{client.NotificationChange{Format: str("xml"), URL: str(second.srv.URL)}, "format"},
			{client.NotificationChange{}, "url"},
		} {
			_, err := admin.UpdateNotification(ctx, "team", n.ID, tc.ch)
			var ce *client.Error
			if !errors.As(err, &ce) || ce.Status != http.StatusUnprocessableEntity || ce.Field != tc.field {
				t.Errorf("update %+v: %v, want 422 on %s", tc.ch, err, tc.field)
			}
		}
		got, err := admin.Notification(ctx, "team", n.ID)
		if err != nil || got.URL != n.URL || got.Format != "slack" || !slices.Equal(got.Events, []string{"promoted", "deleted"}) {
			t.Fatalf("after bad edits: %+v, %v; want nothing changed", got, err)
		}
		if ev := lastAudit(ctx, t, admin, "notification.update"); ev.Outcome != client.OutcomeFailure {
			t.Errorf("audit %+v, want the refused edit as a failure", ev)
		}
		var ce *client.Error
		if _, err := admin.UpdateNotification(ctx, "team", 999, client.NotificationChange{Format: str("json")}); !errors.As(err, &ce) || ce.Status != http.StatusNotFound {
			t.Errorf("update of notification 999: %v, want 404", err)
		}

		// A new URL and a new secret: the test goes there, signed with it.
		if _, err := admin.UpdateNotification(ctx, "team", n.ID, client.NotificationChange{URL: str(second.srv.URL + "/new"), Format: str("json")}); err != nil {
			t.Fatal(err)
		}
		r, err := admin.RotateNotificationSecret(ctx, "team", n.ID)
		if err != nil || len(r.Secret) != 64 || r.Secret == n.Secret || r.URL != second.srv.URL+"/new" {
			t.Fatalf("rotate: %+v, %v; want a new 64-digit secret", r, err)
		}
		if ev := lastAudit(ctx, t, admin, "notification.rotate-secret"); ev.Outcome != client.OutcomeSuccess || ev.Target != "notification "+itoa(n.ID) {
			t.Errorf("audit %+v, want a success on the notification", ev)
		}
		if again, err := admin.Notification(ctx, "team", n.ID); err != nil || again.Secret != "" {
			t.Errorf("get after rotate: %+v, %v; want no secret shown", again, err)
		}
		second.mu.Lock()
		second.secret = []byte(r.Secret)
		second.mu.Unlock()
		if a, err := admin.TestNotification(ctx, "team", n.ID); err != nil || a.Outcome != "delivered" {
			t.Fatalf("test after rotate: %+v, %v; want delivered with the new secret", a, err)
		}
		first.mu.Lock()
		defer first.mu.Unlock()
		if len(first.got) != 0 {
			t.Errorf("the old URL got %d deliveries, want none", len(first.got))
		}
		if _, err := admin.RotateNotificationSecret(ctx, "team", 999); !errors.As(err, &ce) || ce.Status != http.StatusNotFound {
			t.Errorf("rotate of notification 999: %v, want 404", err)
		}
	})
}

// TestNotificationMetrics reads the delivery metrics on /metrics: a
// delivery in flight is pending; once answered it counts as delivered; a
// receiver that always fails counts five retrying attempts and one failed
// (six tries), and nothing stays pending.
func TestNotificationMetrics(t *testing.T) {
	notifyServerURL(t, func(t *testing.T, ctx context.Context, admin *client.Client, url string) {
		arrived, release := make(chan struct{}, 1), make(chan struct{})
		slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			arrived <- struct{}{}
			<-release
			w.WriteHeader(http.StatusNoContent)
		}))
		t.Cleanup(slow.Close)
		failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		}))
		t.Cleanup(failing.Close)
		ns, err := admin.CreateNotification(ctx, "team", client.NewNotification{URL: slow.URL})
		if err != nil {
			t.Fatal(err)
		}
		nf, err := admin.CreateNotification(ctx, "team", client.NewNotification{URL: failing.URL})
		if err != nil {
			t.Fatal(err)
		}
		const total = "switchyard_notification_deliveries_total"
		result := func(r string) string { return total + `{result="` + r + `"}` }
		if m := scrapeMetrics(t, url); m[result("delivered")] != 0 || m[result("failed")] != 0 || m["switchyard_notification_deliveries_pending"] != 0 {
			t.Fatalf("metrics before any delivery: %v, want zeros", m)
		}

		done := make(chan *client.NotificationAttempt, 1)
		go func() {
			a, err := admin.TestNotification(ctx, "team", ns.ID)
			if err != nil {
				t.Error(err)
			}
			done <- a
		}()
		<-arrived
		if m := scrapeMetrics(t, url); m["switchyard_notification_deliveries_pending"] != 1 || m[result("delivered")] != 0 {
			t.Errorf("metrics with a delivery in flight: %v, want 1 pending, none delivered", m)
		}
		close(release)
		if a := <-done; a == nil || a.Outcome != "delivered" {
			t.Fatalf("test: %+v, want delivered", a)
		}
		if m := scrapeMetrics(t, url); m[result("delivered")] != 1 || m["switchyard_notification_deliveries_pending"] != 0 {
			t.Errorf("metrics after the delivery: %v, want 1 delivered, 0 pending", m)
		}

		if _, err := admin.TestNotification(ctx, "team", nf.ID); err != nil {
			t.Fatal(err)
		}
		var m map[string]float64
		testenv.Eventually(ctx, t, "the failing delivery given up", func() bool {
			m = scrapeMetrics(t, url)
			return m[result("failed")] == 1
		}, func() string { return fmt.Sprint(m) })
		if m[result("retrying")] != 5 || m[result("delivered")] != 1 || m["switchyard_notification_deliveries_pending"] != 0 {
			t.Errorf("metrics after giving up: %v, want 5 retrying, 1 delivered, 0 pending", m)
		}
	})
}

// scrapeMetrics returns the switchyard_notification_ samples of /metrics by
// name and labels, as written.
func scrapeMetrics(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	out := map[string]float64{}
	for line := range strings.Lines(string(body)) {
		name, value, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok || !strings.HasPrefix(name, "switchyard_notification_") {
			continue
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		out[name] = v
	}
	return out
}

// syncBuffer is a log destination the server's goroutines may share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serveUntil runs a full server with logger until stop is called (or the test ends).
func serveUntil(t *testing.T, opts server.Options, logger *slog.Logger) (url string, stop func()) {
	t.Helper()
	s, err := server.New(t.Context(), opts, logger)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	server.SetNotificationTimings(s, 200*time.Millisecond, 100*time.Millisecond, 2*time.Second)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := s.Serve(ctx, ln, logger); err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			<-done
			s.Close()
		})
	}
	t.Cleanup(stop)
	url = "http://" + ln.Addr().String()
	testenv.WaitReady(t, url)
	return url, stop
}

// TestNotificationSecretWrongKey restarts a server with another secret key:
// at start it logs, once, an error naming the subscription whose secret no
// longer opens (and how to fix it); a subscription made with the new key is
// not named; rotate-secret then makes the webhook work again.
func TestNotificationSecretWrongKey(t *testing.T) {
	for name, db := range map[string]func(t *testing.T) string{
		"sqlite":   func(*testing.T) string { return "" },
		"postgres": func(t *testing.T) string { return testenv.PostgresDatabase(t) },
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			opts := server.Options{DataDir: t.TempDir(), DatabaseURL: db(t), BcryptCost: bcrypt.MinCost, AdminPassword: "admin-password",
				SecretKey: base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))}
			login := func(url string) *client.Client {
				c := newClient(t, url)
				if _, err := c.Login(ctx, "admin", "admin-password"); err != nil {
					t.Fatal(err)
				}
				return c
			}
			url, stop := serveUntil(t, opts, slog.New(slog.DiscardHandler))
			admin := login(url)
			mustDo(t, func() error { _, err := admin.CreateWorkspace(ctx, client.NewWorkspace{Name: "team"}); return err })
			recv := newReceiver(t, 0)
			old, err := admin.CreateNotification(ctx, "team", client.NewNotification{URL: recv.srv.URL + "/old"})
			if err != nil {
				t.Fatal(err)
			}
			stop()

			opts.SecretKey = base64.StdEncoding.EncodeToString([]byte("another key, 32 bytes long......"))
			var logs syncBuffer
			url, stop = serveUntil(t, opts, slog.New(slog.NewTextHandler(&logs, nil)))
			admin = login(url)
			fresh, err := admin.CreateNotification(ctx, "team", client.NewNotification{URL: recv.srv.URL + "/fresh"})
			if err != nil {
				t.Fatal(err)
			}
			var wrong []string
			for line := range strings.Lines(logs.String()) {
				if strings.Contains(line, "does not open") {
					wrong = append(wrong, line)
				}
			}
			want := fmt.Sprintf("notification %d of workspace team", old.ID)
			if len(wrong) != 1 || !strings.Contains(wrong[0], "level=ERROR") || !strings.Contains(wrong[0], want) ||
				!strings.Contains(wrong[0], fmt.Sprintf("rotate-secret %d -w team", old.ID)) || strings.Contains(wrong[0], "/old") {
				t.Fatalf("start logged %q, want one error naming %s and rotate-secret, not the URL", wrong, want)
			}
			stop()

			// A third start with the same key logs the same once more; the fresh subscription is never named.
			logs = syncBuffer{}
			url, _ = serveUntil(t, opts, slog.New(slog.NewTextHandler(&logs, nil)))
			if n := strings.Count(logs.String(), "does not open"); n != 1 || strings.Contains(logs.String(), fmt.Sprintf("notification %d ", fresh.ID)) {
				t.Errorf("restart logged %d such errors, want 1 (not notification %d):\n%s", n, fresh.ID, logs.String())
			}
			admin = login(url)
			r, err := admin.RotateNotificationSecret(ctx, "team", old.ID)
			if err != nil {
				t.Fatal(err)
			}
			recv.mu.Lock()
			recv.secret = []byte(r.Secret)
			recv.mu.Unlock()
			if a, err := admin.TestNotification(ctx, "team", old.ID); err != nil || a.Outcome != "delivered" {
				t.Fatalf("test after rotate-secret: %+v, %v; want delivered", a, err)
			}
		})
	}
}
