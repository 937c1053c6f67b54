package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/switchyard/switchyard/internal/api"
	"github.com/switchyard/switchyard/internal/cluster"
	"github.com/switchyard/switchyard/internal/oidc"
	"github.com/switchyard/switchyard/internal/web"
)

// OIDCOptions configure single sign-on through an OpenID provider.
type OIDCOptions struct {
	Issuer       string   // --oidc-issuer; empty: no SSO
	ClientID     string   // --oidc-client-id
	ClientSecret string   // SWITCHYARD_OIDC_CLIENT_SECRET or --oidc-client-secret-file; empty for a public client
	Scopes       []string // --oidc-scopes; empty: oidc.DefaultScopes
	GroupsClaim  string   // --oidc-groups-claim; empty: "groups"
	// UsernameClaim is --oidc-username-claim; empty: preferred_username,
	// then email, then sub.
	UsernameClaim string
	// RedirectURL is --oidc-redirect-url: what the provider sends the browser
	// back to; empty: http://<Addr>/auth/callback. Register it at the provider.
	RedirectURL string
	// DisableLocalLogin is --disable-local-login: password sign-in only for
	// platform administrators (break-glass).
	DisableLocalLogin bool
	// CLIClientID is --oidc-cli-client-id: a public client (no secret, any
	// loopback redirect) at the provider that `switchyard login --sso` uses;
	// empty: the CLI signs in with a password or a token only.
	CLIClientID string
	// HTTPClient talks to the provider; nil: a client with a 30 s timeout.
	// Tests pass one that trusts their provider's certificate.
	HTTPClient *http.Client
}

// newSSO discovers the provider and builds the console's sign-in, or returns
// nil when no issuer is configured. The flow cookie key is derived from the
// secret key, so every replica sharing it accepts the others' sign-ins.
func newSSO(ctx context.Context, opts Options, keys *cluster.Keyring, logger *slog.Logger) (*web.SSO, *api.CLISSO, error) {
	o := opts.OIDC
	if o.Issuer == "" {
		if o.DisableLocalLogin {
			return nil, nil, fmt.Errorf("--disable-local-login needs single sign-on: set --oidc-issuer")
		}
		return nil, nil, nil
	}
	redirect := o.RedirectURL
	switch {
	case redirect != "":
	case opts.ExternalURL != "": // where users reach the server (checked by server.New)
		redirect = strings.TrimRight(opts.ExternalURL, "/") + "/auth/callback"
	default:
		redirect = "http://" + opts.Addr + "/auth/callback"
	}
	p, err := oidc.New(ctx, oidc.Config{
		Issuer: o.Issuer, ClientID: o.ClientID, ClientSecret: o.ClientSecret, RedirectURL: redirect,
		Scopes: o.Scopes, GroupsClaim: o.GroupsClaim, UsernameClaim: o.UsernameClaim, HTTPClient: o.HTTPClient,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("single sign-on: %w", err)
	}
	flows, err := oidc.NewFlowCodec(keys.Derive("oidc flow"), 0, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("single sign-on: %w", err)
	}
	var cli *api.CLISSO
	if o.CLIClientID != "" {
		// The CLI redirects to its own loopback port; the server only verifies
		// the ID tokens it brings, so the redirect URL here is never used.
		cp, err := oidc.New(ctx, oidc.Config{Issuer: o.Issuer, ClientID: o.CLIClientID, RedirectURL: "http://127.0.0.1/callback",
			Scopes: o.Scopes, GroupsClaim: o.GroupsClaim, UsernameClaim: o.UsernameClaim, HTTPClient: o.HTTPClient})
		if err != nil {
			return nil, nil, fmt.Errorf("single sign-on for the CLI: %w", err)
		}
		cli = &api.CLISSO{Issuer: o.Issuer, ClientID: o.CLIClientID, Provider: cp}
	}
	logger.Info("single sign-on enabled", "issuer", o.Issuer, "client_id", o.ClientID, "redirect_url", redirect,
		"local_login", !o.DisableLocalLogin, "cli_client_id", o.CLIClientID)
	return &web.SSO{
		SignIn:             &oidc.SignIn{Provider: p, Flows: flows, CookiePath: "/auth", Secure: strings.HasPrefix(redirect, "https://")},
		LocalLoginDisabled: o.DisableLocalLogin,
	}, cli, nil
}
