package web

import (
	"cmp"
	"context"
	"errors"
	"net/http"

	"github.com/switchyard/switchyard/internal/auth"
	"github.com/switchyard/switchyard/internal/oidc"
	"github.com/switchyard/switchyard/internal/store"
)

// SSO is the console's single sign-on through an OpenID provider: the routes
// GET /auth/login and GET /auth/callback. Nil on a Console means local sign-in only.
type SSO struct {
	SignIn *oidc.SignIn
	// LocalLoginDisabled hides the password form behind a break-glass link:
	// platform administrators may still sign in locally (the API enforces it).
	LocalLoginDisabled bool
}

func (c *Console) registerSSO(mux *http.ServeMux) {
	if c.SSO == nil {
		return
	}
	mux.HandleFunc("GET /auth/login", c.ssoLogin)
	mux.HandleFunc("GET /auth/callback", c.ssoCallback)
}

// ssoLogin starts a sign-in at the provider: the flow cookie, then a redirect.
func (c *Console) ssoLogin(w http.ResponseWriter, r *http.Request) {
	cookie, authURL, err := c.SSO.SignIn.Begin(safeNext(r.URL.Query().Get("next")))
	if err != nil {
		c.ssoRefused(w, r, "", err)
		return
	}
	http.SetCookie(w, cookie)
	http.Redirect(w, r, authURL, http.StatusFound)
}

// ssoCallback finishes the sign-in: checks the callback and the ID token,
// creates or updates the SSO user with its current groups, ends its other
// sessions when it lost access since its last sign-in, and starts a normal
// session.
func (c *Console) ssoCallback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, flow, err := c.SSO.SignIn.Finish(ctx, w, r)
	if err != nil {
		c.ssoRefused(w, r, "", err)
		return
	}
	res, err := c.Auth.SignInSSO(ctx, c.SSO.SignIn.Provider.Config().Issuer, id)
	var taken *store.UsernameTakenError
	switch {
	case errors.As(err, &taken) || errors.Is(err, store.ErrInvalid):
		c.ssoRefused(w, r, id.Username, err)
		return
	case err != nil:
		c.fail(w, page{}, http.StatusInternalServerError, "Your account could not be read or written. Try again in a moment.", err)
		return
	}
	u := res.User
	if _, err := c.Auth.StartSession(ctx, w, r, u.ID); err != nil {
		c.fail(w, page{}, http.StatusInternalServerError, "Your session could not be started. Try again in a moment.", err)
		return
	}
	c.audit(ctx, store.AuditEvent{Actor: u.Username, Target: "user " + u.Username, Action: "login.sso", Outcome: store.OutcomeSuccess,
		Detail: "single sign-on from " + auth.ClientAddr(r) + res.AuditDetail()})
	http.Redirect(w, r, safeNext(flow.Next), http.StatusSeeOther)
}

// ssoRefused answers a refused sign-in with a page saying why (never a 500)
// and an audit entry.
func (c *Console) ssoRefused(w http.ResponseWriter, r *http.Request, username string, err error) {
	status, msg := ssoStatus(err)
	outcome := store.OutcomeDenied
	if status >= 500 {
		outcome = store.OutcomeFailure
		c.Logger.Error("single sign-on", "err", err)
	}
	c.audit(r.Context(), store.AuditEvent{Actor: cmp.Or(username, "(single sign-on)"), Target: "single sign-on", Action: "login.sso",
		Outcome: outcome, Detail: err.Error() + "; from " + auth.ClientAddr(r)})
	pg := page{Title: "Sign-in refused", Status: status, Message: msg}
	c.render(w, status, "sso_error", pg)
}

// ssoStatus maps a refused sign-in to its HTTP status and the sentence shown.
func ssoStatus(err error) (int, string) {
	var taken *store.UsernameTakenError
	switch {
	case errors.As(err, &taken):
		return http.StatusConflict, taken.Error() + "."
	case errors.Is(err, oidc.ErrProvider):
		return http.StatusBadGateway, "The identity provider could not be reached or answered badly. Try again in a moment."
	case errors.Is(err, oidc.ErrConfig):
		return http.StatusServiceUnavailable, "Single sign-on is misconfigured on this server; an administrator has to fix it."
	}
	var oe *oidc.Error
	if errors.As(err, &oe) {
		return http.StatusUnauthorized, "Sign-in refused: " + oe.Reason.Error() + ". Start a new sign-in."
	}
	if errors.Is(err, store.ErrInvalid) {
		return http.StatusUnauthorized, "Sign-in refused: the identity provider's answer lacks a usable name (" + err.Error() + ")."
	}
	return http.StatusInternalServerError, "Sign-in failed. Try again in a moment."
}

func (c *Console) audit(ctx context.Context, e store.AuditEvent) {
	if _, err := c.Store.AppendAudit(context.WithoutCancel(ctx), e); err != nil {
		c.Logger.Error("append audit event", "action", e.Action, "err", err)
	}
}
