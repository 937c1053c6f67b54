package oidc

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// Size limits, checked before any work.
const (
	MaxCodeLen    = 2048     // an authorization code (Dex: 25 chars, Entra ID: ~1 KiB)
	MaxStateLen   = 256      // the state we generate is 43 chars
	MaxIDTokenLen = 64 << 10 // an ID token with many groups stays well under this
	MaxGroups     = 1000     // more groups than this in one token are refused
	MaxClaimLen   = 1024     // a username, an email or a group name
	DefaultGroups = "groups" // Config.GroupsClaim when empty
)

// DefaultScopes are requested when Config.Scopes is empty. "groups" is what Dex,
// Okta and Keycloak (with a mapper) call the scope; Entra ID puts groups in the token
// through its token configuration and ignores the scope.
var DefaultScopes = []string{gooidc.ScopeOpenID, "profile", "email", "groups"}

// Config says which provider to trust and as which client.
type Config struct {
	Issuer       string   // the issuer URL, exactly as the provider's discovery document says
	ClientID     string   // also the audience the ID token must carry
	ClientSecret string   // empty for a public client (PKCE only)
	RedirectURL  string   // <external-url>/auth/callback
	Scopes       []string // DefaultScopes when empty; "openid" is always added
	GroupsClaim  string   // the claim holding the user's groups (DefaultGroups when empty)
	// UsernameClaim is the claim that names the user. When empty: preferred_username,
	// then email, then sub, the first one present.
	UsernameClaim string
	// HTTPClient talks to the provider (discovery, keys, token endpoint); nil is a
	// client with a 30 s timeout. A test passes one that trusts its TLS certificate.
	HTTPClient *http.Client
	// Now is the clock ID tokens are checked against; nil is time.Now.
	Now func() time.Time
}

// Identity is who signed in, mapped from a verified ID token.
type Identity struct {
	Subject  string // "sub": stable and unique at the issuer; key a user by Issuer+Subject
	Username string // from UsernameClaim
	Email    string // "email", empty when the provider gives none
	Name     string // "name", empty when the provider gives none
	Groups   []string
}

// Provider is one discovered OpenID provider. It is safe for concurrent use; build
// it once at start-up.
type Provider struct {
	cfg      Config
	oauth    oauth2.Config
	keys     gooidc.KeySet // the issuer's published keys (a RemoteKeySet)
	verifier *gooidc.IDTokenVerifier
}

// New discovers the provider at cfg.Issuer (its /.well-known/openid-configuration)
// and checks the configuration. The ctx bounds the discovery request only.
func New(ctx context.Context, cfg Config) (*Provider, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.HTTPClient == nil {
		// A timeout, not http.DefaultClient: a key fetch that hangs would hold every
		// sign-in waiting on it.
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.GroupsClaim == "" {
		cfg.GroupsClaim = DefaultGroups
	}
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = DefaultScopes
	}
	if !slices.Contains(cfg.Scopes, gooidc.ScopeOpenID) {
		cfg.Scopes = append([]string{gooidc.ScopeOpenID}, cfg.Scopes...)
	}
	disc, err := gooidc.NewProvider(gooidc.ClientContext(ctx, cfg.HTTPClient), cfg.Issuer)
	if err != nil {
		return nil, &Error{Reason: ErrProvider, Field: "issuer", Detail: "discovery of " + cfg.Issuer + " failed", Err: err}
	}
	var meta struct {
		JWKS string `json:"jwks_uri"`
	}
	if err := disc.Claims(&meta); err != nil || meta.JWKS == "" {
		return nil, &Error{Reason: ErrProvider, Field: "issuer", Detail: "discovery document has no jwks_uri", Err: err}
	}
	// Key sets live as long as the Provider: their context carries the HTTP client
	// they fetch keys with, and they fetch them again when a token names a key they
	// have not seen (the provider rotated its keys). keys serves the signature check
	// that names a refusal's reason (verify); the verifier, which decides, uses the
	// discovered provider's own key set and signing algorithms.
	keys := gooidc.NewRemoteKeySet(gooidc.ClientContext(context.Background(), cfg.HTTPClient), meta.JWKS)
	p := &Provider{
		cfg: cfg,
		oauth: oauth2.Config{
			ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, RedirectURL: cfg.RedirectURL,
			Endpoint: disc.Endpoint(), Scopes: cfg.Scopes,
		},
		keys:     keys,
		verifier: disc.Verifier(&gooidc.Config{ClientID: cfg.ClientID, Now: cfg.Now}),
	}
	return p, nil
}

func (c Config) validate() error {
	switch {
	case c.Issuer == "":
		return fail(ErrConfig, "issuer", "is required")
	case !strings.HasPrefix(c.Issuer, "https://") && !strings.HasPrefix(c.Issuer, "http://"):
		return fail(ErrConfig, "issuer", "must be an http(s) URL")
	case c.ClientID == "":
		return fail(ErrConfig, "client-id", "is required")
	case c.RedirectURL == "":
		return fail(ErrConfig, "redirect-url", "is required")
	}
	return nil
}

