package store

import (
	"errors"
	"fmt"
	"testing"
)

const testIssuer = "https://idp.example/dex"

func TestUpsertSSOUser(t *testing.T) {
	openEach(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		mustUser(t, s, "alice") // a local user

		t.Run("local user not taken over", func(t *testing.T) {
			_, _, err := s.UpsertSSOUser(ctx, SSOIdentity{Issuer: testIssuer, Subject: "s-alice", Username: "alice"})
			var taken *UsernameTakenError
			if !errors.As(err, &taken) || !taken.Local || !errors.Is(err, ErrLocalUser) {
				t.Fatalf("UpsertSSOUser(alice) = %v, want a *UsernameTakenError for a local user", err)
			}
			local, _ := s.GetUserByName(ctx, "alice")
			if local.SSOIssuer != "" || local.PasswordHash != "hash-alice" {
				t.Fatalf("local alice changed: %+v", local)
			}
		})

		bob, before, err := s.UpsertSSOUser(ctx, SSOIdentity{Issuer: testIssuer, Subject: "s-bob", Username: "bob", Groups: []string{"dev", "ops", "dev", ""}})
		checkErr(t, "UpsertSSOUser(bob)", err, nil)
		if bob.SSOIssuer != testIssuer || bob.PasswordHash != "" || bob.PlatformAdmin || before != nil {
			t.Fatalf("new SSO user = %+v (groups before %v), want issuer %s, no password, not admin, no groups before", bob, before, testIssuer)
		}
		if got, err := s.GetSSOUser(ctx, testIssuer, "s-bob"); err != nil || got.ID != bob.ID || got.SSOSubject != "s-bob" {
			t.Fatalf("GetSSOUser = %+v, %v; want user %d", got, err, bob.ID)
		}
		if _, err := s.GetSSOUser(ctx, "https://other.example", "s-bob"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("GetSSOUser(other issuer) = %v, want not found", err)
		}
		if gs, err := s.UserGroups(ctx, bob.ID); err != nil || fmt.Sprint(gs) != "[dev ops]" {
			t.Fatalf("UserGroups = %v, %v; want [dev ops]", gs, err)
		}

		t.Run("next sign-in refreshes groups and name", func(t *testing.T) {
			again, before, err := s.UpsertSSOUser(ctx, SSOIdentity{Issuer: testIssuer, Subject: "s-bob", Username: "robert", Groups: []string{"qa"}})
			checkErr(t, "UpsertSSOUser(bob again)", err, nil)
			if again.ID != bob.ID || again.Username != "robert" || fmt.Sprint(before) != "[dev ops]" {
				t.Fatalf("second sign-in = %+v, before %v; want user %d renamed robert, before [dev ops]", again, before, bob.ID)
			}
			if gs, _ := s.UserGroups(ctx, bob.ID); fmt.Sprint(gs) != "[qa]" {
				t.Fatalf("UserGroups after refresh = %v, want [qa]", gs)
			}
		})

		t.Run("same subject at another issuer is another user", func(t *testing.T) {
			other, _, err := s.UpsertSSOUser(ctx, SSOIdentity{Issuer: "https://other.example", Subject: "s-bob", Username: "bob2"})
			checkErr(t, "UpsertSSOUser(other issuer)", err, nil)
			if other.ID == bob.ID {
				t.Fatalf("another issuer's subject reused user %d", bob.ID)
			}
			_, _, err = s.UpsertSSOUser(ctx, SSOIdentity{Issuer: "https://third.example", Subject: "x", Username: "bob2"})
			var taken *UsernameTakenError
			if !errors.As(err, &taken) || taken.Local {
				t.Fatalf("name of another provider's user = %v, want a *UsernameTakenError (not local)", err)
			}
		})

		t.Run("required fields", func(t *testing.T) {
			_, _, err := s.UpsertSSOUser(ctx, SSOIdentity{Issuer: testIssuer, Username: "x"})
			checkErr(t, "UpsertSSOUser(no subject)", err, ErrInvalid)
		})
	})
}

