package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// User is a person who signs in to Switchyard.
type User struct {
	ID            int64
	Username      string // unique, compared exactly
	PasswordHash  string // as produced by the caller's password hasher; never logged
	PlatformAdmin bool   // may manage clusters, users and every workspace
	CreatedAt     time.Time
	// DisabledAt is when the account was disabled; zero while it is enabled.
	// A disabled user can't sign in and none of their credentials count.
	DisabledAt time.Time
	// SSOIssuer is the OpenID provider the user signs in with (UpsertSSOUser);
	// empty for a local user. An SSO user has no password.
	SSOIssuer  string
	SSOSubject string // the provider's "sub" for the user; empty for a local user
}

// Disabled reports whether the account is disabled.
func (u User) Disabled() bool { return !u.DisabledAt.IsZero() }

const userColumns = "id, username, password_hash, platform_admin, created_at, disabled_at, COALESCE(sso_issuer, ''), COALESCE(sso_subject, '')"

func scanUser(r rowScanner) (User, error) {
	var u User
	var disabled sql.Null[time.Time]
	err := r.Scan(&u.ID, &u.Username, &u.PasswordHash, &u.PlatformAdmin, &u.CreatedAt, &disabled, &u.SSOIssuer, &u.SSOSubject)
	u.CreatedAt = u.CreatedAt.UTC()
	if disabled.Valid {
		u.DisabledAt = disabled.V.UTC()
	}
	return u, err
}

// CreateUser adds a user and returns it with ID and CreatedAt set. A taken
// username is a *ConflictError.
func (s *Store) CreateUser(ctx context.Context, u User) (User, error) {
	if err := required("username", u.Username); err != nil {
		return User{}, fmt.Errorf("create user: %w", err)
	}
	u.CreatedAt = dbTime(s.now())
	err := s.queryRow(ctx,
		"INSERT INTO users (username, password_hash, platform_admin, created_at) VALUES (?, ?, ?, ?) RETURNING id",
		u.Username, u.PasswordHash, u.PlatformAdmin, u.CreatedAt).Scan(&u.ID)
	if err != nil {
		return User{}, fmt.Errorf("create user: %w", s.constraint(err, conflict("user", fmt.Sprintf("%q", u.Username)), nil))
	}
	return u, nil
}

// GetUser returns the user with the given ID.
func (s *Store) GetUser(ctx context.Context, id int64) (User, error) {
	u, err := scanUser(s.queryRow(ctx, "SELECT "+userColumns+" FROM users WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, notFound("user", id)
	}
	if err != nil {
		return User{}, fmt.Errorf("get user %d: %w", id, err)
	}
	return u, nil
}

// GetUserByName returns the user with the given username.
func (s *Store) GetUserByName(ctx context.Context, username string) (User, error) {
	u, err := scanUser(s.queryRow(ctx, "SELECT "+userColumns+" FROM users WHERE username = ?", username))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, notFound("user", fmt.Sprintf("%q", username))
	}
	if err != nil {
		return User{}, fmt.Errorf("get user %q: %w", username, err)
	}
	return u, nil
}

// ListUsers returns every user, ordered by username.
func (s *Store) ListUsers(ctx context.Context) ([]User, error) {
	rows, err := s.query(ctx, "SELECT "+userColumns+" FROM users ORDER BY username")
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	users, err := scanAll(rows, scanUser)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return users, nil
}

// SetPassword replaces a user's password hash. Callers should also delete
// the user's other sessions; the store does not decide that.
func (s *Store) SetPassword(ctx context.Context, userID int64, passwordHash string) error {
	err := s.execOne(ctx, notFound("user", userID), "UPDATE users SET password_hash = ? WHERE id = ?", passwordHash, userID)
	if err != nil {
		return fmt.Errorf("set password of user %d: %w", userID, err)
	}
	return nil
}

// CountUsers returns how many users exist; zero means first-run setup.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := s.queryRow(ctx, "SELECT COUNT(*) FROM users").Scan(&n); err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}
