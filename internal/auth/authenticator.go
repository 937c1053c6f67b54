package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/switchyard/switchyard/internal/logging"
	"github.com/switchyard/switchyard/internal/proxy"
	"github.com/switchyard/switchyard/internal/store"
)

// Names on the wire.
const (
	SessionCookie = "switchyard_session" // holds the session token
	CSRFHeader    = "X-CSRF-Token"       // carries the session's CSRF token on unsafe requests
)

// Default session lifetimes.
const (
	DefaultIdleTimeout     = 8 * time.Hour
	DefaultAbsoluteTimeout = 7 * 24 * time.Hour
)

// touchEvery limits how often a session's or token's last use is written.
const touchEvery = time.Minute

// Authenticator logs users in and recognises them on later requests. Its
// zero-valued durations mean the defaults; Store, Hasher and both limiters
// must be set (NewAuthenticator does).
type Authenticator struct {
	Store           *store.Store
	Hasher          *Hasher
	UserLimiter     *Limiter // failed logins per username
	AddrLimiter     *Limiter // failed logins per client address
	IdleTimeout     time.Duration
	AbsoluteTimeout time.Duration
	Now             func() time.Time
}

// NewAuthenticator returns an Authenticator with the default lifetimes and
// limits: 5 failed logins per username and 20 per client address in 5 minutes.
func NewAuthenticator(s *store.Store, h *Hasher) *Authenticator {
	return &Authenticator{
		Store:       s,
		Hasher:      h,
		UserLimiter: &Limiter{Max: 5, Window: 5 * time.Minute},
		AddrLimiter: &Limiter{Max: 20, Window: 5 * time.Minute},
	}
}

// Login checks a username and password from the client at addr. It returns
// ErrBadCredentials for either being wrong and *RateLimitedError once the
// username or the address has failed too often. A username longer than
// MaxUsernameLen (no user has one) is a bad credential that leaves no trace
// in the limiters, so it costs no memory; callers refuse it before (the API
// answers 422).
func (a *Authenticator) Login(ctx context.Context, username, password, addr string) (store.User, error) {
	if len(username) > MaxUsernameLen {
		return store.User{}, ErrBadCredentials
	}
	userKey, addrKey := "user:"+username, "addr:"+addr
	// Each attempt is reserved before the (slow) password check, so that
	// attempts sent at once count against the limits too.
	if wait, first := a.UserLimiter.Reserve(userKey); wait > 0 {
		return store.User{}, &RateLimitedError{RetryAfter: wait, First: first}
	}
	if wait, first := a.AddrLimiter.Reserve(addrKey); wait > 0 {
		a.UserLimiter.Done(userKey, false)
		return store.User{}, &RateLimitedError{RetryAfter: wait, First: first}
	}
	failed := false
	defer func() {
		a.UserLimiter.Done(userKey, failed)
		a.AddrLimiter.Done(addrKey, failed)
	}()
	u, err := a.Store.GetUserByName(ctx, username)
	switch {
	case errors.Is(err, store.ErrNotFound):
		a.Hasher.VerifyNothing(password)
	case err != nil:
		return store.User{}, fmt.Errorf("log in %q: %w", username, err)
	case a.Hasher.Verify(u.PasswordHash, password):
		a.UserLimiter.Reset(userKey)
		if u.Disabled() {
			// Said only to whoever knows the password.
			return store.User{}, ErrDisabled
		}
		return u, nil
	}
	failed = true
	return store.User{}, ErrBadCredentials
}

// StartSession creates a session for the user and sets its cookie on w. A
// disabled user gets none (ErrDisabled), however they signed in.
func (a *Authenticator) StartSession(ctx context.Context, w http.ResponseWriter, r *http.Request, userID int64) (store.Session, error) {
	u, err := a.Store.GetUser(ctx, userID)
	if err != nil {
		return store.Session{}, fmt.Errorf("start session: %w", err)
	}
	if u.Disabled() {
		return store.Session{}, ErrDisabled
	}
	token := randomToken()
	now := a.now()
	ss, err := a.Store.CreateSession(ctx, store.Session{
		ID:        HashToken(token),
		UserID:    userID,
		CSRFToken: randomToken(),
		ExpiresAt: now.Add(a.idle()),
	})
	if err != nil {
		return store.Session{}, fmt.Errorf("start session: %w", err)
	}
	http.SetCookie(w, a.cookie(r, token, ss.ExpiresAt))
	return ss, nil
}

// EndSession deletes the caller's session, if any, and clears the cookie.
func (a *Authenticator) EndSession(ctx context.Context, w http.ResponseWriter, r *http.Request, p Principal) error {
	http.SetCookie(w, a.cookie(r, "", time.Unix(0, 0)))
	if p.Session == nil {
		return nil
	}
	if err := a.Store.DeleteSession(ctx, p.Session.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// cookie returns the session cookie: HttpOnly, SameSite=Lax, Secure when the
// client uses HTTPS (TLS here, X-Forwarded-Proto from a trusted proxy, or an
// https external URL).
func (a *Authenticator) cookie(r *http.Request, token string, expires time.Time) *http.Cookie {
	return &http.Cookie{
		Name:     SessionCookie,
		Value:    token,
		Path:     "/",
		Expires:  expires,
		HttpOnly: true,
		Secure:   proxy.ClientOf(r).HTTPS,
		SameSite: http.SameSiteLaxMode,
	}
}

// Authenticate returns the caller of r: by an "Authorization: Bearer" API
// token if present, else by the session cookie. It returns
// ErrUnauthenticated when there is neither or the credential is not live.
// The caller's name goes to the request's access log line.
func (a *Authenticator) Authenticate(r *http.Request) (Principal, error) {
	p, err := a.authenticate(r)
	if err == nil {
		logging.SetUser(r.Context(), p.User.Username)
	}
	return p, err
}

func (a *Authenticator) authenticate(r *http.Request) (Principal, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		token, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return Principal{}, fmt.Errorf("%w: Authorization must be \"Bearer <token>\"", ErrUnauthenticated)
		}
		return a.byToken(r.Context(), strings.TrimSpace(token))
	}
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return Principal{}, ErrUnauthenticated
	}
	return a.bySession(r.Context(), c.Value)
}

