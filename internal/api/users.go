package api

import (
	"net/http"

	"github.com/switchyard/switchyard/internal/access"
	"github.com/switchyard/switchyard/internal/auth"
	"github.com/switchyard/switchyard/internal/store"
)

func (a *API) userRoutes() []route {
	return []route{
		{pattern: "POST /api/v1/users", handle: a.createUser},
		{pattern: "GET /api/v1/users", handle: a.listUsers},
		{pattern: "PUT /api/v1/users/{id}/password", handle: a.setPassword},
	}
}

type createUserRequest struct {
	Username      string `json:"username"`
	Password      string `json:"password"`
	PlatformAdmin bool   `json:"platform_admin"`
}

func (req createUserRequest) validate() error {
	if err := checkUsername("username", req.Username); err != nil {
		return err
	}
	return checkPassword("password", req.Password)
}

// createUser adds a local account (platform admins only).
func (a *API) createUser(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req createUserRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	ev := event{actor: p.User.Username, target: "user " + req.Username, action: "user.create"}
	u, err := a.createUserChecked(r, p, req)
	if err := a.record(r.Context(), ev, err); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toUser(u))
	return nil
}

func (a *API) createUserChecked(r *http.Request, p auth.Principal, req createUserRequest) (store.User, error) {
	if err := a.authorize(r.Context(), p, access.UserCreate, 0); err != nil {
		return store.User{}, err
	}
	if err := req.validate(); err != nil {
		return store.User{}, err
	}
	hash, err := a.Auth.Hasher.Hash(req.Password)
	if err != nil {
		return store.User{}, err
	}
	return a.Store.CreateUser(r.Context(), store.User{Username: req.Username, PasswordHash: hash, PlatformAdmin: req.PlatformAdmin})
}

// listUsers lists every account (platform admins only).
func (a *API) listUsers(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	if err := a.authorize(r.Context(), p, access.UserList, 0); err != nil {
		return err
	}
	us, err := a.Store.ListUsers(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, mapAll(us, toUser))
	return nil
}

type setPasswordRequest struct {
	Password string `json:"password"`
}

// setPassword replaces a user's password and signs them out everywhere
// (platform admins only).
func (a *API) setPassword(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req setPasswordRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	ev := event{actor: p.User.Username, target: "user " + r.PathValue("id"), action: "user.password"}
	if err := a.record(r.Context(), ev, a.setPasswordChecked(r, p, id, req)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) setPasswordChecked(r *http.Request, p auth.Principal, id int64, req setPasswordRequest) error {
	if err := a.authorize(r.Context(), p, access.UserSetPassword, 0); err != nil {
		return err
	}
	if err := checkPassword("password", req.Password); err != nil {
		return err
	}
	hash, err := a.Auth.Hasher.Hash(req.Password)
	if err != nil {
		return err
	}
	if err := a.Store.SetPassword(r.Context(), id, hash); err != nil {
		return err
	}
	_, err = a.Store.DeleteUserSessions(r.Context(), id)
	return err
}
