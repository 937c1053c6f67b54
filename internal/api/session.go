package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/switchyard/switchyard/internal/auth"
	"github.com/switchyard/switchyard/internal/logging"
)

func (a *API) sessionRoutes() []route {
	return []route{
		{pattern: "POST /api/v1/login", handle: a.login, public: true},
		{pattern: "POST /api/v1/logout", handle: a.logout},
		{pattern: "GET /api/v1/me", handle: a.me},
	}
}

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// sessionJSON answers login and /me: who the caller is and, for browser
// sessions, the CSRF token to send in X-CSRF-Token on writes.
type sessionJSON struct {
	User      userJSON   `json:"user"`
	CSRFToken string     `json:"csrf_token,omitempty"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// login checks a username and password and starts a cookie session.
func (a *API) login(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	var req loginRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := checkLoginName("username", req.Username); err != nil {
		return err
	}
	ev := event{actor: req.Username, target: "user " + req.Username, action: "login"}
	u, err := a.Auth.Login(r.Context(), req.Username, req.Password, auth.ClientAddr(r))
	if err != nil {
		a.loginFailed(err)
		ev.detail = "from " + auth.ClientAddr(r)
		var limited *auth.RateLimitedError
		switch {
		case !errors.As(err, &limited):
		case limited.First:
			// One row per lockout: the later refusals are only counted
			// (switchyard_login_failures_total{reason="rate_limited"}).
			ev.detail += "; further refused attempts are counted, not recorded"
		default:
			return err
		}
		return a.record(r.Context(), ev, err)
	}
	if a.LocalLoginDisabled && !u.PlatformAdmin {
		ev.detail = "from " + auth.ClientAddr(r) + "; local sign-in is turned off"
		return a.record(r.Context(), ev, &Error{Status: http.StatusForbidden, Code: "local_login_disabled",
			Message: "local sign-in is turned off on this server: sign in with SSO (only platform administrators may sign in with a password)"})
	}
	logging.SetUser(r.Context(), u.Username)
	ss, err := a.Auth.StartSession(r.Context(), w, r, u.ID)
	if err != nil {
		return a.record(r.Context(), ev, err)
	}
	ev.detail = "from " + auth.ClientAddr(r)
	_ = a.record(r.Context(), ev, nil)
	writeJSON(w, http.StatusOK, sessionJSON{User: toUser(u), CSRFToken: ss.CSRFToken, ExpiresAt: &ss.ExpiresAt})
	return nil
}

func (a *API) loginFailed(err error) {
	var limited *auth.RateLimitedError
	switch {
	case errors.As(err, &limited):
		a.Metrics.loginFailed("rate_limited")
	case errors.Is(err, auth.ErrBadCredentials):
		a.Metrics.loginFailed("bad_credentials")
	}
}

// logout ends the caller's session. With an API token there is no session:
// it succeeds and changes nothing (revoke the token instead).
func (a *API) logout(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	err := a.Auth.EndSession(r.Context(), w, r, p)
	if err := a.record(r.Context(), event{actor: p.User.Username, target: "user " + p.User.Username, action: "logout"}, err); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// me says who the caller is.
func (a *API) me(w http.ResponseWriter, _ *http.Request, p auth.Principal) error {
	resp := sessionJSON{User: toUser(p.User)}
	if p.Session != nil {
		resp.CSRFToken, resp.ExpiresAt = p.Session.CSRFToken, &p.Session.ExpiresAt
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}
