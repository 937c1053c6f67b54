package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/switchyard/switchyard/internal/access"
	"github.com/switchyard/switchyard/internal/auth"
	"github.com/switchyard/switchyard/internal/store"
)

func (a *API) memberRoutes() []route {
	return []route{
		{pattern: "GET /api/v1/workspaces/{ws}/members", handle: a.listMembers},
		{pattern: "GET /api/v1/workspaces/{ws}/members/{user}", handle: a.getMember},
		{pattern: "PUT /api/v1/workspaces/{ws}/members/{user}", handle: a.putMember},
		{pattern: "DELETE /api/v1/workspaces/{ws}/members/{user}", handle: a.deleteMember},
	}
}

// listMembers lists a workspace's members and roles.
func (a *API) listMembers(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	ws, err := a.workspace(r, p, access.MemberView)
	if err != nil {
		return err
	}
	ms, err := a.Store.ListMembers(r.Context(), ws.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, mapAll(ms, toMember))
	return nil
}

// getMember shows one member's role.
func (a *API) getMember(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	ws, err := a.workspace(r, p, access.MemberView)
	if err != nil {
		return err
	}
	m, err := a.member(r, ws)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toMember(m))
	return nil
}

// member returns the membership of the {user} path value (a username). A
// user who does not exist and one who is not a member get the same answer,
// which names neither an internal ID nor whether the user exists: viewers
// may read members, not probe for accounts.
func (a *API) member(r *http.Request, ws store.Workspace) (store.Member, error) {
	name := r.PathValue("user")
	u, err := a.Store.GetUserByName(r.Context(), name)
	if err == nil {
		var m store.Member
		if m, err = a.Store.GetMember(r.Context(), ws.ID, u.ID); err == nil {
			return m, nil
		}
	}
	if errors.Is(err, store.ErrNotFound) {
		return store.Member{}, &Error{Status: http.StatusNotFound, Code: "not_found",
			Message: fmt.Sprintf("%q is not a member of workspace %s", name, ws.Name)}
	}
	return store.Member{}, err
}

type putMemberRequest struct {
	Role string `json:"role"`
}

// putMember adds a user to the workspace or changes their role (workspace admins).
func (a *API) putMember(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req putMemberRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	ws, err := a.workspace(r, p, access.MemberManage)
	var m store.Member
	if err == nil {
		m, err = a.putMemberChecked(r, ws, req)
	}
	ev := wsEvent(p, ws, "member.put", "member "+r.PathValue("user"))
	ev.detail = "role " + req.Role
	if err := a.record(r.Context(), ev, err); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toMember(m))
	return nil
}

func (a *API) putMemberChecked(r *http.Request, ws store.Workspace, req putMemberRequest) (store.Member, error) {
	switch req.Role {
	case store.RoleAdmin, store.RoleEditor, store.RoleViewer:
	default:
		return store.Member{}, invalid("role", "must be one of admin, editor, viewer")
	}
	u, err := a.Store.GetUserByName(r.Context(), r.PathValue("user"))
	if err != nil {
		return store.Member{}, err
	}
	m, err := a.Store.PutMember(r.Context(), store.Member{WorkspaceID: ws.ID, UserID: u.ID, Role: req.Role})
	return m, lastAdmin(err)
}

// deleteMember removes a user from the workspace (workspace admins).
func (a *API) deleteMember(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	ws, err := a.workspace(r, p, access.MemberManage)
	var m store.Member
	if err == nil {
		m, err = a.member(r, ws)
	}
	if err == nil {
		err = lastAdmin(a.Store.DeleteMember(r.Context(), ws.ID, m.UserID))
	}
	if err := a.record(r.Context(), wsEvent(p, ws, "member.delete", "member "+r.PathValue("user")), err); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// lastAdmin answers the store's refusal to remove or demote a workspace's
// last admin (checked and written in one transaction) as a 409 on role.
func lastAdmin(err error) error {
	if errors.Is(err, store.ErrLastAdmin) {
		return &Error{Status: http.StatusConflict, Code: "conflict", Field: "role",
			Message: "this is the workspace's last admin: make another member admin first"}
	}
	return err
}
