package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Workspace is a team's space: its members, the cluster namespaces it may
// deploy to and its release jobs.
type Workspace struct {
	ID          int64
	Name        string // unique
	Description string
	CreatedAt   time.Time
}

const workspaceColumns = "w.id, w.name, w.description, w.created_at"

func scanWorkspace(r rowScanner) (Workspace, error) {
	var w Workspace
	err := r.Scan(&w.ID, &w.Name, &w.Description, &w.CreatedAt)
	w.CreatedAt = w.CreatedAt.UTC()
	return w, err
}

// CreateWorkspace adds a workspace and returns it with ID and CreatedAt set.
// A taken name is a *ConflictError.
func (s *Store) CreateWorkspace(ctx context.Context, w Workspace) (Workspace, error) {
	if err := required("name", w.Name); err != nil {
		return Workspace{}, fmt.Errorf("create workspace: %w", err)
	}
	w.CreatedAt = dbTime(s.now())
	err := s.queryRow(ctx,
		"INSERT INTO workspaces (name, description, created_at) VALUES (?, ?, ?) RETURNING id",
		w.Name, w.Description, w.CreatedAt).Scan(&w.ID)
	if err != nil {
		return Workspace{}, fmt.Errorf("create workspace: %w", s.constraint(err, conflict("workspace", fmt.Sprintf("%q", w.Name)), nil))
	}
	return w, nil
}

// GetWorkspace returns the workspace with the given ID.
func (s *Store) GetWorkspace(ctx context.Context, id int64) (Workspace, error) {
	w, err := scanWorkspace(s.queryRow(ctx, "SELECT "+workspaceColumns+" FROM workspaces w WHERE w.id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Workspace{}, notFound("workspace", id)
	}
	if err != nil {
		return Workspace{}, fmt.Errorf("get workspace %d: %w", id, err)
	}
	return w, nil
}

// GetWorkspaceByName returns the workspace with the given name.
func (s *Store) GetWorkspaceByName(ctx context.Context, name string) (Workspace, error) {
	w, err := scanWorkspace(s.queryRow(ctx, "SELECT "+workspaceColumns+" FROM workspaces w WHERE w.name = ?", name))
	if errors.Is(err, sql.ErrNoRows) {
		return Workspace{}, notFound("workspace", fmt.Sprintf("%q", name))
	}
	if err != nil {
		return Workspace{}, fmt.Errorf("get workspace %q: %w", name, err)
	}
	return w, nil
}

// ListWorkspaces returns every workspace, ordered by name.
func (s *Store) ListWorkspaces(ctx context.Context) ([]Workspace, error) {
	return s.listWorkspaces(ctx, "SELECT "+workspaceColumns+" FROM workspaces w ORDER BY w.name")
}

// ListWorkspacesForUser returns the workspaces the user is a member of,
// directly or through a group binding of one of its groups, ordered by name.
// Platform admins are not special here: that is policy, decided by the caller.
func (s *Store) ListWorkspacesForUser(ctx context.Context, userID int64) ([]Workspace, error) {
	return s.listWorkspaces(ctx, "SELECT "+workspaceColumns+" FROM workspaces w WHERE"+
		" w.id IN (SELECT m.workspace_id FROM members m WHERE m.user_id = ?)"+
		" OR w.id IN (SELECT g.workspace_id FROM group_bindings g JOIN user_groups ug ON ug.group_name = g.group_name WHERE ug.user_id = ?)"+
		" ORDER BY w.name", userID, userID)
}

func (s *Store) listWorkspaces(ctx context.Context, query string, args ...any) ([]Workspace, error) {
	rows, err := s.query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list workspaces: %w", err)
	}
	ws, err := scanAll(rows, scanWorkspace)
	if err != nil {
		return nil, fmt.Errorf("list workspaces: %w", err)
	}
	return ws, nil
}

// DeleteWorkspace removes a workspace with its members and bindings. Its
// audit events stay.
func (s *Store) DeleteWorkspace(ctx context.Context, id int64) error {
	if err := s.execOne(ctx, notFound("workspace", id), "DELETE FROM workspaces WHERE id = ?", id); err != nil {
		return fmt.Errorf("delete workspace %d: %w", id, err)
	}
	return nil
}
