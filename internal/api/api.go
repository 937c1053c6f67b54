// Package api is Switchyard's JSON REST API under /api/v1, plus the
// operational endpoints /healthz, /readyz and /metrics.
//
// Handlers are thin methods on API: decode, authorize (always through
// access.Checker), call the store or domain, encode. Errors are returned,
// not written: wrap turns them into the JSON error body with the status
// chosen in one place, status (errors.go).
package api

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/switchyard/switchyard/internal/access"
	"github.com/switchyard/switchyard/internal/auth"
	"github.com/switchyard/switchyard/internal/cluster"
	"github.com/switchyard/switchyard/internal/notifications"
	"github.com/switchyard/switchyard/internal/release"
	"github.com/switchyard/switchyard/internal/store"
)

// DefaultMaxBodyBytes caps request bodies; larger ones get 413.
const DefaultMaxBodyBytes = 1 << 20

// API serves the REST API. Set every field before calling Register.
type API struct {
	Store   *store.Store
	Auth    *auth.Authenticator
	Access  *access.Checker
	Metrics *Metrics
	Logger  *slog.Logger
	// MaxBodyBytes caps request bodies; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64

	// Clusters registers clusters and hands out their connections (informer caches).
	Clusters *cluster.Manager
	// Jobs runs blue-green release jobs (routes in jobs.go).
	Jobs *release.Service
	// StreamLifetime ends a change stream after this long (the client
	// reconnects); zero means DefaultStreamLifetime.
	StreamLifetime time.Duration
	// StreamKeepAlive is how often an idle change stream sends a comment;
	// zero means every 15 s.
	StreamKeepAlive time.Duration
	// MaxStreamsPerUser caps the change streams one user may hold open;
	// zero means DefaultMaxStreamsPerUser.
	MaxStreamsPerUser int
	// LocalLoginDisabled refuses password sign-in to everyone but platform
	// administrators in their own right (break-glass): the others sign in
	// with SSO (--disable-local-login).
	LocalLoginDisabled bool
	// CLISSO, when set, lets the CLI sign in through the OpenID provider.
	CLISSO *CLISSO
	// Notifications manages the workspaces' webhook subscriptions (routes in notifications.go).
	Notifications *notifications.Subscriptions

	streams streams
}

// handlerFunc is a route's handler. p is the authenticated caller (zero for
// public routes). A returned error is written by wrap; a handler that
// returns an error must not have written a response.
type handlerFunc func(w http.ResponseWriter, r *http.Request, p auth.Principal) error

// route is one method + path pattern of the Go 1.22 mux and its handler.
type route struct {
	pattern string
	handle  handlerFunc
	public  bool  // served without authentication
	maxBody int64 // body limit when larger than the API's MaxBodyBytes
}

// routes lists every route, grouped by the file that implements them. To
// add a resource, write its handlers and a `func (a *API) xxxRoutes() []route`
// in its own file (e.g. clusters.go: a.clusterRoutes, jobs.go: a.jobRoutes)
// and add it here; describe the routes in openapi.json too (a test checks).
func (a *API) routes() [][]route {
	return [][]route{
		a.healthRoutes(),
		a.versionRoutes(),
		a.sessionRoutes(),
		a.tokenRoutes(),
		a.userRoutes(),
		a.lifecycleRoutes(),
		a.workspaceRoutes(),
		a.memberRoutes(),
		a.bindingRoutes(),
		a.groupBindingRoutes(),
		a.ssoRoutes(),
		a.auditRoutes(),
		a.clusterRoutes(),
		a.resourceRoutes(),
		a.jobRoutes(),
		a.changeRoutes(),
		a.notificationRoutes(),
	}
}

// Register adds every route to mux.
func (a *API) Register(mux *http.ServeMux) {
	for _, rt := range slices.Concat(a.routes()...) {
		mux.Handle(rt.pattern, a.wrap(rt))
	}
	mux.Handle("/api/v1/", nosniff(a.noRoute(mux)))
}

// noRoute answers what no route matches under /api/v1 in the API's JSON
// error format: 405 with Allow when the path exists for other methods, else
// 404 (the mux's own answers are plain text).
func (a *API) noRoute(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var allow []string
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			probe := r.Clone(r.Context())
			probe.Method = m
			if _, pattern := mux.Handler(probe); pattern != "" && pattern != "/api/v1/" {
				allow = append(allow, m)
			}
		}
		if len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			a.writeError(w, r, &Error{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed",
				Message: fmt.Sprintf("%s is not allowed on %s: use %s", r.Method, r.URL.Path, strings.Join(allow, ", "))})
			return
		}
		a.writeError(w, r, &Error{Status: http.StatusNotFound, Code: "not_found", Message: "no such API route: " + r.Method + " " + r.URL.Path})
	})
}

// nosniff marks every response as what its Content-Type says, so that no
// browser second-guesses an API answer (or a JSON error) as HTML.
func nosniff(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		h.ServeHTTP(w, r)
	})
}

// Handler returns a mux serving only the API's routes.
func (a *API) Handler() http.Handler {
	mux := http.NewServeMux()
	a.Register(mux)
	return mux
}

// wrap adds what every route shares: metrics, the body size limit,
// authentication, the CSRF check and the writing of errors.
func (a *API) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		w.Header().Set("X-Content-Type-Options", "nosniff")
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		r.Body = http.MaxBytesReader(rec, r.Body, max(a.maxBody(), rt.maxBody))
		var p auth.Principal
		if err := a.serve(rec, r, rt, &p); err != nil {
			a.writeErrorFor(rec, r, err, p.User.PlatformAdmin)
		}
		a.Metrics.observe(rt.pattern, rec.status, time.Since(start))
	})
}

// serve runs the route; *caller is who made the request, once authenticated.
func (a *API) serve(w http.ResponseWriter, r *http.Request, rt route, caller *auth.Principal) error {
	// No name, filter or ID holds a NUL character (PostgreSQL can't store
	// one): refuse it here rather than fail deep in the store.
	if strings.ContainsRune(r.URL.Path, 0) {
		return badRequest("", "the request path contains a NUL character")
	}
	// URL.Query drops what it can't decode ("?actor=%u0000" would list
	// every actor's events): a query that doesn't parse is refused.
	query, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return badRequest("", "the query string is not valid: %v", err)
	}
	for k, vs := range query {
		for _, v := range vs {
			if strings.ContainsRune(k+v, 0) {
				return badRequest(k, "query parameter %s contains a NUL character", strings.ReplaceAll(k, "\x00", ""))
			}
		}
	}
	if rt.public {
		return rt.handle(w, r, auth.Principal{})
	}
	p, err := a.Auth.Authenticate(r)
	if err != nil {
		return err
	}
	*caller = p
	if err := auth.CheckCSRF(r, p); err != nil {
		// A write without the session's CSRF token: possibly another site
		// acting through the user's browser. Refused before any handler, so
		// recorded here.
		return a.record(r.Context(), event{actor: p.User.Username, action: "request.csrf", target: r.Method + " " + r.URL.Path}, err)
	}
	return rt.handle(w, r, p)
}

func (a *API) maxBody() int64 {
	if a.MaxBodyBytes > 0 {
		return a.MaxBodyBytes
	}
	return DefaultMaxBodyBytes
}

// statusRecorder remembers the status written, for metrics.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

// WriteHeader implements http.ResponseWriter.
func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// authorize is the only way handlers ask for permission.
func (a *API) authorize(ctx context.Context, p auth.Principal, action access.Action, workspaceID int64) error {
	return a.Access.Authorize(ctx, access.SubjectOf(p.User), action, workspaceID)
}
