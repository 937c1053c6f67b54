package api

import (
	"net/http"

	"github.com/switchyard/switchyard/internal/auth"
	"github.com/switchyard/switchyard/internal/version"
)

// versionRoutes serves the server's build information. It is public, like
// /healthz: a release and a commit tell an attacker no more than the
// console's look does, and `switchyard version` can then show it before
// anyone signs in.
func (a *API) versionRoutes() []route {
	return []route{{pattern: "GET /api/v1/version", handle: a.version, public: true}}
}

// version answers with the build's version, revision and Go version.
func (a *API) version(w http.ResponseWriter, _ *http.Request, _ auth.Principal) error {
	writeJSON(w, http.StatusOK, version.Get())
	return nil
}
