package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// RolePlatformAdmin is the role of a group binding that makes the group's
// members platform administrators (such a binding has no workspace).
const RolePlatformAdmin = "platform-admin"

// MaxGroupLen is the longest group name a binding may carry, in bytes (the
// OIDC sign-in refuses longer claims too).
const MaxGroupLen = 1024

// GroupBinding maps an identity-provider group to a workspace role, or to
// platform admin (WorkspaceID nil, Role RolePlatformAdmin).
type GroupBinding struct {
	ID            int64
	Group         string
	WorkspaceID   *int64
	WorkspaceName string // read from workspaces; ignored by CreateGroupBinding
	Role          string // RoleAdmin, RoleEditor, RoleViewer or RolePlatformAdmin
	CreatedAt     time.Time
}

const groupBindingSelect = "SELECT g.id, g.group_name, g.workspace_id, COALESCE(w.name, ''), g.role, g.created_at" +
	" FROM group_bindings g LEFT JOIN workspaces w ON w.id = g.workspace_id"

func scanGroupBinding(r rowScanner) (GroupBinding, error) {
	var b GroupBinding
	var ws sql.Null[int64]
	err := r.Scan(&b.ID, &b.Group, &ws, &b.WorkspaceName, &b.Role, &b.CreatedAt)
	b.WorkspaceID, b.CreatedAt = int64Ptr(ws), b.CreatedAt.UTC()
	return b, err
}

// CreateGroupBinding stores a binding and returns it. A workspace role needs
// a workspace, platform admin none; a missing workspace is a *NotFoundError,
// a second binding of the group in the same place a *ConflictError.
func (s *Store) CreateGroupBinding(ctx context.Context, b GroupBinding) (GroupBinding, error) {
	if err := validGroupBinding(b); err != nil {
		return GroupBinding{}, fmt.Errorf("create group binding: %w", err)
	}
	var id int64
	err := s.queryRow(ctx, "INSERT INTO group_bindings (group_name, workspace_id, role, created_at) VALUES (?, ?, ?, ?) RETURNING id",
		b.Group, nullInt64(b.WorkspaceID), b.Role, dbTime(s.now())).Scan(&id)
	if err != nil {
		where := "platform admin"
		if b.WorkspaceID != nil {
			where = fmt.Sprintf("workspace %d", *b.WorkspaceID)
		}
		err = s.constraint(err, conflict("group binding", fmt.Sprintf("of group %q in %s", b.Group, where)), notFound("workspace", where))
		return GroupBinding{}, fmt.Errorf("create group binding: %w", err)
	}
	return s.GetGroupBinding(ctx, id)
}

func validGroupBinding(b GroupBinding) error {
	if err := required("group", b.Group); err != nil {
		return err
	}
	if len(b.Group) > MaxGroupLen {
		return &ValidationError{Field: "group", Problem: fmt.Sprintf("longer than %d bytes", MaxGroupLen)}
	}
	if err := oneOf("role", b.Role, RoleAdmin, RoleEditor, RoleViewer, RolePlatformAdmin); err != nil {
		return err
	}
	switch {
	case b.Role == RolePlatformAdmin && b.WorkspaceID != nil:
		return &ValidationError{Field: "workspace", Problem: "a platform-admin binding has no workspace"}
	case b.Role != RolePlatformAdmin && b.WorkspaceID == nil:
		return &ValidationError{Field: "workspace", Problem: "a workspace role needs a workspace"}
	}
	return nil
}

// GetGroupBinding returns the binding with the given ID.
func (s *Store) GetGroupBinding(ctx context.Context, id int64) (GroupBinding, error) {
	b, err := scanGroupBinding(s.queryRow(ctx, groupBindingSelect+" WHERE g.id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return GroupBinding{}, notFound("group binding", id)
	}
	if err != nil {
		return GroupBinding{}, fmt.Errorf("get group binding %d: %w", id, err)
	}
	return b, nil
}

// ListGroupBindings returns every binding, ordered by group, then workspace
// name (platform admin first).
func (s *Store) ListGroupBindings(ctx context.Context) ([]GroupBinding, error) {
	return s.listGroupBindings(ctx, groupBindingSelect+" ORDER BY g.group_name, COALESCE(w.name, ''), g.id")
}

// GroupGrants returns the bindings that apply to the user through the groups
// of its last sign-in: those of workspaceID and the platform-admin ones
// (workspaceID 0: every workspace's), ordered by group.
func (s *Store) GroupGrants(ctx context.Context, userID, workspaceID int64) ([]GroupBinding, error) {
	q := groupBindingSelect + " JOIN user_groups ug ON ug.group_name = g.group_name WHERE ug.user_id = ?"
	args := []any{userID}
	if workspaceID != 0 {
		q += " AND (g.workspace_id = ? OR g.workspace_id IS NULL)"
		args = append(args, workspaceID)
	}
	return s.listGroupBindings(ctx, q+" ORDER BY g.group_name, COALESCE(w.name, ''), g.id", args...)
}

func (s *Store) listGroupBindings(ctx context.Context, query string, args ...any) ([]GroupBinding, error) {
	rows, err := s.query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list group bindings: %w", err)
	}
	bs, err := scanAll(rows, scanGroupBinding)
	if err != nil {
		return nil, fmt.Errorf("list group bindings: %w", err)
	}
	return bs, nil
}

// DeleteGroupBinding removes a binding. The users it gave access lose it at
// once (their next request is decided without it).
func (s *Store) DeleteGroupBinding(ctx context.Context, id int64) error {
	if err := s.execOne(ctx, notFound("group binding", id), "DELETE FROM group_bindings WHERE id = ?", id); err != nil {
		return fmt.Errorf("delete group binding %d: %w", id, err)
	}
	return nil
}
