package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/switchyard/switchyard/internal/auth"
	"github.com/switchyard/switchyard/internal/oidc"
	"github.com/switchyard/switchyard/internal/store"
)

// CLISSO lets the CLI sign in through the OpenID provider as a public client
// (PKCE, a loopback redirect): the CLI gets an ID token for ClientID and
// trades it here for an API token.
type CLISSO struct {
	Issuer   string
	ClientID string         // the CLI's public client at the provider
	Provider *oidc.Provider // verifies ID tokens issued for ClientID
}

func (a *API) ssoRoutes() []route {
	return []route{
		{pattern: "GET /api/v1/sso", handle: a.ssoConfig, public: true},
		{pattern: "POST /api/v1/login/sso", handle: a.loginSSO, public: true},
	}
}

type ssoConfigJSON struct {
	Issuer      string `json:"issuer"`
	CLIClientID string `json:"cli_client_id"`
}

// ssoConfig tells the CLI which provider and client to sign in with.
func (a *API) ssoConfig(w http.ResponseWriter, _ *http.Request, _ auth.Principal) error {
	if a.CLISSO == nil {
		return &Error{Status: http.StatusNotFound, Code: "sso_not_configured", Message: "this server has no single sign-on for the CLI (--oidc-issuer and --oidc-cli-client-id)"}
	}
	writeJSON(w, http.StatusOK, ssoConfigJSON{Issuer: a.CLISSO.Issuer, CLIClientID: a.CLISSO.ClientID})
	return nil
}

type loginSSORequest struct {
	IDToken       string `json:"id_token"`
	TokenName     string `json:"token_name"`
	ExpiresInDays int    `json:"expires_in_days"`
}

// loginSSO verifies an ID token the CLI got from the provider (signature,
// issuer, audience: the CLI's client, expiry), signs its user in as the
// console does, and returns a new API token.
func (a *API) loginSSO(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	var req loginSSORequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if a.CLISSO == nil {
		return &Error{Status: http.StatusNotFound, Code: "sso_not_configured", Message: "this server has no single sign-on for the CLI"}
	}
	switch {
	case req.IDToken == "":
		return invalid("id_token", "is required")
	case len(req.IDToken) > oidc.MaxIDTokenLen:
		return invalid("id_token", "is longer than the limit")
	}
	treq := createTokenRequest{Name: req.TokenName, ExpiresInDays: req.ExpiresInDays}
	if treq.Name == "" {
		treq.Name = "cli-sso-" + time.Now().UTC().Format("20060102-150405")
	}
	if err := treq.check(); err != nil {
		return err
	}
	ev := event{actor: "(single sign-on)", target: "single sign-on", action: "login.sso", detail: "CLI from " + auth.ClientAddr(r)}
	id, err := a.CLISSO.Provider.Verify(r.Context(), req.IDToken, "")
	if err != nil {
		var oe *oidc.Error
		if errors.As(err, &oe) && !errors.Is(err, oidc.ErrProvider) {
			err = &Error{Status: http.StatusUnauthorized, Code: "sso_refused", Field: "id_token", Message: "sign-in refused: " + oe.Error()}
		}
		return a.record(r.Context(), ev, err)
	}
	ev.actor = id.Username
	res, err := a.Auth.SignInSSO(r.Context(), a.CLISSO.Issuer, id)
	var taken *store.UsernameTakenError
	if errors.As(err, &taken) {
		err = &Error{Status: http.StatusConflict, Code: "conflict", Message: taken.Error()}
	}
	if err != nil {
		return a.record(r.Context(), ev, err)
	}
	ev.target, ev.detail = "user "+res.User.Username, ev.detail+res.AuditDetail()
	token, t, err := a.Auth.CreateAPIToken(r.Context(), res.User.ID, treq.Name, time.Duration(treq.ExpiresInDays)*24*time.Hour, nil)
	if err := a.record(r.Context(), ev, err); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, newTokenJSON{tokenJSON: toToken(t), Token: token})
	return nil
}
