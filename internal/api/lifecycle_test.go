package api_test

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchyard/switchyard/client"
)

// TestUserLifecycleAPI: disable, enable, a user's tokens, platform admin and
// delete through the public client, on each store, with the audit trail.
func TestUserLifecycleAPI(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		bob := e.user("bob", false)
		nt, err := bob.CreateToken(ctx, "ci", 0)
		if err != nil {
			t.Fatal(err)
		}
		bobToken := e.client(client.WithToken(nt.Secret))
		if _, err := bobToken.Me(ctx); err != nil {
			t.Fatalf("bob's token before disable: %v", err)
		}
		watched := e.workspace(map[string]string{"bob": client.RoleViewer})
		_, streamDone := stream(ctx, t, bobToken, watched, "")

		t.Run("disable stops session and token at the next request", func(t *testing.T) {
			u, err := e.admin.DisableUser(ctx, "bob")
			if err != nil || !u.Disabled || u.DisabledAt == nil {
				t.Fatalf("DisableUser = %+v, %v; want disabled", u, err)
			}
			_, err = bob.Me(ctx)
			wantStatus(t, "bob's session after disable", err, 401)
			select {
			case err := <-streamDone:
				if err != nil {
					t.Errorf("bob's change stream ended with %v, want a clean end", err)
				}
			case <-time.After(10 * time.Second):
				t.Errorf("bob's change stream still open 10 s after disable")
			}
			err = bobToken.WatchChanges(ctx, watched, "", func(client.Change) {})
			wantStatus(t, "bob's change stream reopened after disable", err, 401)
			_, err = bobToken.Me(ctx)
			if ce := wantStatus(t, "bob's token after disable", err, 401); ce != nil && ce.Code != "disabled" {
				t.Errorf("token answer code = %q (%v), want disabled", ce.Code, ce)
			}
			_, err = e.client().Login(ctx, "bob", "password-bob")
			if ce := wantStatus(t, "bob signs in while disabled", err, 401); ce != nil && ce.Code != "disabled" {
				t.Errorf("login answer code = %q, want disabled", ce.Code)
			}
			_, err = e.client().Login(ctx, "bob", "wrong-password")
			if ce := wantStatus(t, "wrong password while disabled", err, 401); ce != nil && ce.Code == "disabled" {
				t.Errorf("a wrong password learns the account is disabled: %v", ce)
			}
			us, _ := e.admin.Users(ctx)
			for _, u := range us {
				if u.Username == "bob" && !u.Disabled {
					t.Errorf("Users lists bob as %+v, want disabled", u)
				}
			}
		})
		t.Run("enable: token back, old session not", func(t *testing.T) {
			if u, err := e.admin.EnableUser(ctx, "bob"); err != nil || u.Disabled || u.DisabledAt != nil {
				t.Fatalf("EnableUser = %+v, %v; want enabled", u, err)
			}
			if _, err := bobToken.Me(ctx); err != nil {
				t.Errorf("bob's token after enable: %v, want it to count again", err)
			}
			_, err := bob.Me(ctx)
			wantStatus(t, "bob's old session after enable", err, 401)
			bob = e.login("bob", "password-bob")
		})
		t.Run("tokens: an admin lists and revokes", func(t *testing.T) {
			ts, err := e.admin.UserTokens(ctx, "bob")
			if err != nil || len(ts) != 1 || ts[0].ID != nt.ID || ts[0].Prefix != nt.Prefix {
				t.Fatalf("UserTokens(bob) = %+v, %v; want bob's token %d", ts, err, nt.ID)
			}
			if err := e.admin.RevokeUserToken(ctx, "bob", nt.ID); err != nil {
				t.Fatalf("RevokeUserToken: %v", err)
			}
			_, err = bobToken.Me(ctx)
			wantStatus(t, "revoked token", err, 401)
			wantStatus(t, "revoke again", e.admin.RevokeUserToken(ctx, "bob", nt.ID), 404)
			wantStatus(t, "admin's own token ID under bob", e.admin.RevokeUserToken(ctx, "admin", nt.ID), 404)
			_, err = e.admin.UserTokens(ctx, "nobody")
			wantStatus(t, "tokens of nobody", err, 404)
		})
		t.Run("platform admin", func(t *testing.T) {
			u, err := e.admin.SetPlatformAdmin(ctx, "bob", true)
			if err != nil || !u.PlatformAdmin {
				t.Fatalf("grant = %+v, %v", u, err)
			}
			if _, err := bob.Clusters(ctx); err != nil {
				t.Errorf("bob lists clusters as platform admin: %v", err)
			}
			if u, err := e.admin.SetPlatformAdmin(ctx, "bob", false); err != nil || u.PlatformAdmin {
				t.Fatalf("remove = %+v, %v", u, err)
			}
			_, err = bob.Clusters(ctx)
			wantStatus(t, "bob lists clusters after removal", err, 403)
			err = e.admin.Raw(ctx, "PATCH", "/api/v1/users/bob", "application/json", []byte(`{}`), nil)
			if ce := wantStatus(t, "PATCH without platform_admin", err, 422); ce != nil && ce.Field != "platform_admin" {
				t.Errorf("field = %q, want platform_admin", ce.Field)
			}
			err = e.admin.Raw(ctx, "PATCH", "/api/v1/users/bob", "application/json", []byte(`{"username":"x"}`), nil)
			wantStatus(t, "PATCH with an unknown field", err, 400)
		})
		t.Run("not yourself", func(t *testing.T) {
			_, err := e.admin.DisableUser(ctx, "admin")
			wantCode(t, "disable self", err, 409, "self")
			_, err = e.admin.SetPlatformAdmin(ctx, "admin", false)
			wantCode(t, "demote self", err, 409, "self")
			wantCode(t, "delete self", e.admin.DeleteUser(ctx, "admin"), 409, "self")
		})
		t.Run("delete", func(t *testing.T) {
			ws := e.workspace(map[string]string{"bob": client.RoleAdmin})
			err := e.admin.DeleteUser(ctx, "bob")
			if ce := wantCode(t, "delete the last admin of "+ws, err, 409, "last_admin"); ce != nil && !strings.Contains(ce.Message, ws) {
				t.Errorf("message %q does not name workspace %s", ce.Message, ws)
			}
			if _, err := e.admin.PutMember(ctx, ws, "admin", client.RoleAdmin); err != nil {
				t.Fatal(err)
			}
			if err := e.admin.DeleteUser(ctx, "bob"); err != nil {
				t.Fatalf("DeleteUser: %v", err)
			}
			_, err = bob.Me(ctx)
			wantStatus(t, "deleted bob's session", err, 401)
			ms, _ := e.admin.Members(ctx, ws)
			if len(ms) != 1 || ms[0].Username != "admin" {
				t.Errorf("members after delete = %+v, want admin only", ms)
			}
			wantStatus(t, "delete again", e.admin.DeleteUser(ctx, "bob"), 404)
			evs, err := e.admin.Audit(ctx, client.AuditQuery{Actor: "bob"})
			if err != nil || !hasEvent(evs, "token.create/success/bob") {
				t.Errorf("bob's audit events after delete = %+v, %v; want kept", evs, err)
			}
		})
		t.Run("audited", func(t *testing.T) {
			evs, err := e.admin.Audit(ctx, client.AuditQuery{Actor: "admin", Target: "user bob"})
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"user.disable/success/admin", "user.enable/success/admin", "user.platform_admin.grant/success/admin",
				"user.platform_admin.remove/success/admin", "user.delete/success/admin", "user.delete/failure/admin"} {
				if !hasEvent(evs, want) {
					t.Errorf("audit log lacks %s: %+v", want, evs)
				}
			}
			evs, _ = e.admin.Audit(ctx, client.AuditQuery{Action: "token.revoke"})
			if !hasEvent(evs, "token.revoke/success/admin") {
				t.Errorf("audit log lacks the admin's token.revoke: %+v", evs)
			}
			evs, _ = e.admin.Audit(ctx, client.AuditQuery{Action: "user.disable", Outcome: client.OutcomeFailure})
			if len(evs) == 0 {
				t.Errorf("the refused self-disable is not in the audit log")
			}
		})
	})
}

