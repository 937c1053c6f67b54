package api_test

import (
	"net/http"
	"testing"

	"github.com/switchyard/switchyard/client"
)

// TestNULRefused: a NUL character in a body field, a query parameter or a
// path is bad input (422 or 400 naming it) on both stores; PostgreSQL
// can't store one, so without the check it surfaced as a 500.
func TestNULRefused(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		_, err := e.client().Login(ctx, "ad\x00min", "whatever-password")
		if ce := wantStatus(t, "login with a NUL in the user name", err, http.StatusUnprocessableEntity); ce != nil && ce.Field != "username" {
			t.Errorf("login with a NUL: field %q, want username", ce.Field)
		}
		_, err = e.admin.CreateWorkspace(ctx, client.NewWorkspace{Name: "shop", Description: "the\x00shop"})
		if ce := wantStatus(t, "workspace with a NUL in its description", err, http.StatusUnprocessableEntity); ce != nil && ce.Field != "description" {
			t.Errorf("workspace with a NUL: field %q, want description", ce.Field)
		}
		_, err = e.admin.Audit(ctx, client.AuditQuery{Actor: "ad\x00min"})
		if ce := wantStatus(t, "audit filtered by an actor with a NUL", err, http.StatusBadRequest); ce != nil && ce.Field != "actor" {
			t.Errorf("audit with a NUL: field %q, want actor", ce.Field)
		}
		_, err = e.admin.Workspace(ctx, "sh\x00op")
		wantStatus(t, "workspace name with a NUL in the path", err, http.StatusBadRequest)
	})
}
