package store

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors. Test for them with errors.Is; use errors.As with
// *NotFoundError, *ExpiredError, *ConflictError or *ValidationError to learn
// which thing. None of them is worth retrying as is.
var (
	// ErrNotFound means the row asked for does not exist, or no longer counts
	// (an expired session, a revoked or expired API token), or a row referred
	// to is missing.
	ErrNotFound = errors.New("not found")
	// ErrConflict means a row with the same unique key already exists.
	ErrConflict = errors.New("already exists")
	// ErrInvalid means an argument was rejected before reaching the database.
	ErrInvalid = errors.New("invalid")
	// ErrLastAdmin means a change would remove or demote a workspace's last
	// admin, which would leave nobody but platform admins able to manage
	// its members.
	ErrLastAdmin = errors.New("the workspace's last admin can't be removed or demoted")
	// ErrLastPlatformAdmin means a change would disable, demote or delete
	// the last enabled platform administrator, which would leave nobody able
	// to manage users and clusters.
	ErrLastPlatformAdmin = errors.New("the last enabled platform administrator can't be disabled, demoted or deleted")
)

// LastAdminError names the workspace whose last admin a change would
// remove (deleting a user who is its only admin). It matches ErrLastAdmin.
type LastAdminError struct {
	Workspace string
}

// Error implements error.
func (e *LastAdminError) Error() string {
	return fmt.Sprintf("the user is the last admin of workspace %q: make someone else its admin first", e.Workspace)
}

// Unwrap makes errors.Is(err, ErrLastAdmin) true.
func (e *LastAdminError) Unwrap() error { return ErrLastAdmin }

// NotFoundError says which thing was not found. It matches ErrNotFound.
type NotFoundError struct {
	Resource string // "user", "workspace", …
	Key      string // the ID or name looked up
}

// Error implements error.
func (e *NotFoundError) Error() string { return fmt.Sprintf("%s %s not found", e.Resource, e.Key) }

// Unwrap makes errors.Is(err, ErrNotFound) true.
func (e *NotFoundError) Unwrap() error { return ErrNotFound }

// ExpiredError says a credential exists but is past its expiry. It matches
// ErrNotFound: an expired credential no longer counts, like a revoked one.
// It names no key, since the key of a credential is a secret.
type ExpiredError struct {
	Resource  string // "API token"
	ExpiredAt time.Time
}

// Error implements error.
func (e *ExpiredError) Error() string {
	return fmt.Sprintf("%s expired at %s", e.Resource, e.ExpiredAt.UTC().Format(time.RFC3339))
}

// Unwrap makes errors.Is(err, ErrNotFound) true.
func (e *ExpiredError) Unwrap() error { return ErrNotFound }

// ConflictError says which unique key is already taken. It matches ErrConflict.
type ConflictError struct {
	Resource string // "user", "workspace", …
	Key      string // the value that collided, e.g. a quoted name
	// Field, when set, is the field other than the name that collided (a
	// job's "deployment" or "service"), Key its quoted value and Holder the
	// name of the record that already has it.
	Field, Holder string
}

// Error implements error.
func (e *ConflictError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s %s %s is already taken by %s %q", e.Resource, e.Field, e.Key, e.Resource, e.Holder)
	}
	return fmt.Sprintf("%s %s already exists", e.Resource, e.Key)
}

// Unwrap makes errors.Is(err, ErrConflict) true.
func (e *ConflictError) Unwrap() error { return ErrConflict }

// ValidationError names the field the store refused. It matches ErrInvalid.
type ValidationError struct {
	Field   string
	Problem string
}

// Error implements error.
func (e *ValidationError) Error() string { return e.Field + ": " + e.Problem }

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

func notFound(resource string, key any) error {
	return &NotFoundError{Resource: resource, Key: fmt.Sprint(key)}
}

func conflict(resource string, key any) error {
	return &ConflictError{Resource: resource, Key: fmt.Sprint(key)}
}

// required returns a ValidationError when value is empty.
func required(field, value string) error {
	if value == "" {
		return &ValidationError{Field: field, Problem: "must not be empty"}
	}
	return nil
}

// oneOf returns a ValidationError unless value is one of allowed.
func oneOf(field, value string, allowed ...string) error {
	for _, a := range allowed {
		if value == a {
			return nil
		}
	}
	return &ValidationError{Field: field, Problem: fmt.Sprintf("%q is not one of %q", value, allowed)}
}
