// Package oidc signs users in with an OpenID Connect provider (Okta, Entra ID,
// Keycloak, Google, GitLab, Dex): the authorization code flow with PKCE (S256),
// state and nonce; ID tokens verified through the issuer's published keys (JWKS,
// fetched again when the provider rotates its keys); claims mapped to an Identity.
// It keeps no server-side state: a sign-in in progress lives in a signed cookie.
//
// # Wiring
//
// At start-up, from flags (--oidc-issuer, --oidc-client-id, the secret from a file or
// the environment, --oidc-scopes, --oidc-groups-claim, --oidc-username-claim):
//
//	p, err := oidc.New(ctx, oidc.Config{Issuer: ..., ClientID: ..., ClientSecret: ...,
//		RedirectURL: externalURL + "/auth/callback", Scopes: ..., GroupsClaim: ..., UsernameClaim: ...})
//	flows, err := oidc.NewFlowCodec(key, 0, nil) // key: 32+ secret bytes, the same on every replica
//	signIn := &oidc.SignIn{Provider: p, Flows: flows, CookiePath: "/auth", Secure: https}
//
// GET /auth/login?next=/path:
//
//	cookie, authURL, err := signIn.Begin(r.URL.Query().Get("next")) // err: ErrInvalidNext, ErrTooLong
//	http.SetCookie(w, cookie); http.Redirect(w, r, authURL, http.StatusFound)
//
// GET /auth/callback:
//
//	id, flow, err := signIn.Finish(r.Context(), w, r) // clears the flow cookie first
//	// err: an *oidc.Error; errors.Is(err, oidc.ErrX) says which check failed. Audit it,
//	// answer 401 with its message (ErrProvider: 502, worth retrying later; ErrConfig:
//	// our own misconfiguration, log it and answer 503).
//	// ok: create or update the SSO user keyed by (issuer, id.Subject), refresh its
//	// groups from id.Groups, start the normal session, redirect to flow.Next.
//
// A CLI or any caller holding a raw ID token uses Provider.Verify.
//
// # Why a state cannot be used twice
//
// The flow (state, nonce, PKCE verifier, next, creation time) is an HMAC-signed cookie
// that expires after DefaultFlowTTL. The callback is accepted only when its state
// equals the cookie's, and Finish deletes the cookie before it does anything else,
// so the browser cannot bring the same callback back (ErrNoFlow). Someone who copied
// the cookie and replays it with the same callback URL gets past that check but not
// the provider: the authorization code is single-use and bound to the PKCE challenge
// of this flow, so its exchange is refused (ErrCodeRejected); a fresh code from
// another sign-in does not match this flow's verifier either. A forged or
// re-signed cookie fails the HMAC (ErrNoFlow).
//
// One flow cookie per browser: starting a second sign-in in another tab replaces the
// first, whose callback then fails with ErrStateMismatch.
package oidc
