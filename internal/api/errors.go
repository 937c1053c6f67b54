package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/switchyard/switchyard/internal/access"
	"github.com/switchyard/switchyard/internal/auth"
	"github.com/switchyard/switchyard/internal/cluster"
	"github.com/switchyard/switchyard/internal/release"
	"github.com/switchyard/switchyard/internal/store"
)

// Error is an error with the HTTP status and machine-readable code it is
// answered with. Handlers return it for problems they find themselves (bad
// input); errors from other packages are mapped by status.
type Error struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
	// Phase is the job's current phase when a job operation no longer fits it.
	Phase string `json:"phase,omitempty"`
	// Fields lists every field at fault when the request broke the rules of
	// several (Field and Message are then the first one).
	Fields []FieldProblem `json:"fields,omitempty"`
}

// FieldProblem is one field and the rule it breaks.
type FieldProblem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error implements error.
func (e *Error) Error() string {
	if e.Field != "" {
		return e.Field + ": " + e.Message
	}
	return e.Message
}

// invalid returns a 422 for a field that breaks a rule.
func invalid(field, rule string) *Error {
	return &Error{Status: http.StatusUnprocessableEntity, Code: "invalid", Field: field, Message: field + " " + rule}
}

// badRequest returns a 400 for a request that cannot be read.
func badRequest(field, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "bad_request", Field: field, Message: fmt.Sprintf(format, args...)}
}

// status is the one place that maps errors to HTTP answers, as told to
// anyone: where a cluster's API server lives is left out (statusFor tells
// platform administrators). Anything it does not recognise is a 500 whose
// details stay in the log.
func status(err error) *Error { return statusFor(err, false) }

// statusFor is status for a caller who is a platform administrator (admin)
// or not.
func statusFor(err error, admin bool) *Error {
	var (
		apiErr     *Error
		notFound   *store.NotFoundError
		conflict   *store.ConflictError
		validation *store.ValidationError
		tooLarge   *http.MaxBytesError
		limited    *auth.RateLimitedError
		field      *release.FieldError
		jobState   *release.ConflictError
	)
	switch {
	case errors.As(err, &apiErr):
		return apiErr
	case errors.As(err, &tooLarge):
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Message: fmt.Sprintf("request body larger than %d bytes", tooLarge.Limit)}
	case errors.As(err, &limited):
		return &Error{Status: http.StatusTooManyRequests, Code: "rate_limited", Message: limited.Error()}
	case errors.Is(err, auth.ErrCSRF):
		return &Error{Status: http.StatusForbidden, Code: "csrf", Message: err.Error() + ": send the session's token in the " + auth.CSRFHeader + " header"}
	case errors.Is(err, auth.ErrDisabled):
		return &Error{Status: http.StatusUnauthorized, Code: "disabled", Message: err.Error()}
	case errors.Is(err, auth.ErrBadCredentials), errors.Is(err, auth.ErrUnauthenticated):
		return &Error{Status: http.StatusUnauthorized, Code: "unauthenticated", Message: err.Error()}
	case errors.As(err, &notFound):
		return &Error{Status: http.StatusNotFound, Code: "not_found", Message: notFound.Error()}
	case errors.Is(err, store.ErrNotFound):
		return &Error{Status: http.StatusNotFound, Code: "not_found", Message: "not found"}
	case errors.Is(err, access.ErrForbidden):
		return &Error{Status: http.StatusForbidden, Code: "forbidden", Message: err.Error()}
	case errors.As(err, &conflict):
		return &Error{Status: http.StatusConflict, Code: "conflict", Message: conflict.Error()}
	case errors.As(err, &validation):
		return &Error{Status: http.StatusUnprocessableEntity, Code: "invalid", Field: validation.Field, Message: validation.Error()}
	case errors.As(err, &field):
		e := &Error{Status: http.StatusUnprocessableEntity, Code: "invalid", Field: field.Field, Message: field.Error()}
		if all := fieldErrors(err); len(all) > 1 {
			for _, f := range all {
				e.Fields = append(e.Fields, FieldProblem{Field: f.Field, Message: f.Error()})
			}
		}
		return e
	case errors.As(err, &jobState):
		return &Error{Status: http.StatusConflict, Code: "conflict", Message: jobState.Error(), Phase: string(jobState.Phase)}
	case errors.Is(err, release.ErrNotFound), apierrors.IsNotFound(err):
		// An object the job needs is missing from the cluster (the Rollout, or
		// the Deployment): the job no longer fits the cluster, say what is gone.
		return &Error{Status: http.StatusConflict, Code: "missing", Message: strings.TrimSuffix(err.Error(), ": "+release.ErrNotFound.Error())}
	case errors.Is(err, release.ErrBusy):
		return &Error{Status: http.StatusConflict, Code: "busy", Message: err.Error() + ": try again in a moment"}
	}
	var unreachable *cluster.UnreachableError
	if errors.As(err, &unreachable) {
		if !admin {
			unreachable = unreachable.Redacted()
		}
		return &Error{Status: http.StatusServiceUnavailable, Code: "cluster_unreachable", Message: unreachable.Error() + "; try again later"}
	}
	if apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err) {
		return clusterRefused(err, admin)
	}
	if e := clusterError(err); e != nil { // wrong secret key (500)
		return e
	}
	return &Error{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error; see the server log"}
}

