package store

import (
	"testing"
)

func TestWorkspaces(t *testing.T) {
	openEach(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		now := testTime
		fixedClock(s, &now)
		w, err := s.CreateWorkspace(ctx, Workspace{Name: "shop", Description: "the shop team"})
		checkErr(t, "CreateWorkspace", err, nil)
		want := Workspace{ID: w.ID, Name: "shop", Description: "the shop team", CreatedAt: wantTime}
		if w != want || w.ID == 0 {
			t.Fatalf("CreateWorkspace = %+v, want %+v with a non-zero ID", w, want)
		}
		if got, err := s.GetWorkspace(ctx, w.ID); err != nil || got != want {
			t.Errorf("GetWorkspace = %+v, %v; want %+v", got, err, want)
		}
		if got, err := s.GetWorkspaceByName(ctx, "shop"); err != nil || got != want {
			t.Errorf("GetWorkspaceByName = %+v, %v; want %+v", got, err, want)
		}
		mustWorkspace(t, s, "analytics")
		mustWorkspace(t, s, "zoo")
		list, err := s.ListWorkspaces(ctx)
		checkErr(t, "ListWorkspaces", err, nil)
		if got := names(list, wsName); got != "[analytics shop zoo]" {
			t.Errorf("ListWorkspaces = %s, want [analytics shop zoo]", got)
		}
	})
}

func wsName(w Workspace) string { return w.Name }

func TestListWorkspacesForUser(t *testing.T) {
	openEach(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		alice, bob, carol := mustUser(t, s, "alice"), mustUser(t, s, "bob"), mustUser(t, s, "carol")
		shop, zoo, lab := mustWorkspace(t, s, "shop"), mustWorkspace(t, s, "zoo"), mustWorkspace(t, s, "lab")
		for _, m := range []Member{
			{WorkspaceID: zoo.ID, UserID: alice.ID, Role: RoleViewer},
			{WorkspaceID: shop.ID, UserID: alice.ID, Role: RoleAdmin},
			{WorkspaceID: lab.ID, UserID: bob.ID, Role: RoleEditor},
		} {
			if _, err := s.PutMember(ctx, m); err != nil {
				t.Fatalf("PutMember(%+v): %v", m, err)
			}
		}
		tests := []struct {
			user User
			want string
		}{
			{alice, "[shop zoo]"},
			{bob, "[lab]"},
			{carol, "[]"},
		}
		for _, tt := range tests {
			list, err := s.ListWorkspacesForUser(ctx, tt.user.ID)
			if got := names(list, wsName); err != nil || got != tt.want {
				t.Errorf("ListWorkspacesForUser(%s) = %s, %v; want %s", tt.user.Username, got, err, tt.want)
			}
		}
	})
}

// TestDeleteWorkspace checks what goes with a workspace (members, bindings)
// and what stays (users, clusters, audit events).
func TestDeleteWorkspace(t *testing.T) {
	openEach(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		alice, prod := mustUser(t, s, "alice"), mustCluster(t, s, "prod")
		shop, other := mustWorkspace(t, s, "shop"), mustWorkspace(t, s, "other")
		for _, w := range []Workspace{shop, other} {
			if _, err := s.PutMember(ctx, Member{WorkspaceID: w.ID, UserID: alice.ID, Role: RoleAdmin}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.CreateBinding(ctx, Binding{WorkspaceID: w.ID, ClusterID: prod.ID, Namespace: "ns"}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.AppendAudit(ctx, AuditEvent{Actor: "alice", WorkspaceID: &shop.ID, Action: "a", Outcome: OutcomeSuccess}); err != nil {
			t.Fatal(err)
		}

		checkErr(t, "DeleteWorkspace", s.DeleteWorkspace(ctx, shop.ID), nil)
		checkErr(t, "DeleteWorkspace twice", s.DeleteWorkspace(ctx, shop.ID), ErrNotFound)
		_, err := s.GetWorkspace(ctx, shop.ID)
		checkErr(t, "GetWorkspace after delete", err, ErrNotFound)
		_, err = s.GetMember(ctx, shop.ID, alice.ID)
		checkErr(t, "GetMember of deleted workspace", err, ErrNotFound)
		checkCount(t, "bindings of deleted workspace", countRows(t, s, "bindings WHERE workspace_id = ?", shop.ID), 0)
		checkCount(t, "members of the other workspace", countRows(t, s, "members WHERE workspace_id = ?", other.ID), 1)
		checkCount(t, "bindings of the other workspace", countRows(t, s, "bindings WHERE workspace_id = ?", other.ID), 1)
		checkCount(t, "audit events of deleted workspace", countRows(t, s, "audit_events WHERE workspace_id = ?", shop.ID), 1)
		_, err = s.GetUser(ctx, alice.ID)
		checkErr(t, "GetUser after workspace delete", err, nil)
		_, err = s.GetCluster(ctx, prod.ID)
		checkErr(t, "GetCluster after workspace delete", err, nil)
	})
}

// countRows counts the rows of "table WHERE …".
func countRows(t *testing.T, s *Store, from string, args ...any) int {
	t.Helper()
	var n int
	if err := s.queryRow(t.Context(), "SELECT COUNT(*) FROM "+from, args...).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", from, err)
	}
	return n
}

func checkCount(t *testing.T, what string, got, want int) {
	t.Helper()
	if got != want {
		t.Errorf("%s: got %d rows, want %d", what, got, want)
	}
}
