// Package auth says who is calling: local passwords (bcrypt), browser
// sessions in cookies with CSRF protection, personal API tokens, login rate
// limiting, and the first-start platform administrator. What a caller may
// do is decided elsewhere, by package access.
package auth

import (
	"errors"
	"fmt"
	"time"

	"github.com/switchyard/switchyard/internal/store"
)

// Errors returned by the Authenticator. None is worth retrying as is.
var (
	// ErrUnauthenticated means the request carries no valid credential (HTTP 401).
	ErrUnauthenticated = errors.New("authentication required")
	// ErrBadCredentials means a login's username or password is wrong (HTTP 401).
	// It never says which.
	ErrBadCredentials = errors.New("invalid username or password")
	// ErrCSRF means a cookie-authenticated write lacked the session's CSRF token (HTTP 403).
	ErrCSRF = errors.New("missing or invalid CSRF token")
	// ErrDisabled means the account is disabled: it can't sign in, and its
	// sessions and API tokens count for nothing (HTTP 401).
	ErrDisabled = errors.New("this account is disabled; ask a platform administrator")
)

// RateLimitedError means too many failed logins for a username or client
// address (HTTP 429). Retrying after RetryAfter may succeed.
type RateLimitedError struct {
	RetryAfter time.Duration
	// First is true for the first refusal of a lockout: the API records
	// that one in the audit log and only counts the others (a metric), so
	// that hammering a locked account writes nothing.
	First bool
}

// MaxUsernameLen is the longest username, in bytes: new users are held to
// it and longer login names are refused before any other work.
const MaxUsernameLen = 64

// Error implements error.
func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("too many failed logins: retry in %s", e.RetryAfter.Round(time.Second))
}

// Principal is an authenticated caller.
type Principal struct {
	User    store.User
	Session *store.Session // the browser session; nil for API tokens
	TokenID int64          // the API token used; 0 for sessions
	// TokenExpiresAt is when the API token used expires; nil for sessions
	// and for tokens that never expire. Tokens it creates end by then.
	TokenExpiresAt *time.Time
}

// ViaSession reports whether the caller authenticated with a session cookie,
// which makes unsafe requests subject to the CSRF check.
func (p Principal) ViaSession() bool { return p.Session != nil }