func (a *Authenticator) byToken(ctx context.Context, token string) (Principal, error) {
	t, err := a.Store.GetAPITokenByHash(ctx, HashToken(token))
	var expired *store.ExpiredError
	switch {
	case errors.As(err, &expired):
		// Whoever sends the token holds it: saying it expired gives nothing away.
		return Principal{}, fmt.Errorf("%w: API token expired at %s; create a new one",
			ErrUnauthenticated, expired.ExpiredAt.Format(time.RFC3339))
	case errors.Is(err, store.ErrNotFound):
		return Principal{}, fmt.Errorf("%w: unknown or revoked API token", ErrUnauthenticated)
	case err != nil:
		return Principal{}, fmt.Errorf("authenticate API token: %w", err)
	}
	if t.LastUsedAt == nil || a.now().Sub(*t.LastUsedAt) > touchEvery {
		if err := a.Store.TouchAPIToken(ctx, t.ID); err != nil {
			return Principal{}, fmt.Errorf("authenticate API token: %w", err)
		}
	}
	p, err := a.principal(ctx, t.UserID, nil, t.ID)
	p.TokenExpiresAt = t.ExpiresAt
	return p, err
}

func (a *Authenticator) bySession(ctx context.Context, token string) (Principal, error) {
	ss, err := a.Store.GetSession(ctx, HashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, fmt.Errorf("%w: session expired or signed out", ErrUnauthenticated)
	}
	if err != nil {
		return Principal{}, fmt.Errorf("authenticate session: %w", err)
	}
	now := a.now()
	end := ss.CreatedAt.Add(a.absolute())
	if !now.Before(end) {
		_ = a.Store.DeleteSession(ctx, ss.ID)
		return Principal{}, fmt.Errorf("%w: session expired", ErrUnauthenticated)
	}
	if now.Sub(ss.LastSeenAt) > touchEvery {
		ss.ExpiresAt = now.Add(a.idle())
		if ss.ExpiresAt.After(end) {
			ss.ExpiresAt = end
		}
		if err := a.Store.TouchSession(ctx, ss.ID, ss.ExpiresAt); err != nil {
			return Principal{}, fmt.Errorf("%w: session expired", ErrUnauthenticated)
		}
	}
	return a.principal(ctx, ss.UserID, &ss, 0)
}

func (a *Authenticator) principal(ctx context.Context, userID int64, ss *store.Session, tokenID int64) (Principal, error) {
	u, err := a.Store.GetUser(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, ErrUnauthenticated
	}
	if err != nil {
		return Principal{}, fmt.Errorf("authenticate: %w", err)
	}
	if u.Disabled() {
		// The one place a disabled account's credentials stop: every
		// request, by session or API token, comes through here.
		return Principal{}, fmt.Errorf("%w: %w", ErrUnauthenticated, ErrDisabled)
	}
	return Principal{User: u, Session: ss, TokenID: tokenID}, nil
}

// CheckCSRF enforces the CSRF token on unsafe requests authenticated by a
// session cookie. Safe methods and API-token requests pass: a browser never
// attaches a bearer token on its own.
func CheckCSRF(r *http.Request, p Principal) error {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return nil
	}
	if !p.ViaSession() {
		return nil
	}
	got := r.Header.Get(CSRFHeader)
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(p.Session.CSRFToken)) != 1 {
		return ErrCSRF
	}
	return nil
}

// CreateAPIToken issues a personal API token for the user, valid for
// lifetime from now (0: it never expires), and returns it in clear (to show
// once) with its stored record. notAfter, when set, bounds the expiry: a
// token created with another token (Principal.TokenExpiresAt) must not
// outlive it, so a longer or never-ending lifetime is clamped to it.
func (a *Authenticator) CreateAPIToken(ctx context.Context, userID int64, name string, lifetime time.Duration, notAfter *time.Time) (string, store.APIToken, error) {
	token, prefix, hash := NewAPIToken()
	var expires *time.Time
	if lifetime > 0 {
		at := a.now().Add(lifetime)
		expires = &at
	}
	if notAfter != nil && (expires == nil || expires.After(*notAfter)) {
		expires = notAfter
	}
	t, err := a.Store.CreateAPIToken(ctx, store.APIToken{UserID: userID, Name: name, Prefix: prefix, Hash: hash, ExpiresAt: expires})
	if err != nil {
		return "", store.APIToken{}, err
	}
	return token, t, nil
}

// ClientAddr returns the address of the client of r for rate limiting and
// the audit log: the peer's IP, or the forwarded client's when the peer is a
// trusted proxy (proxy.Resolver, --trusted-proxies).
func ClientAddr(r *http.Request) string { return proxy.ClientOf(r).Addr }

// PruneLimiters forgets failed logins that have left the limiters' window.
// The server calls it on a timer (see server.Run).
func (a *Authenticator) PruneLimiters() {
	a.UserLimiter.PruneAll()
	a.AddrLimiter.PruneAll()
}

func (a *Authenticator) idle() time.Duration { return cmpOr(a.IdleTimeout, DefaultIdleTimeout) }
func (a *Authenticator) absolute() time.Duration {
	return cmpOr(a.AbsoluteTimeout, DefaultAbsoluteTimeout)
}

func (a *Authenticator) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func cmpOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
