package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/switchyard/switchyard/internal/access"
	"github.com/switchyard/switchyard/internal/auth"
	"github.com/switchyard/switchyard/internal/store"
)

func (a *API) bindingRoutes() []route {
	return []route{
		{pattern: "GET /api/v1/workspaces/{ws}/bindings", handle: a.listBindings},
		{pattern: "POST /api/v1/workspaces/{ws}/bindings", handle: a.createBinding},
		{pattern: "GET /api/v1/workspaces/{ws}/bindings/{id}", handle: a.getBinding},
		{pattern: "DELETE /api/v1/workspaces/{ws}/bindings/{id}", handle: a.deleteBinding},
	}
}

// listBindings lists the cluster namespaces the workspace may deploy to.
func (a *API) listBindings(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	ws, err := a.workspace(r, p, access.BindingView)
	if err != nil {
		return err
	}
	bs, err := a.Store.ListBindings(r.Context(), ws.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, mapAll(bs, toBinding))
	return nil
}

// getBinding shows one binding.
func (a *API) getBinding(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	ws, err := a.workspace(r, p, access.BindingView)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	b, err := a.Store.GetBinding(r.Context(), ws.ID, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toBinding(b))
	return nil
}

type createBindingRequest struct {
	Cluster   string `json:"cluster"`
	Namespace string `json:"namespace"`
}

// createBinding lets the workspace deploy into a namespace of a registered
// cluster (platform admins only).
func (a *API) createBinding(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req createBindingRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	ws, err := a.workspace(r, p, access.BindingManage)
	var b store.Binding
	if err == nil {
		b, err = a.createBindingChecked(r, ws, req)
	}
	ev := wsEvent(p, ws, "binding.create", "binding "+req.Cluster+"/"+req.Namespace)
	if err := a.record(r.Context(), ev, err); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toBinding(b))
	return nil
}

func (a *API) createBindingChecked(r *http.Request, ws store.Workspace, req createBindingRequest) (store.Binding, error) {
	if req.Cluster == "" {
		return store.Binding{}, invalid("cluster", "is required")
	}
	if err := checkDNSLabel("namespace", req.Namespace); err != nil {
		return store.Binding{}, err
	}
	c, err := a.Store.GetClusterByName(r.Context(), req.Cluster)
	if errors.Is(err, store.ErrNotFound) {
		return store.Binding{}, invalid("cluster", "must name a registered cluster")
	}
	if err != nil {
		return store.Binding{}, err
	}
	return a.Store.CreateBinding(r.Context(), store.Binding{WorkspaceID: ws.ID, ClusterID: c.ID, Namespace: req.Namespace})
}

// deleteBinding withdraws a namespace from the workspace (platform admins only).
func (a *API) deleteBinding(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	ws, err := a.workspace(r, p, access.BindingManage)
	var id int64
	if err == nil {
		id, err = pathID(r, "id")
	}
	var b store.Binding
	if err == nil {
		b, err = a.Store.GetBinding(r.Context(), ws.ID, id)
	}
	if err == nil {
		// The workspace's jobs there would stay reachable to it without the
		// binding, or be lost to it: they go first.
		err = a.refuseLiveJobs(r.Context(), store.JobFilter{WorkspaceID: &ws.ID, Cluster: b.ClusterName, Namespace: b.Namespace},
			fmt.Sprintf("namespace %s/%s", b.ClusterName, b.Namespace))
	}
	if err == nil {
		err = a.Store.DeleteBinding(r.Context(), ws.ID, id)
	}
	ev := wsEvent(p, ws, "binding.delete", "binding "+strconv.FormatInt(id, 10))
	if err := a.record(r.Context(), ev, err); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
