package store

import (
	"errors"
	"sync"
	"testing"
	"time"
)

// TestUserLifecycle: disable, enable, promote, demote and delete, on each
// dialect, with what each takes along.
func TestUserLifecycle(t *testing.T) {
	openEach(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		now := testTime
		fixedClock(s, &now)
		root, err := s.CreateUser(ctx, User{Username: "root", PasswordHash: "h", PlatformAdmin: true})
		if err != nil {
			t.Fatal(err)
		}
		bob := mustUser(t, s, "bob")
		ws := mustWorkspace(t, s, "shop")
		if _, err := s.PutMember(ctx, Member{WorkspaceID: ws.ID, UserID: bob.ID, Role: RoleAdmin}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateSession(ctx, Session{ID: "s-bob", UserID: bob.ID, CSRFToken: "c", ExpiresAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		tok, err := s.CreateAPIToken(ctx, APIToken{UserID: bob.ID, Name: "ci", Prefix: "sy_x", Hash: "hash-bob"})
		if err != nil {
			t.Fatal(err)
		}

		t.Run("disable ends sessions, keeps tokens", func(t *testing.T) {
			u, err := s.SetUserDisabled(ctx, bob.ID, true)
			if err != nil || !u.Disabled() || !u.DisabledAt.Equal(wantTime) {
				t.Fatalf("SetUserDisabled = %+v, %v; want disabled at %v", u, err, wantTime)
			}
			if _, err := s.GetSession(ctx, "s-bob"); !errors.Is(err, ErrNotFound) {
				t.Errorf("bob's session after disable: %v, want not found", err)
			}
			if _, err := s.GetAPITokenByHash(ctx, "hash-bob"); err != nil {
				t.Errorf("bob's token after disable: %v, want kept (the authenticator refuses it)", err)
			}
			now = now.Add(time.Hour)
			if u, _ := s.SetUserDisabled(ctx, bob.ID, true); !u.DisabledAt.Equal(wantTime) {
				t.Errorf("disabling twice moved DisabledAt to %v, want %v", u.DisabledAt, wantTime)
			}
		})
		t.Run("enable", func(t *testing.T) {
			u, err := s.SetUserDisabled(ctx, bob.ID, false)
			if err != nil || u.Disabled() {
				t.Fatalf("enable = %+v, %v; want enabled", u, err)
			}
			if got, _ := s.GetUserByName(ctx, "bob"); got.Disabled() {
				t.Errorf("GetUserByName after enable = %+v, want enabled", got)
			}
		})
		t.Run("missing user", func(t *testing.T) {
			_, err := s.SetUserDisabled(ctx, 9999, true)
			checkErr(t, "disable missing", err, ErrNotFound)
			_, err = s.SetPlatformAdmin(ctx, 9999, true)
			checkErr(t, "promote missing", err, ErrNotFound)
			checkErr(t, "delete missing", s.DeleteUser(ctx, 9999), ErrNotFound)
		})
		t.Run("last platform admin", func(t *testing.T) {
			_, err := s.SetUserDisabled(ctx, root.ID, true)
			checkErr(t, "disable root", err, ErrLastPlatformAdmin)
			_, err = s.SetPlatformAdmin(ctx, root.ID, false)
			checkErr(t, "demote root", err, ErrLastPlatformAdmin)
			checkErr(t, "delete root", s.DeleteUser(ctx, root.ID), ErrLastPlatformAdmin)
			// A disabled admin does not count: promoting disabled bob leaves root the last.
			if _, err := s.SetUserDisabled(ctx, bob.ID, true); err != nil {
				t.Fatal(err)
			}
			if _, err := s.SetPlatformAdmin(ctx, bob.ID, true); err != nil {
				t.Fatal(err)
			}
			_, err = s.SetPlatformAdmin(ctx, root.ID, false)
			checkErr(t, "demote root beside a disabled admin", err, ErrLastPlatformAdmin)
			if _, err := s.SetUserDisabled(ctx, bob.ID, false); err != nil {
				t.Fatal(err)
			}
			if u, err := s.SetPlatformAdmin(ctx, root.ID, false); err != nil || u.PlatformAdmin {
				t.Fatalf("demote root beside enabled admin bob = %+v, %v; want done", u, err)
			}
			if _, err := s.SetPlatformAdmin(ctx, root.ID, true); err != nil {
				t.Fatal(err)
			}
			if _, err := s.SetPlatformAdmin(ctx, bob.ID, false); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("delete: last workspace admin", func(t *testing.T) {
			err := s.DeleteUser(ctx, bob.ID)
			var last *LastAdminError
			if !errors.As(err, &last) || last.Workspace != "shop" || !errors.Is(err, ErrLastAdmin) {
				t.Fatalf("delete the only admin of shop: %v, want a LastAdminError naming shop", err)
			}
		})
		t.Run("delete takes tokens, sessions, memberships; keeps the audit log", func(t *testing.T) {
			if _, err := s.PutMember(ctx, Member{WorkspaceID: ws.ID, UserID: root.ID, Role: RoleAdmin}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.CreateSession(ctx, Session{ID: "s-bob-2", UserID: bob.ID, CSRFToken: "c", ExpiresAt: now.Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.AppendAudit(ctx, AuditEvent{Actor: "bob", Target: "job web", Action: "job.promote", Outcome: OutcomeSuccess}); err != nil {
				t.Fatal(err)
			}
			if err := s.DeleteUser(ctx, bob.ID); err != nil {
				t.Fatalf("DeleteUser: %v", err)
			}
			if _, err := s.GetUser(ctx, bob.ID); !errors.Is(err, ErrNotFound) {
				t.Errorf("GetUser after delete: %v, want not found", err)
			}
			if _, err := s.GetSession(ctx, "s-bob-2"); !errors.Is(err, ErrNotFound) {
				t.Errorf("session after delete: %v, want not found", err)
			}
			if _, err := s.GetAPITokenByHash(ctx, "hash-bob"); !errors.Is(err, ErrNotFound) {
				t.Errorf("token %d after delete: %v, want not found", tok.ID, err)
			}
			if ts, err := s.ListAPITokens(ctx, bob.ID); err != nil || len(ts) != 0 {
				t.Errorf("tokens after delete = %+v, %v; want none", ts, err)
			}
			if _, err := s.GetMember(ctx, ws.ID, bob.ID); !errors.Is(err, ErrNotFound) {
				t.Errorf("membership after delete: %v, want not found", err)
			}
			es, err := s.ListAudit(ctx, AuditFilter{Actor: "bob"})
			if err != nil || len(es) != 1 {
				t.Errorf("bob's audit events after delete = %+v, %v; want 1 kept", es, err)
			}
		})
	})
}

// TestLastPlatformAdminConcurrent: the two enabled platform admins are
// disabled, demoted or deleted at once, 30 rounds on each dialect: exactly
// one change wins each round, the other is ErrLastPlatformAdmin, and one
// enabled platform admin is always left.
func TestLastPlatformAdminConcurrent(t *testing.T) {
	openEach(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		change := []func(id int64) error{
			func(id int64) error { _, err := s.SetPlatformAdmin(ctx, id, false); return err },
			func(id int64) error { _, err := s.SetUserDisabled(ctx, id, true); return err },
			func(id int64) error { return s.DeleteUser(ctx, id) },
		}
		for round := range 30 {
			var ids [2]int64
			for i, name := range []string{"ana", "ben"} {
				u, err := s.GetUserByName(ctx, name)
				if errors.Is(err, ErrNotFound) {
					u, err = s.CreateUser(ctx, User{Username: name, PasswordHash: "h"})
				}
				if err != nil {
					t.Fatal(err)
				}
				if _, err := s.SetUserDisabled(ctx, u.ID, false); err != nil {
					t.Fatal(err)
				}
				if _, err := s.SetPlatformAdmin(ctx, u.ID, true); err != nil {
					t.Fatal(err)
				}
				ids[i] = u.ID
			}
			var wg sync.WaitGroup
			errs := make([]error, 2)
			start := make(chan struct{})
			for i := range 2 {
				wg.Go(func() { <-start; errs[i] = change[(round+i)%3](ids[i]) })
			}
			close(start)
			wg.Wait()
			refused := 0
			for _, err := range errs {
				switch {
				case errors.Is(err, ErrLastPlatformAdmin):
					refused++
				case err != nil:
					t.Fatalf("round %d: %v", round, err)
				}
			}
			us, err := s.ListUsers(ctx)
			if err != nil {
				t.Fatal(err)
			}
			admins := 0
			for _, u := range us {
				if u.PlatformAdmin && !u.Disabled() {
					admins++
				}
			}
			if admins != 1 || refused != 1 {
				t.Fatalf("round %d: %d enabled platform admins left and %d changes refused (%v), want 1 and 1", round, admins, refused, errs)
			}
		}
	})
}
