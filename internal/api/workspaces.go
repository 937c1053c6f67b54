package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/switchyard/switchyard/internal/access"
	"github.com/switchyard/switchyard/internal/auth"
	"github.com/switchyard/switchyard/internal/store"
)

func (a *API) workspaceRoutes() []route {
	return []route{
		{pattern: "POST /api/v1/workspaces", handle: a.createWorkspace},
		{pattern: "GET /api/v1/workspaces", handle: a.listWorkspaces},
		{pattern: "GET /api/v1/workspaces/{ws}", handle: a.getWorkspace},
		{pattern: "DELETE /api/v1/workspaces/{ws}", handle: a.deleteWorkspace},
	}
}

// workspace resolves the {ws} path value (a workspace name) and authorizes
// action on it. Every workspace-scoped handler starts here. A workspace that
// does not exist and one the caller is not a member of give the same 404.
// The workspace is returned even when the action is denied, for the audit log.
func (a *API) workspace(r *http.Request, p auth.Principal, action access.Action) (store.Workspace, error) {
	name := r.PathValue("ws")
	ws, err := a.Store.GetWorkspaceByName(r.Context(), name)
	if err != nil {
		return store.Workspace{}, err
	}
	err = a.authorize(r.Context(), p, action, ws.ID)
	if errors.Is(err, access.ErrNotVisible) {
		return ws, hiddenError{notFound: &store.NotFoundError{Resource: "workspace", Key: fmt.Sprintf("%q", name)}}
	}
	return ws, err
}

// wsEvent starts an audit event about something in workspace ws.
func wsEvent(p auth.Principal, ws store.Workspace, action, target string) event {
	by := access.SubjectOf(p.User)
	ev := event{actor: p.User.Username, action: action, target: target, by: &by}
	if ws.ID != 0 {
		ev.workspaceID = &ws.ID
	}
	return ev
}

type createWorkspaceRequest struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

func (req createWorkspaceRequest) validate() error {
	if err := checkDNSLabel("name", req.Name); err != nil {
		return err
	}
	return checkText("description", req.Description, false, 500)
}

// createWorkspace adds a workspace (platform admins only).
func (a *API) createWorkspace(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req createWorkspaceRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	ws, err := a.createWorkspaceChecked(r, p, req)
	ev := wsEvent(p, ws, "workspace.create", "workspace "+req.Name)
	if err := a.record(r.Context(), ev, err); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toWorkspace(ws, ""))
	return nil
}

func (a *API) createWorkspaceChecked(r *http.Request, p auth.Principal, req createWorkspaceRequest) (store.Workspace, error) {
	if err := a.authorize(r.Context(), p, access.WorkspaceCreate, 0); err != nil {
		return store.Workspace{}, err
	}
	if err := req.validate(); err != nil {
		return store.Workspace{}, err
	}
	return a.Store.CreateWorkspace(r.Context(), store.Workspace{Name: req.Name, Description: req.Description})
}

// listWorkspaces lists the workspaces the caller may see: all of them for
// platform admins, the ones they are a member of for everyone else.
func (a *API) listWorkspaces(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var wss []store.Workspace
	admin, err := a.Access.IsPlatformAdmin(r.Context(), access.SubjectOf(p.User))
	if err != nil {
		return err
	}
	if admin {
		wss, err = a.Store.ListWorkspaces(r.Context())
	} else {
		wss, err = a.Store.ListWorkspacesForUser(r.Context(), p.User.ID)
	}
	if err != nil {
		return err
	}
	out := list[workspaceJSON]{Items: make([]workspaceJSON, 0, len(wss))}
	for _, ws := range wss {
		role, err := a.Access.Role(r.Context(), access.SubjectOf(p.User), ws.ID)
		if err != nil {
			return err
		}
		out.Items = append(out.Items, toWorkspace(ws, role))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// getWorkspace shows one workspace with the caller's role in it.
func (a *API) getWorkspace(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	ws, err := a.workspace(r, p, access.WorkspaceView)
	if err != nil {
		return err
	}
	role, err := a.Access.Role(r.Context(), access.SubjectOf(p.User), ws.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toWorkspace(ws, role))
	return nil
}

// deleteWorkspace removes a workspace with its members and bindings
// (platform admins only). Its audit events stay.
func (a *API) deleteWorkspace(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	ws, err := a.workspace(r, p, access.WorkspaceDelete)
	if err == nil {
		err = a.refuseLiveJobs(r.Context(), store.JobFilter{WorkspaceID: &ws.ID}, "workspace "+ws.Name)
	}
	if err == nil {
		err = a.Store.DeleteWorkspace(r.Context(), ws.ID)
	}
	if err := a.record(r.Context(), wsEvent(p, ws, "workspace.delete", "workspace "+r.PathValue("ws")), err); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
