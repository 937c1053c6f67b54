package store

import (
	"cmp"
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
// returns the stored member. A missing workspace or user is a *NotFoundError;
// demoting the workspace's last admin is ErrLastAdmin.
func (s *Store) PutMember(ctx context.Context, m Member) (Member, error) {
	if err := oneOf("role", m.Role, RoleAdmin, RoleEditor, RoleViewer); err != nil {
		return Member{}, fmt.Errorf("put member: %w", err)
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if m.Role != RoleAdmin {
			if err := s.keepAnAdmin(ctx, tx, m.WorkspaceID, m.UserID); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, s.d.rebind(
			"INSERT INTO members (workspace_id, user_id, role, created_at) VALUES (?, ?, ?, ?)"+
				" ON CONFLICT (workspace_id, user_id) DO UPDATE SET role = excluded.role"),
			m.WorkspaceID, m.UserID, m.Role, dbTime(s.now()))
		return s.constraint(err, nil, notFound("workspace or user", fmt.Sprintf("%d/%d", m.WorkspaceID, m.UserID)))
	})
	if err != nil {
		return Member{}, fmt.Errorf("put member %d in workspace %d: %w", m.UserID, m.WorkspaceID, err)
	}
	return s.GetMember(ctx, m.WorkspaceID, m.UserID)
}

// keepAnAdmin returns ErrLastAdmin when userID is the workspace's only
// admin. It locks the workspace's admin rows until tx ends (on SQLite the
// transaction holds the write lock anyway), so two admins demoting each
// other at once can't both pass: the second one waits and then counts one.
func (s *Store) keepAnAdmin(ctx context.Context, tx *sql.Tx, workspaceID, userID int64) error {
	rows, err := tx.QueryContext(ctx, s.d.rebind(
		"SELECT user_id FROM members WHERE workspace_id = ? AND role = ?"+s.d.forUpdate()), workspaceID, RoleAdmin)
	if err != nil {
		return err
	}
	admins, err := scanAll(rows, func(r rowScanner) (int64, error) {
		var id int64
		return id, r.Scan(&id)
	})
	if err != nil {
		return err
	}
	if len(admins) == 1 && admins[0] == userID {
		return ErrLastAdmin
	}
	return nil
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

// DeleteMember removes the user from the workspace; removing its last
// admin is ErrLastAdmin.
func (s *Store) DeleteMember(ctx context.Context, workspaceID, userID int64) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.keepAnAdmin(ctx, tx, workspaceID, userID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.d.rebind("DELETE FROM members WHERE workspace_id = ? AND user_id = ?"), workspaceID, userID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return cmp.Or(err, notFound("member", fmt.Sprintf("%d of workspace %d", userID, workspaceID)))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete member %d of workspace %d: %w", userID, workspaceID, err)
	}
	return nil
}
