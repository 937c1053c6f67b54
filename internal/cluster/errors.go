package cluster

import (
	"errors"
	"fmt"
)

// Errors of this package. Validation failures are *store.ValidationError
// values (they match store.ErrInvalid and name the field), so callers map one
// type of validation error to HTTP.
var (
	// ErrUnreachable means the cluster's API server could not be reached or its
	// caches did not sync in time. Worth retrying later; the reason is in the
	// *UnreachableError that wraps it.
	ErrUnreachable = errors.New("cluster unreachable")
	// ErrWrongKey means a sealed kubeconfig does not open with this keyring: it
	// was sealed with another key, or it was corrupted. Not worth retrying: the
	// server's secret key is misconfigured.
	ErrWrongKey = errors.New("sealed with a different key or corrupted")
	// ErrBadKey means the configured secret key (environment or key file) is
	// malformed or unsafe. Not worth retrying.
	ErrBadKey = errors.New("bad secret key")
	// ErrArgoNotInstalled means the cluster does not serve argoproj.io/v1alpha1
	// rollouts, so there is nothing to list.
	ErrArgoNotInstalled = errors.New("argo rollouts not installed")
)

// UnreachableError says which cluster could not be reached and why. It
// matches ErrUnreachable.
type UnreachableError struct {
	Cluster string // the cluster's name
	Reason  string // the error text of the failed probe or sync
}

// Error implements error.
func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cluster %s unreachable: %s", e.Cluster, e.Reason)
}

// Unwrap makes errors.Is(err, ErrUnreachable) true.
func (e *UnreachableError) Unwrap() error { return ErrUnreachable }