// TestLastPlatformAdminRace: the only two enabled platform admins demote
// (or disable) each other at once, 30 rounds on each store: one enabled
// platform admin is always left; the loser gets 409 last_admin, or 403
// (401) when it was already demoted (disabled) by the time it was
// authorized.
func TestLastPlatformAdminRace(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		admins := map[string]*client.Client{"ana": e.user("ana", true), "ben": e.user("ben", true)}
		if _, err := admins["ana"].SetPlatformAdmin(ctx, "admin", false); err != nil {
			t.Fatal(err)
		}
		conflicts := 0
		defer func() { t.Logf("%d of 30 rounds refused by the store's last-admin check (409)", conflicts) }()
		for round := range 30 {
			var wg sync.WaitGroup
			errs := make([]error, 2)
			start := make(chan struct{})
			wg.Go(func() { <-start; _, errs[0] = admins["ana"].SetPlatformAdmin(ctx, "ben", false) })
			if round%2 == 0 {
				wg.Go(func() { <-start; _, errs[1] = admins["ben"].SetPlatformAdmin(ctx, "ana", false) })
			} else {
				wg.Go(func() { <-start; _, errs[1] = admins["ben"].DisableUser(ctx, "ana") })
			}
			close(start)
			wg.Wait()
			us, err := e.store.ListUsers(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var left []string
			for _, u := range us {
				if u.PlatformAdmin && !u.Disabled() {
					left = append(left, u.Username)
				}
			}
			if len(left) != 1 {
				t.Fatalf("round %d: enabled platform admins %q (answers %v), want exactly one", round, left, errs)
			}
			refused := 0
			for _, err := range errs {
				var ce *client.Error
				switch {
				case err == nil:
				case errors.As(err, &ce) && ce.Status == http.StatusConflict && ce.Code == "last_admin":
					refused++
					conflicts++
				case errors.As(err, &ce) && (ce.Status == http.StatusForbidden || ce.Status == http.StatusUnauthorized):
					refused++
				default:
					t.Errorf("round %d: losing change %v, want 409 last_admin, or 403/401", round, err)
				}
			}
			if refused != 1 {
				t.Errorf("round %d: %d changes refused (%v), want 1", round, refused, errs)
			}
			winner := admins[left[0]]
			for name := range admins {
				if name != left[0] {
					if _, err := winner.EnableUser(ctx, name); err != nil {
						t.Fatal(err)
					}
					if _, err := winner.SetPlatformAdmin(ctx, name, true); err != nil {
						t.Fatal(err)
					}
					admins[name] = e.login(name, "password-"+name) // a disabled user's session is gone
				}
			}
		}
	})
}

// wantCode is wantStatus that also checks the error code.
func wantCode(t *testing.T, what string, err error, status int, code string) *client.Error {
	t.Helper()
	ce := wantStatus(t, what, err, status)
	if ce != nil && ce.Code != code {
		t.Errorf("%s: code %q (%v), want %q", what, ce.Code, ce, code)
	}
	return ce
}
