package api_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/client"
)

// TestNotificationInput checks that a subscription with bad input is refused
// with 422 naming the field and that nothing is created; and that a good one
// answers with its secret once, and is listed and audited without it.
func TestNotificationInput(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		ws := e.workspace(nil)
		for _, tc := range []struct {
			name  string
			req   client.NewNotification
			field string
		}{
			{"ftp URL", client.NewNotification{URL: "ftp://example.com/hook"}, "url"},
			{"no scheme", client.NewNotification{URL: "hooks.example.com/x"}, "url"},
			{"file URL", client.NewNotification{URL: "file:///etc/passwd"}, "url"},
			{"huge URL", client.NewNotification{URL: "https://example.com/" + strings.Repeat("x", 5000)}, "url"},
			{"unknown event", client.NewNotification{URL: "https://example.com/", Events: []string{"promoted", "boom"}}, "events"},
			{"format", client.NewNotification{URL: "https://example.com/", Format: "xml"}, "format"},
			{"short secret", client.NewNotification{URL: "https://example.com/", Secret: "abc"}, "secret"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := e.admin.CreateNotification(ctx, ws, tc.req)
				ce := wantStatus(t, tc.name, err, 422)
				if ce != nil && ce.Field != tc.field {
					t.Errorf("field %q, want %q (%v)", ce.Field, tc.field, err)
				}
			})
		}
		if got, err := e.admin.Notifications(ctx, ws); err != nil || len(got) != 0 {
			t.Fatalf("after refused creations: %d notifications, %v; want none", len(got), err)
		}
		n, err := e.admin.CreateNotification(ctx, ws, client.NewNotification{URL: "https://hooks.example.com/services/T0/B0/tok3n",
			Events: []string{"deleted", "promoted"}, Format: "slack"})
		if err != nil || len(n.Secret) != 64 || !slices.Equal(n.Events, []string{"promoted", "deleted"}) || n.Format != "slack" {
			t.Fatalf("create = %+v, %v; want a 64-hex secret, events [promoted deleted], format slack", n, err)
		}
		got, err := e.admin.Notification(ctx, ws, n.ID)
		if err != nil || got.Secret != "" || got.URL != n.URL {
			t.Fatalf("get = %+v, %v; want it without its secret", got, err)
		}
		events, err := e.admin.WorkspaceAudit(ctx, ws, client.AuditQuery{Action: "notification."})
		if err != nil || len(events) != 8 {
			t.Fatalf("audit = %d events, %v; want 8 (7 refused, 1 made)", len(events), err)
		}
		for _, ev := range events {
			if strings.Contains(ev.Detail, "tok3n") || strings.Contains(ev.Detail, n.Secret) {
				t.Errorf("audit detail %q holds the URL's token or the secret", ev.Detail)
			}
		}
		if err := e.admin.DeleteNotification(ctx, ws, n.ID); err != nil {
			t.Fatal(err)
		}
		_, err = e.admin.Notification(ctx, ws, n.ID)
		wantStatus(t, "get after delete", err, 404)
	})
}
