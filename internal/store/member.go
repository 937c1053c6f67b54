package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Workspace roles, from most to least powerful.
const (
	RoleAdmin  = "admin"  // manages members and bindings
	RoleEditor = "editor" // runs release jobs
	RoleViewer = "viewer" // reads
)

// Member is a user's role in a workspace.
type Member struct {
	WorkspaceID int64
	UserID      int64
	Username    string // read from users; ignored by PutMember
	Role        string // RoleAdmin, RoleEditor or RoleViewer
	CreatedAt   time.Time
}

const memberSelect = "SELECT m.workspace_id, m.user_id, u.username, m.role, m.created_at" +
	" FROM members m JOIN users u ON u.id = m.user_id"

func scanMember(r rowScanner) (Member, error) {
	var m Member
	err := r.Scan(&m.WorkspaceID, &m.UserID, &m.Username, &m.Role, &m.CreatedAt)
	m.CreatedAt = m.CreatedAt.UTC()
	return m, err
}

// PutMember makes the user a member of the workspace with the given role,
// or changes the role of an existing member (keeping its CreatedAt), and
// returns the stored member. A missing workspace or user is a *NotFoundError.
func (s *Store) PutMember(ctx context.Context, m Member) (Member, error) {
	if err := oneOf("role", m.Role, RoleAdmin, RoleEditor, RoleViewer); err != nil {
		return Member{}, fmt.Errorf("put member: %w", err)
	}
	_, err := s.exec(ctx,
		"INSERT INTO members (workspace_id, user_id, role, created_at) VALUES (?, ?, ?, ?)"+
			" ON CONFLICT (workspace_id, user_id) DO UPDATE SET role = excluded.role",
		m.WorkspaceID, m.UserID, m.Role, dbTime(s.now()))
	if err != nil {
		err = s.constraint(err, nil, notFound("workspace or user", fmt.Sprintf("%d/%d", m.WorkspaceID, m.UserID)))
		return Member{}, fmt.Errorf("put member %d in workspace %d: %w", m.UserID, m.WorkspaceID, err)
	}
	return s.GetMember(ctx, m.WorkspaceID, m.UserID)
}

// GetMember returns the user's membership of the workspace; not found when
// the user is not a member.
func (s *Store) GetMember(ctx context.Context, workspaceID, userID int64) (Member, error) {
	m, err := scanMember(s.queryRow(ctx, memberSelect+" WHERE m.workspace_id = ? AND m.user_id = ?", workspaceID, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return Member{}, notFound("member", fmt.Sprintf("%d of workspace %d", userID, workspaceID))
	}
	if err != nil {
		return Member{}, fmt.Errorf("get member %d of workspace %d: %w", userID, workspaceID, err)
	}
	return m, nil
}

// ListMembers returns a workspace's members ordered by username. A missing
// workspace has none.
func (s *Store) ListMembers(ctx context.Context, workspaceID int64) ([]Member, error) {
	rows, err := s.query(ctx, memberSelect+" WHERE m.workspace_id = ? ORDER BY u.username", workspaceID)
	if err != nil {
		return nil, fmt.Errorf("list members of workspace %d: %w", workspaceID, err)
	}
	ms, err := scanAll(rows, scanMember)
	if err != nil {
		return nil, fmt.Errorf("list members of workspace %d: %w", workspaceID, err)
	}
	return ms, nil
}

// DeleteMember removes the user from the workspace.
func (s *Store) DeleteMember(ctx context.Context, workspaceID, userID int64) error {
	err := s.execOne(ctx, notFound("member", fmt.Sprintf("%d of workspace %d", userID, workspaceID)),
		"DELETE FROM members WHERE workspace_id = ? AND user_id = ?", workspaceID, userID)
	if err != nil {
		return fmt.Errorf("delete member %d of workspace %d: %w", userID, workspaceID, err)
	}
	return nil
}
