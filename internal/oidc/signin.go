package oidc

import (
	"context"
	"net/http"
	"time"
)

// SignIn is the browser sign-in of a server, the two handlers' worth of work:
// Begin on GET /auth/login, Finish on GET /auth/callback.
type SignIn struct {
	Provider   *Provider
	Flows      *FlowCodec
	CookiePath string // where both routes live, e.g. "/auth"
	Secure     bool   // the console is served over HTTPS: flow cookie marked Secure
}

// Begin starts a sign-in that will land on next (a local path; "" is "/"): set the
// returned cookie and redirect the browser (302) to the returned URL.
func (s *SignIn) Begin(next string) (*http.Cookie, string, error) {
	f, err := NewFlow(next, s.Flows.now())
	if err != nil {
		return nil, "", err
	}
	v, err := s.Flows.Encode(f)
	if err != nil {
		return nil, "", err
	}
	return s.Flows.Cookie(v, s.CookiePath, s.Secure), s.Provider.AuthURL(f.State, f.Nonce, f.Verifier), nil
}

// Finish ends the sign-in a callback request belongs to. It sets the clearing flow
// cookie on w first, whatever the outcome, so the state cannot be used twice; then
// it checks the callback against the cookie and exchanges the code. On success the
// caller creates the session and redirects to Flow.Next; on error (an *Error) it
// shows the reason and audits it.
func (s *SignIn) Finish(ctx context.Context, w http.ResponseWriter, r *http.Request) (Identity, Flow, error) {
	http.SetCookie(w, ClearCookie(s.CookiePath, s.Secure))
	f, code, err := s.Flows.FromRequest(r)
	if err != nil {
		return Identity{}, Flow{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	id, err := s.Provider.Exchange(ctx, code, f.Verifier, f.Nonce)
	if err != nil {
		return Identity{}, Flow{}, err
	}
	return id, f, nil
}
