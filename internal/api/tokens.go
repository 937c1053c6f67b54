package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/switchyard/switchyard/internal/auth"
	"github.com/switchyard/switchyard/internal/store"
)

func (a *API) tokenRoutes() []route {
	return []route{
		{pattern: "POST /api/v1/tokens", handle: a.createToken},
		{pattern: "GET /api/v1/tokens", handle: a.listTokens},
		{pattern: "DELETE /api/v1/tokens/{id}", handle: a.revokeToken},
	}
}

type createTokenRequest struct {
	Name string `json:"name"`
	// ExpiresInDays is the token's lifetime; 0 (or absent) means it never
	// expires. A request authenticated by an expiring API token gets at most
	// that token's expiry (longer lifetimes, and 0, are clamped to it).
	ExpiresInDays int `json:"expires_in_days"`
}

// maxTokenDays bounds expires_in_days: about ten years.
const maxTokenDays = 3650

// check validates the request, naming the first field at fault.
func (req createTokenRequest) check() error {
	if err := checkText("name", req.Name, true, 100); err != nil {
		return err
	}
	if req.ExpiresInDays < 0 || req.ExpiresInDays > maxTokenDays {
		return invalid("expires_in_days", "must be a number of days from 1 to "+strconv.Itoa(maxTokenDays)+", or 0 for a token that never expires")
	}
	return nil
}

// newTokenJSON is the only response that ever carries a token in clear.
type newTokenJSON struct {
	tokenJSON
	Token string `json:"token"`
}

// createToken issues a personal API token for the caller; it is shown once.
func (a *API) createToken(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req createTokenRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := req.check(); err != nil {
		return err
	}
	lifetime := time.Duration(req.ExpiresInDays) * 24 * time.Hour
	token, t, err := a.Auth.CreateAPIToken(r.Context(), p.User.ID, req.Name, lifetime, p.TokenExpiresAt)
	ev := event{actor: p.User.Username, target: "API token " + req.Name, action: "token.create", detail: expiryDetail(t)}
	if t.ExpiresAt != nil && p.TokenExpiresAt != nil && t.ExpiresAt.Equal(*p.TokenExpiresAt) {
		ev.detail += " (clamped to the expiry of the API token used)"
	}
	if err := a.record(r.Context(), ev, err); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, newTokenJSON{tokenJSON: toToken(t), Token: token})
	return nil
}

// expiryDetail says in the audit log when a new token expires.
func expiryDetail(t store.APIToken) string {
	if t.ExpiresAt == nil {
		return "never expires"
	}
	return "expires " + t.ExpiresAt.Format(time.RFC3339)
}

// listTokens lists the caller's tokens, revoked ones included, without secrets.
func (a *API) listTokens(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	ts, err := a.Store.ListAPITokens(r.Context(), p.User.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, mapAll(ts, toToken))
	return nil
}

// revokeToken revokes one of the caller's tokens; others' are not found.
func (a *API) revokeToken(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	err = a.Store.RevokeAPIToken(r.Context(), p.User.ID, id)
	ev := event{actor: p.User.Username, target: "API token " + strconv.FormatInt(id, 10), action: "token.revoke"}
	if err := a.record(r.Context(), ev, err); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// pathID reads a positive integer path value.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, badRequest(name, "%s must be a positive integer", name)
	}
	return id, nil
}
