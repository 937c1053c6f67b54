package api

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/switchyard/switchyard/internal/access"
	"github.com/switchyard/switchyard/internal/auth"
	"github.com/switchyard/switchyard/internal/store"
)

// The account lifecycle (platform admins only, each change audited):
// disable, enable, delete, grant or remove platform admin, and another
// user's API tokens. The store keeps the last enabled platform admin, and
// a workspace's last admin, in one transaction; here a platform admin is
// kept from disabling, deleting or demoting themselves (another admin must),
// so that nobody locks themselves out by a slip.

func (a *API) lifecycleRoutes() []route {
	return []route{
		{pattern: "POST /api/v1/users/{name}/disable", handle: a.disableUser},
		{pattern: "POST /api/v1/users/{name}/enable", handle: a.enableUser},
		{pattern: "PATCH /api/v1/users/{name}", handle: a.patchUser},
		{pattern: "DELETE /api/v1/users/{name}", handle: a.deleteUser},
		{pattern: "GET /api/v1/users/{name}/tokens", handle: a.listUserTokens},
		{pattern: "DELETE /api/v1/users/{name}/tokens/{id}", handle: a.revokeUserToken},
	}
}

func (a *API) disableUser(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	return a.changeUser(w, r, p, "user.disable", "disable", func(u store.User) (store.User, error) {
		u, err := a.Store.SetUserDisabled(r.Context(), u.ID, true)
		if err == nil {
			a.streams.endUser(u.ID) // their open change streams, on this replica; others re-check
		}
		return u, err
	})
}

func (a *API) enableUser(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	return a.changeUser(w, r, p, "user.enable", "", func(u store.User) (store.User, error) {
		return a.Store.SetUserDisabled(r.Context(), u.ID, false)
	})
}

type patchUserRequest struct {
	PlatformAdmin *bool `json:"platform_admin"`
}

// patchUser grants or removes platform admin.
func (a *API) patchUser(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req patchUserRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.PlatformAdmin == nil {
		return invalid("platform_admin", "is required: true to grant platform admin, false to remove it")
	}
	self, action := "", "user.platform_admin.grant"
	if !*req.PlatformAdmin {
		self, action = "remove platform admin from", "user.platform_admin.remove"
	}
	return a.changeUser(w, r, p, action, self, func(u store.User) (store.User, error) {
		return a.Store.SetPlatformAdmin(r.Context(), u.ID, *req.PlatformAdmin)
	})
}

// changeUser is what disable, enable and patch share: authorize, find the
// user named in the path, refuse it being the caller when self names the
// change (as "disable"), apply, audit, answer the user.
func (a *API) changeUser(w http.ResponseWriter, r *http.Request, p auth.Principal, action, self string, apply func(store.User) (store.User, error)) error {
	name := r.PathValue("name")
	u, err := a.lifecycleTarget(r, p, access.UserManage, self)
	if err == nil {
		u, err = apply(u)
	}
	if err := a.record(r.Context(), event{actor: p.User.Username, target: "user " + name, action: action}, lastPlatformAdmin(err)); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toUser(u))
	return nil
}

// deleteUser removes a user; the audit log keeps their name.
func (a *API) deleteUser(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	u, err := a.lifecycleTarget(r, p, access.UserManage, "delete")
	if err == nil {
		if err = a.Store.DeleteUser(r.Context(), u.ID); err == nil {
			a.streams.endUser(u.ID)
		}
	}
	ev := event{actor: p.User.Username, target: "user " + r.PathValue("name"), action: "user.delete"}
	if err := a.record(r.Context(), ev, lastPlatformAdmin(err)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// listUserTokens lists a user's API tokens, revoked ones included, without secrets.
func (a *API) listUserTokens(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	u, err := a.lifecycleTarget(r, p, access.UserTokens, "")
	if err != nil {
		return err
	}
	ts, err := a.Store.ListAPITokens(r.Context(), u.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, mapAll(ts, toToken))
	return nil
}

// revokeUserToken revokes one of a user's live tokens; it stops at once.
func (a *API) revokeUserToken(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	u, err := a.lifecycleTarget(r, p, access.UserTokens, "")
	if err == nil {
		err = a.Store.RevokeAPIToken(r.Context(), u.ID, id)
	}
	ev := event{actor: p.User.Username, target: "API token " + strconv.FormatInt(id, 10) + " of user " + r.PathValue("name"), action: "token.revoke"}
	if err := a.record(r.Context(), ev, err); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// lifecycleTarget authorizes action and returns the user named in the
// path. self, when set, is the change a caller may not make to their own
// account ("disable"): it is then a 409.
func (a *API) lifecycleTarget(r *http.Request, p auth.Principal, action access.Action, self string) (store.User, error) {
	if err := a.authorize(r.Context(), p, action, 0); err != nil {
		return store.User{}, err
	}
	u, err := a.Store.GetUserByName(r.Context(), r.PathValue("name"))
	if err != nil {
		return store.User{}, err
	}
	if self != "" && u.ID == p.User.ID {
		return store.User{}, &Error{Status: http.StatusConflict, Code: "self",
			Message: "you can't " + self + " your own account: another platform administrator must"}
	}
	return u, nil
}

// lastPlatformAdmin answers the store's last-admin refusals (checked and
// written in one transaction) as 409s saying what to do.
func lastPlatformAdmin(err error) error {
	var ws *store.LastAdminError
	switch {
	case errors.Is(err, store.ErrLastPlatformAdmin):
		return &Error{Status: http.StatusConflict, Code: "last_admin",
			Message: "this is the last enabled platform administrator: make another user platform admin first"}
	case errors.As(err, &ws):
		return &Error{Status: http.StatusConflict, Code: "last_admin", Message: ws.Error()}
	}
	return err
}
