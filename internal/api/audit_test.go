package api_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/client"
)

// TestAuditFilters filters both audit logs by actor, action prefix, outcome
// and target: each answer must be exactly the events of the unfiltered log
// that match, in the same order, and neither empty nor the whole log.
func TestAuditFilters(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		u1 := e.user("u1", false)
		ws := e.workspace(map[string]string{"u1": client.RoleViewer})
		if _, err := e.client().Login(ctx, "u1", "wrong-password"); err == nil {
			t.Fatal("login with a wrong password succeeded")
		}
		_, err := u1.PutMember(ctx, ws, "u1", client.RoleAdmin)
		wantStatus(t, "viewer promotes themselves", err, 403)
		_, err = e.admin.PutMember(ctx, ws, "u1", "boss")
		wantStatus(t, "unknown role", err, 422)
		if _, err := e.admin.PutMember(ctx, ws, "u1", client.RoleEditor); err != nil {
			t.Fatal(err)
		}

		allGlobal, err := e.admin.Audit(ctx, client.AuditQuery{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		allWS, err := e.admin.WorkspaceAudit(ctx, ws, client.AuditQuery{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name  string
			query client.AuditQuery
			match func(client.AuditEvent) bool
		}{
			{"actor", client.AuditQuery{Actor: "u1"}, func(ev client.AuditEvent) bool { return ev.Actor == "u1" }},
			{"action prefix", client.AuditQuery{Action: "member."}, func(ev client.AuditEvent) bool { return strings.HasPrefix(ev.Action, "member.") }},
			{"whole action", client.AuditQuery{Action: "workspace.create"}, func(ev client.AuditEvent) bool { return ev.Action == "workspace.create" }},
			{"outcome denied", client.AuditQuery{Outcome: client.OutcomeDenied}, func(ev client.AuditEvent) bool { return ev.Outcome == client.OutcomeDenied }},
			{"outcome failure", client.AuditQuery{Outcome: client.OutcomeFailure}, func(ev client.AuditEvent) bool { return ev.Outcome == client.OutcomeFailure }},
			{"outcome success", client.AuditQuery{Outcome: client.OutcomeSuccess}, func(ev client.AuditEvent) bool { return ev.Outcome == client.OutcomeSuccess }},
			{"target", client.AuditQuery{Target: "member u1"}, func(ev client.AuditEvent) bool { return ev.Target == "member u1" }},
			{"all together", client.AuditQuery{Actor: "admin", Action: "member.", Outcome: client.OutcomeSuccess, Target: "member u1"}, func(ev client.AuditEvent) bool {
				return ev.Actor == "admin" && strings.HasPrefix(ev.Action, "member.") && ev.Outcome == client.OutcomeSuccess && ev.Target == "member u1"
			}},
		}
		for _, tt := range tests {
			got, err := e.admin.Audit(ctx, tt.query)
			checkFiltered(t, "global log, "+tt.name, allGlobal, got, err, tt.match)
			if tt.name == "outcome failure" { // a failed login belongs to no workspace; a failed member.put does
				tt.match = func(ev client.AuditEvent) bool { return ev.Outcome == client.OutcomeFailure && ev.WorkspaceID != nil }
			}
			got, err = e.admin.WorkspaceAudit(ctx, ws, tt.query)
			checkFiltered(t, "workspace log, "+tt.name, allWS, got, err, tt.match)
		}

		for _, bad := range []string{"nope", "Denied", "success,failure"} {
			_, err := e.admin.Audit(ctx, client.AuditQuery{Outcome: bad})
			if ce := wantStatus(t, "global log, outcome "+bad, err, 400); ce != nil && ce.Field != "outcome" {
				t.Errorf("global log, outcome %s: field %q, want outcome", bad, ce.Field)
			}
			_, err = e.admin.WorkspaceAudit(ctx, ws, client.AuditQuery{Outcome: bad})
			if ce := wantStatus(t, "workspace log, outcome "+bad, err, 400); ce != nil && ce.Field != "outcome" {
				t.Errorf("workspace log, outcome %s: field %q, want outcome", bad, ce.Field)
			}
		}
		// Filters do not widen what a caller may read.
		_, err = u1.WorkspaceAudit(ctx, ws, client.AuditQuery{Actor: "u1"})
		wantStatus(t, "a viewer filters the workspace log", err, 403)
		_, err = u1.Audit(ctx, client.AuditQuery{Actor: "u1"})
		wantStatus(t, "a user filters the global log", err, 403)
	})
}

// checkFiltered fails unless got is exactly the events of all that match,
// and that is some but not all of them (else the case tests nothing).
func checkFiltered(t *testing.T, what string, all, got []client.AuditEvent, err error, match func(client.AuditEvent) bool) {
	t.Helper()
	if err != nil {
		t.Errorf("%s: %v", what, err)
		return
	}
	var want []client.AuditEvent
	for _, ev := range all {
		if match(ev) {
			want = append(want, ev)
		}
	}
	if len(want) == 0 || len(want) == len(all) {
		t.Errorf("%s: %d of %d events match: the case does not test the filter", what, len(want), len(all))
	}
	if describeEvents(got) != describeEvents(want) {
		t.Errorf("%s = %s, want %s", what, describeEvents(got), describeEvents(want))
	}
}

func describeEvents(es []client.AuditEvent) string {
	out := make([]string, len(es))
	for i, ev := range es {
		out[i] = fmt.Sprintf("%d:%s/%s/%s/%s", ev.ID, ev.Action, ev.Outcome, ev.Actor, ev.Target)
	}
	return "[" + strings.Join(out, " ") + "]"
}
