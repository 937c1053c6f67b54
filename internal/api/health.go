package api

import (
	"context"
	_ "embed"
	"fmt"
	"net/http"
	"time"

	"github.com/switchyard/switchyard/internal/auth"
)

//go:embed openapi.json
var openapiDoc []byte

func (a *API) healthRoutes() []route {
	return []route{
		{pattern: "GET /healthz", handle: a.healthz, public: true},
		{pattern: "GET /readyz", handle: a.readyz, public: true},
		{pattern: "GET /metrics", handle: a.metrics, public: true},
		{pattern: "GET /api/v1/openapi.json", handle: a.openapi, public: true},
	}
}

// healthz says the process is alive.
func (a *API) healthz(w http.ResponseWriter, _ *http.Request, _ auth.Principal) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ok")
	return nil
}

// readyz says the server can serve: the store answers.
func (a *API) readyz(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := a.Store.Ping(ctx); err != nil {
		a.Logger.WarnContext(r.Context(), "not ready", "err", err)
		return &Error{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "store unavailable"}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ok")
	return nil
}

func (a *API) metrics(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	a.Metrics.handler().ServeHTTP(w, r)
	return nil
}

// openapi serves the hand-written OpenAPI 3 description of the API.
func (a *API) openapi(w http.ResponseWriter, _ *http.Request, _ auth.Principal) error {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(openapiDoc)
	return nil
}
