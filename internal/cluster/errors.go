package cluster

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
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
// matches ErrUnreachable, and the transport error behind it when there is
// one. It is always worth retrying later.
type UnreachableError struct {
	Cluster string // the cluster's name
	Reason  string // the error text of the failed probe, request or sync
	// Server is the API server's URL when known. Reason may name it too:
	// Redacted hides both from those who may not see where clusters live.
	Server string
	Err    error // the transport error, when the failure was a request's
}

// Error implements error.
func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cluster %s unreachable: %s", e.Cluster, e.Reason)
}

// Unwrap makes errors.Is(err, ErrUnreachable) true, and reaches Err.
func (e *UnreachableError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrUnreachable, e.Err}
	}
	return []error{ErrUnreachable}
}

// Addresses in error texts: URLs, IPv4 and bracketed IPv6 addresses with an
// optional port, and the host of a failed DNS lookup.
var (
	urlText     = regexp.MustCompile(`[a-zA-Z][a-zA-Z0-9+.-]*://[^\s"'<>]+`)
	ipText      = regexp.MustCompile(`\b\d{1,3}(\.\d{1,3}){3}(:\d+)?\b|\[[0-9a-fA-F:.%]+\](:\d+)?`)
	lookupText  = regexp.MustCompile(`lookup [^\s:]+`)
	hostAndPort = regexp.MustCompile(`\b[a-zA-Z0-9-]+(\.[a-zA-Z0-9-]+)+:\d+\b`)
)

// Redacted returns a copy of e that does not say where the cluster's API
// server is: its URL, host and any address in Reason are replaced, what went
// wrong ("connection refused", "i/o timeout") stays. Members of a workspace
// see this; platform administrators see e itself.
func (e *UnreachableError) Redacted() *UnreachableError {
	reason := e.Reason
	if u, err := url.Parse(e.Server); err == nil && u.Host != "" {
		reason = strings.ReplaceAll(reason, e.Server, "the API server")
		reason = strings.ReplaceAll(reason, u.Host, "the API server")
		if h := u.Hostname(); h != "" {
			reason = strings.ReplaceAll(reason, h, "the API server")
		}
	}
	reason = urlText.ReplaceAllString(reason, "the API server")
	reason = lookupText.ReplaceAllString(reason, "lookup of the API server")
	reason = hostAndPort.ReplaceAllString(reason, "the API server")
	reason = ipText.ReplaceAllString(reason, "an address")
	return &UnreachableError{Cluster: e.Cluster, Reason: reason}
}

// WrapUnreachable returns err as an *UnreachableError of the named cluster
// when it is a failure to reach its API server (no connection, a timeout,
// TLS, the server overloaded or unavailable), and err unchanged otherwise:
// a refusal by the API server (not found, forbidden, invalid) is an answer,
// not an outage. A request the caller cancelled stays what it is.
func WrapUnreachable(cluster string, err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, ErrUnreachable) {
		return err
	}
	var ue *url.Error // client-go's requests fail with one when the transport does
	switch {
	case errors.As(err, &ue),
		apierrors.IsServiceUnavailable(err), apierrors.IsServerTimeout(err),
		apierrors.IsTimeout(err), apierrors.IsTooManyRequests(err):
		return &UnreachableError{Cluster: cluster, Reason: err.Error(), Err: err}
	}
	return err
}