func TestGroupBindings(t *testing.T) {
	openEach(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		shop, zoo := mustWorkspace(t, s, "shop"), mustWorkspace(t, s, "zoo")
		u, _, err := s.UpsertSSOUser(ctx, SSOIdentity{Issuer: testIssuer, Subject: "s1", Username: "carol", Groups: []string{"dev", "ops"}})
		checkErr(t, "UpsertSSOUser", err, nil)

		for _, b := range []GroupBinding{
			{Group: "dev", WorkspaceID: &shop.ID, Role: RoleEditor},
			{Group: "ops", WorkspaceID: &shop.ID, Role: RoleViewer},
			{Group: "dev", WorkspaceID: &zoo.ID, Role: RoleViewer},
			{Group: "ops", Role: RolePlatformAdmin},
			{Group: "qa", WorkspaceID: &zoo.ID, Role: RoleAdmin},
		} {
			if _, err := s.CreateGroupBinding(ctx, b); err != nil {
				t.Fatalf("CreateGroupBinding(%+v): %v", b, err)
			}
		}
		label := func(b GroupBinding) string { return b.Group + ":" + b.WorkspaceName + ":" + b.Role }
		all, err := s.ListGroupBindings(ctx)
		if got := names(all, label); err != nil || got != "[dev:shop:editor dev:zoo:viewer ops::platform-admin ops:shop:viewer qa:zoo:admin]" {
			t.Fatalf("ListGroupBindings = %s, %v", got, err)
		}
		grants, err := s.GroupGrants(ctx, u.ID, shop.ID)
		if got := names(grants, label); err != nil || got != "[dev:shop:editor ops::platform-admin ops:shop:viewer]" {
			t.Fatalf("GroupGrants(shop) = %s, %v", got, err)
		}
		wss, err := s.ListWorkspacesForUser(ctx, u.ID)
		if got := names(wss, wsName); err != nil || got != "[shop zoo]" {
			t.Fatalf("ListWorkspacesForUser = %s, %v; want [shop zoo] (through groups)", got, err)
		}

		missing := int64(999999)
		tests := []struct {
			name string
			b    GroupBinding
			want error
		}{
			{"duplicate", GroupBinding{Group: "dev", WorkspaceID: &shop.ID, Role: RoleAdmin}, ErrConflict},
			{"duplicate platform admin", GroupBinding{Group: "ops", Role: RolePlatformAdmin}, ErrConflict},
			{"missing workspace", GroupBinding{Group: "dev", WorkspaceID: &missing, Role: RoleViewer}, ErrNotFound},
			{"no group", GroupBinding{WorkspaceID: &shop.ID, Role: RoleViewer}, ErrInvalid},
			{"bad role", GroupBinding{Group: "x", WorkspaceID: &shop.ID, Role: "owner"}, ErrInvalid},
			{"workspace role without workspace", GroupBinding{Group: "x", Role: RoleEditor}, ErrInvalid},
			{"platform admin with workspace", GroupBinding{Group: "x", WorkspaceID: &shop.ID, Role: RolePlatformAdmin}, ErrInvalid},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := s.CreateGroupBinding(ctx, tt.b)
				checkErr(t, "CreateGroupBinding", err, tt.want)
			})
		}

		checkErr(t, "DeleteGroupBinding", s.DeleteGroupBinding(ctx, all[0].ID), nil)
		checkErr(t, "DeleteGroupBinding again", s.DeleteGroupBinding(ctx, all[0].ID), ErrNotFound)
		checkErr(t, "DeleteWorkspace", s.DeleteWorkspace(ctx, zoo.ID), nil)
		all, _ = s.ListGroupBindings(ctx)
		if got := names(all, label); got != "[ops::platform-admin ops:shop:viewer]" {
			t.Fatalf("after deletes = %s; want the zoo bindings gone with the workspace", got)
		}
	})
}
