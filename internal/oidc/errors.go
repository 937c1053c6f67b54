package oidc

import (
	"errors"
	"fmt"
)

// The reasons a sign-in is refused. Every error the package returns for a refused
// sign-in wraps exactly one of them, so a handler can tell the user what was wrong
// (errors.Is) and write it to the audit log. None is worth retrying as it is: the
// user has to start a new sign-in, except ErrProvider, which may be transient, and
// ErrConfig, which is the operator's to fix.
var (
	ErrWrongIssuer   = errors.New("ID token issued by another issuer")
	ErrWrongAudience = errors.New("ID token issued for another client")
	ErrExpired       = errors.New("ID token expired")
	ErrBadSignature  = errors.New("ID token signature does not verify")
	ErrMalformed     = errors.New("ID token malformed")
	ErrNonceMismatch = errors.New("ID token nonce does not match this sign-in")
	ErrBadClaim      = errors.New("ID token claim unusable")
	ErrMissingCode   = errors.New("callback has no code")
	ErrMissingState  = errors.New("callback has no state")
	ErrStateMismatch = errors.New("callback state does not match this sign-in")
	ErrNoFlow        = errors.New("no sign-in in progress (its cookie is missing, already used or forged)")
	ErrFlowExpired   = errors.New("sign-in took too long")
	ErrTooLong       = errors.New("input too long")
	ErrDenied        = errors.New("identity provider refused the sign-in")
	ErrCodeRejected  = errors.New("identity provider refused the code (already used, expired or for another sign-in)")
	ErrNoIDToken     = errors.New("token response has no id_token")
	ErrInvalidNext   = errors.New("next is not a local path")
	ErrProvider      = errors.New("identity provider unreachable or answered badly")
	ErrConfig        = errors.New("OIDC configuration invalid")
)

// Error is a refused sign-in: Reason is one of the Err* values above, Field names the
// input or claim at fault (may be empty), Detail says more, and Err is the underlying
// library error, if any. Its message never contains a token, a code or a secret.
type Error struct {
	Reason error
	Field  string
	Detail string
	Err    error
}

// Error says the reason, the field and the detail, e.g. "oidc: ID token issued for
// another client (aud): issued for ["other-app"], want "switchyard"".
func (e *Error) Error() string {
	msg := "oidc: " + e.Reason.Error()
	if e.Field != "" {
		msg += " (" + e.Field + ")"
	}
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

// Unwrap lets errors.Is match both the reason and the underlying error.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Reason}
	}
	return []error{e.Reason, e.Err}
}

func fail(reason error, field, format string, args ...any) *Error {
	return &Error{Reason: reason, Field: field, Detail: fmt.Sprintf(format, args...)}
}
