package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/switchyard/switchyard/internal/access"
	"github.com/switchyard/switchyard/internal/auth"
	"github.com/switchyard/switchyard/internal/store"
)

func (a *API) groupBindingRoutes() []route {
	return []route{
		{pattern: "GET /api/v1/group-bindings", handle: a.listGroupBindings},
		{pattern: "POST /api/v1/group-bindings", handle: a.createGroupBinding},
		{pattern: "DELETE /api/v1/group-bindings/{id}", handle: a.deleteGroupBinding},
	}
}

// groupBindingJSON is a group binding on the wire: an identity-provider group
// mapped to a workspace role, or to platform admin (no workspace).
type groupBindingJSON struct {
	ID        int64     `json:"id"`
	Group     string    `json:"group"`
	Workspace string    `json:"workspace,omitempty"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"created_at"`
}

func toGroupBinding(b store.GroupBinding) groupBindingJSON {
	return groupBindingJSON{ID: b.ID, Group: b.Group, Workspace: b.WorkspaceName, Role: b.Role, CreatedAt: b.CreatedAt}
}

// listGroupBindings lists every group binding (platform admins).
func (a *API) listGroupBindings(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	if err := a.authorize(r.Context(), p, access.GroupBindingView, 0); err != nil {
		return err
	}
	bs, err := a.Store.ListGroupBindings(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, mapAll(bs, toGroupBinding))
	return nil
}

type createGroupBindingRequest struct {
	Group     string `json:"group"`
	Workspace string `json:"workspace"`
	Role      string `json:"role"`
}

// createGroupBinding maps a group to a role (platform admins). Its members
// get the access at their next request; their groups come from their last
// sign-in.
func (a *API) createGroupBinding(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req createGroupBindingRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	err := a.authorize(r.Context(), p, access.GroupBindingManage, 0)
	var b store.GroupBinding
	if err == nil {
		b, err = a.createGroupBindingChecked(r, req)
	}
	target := "group " + req.Group
	by := access.SubjectOf(p.User)
	ev := event{actor: p.User.Username, action: "group-binding.create", target: target, detail: "role " + req.Role, by: &by}
	if req.Workspace != "" {
		ev.detail += " in workspace " + req.Workspace
	}
	if b.WorkspaceID != nil {
		ev.workspaceID = b.WorkspaceID
	}
	if err := a.record(r.Context(), ev, err); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toGroupBinding(b))
	return nil
}

func (a *API) createGroupBindingChecked(r *http.Request, req createGroupBindingRequest) (store.GroupBinding, error) {
	switch {
	case req.Group == "":
		return store.GroupBinding{}, invalid("group", "is required")
	case len(req.Group) > store.MaxGroupLen:
		return store.GroupBinding{}, invalid("group", fmt.Sprintf("must be at most %d bytes", store.MaxGroupLen))
	case strings.ContainsFunc(req.Group, unicode.IsControl):
		return store.GroupBinding{}, invalid("group", "must not contain control characters")
	}
	switch req.Role {
	case store.RoleAdmin, store.RoleEditor, store.RoleViewer:
		if req.Workspace == "" {
			return store.GroupBinding{}, invalid("workspace", "is required for role "+req.Role)
		}
	case store.RolePlatformAdmin:
		if req.Workspace != "" {
			return store.GroupBinding{}, invalid("workspace", "must be empty for role "+req.Role+" (it covers every workspace)")
		}
		return a.Store.CreateGroupBinding(r.Context(), store.GroupBinding{Group: req.Group, Role: req.Role})
	default:
		return store.GroupBinding{}, invalid("role", fmt.Sprintf("must be admin, editor, viewer or %s, not %q", store.RolePlatformAdmin, req.Role))
	}
	ws, err := a.Store.GetWorkspaceByName(r.Context(), req.Workspace)
	if errors.Is(err, store.ErrNotFound) {
		return store.GroupBinding{}, invalid("workspace", "must name an existing workspace")
	}
	if err != nil {
		return store.GroupBinding{}, err
	}
	return a.Store.CreateGroupBinding(r.Context(), store.GroupBinding{Group: req.Group, WorkspaceID: &ws.ID, Role: req.Role})
}

// deleteGroupBinding removes a binding (platform admins): the access it gave
// ends at once.
func (a *API) deleteGroupBinding(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	err := a.authorize(r.Context(), p, access.GroupBindingManage, 0)
	var id int64
	if err == nil {
		id, err = pathID(r, "id")
	}
	by := access.SubjectOf(p.User)
	ev := event{actor: p.User.Username, action: "group-binding.delete", target: "group binding " + strconv.FormatInt(id, 10), by: &by}
	if err == nil {
		var b store.GroupBinding
		if b, err = a.Store.GetGroupBinding(r.Context(), id); err == nil {
			ev.target, ev.workspaceID, ev.detail = "group "+b.Group, b.WorkspaceID, "role "+b.Role
			if b.WorkspaceName != "" {
				ev.detail += " in workspace " + b.WorkspaceName
			}
			err = a.Store.DeleteGroupBinding(r.Context(), id)
		}
	}
	if err := a.record(r.Context(), ev, err); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
