package auth_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/auth"
	"github.com/switchyard/switchyard/internal/store"
)

// TestDisabledAccount: a disabled user's password, API token and session
// (one started by any sign-in, an OIDC callback included) count for nothing.
func TestDisabledAccount(t *testing.T) {
	a, u := newAuth(t)
	ctx := t.Context()
	token, _, err := a.CreateAPIToken(ctx, u.ID, "ci", 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	byToken := httptest.NewRequest("GET", "/", nil)
	byToken.Header.Set("Authorization", "Bearer "+token)
	if _, err := a.Authenticate(byToken); err != nil {
		t.Fatalf("token while enabled: %v", err)
	}
	if _, err := a.Store.SetUserDisabled(ctx, u.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Authenticate(byToken); !errors.Is(err, auth.ErrUnauthenticated) || !errors.Is(err, auth.ErrDisabled) {
		t.Errorf("token while disabled: %v, want ErrUnauthenticated and ErrDisabled", err)
	}
	if _, err := a.Login(ctx, "alice", "correct horse", "10.0.0.1"); !errors.Is(err, auth.ErrDisabled) {
		t.Errorf("login while disabled: %v, want ErrDisabled", err)
	}
	if _, err := a.Login(ctx, "alice", "wrong", "10.0.0.1"); !errors.Is(err, auth.ErrBadCredentials) {
		t.Errorf("wrong password while disabled: %v, want ErrBadCredentials (not telling it is disabled)", err)
	}
	rec := httptest.NewRecorder()
	if _, err := a.StartSession(ctx, rec, httptest.NewRequest("POST", "/", nil), u.ID); !errors.Is(err, auth.ErrDisabled) || len(rec.Result().Cookies()) != 0 {
		t.Errorf("StartSession while disabled: %v, cookies %v; want ErrDisabled and none", err, rec.Result().Cookies())
	}
	// A session that slipped in (started just before the disable wrote) is refused too.
	if _, err := a.Store.CreateSession(ctx, store.Session{ID: auth.HashToken("raced"), UserID: u.ID, CSRFToken: "c", ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	bySession := httptest.NewRequest("GET", "/", nil)
	bySession.AddCookie(&http.Cookie{Name: auth.SessionCookie, Value: "raced"})
	if _, err := a.Authenticate(bySession); !errors.Is(err, auth.ErrDisabled) {
		t.Errorf("session while disabled: %v, want ErrDisabled", err)
	}
	if _, err := a.Store.SetUserDisabled(ctx, u.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Authenticate(byToken); err != nil {
		t.Errorf("token after enable: %v, want it to count again", err)
	}
}