// Config returns the configuration in force (defaults filled in).
func (p *Provider) Config() Config { return p.cfg }

// AuthURL is where the browser goes to sign in: the provider's authorization
// endpoint with our client, scopes, state, nonce and the PKCE S256 challenge of
// verifier (a Flow carries all three).
func (p *Provider) AuthURL(state, nonce, pkceVerifier string) string {
	return p.oauth.AuthCodeURL(state, gooidc.Nonce(nonce), oauth2.S256ChallengeOption(pkceVerifier))
}

// Exchange redeems the callback's code (with the PKCE verifier of the same sign-in)
// at the token endpoint, verifies the ID token it returns against nonce and maps it.
func (p *Provider) Exchange(ctx context.Context, code, pkceVerifier, nonce string) (Identity, error) {
	id, _, err := p.ExchangeRaw(ctx, code, pkceVerifier, nonce)
	return id, err
}

// ExchangeRaw is Exchange that also returns the verified raw ID token: a CLI
// signing in as a public client hands it to the server (which verifies it again).
func (p *Provider) ExchangeRaw(ctx context.Context, code, pkceVerifier, nonce string) (Identity, string, error) {
	id, raw, err := p.exchange(ctx, code, pkceVerifier, nonce)
	if err != nil {
		return Identity{}, "", err
	}
	return id, raw, nil
}

func (p *Provider) exchange(ctx context.Context, code, pkceVerifier, nonce string) (Identity, string, error) {
	if code == "" {
		return Identity{}, "", fail(ErrMissingCode, "code", "the provider sent no authorization code")
	}
	if len(code) > MaxCodeLen {
		return Identity{}, "", fail(ErrTooLong, "code", "longer than %d bytes", MaxCodeLen)
	}
	tok, err := p.oauth.Exchange(gooidc.ClientContext(ctx, p.cfg.HTTPClient), code, oauth2.VerifierOption(pkceVerifier))
	if err != nil {
		var re *oauth2.RetrieveError
		switch {
		case errors.As(err, &re) && (re.ErrorCode == "invalid_client" || re.ErrorCode == "unauthorized_client"):
			// Our configuration, not the user's sign-in: say so.
			return Identity{}, "", &Error{Reason: ErrConfig, Field: "client-id", Detail: "the provider refused our client id or secret (" + re.ErrorCode + ")", Err: err}
		case errors.As(err, &re) && re.Response != nil && re.Response.StatusCode < 500:
			return Identity{}, "", &Error{Reason: ErrCodeRejected, Field: "code", Detail: re.ErrorCode, Err: err}
		}
		return Identity{}, "", &Error{Reason: ErrProvider, Detail: "token request failed", Err: err}
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return Identity{}, "", fail(ErrNoIDToken, "id_token", "did the client request the openid scope?")
	}
	id, claims, err := p.verify(ctx, raw, nonce)
	if err != nil {
		return Identity{}, "", err
	}
	if claims.AccessTokenHash != "" {
		if err := claims.VerifyAccessToken(tok.AccessToken); err != nil {
			return Identity{}, "", &Error{Reason: ErrBadClaim, Field: "at_hash", Detail: "does not match the access token", Err: err}
		}
	}
	return id, raw, nil
}

// Verify checks a raw ID token (signature through the issuer's keys, issuer,
// audience, expiry, and nonce when nonce is not empty) and maps its claims. Exchange
// uses it; so can a CLI that got the token by itself.
func (p *Provider) Verify(ctx context.Context, rawIDToken, nonce string) (Identity, error) {
	id, _, err := p.verify(ctx, rawIDToken, nonce)
	return id, err
}

func (p *Provider) verify(ctx context.Context, raw, nonce string) (Identity, *gooidc.IDToken, error) {
	if len(raw) > MaxIDTokenLen {
		return Identity{}, nil, fail(ErrTooLong, "id_token", "longer than %d bytes", MaxIDTokenLen)
	}
	ctx = gooidc.ClientContext(ctx, p.cfg.HTTPClient)
	// The signature first, on its own, so that a refusal names its real reason: the
	// library checks issuer and audience only after it, and says neither in a type.
	if _, err := p.keys.VerifySignature(ctx, raw); err != nil {
		return Identity{}, nil, p.explain(raw, ErrBadSignature, err)
	}
	tok, err := p.verifier.Verify(ctx, raw)
	if err != nil {
		var exp *gooidc.TokenExpiredError
		if errors.As(err, &exp) {
			return Identity{}, nil, &Error{Reason: ErrExpired, Field: "exp", Detail: "expired at " + exp.Expiry.UTC().Format(time.RFC3339), Err: err}
		}
		return Identity{}, nil, p.explain(raw, ErrMalformed, err)
	}
	if nonce != "" && subtle.ConstantTimeCompare([]byte(tok.Nonce), []byte(nonce)) != 1 {
		return Identity{}, nil, fail(ErrNonceMismatch, "nonce", "the token was not issued for this sign-in")
	}
	id, err := p.mapClaims(tok)
	if err != nil {
		return Identity{}, nil, err
	}
	return id, tok, nil
}
