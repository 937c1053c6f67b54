package store

import (
	"context"
	"database/sql"
	"fmt"
)

// The account lifecycle: disable, enable, promote, demote and delete a user.
// Each change that could leave no enabled platform administrator checks
// and writes in one transaction, with the platform admins' rows locked
// (keepPlatformAdmin), like the workspace last-admin rule (keepAnAdmin).

// SetUserDisabled disables or enables a user and returns it. Disabling
// also deletes the user's sessions in the same transaction (a later enable
// does not bring them back); their API tokens are kept but count for
// nothing while the account is disabled (the authenticator checks it on
// every request). Disabling the last enabled platform admin is
// ErrLastPlatformAdmin; a missing user a *NotFoundError. Disabling a
// disabled user keeps its first DisabledAt.
func (s *Store) SetUserDisabled(ctx context.Context, userID int64, disabled bool) (User, error) {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if !disabled {
			return s.execOneTx(ctx, tx, notFound("user", userID), "UPDATE users SET disabled_at = NULL WHERE id = ?", userID)
		}
		if err := s.keepPlatformAdmin(ctx, tx, userID); err != nil {
			return err
		}
		err := s.execOneTx(ctx, tx, notFound("user", userID),
			"UPDATE users SET disabled_at = COALESCE(disabled_at, ?) WHERE id = ?", dbTime(s.now()), userID)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.d.rebind("DELETE FROM sessions WHERE user_id = ?"), userID)
		return err
	})
	if err != nil {
		return User{}, fmt.Errorf("set user %d disabled=%t: %w", userID, disabled, err)
	}
	return s.GetUser(ctx, userID)
}

// SetPlatformAdmin grants or removes platform administration and returns
// the user. Demoting the last enabled platform admin is ErrLastPlatformAdmin.
func (s *Store) SetPlatformAdmin(ctx context.Context, userID int64, admin bool) (User, error) {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if !admin {
			if err := s.keepPlatformAdmin(ctx, tx, userID); err != nil {
				return err
			}
		}
		return s.execOneTx(ctx, tx, notFound("user", userID), "UPDATE users SET platform_admin = ? WHERE id = ?", admin, userID)
	})
	if err != nil {
		return User{}, fmt.Errorf("set user %d platform_admin=%t: %w", userID, admin, err)
	}
	return s.GetUser(ctx, userID)
}

// DeleteUser removes a user with their sessions, API tokens and workspace
// memberships (the schema cascades). The audit log keeps their name: it
// holds names, not references. Deleting the last enabled platform admin is
// ErrLastPlatformAdmin; a user who is the only admin of a workspace, a
// *LastAdminError naming it.
func (s *Store) DeleteUser(ctx context.Context, userID int64) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		// Members first, as PutMember locks them: a member write waits for
		// the users row this transaction would otherwise hold (a deadlock).
		if err := s.keepWorkspaceAdmins(ctx, tx, userID); err != nil {
			return err
		}
		if err := s.keepPlatformAdmin(ctx, tx, userID); err != nil {
			return err
		}
		return s.execOneTx(ctx, tx, notFound("user", userID), "DELETE FROM users WHERE id = ?", userID)
	})
	if err != nil {
		return fmt.Errorf("delete user %d: %w", userID, err)
	}
	return nil
}

// keepPlatformAdmin returns ErrLastPlatformAdmin when userID is the only
// enabled platform admin. It locks the enabled platform admins' rows until
// tx ends (SQLite's transaction holds the write lock anyway), so two
// changes at once can't both pass: the second waits, and PostgreSQL then
// re-reads the rows it locked, finding one admin fewer.
func (s *Store) keepPlatformAdmin(ctx context.Context, tx *sql.Tx, userID int64) error {
	rows, err := tx.QueryContext(ctx, s.d.rebind(
		"SELECT id FROM users WHERE platform_admin = ? AND disabled_at IS NULL"+s.d.forUpdate()), true)
	if err != nil {
		return err
	}
	admins, err := scanAll(rows, scanID)
	if err != nil {
		return err
	}
	if len(admins) == 1 && admins[0] == userID {
		return ErrLastPlatformAdmin
	}
	return nil
}

// keepWorkspaceAdmins returns a *LastAdminError when userID is the only
// admin of a workspace. It locks the admin rows of every workspace the user
// administers, as keepAnAdmin does for one.
func (s *Store) keepWorkspaceAdmins(ctx context.Context, tx *sql.Tx, userID int64) error {
	rows, err := tx.QueryContext(ctx, s.d.rebind(
		"SELECT workspace_id, user_id FROM members WHERE role = ? AND workspace_id IN"+
			" (SELECT workspace_id FROM members WHERE user_id = ? AND role = ?)"+s.d.forUpdate()),
		RoleAdmin, userID, RoleAdmin)
	if err != nil {
		return err
	}
	type admin struct{ workspace, user int64 }
	admins, err := scanAll(rows, func(r rowScanner) (admin, error) {
		var a admin
		return a, r.Scan(&a.workspace, &a.user)
	})
	if err != nil {
		return err
	}
	count := map[int64]int{}
	mine := map[int64]bool{}
	for _, a := range admins {
		count[a.workspace]++
		mine[a.workspace] = mine[a.workspace] || a.user == userID
	}
	for ws, n := range count {
		if n == 1 && mine[ws] {
			var name string
			if err := tx.QueryRowContext(ctx, s.d.rebind("SELECT name FROM workspaces WHERE id = ?"), ws).Scan(&name); err != nil {
				return err
			}
			return &LastAdminError{Workspace: name}
		}
	}
	return nil
}

func scanID(r rowScanner) (int64, error) {
	var id int64
	return id, r.Scan(&id)
}