// clusterRefused is the answer when a cluster's API server refused
// Switchyard's own credentials (RBAC forbids a verb, or the token expired or
// was revoked): not the caller's fault, and not a fault of this server
// either, so a 502 saying what the cluster refused. Platform administrators,
// who can fix the credentials, read the cluster's own words; others what was
// refused, without the cluster's user names.
func clusterRefused(err error, admin bool) *Error {
	code, what := "cluster_forbidden", "the cluster refused Switchyard's credentials"
	if apierrors.IsUnauthorized(err) {
		code, what = "cluster_unauthorized", "the cluster no longer accepts Switchyard's credentials (expired or revoked)"
	}
	msg := what + "; a platform administrator can grant what Switchyard needs (cluster.Permissions) or run switchyard cluster rotate-credentials"
	if admin {
		msg = what + ": " + err.Error() + "; grant what Switchyard needs (cluster.Permissions) or run switchyard cluster rotate-credentials"
	} else if d := apiStatusDetails(err); d != "" {
		msg = what + " (" + d + "); ask a platform administrator to grant it or to rotate the cluster's credentials"
	}
	return &Error{Status: http.StatusBadGateway, Code: code, Message: msg}
}

// apiStatusDetails names the object a Kubernetes status error is about
// ("deployments.apps web"), or "".
func apiStatusDetails(err error) string {
	var se apierrors.APIStatus
	if !errors.As(err, &se) {
		return ""
	}
	d := se.Status().Details
	if d == nil || d.Kind == "" {
		return ""
	}
	kind := d.Kind
	if d.Group != "" {
		kind += "." + d.Group
	}
	return strings.TrimSpace("on " + kind + " " + d.Name)
}

// fieldErrors returns every *release.FieldError in err's tree (errors.Join
// of several checks), in order.
func fieldErrors(err error) []*release.FieldError {
	switch e := err.(type) {
	case *release.FieldError:
		return []*release.FieldError{e}
	case interface{ Unwrap() []error }:
		var out []*release.FieldError
		for _, x := range e.Unwrap() {
			out = append(out, fieldErrors(x)...)
		}
		return out
	case interface{ Unwrap() error }:
		return fieldErrors(e.Unwrap())
	}
	return nil
}

// writeError answers with err's status and JSON body, as told to anyone, and
// logs server faults.
func (a *API) writeError(w http.ResponseWriter, r *http.Request, err error) {
	a.writeErrorFor(w, r, err, false)
}

// retryAfterUnavailable is the Retry-After of a 503: a cluster outage is
// worth retrying, a few seconds on.
const retryAfterUnavailable = "5"

// writeErrorFor is writeError for a caller who is a platform administrator
// (admin) or not. A 503 (a cluster, not this server, is down) is logged as a
// warning; other server faults as errors.
func (a *API) writeErrorFor(w http.ResponseWriter, r *http.Request, err error, admin bool) {
	e := statusFor(err, admin)
	switch {
	case r.Context().Err() != nil && errors.Is(err, r.Context().Err()):
		// The client went away (or the server is shutting down): nothing
		// went wrong here.
		a.Logger.DebugContext(r.Context(), "request abandoned", "method", r.Method, "path", r.URL.Path, "err", err)
	case e.Status == http.StatusServiceUnavailable:
		a.Logger.WarnContext(r.Context(), "request failed: dependency unavailable", "method", r.Method, "path", r.URL.Path, "err", err)
		w.Header().Set("Retry-After", retryAfterUnavailable)
	case e.Status >= 500:
		a.Logger.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	var limited *auth.RateLimitedError
	if errors.As(err, &limited) {
		w.Header().Set("Retry-After", strconv.Itoa(int(limited.RetryAfter.Seconds()+0.999)))
	}
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="switchyard"`)
	}
	writeJSON(w, e.Status, struct {
		Error *Error `json:"error"`
	}{e})
}

// hiddenError answers like a missing workspace while still matching
// access.ErrNotVisible, so the audit log records a denial.
type hiddenError struct{ notFound error }

// Error implements error.
func (e hiddenError) Error() string { return e.notFound.Error() }

// Unwrap makes the error match both the not-found error and ErrNotVisible.
func (e hiddenError) Unwrap() []error { return []error{e.notFound, access.ErrNotVisible} }
