package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
)

// SSOIdentity is who an OpenID provider says signed in: the store's view of
// oidc.Identity plus the issuer.
type SSOIdentity struct {
	Issuer   string   // the provider's issuer URL
	Subject  string   // "sub": stable and unique at the issuer
	Username string   // the name the user gets in Switchyard
	Groups   []string // the groups of this sign-in; they replace the stored ones
}

// ErrLocalUser means an SSO sign-in's username belongs to a local user (or a
// user of another provider): sign-in never takes an account over.
var ErrLocalUser = errors.New("username belongs to another account")

// UsernameTakenError says which username an SSO sign-in could not claim. It
// matches ErrLocalUser and ErrConflict.
type UsernameTakenError struct {
	Username string
	Local    bool // the holder is a local (password) user
}

// Error implements error.
func (e *UsernameTakenError) Error() string {
	holder := "a user of another identity provider"
	if e.Local {
		holder = "a local user"
	}
	return fmt.Sprintf("the username %q already belongs to %s; single sign-on does not take over existing accounts (ask an administrator to rename or delete it)", e.Username, holder)
}

// Unwrap makes errors.Is match ErrLocalUser and ErrConflict.
func (e *UsernameTakenError) Unwrap() []error { return []error{ErrLocalUser, ErrConflict} }

// UpsertSSOUser creates the user an SSO sign-in names (keyed by issuer and
// subject, no password) or updates it: its username follows the provider's,
// its groups are replaced by id.Groups. It returns the user and the groups it
// had before (nil for a new user). A username held by another account is a
// *UsernameTakenError. One transaction: the lookup and the writes it decides
// cannot be split by a concurrent sign-in.
func (s *Store) UpsertSSOUser(ctx context.Context, id SSOIdentity) (User, []string, error) {
	for field, v := range map[string]string{"issuer": id.Issuer, "subject": id.Subject, "username": id.Username} {
		if err := required(field, v); err != nil {
			return User{}, nil, fmt.Errorf("sign in SSO user: %w", err)
		}
	}
	var (
		userID int64
		before []string
	)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		userID, before, err = s.upsertSSOUser(ctx, tx, id)
		if err != nil {
			return err
		}
		return s.replaceGroups(ctx, tx, userID, id.Groups)
	})
	if err != nil {
		return User{}, nil, fmt.Errorf("sign in SSO user %q: %w", id.Username, err)
	}
	u, err := s.GetUser(ctx, userID)
	return u, before, err
}

func (s *Store) upsertSSOUser(ctx context.Context, tx *sql.Tx, id SSOIdentity) (int64, []string, error) {
	var userID int64
	var name string
	err := tx.QueryRowContext(ctx, s.d.rebind("SELECT id, username FROM users WHERE sso_issuer = ? AND sso_subject = ?"+s.d.forUpdate()),
		id.Issuer, id.Subject).Scan(&userID, &name)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		err = tx.QueryRowContext(ctx, s.d.rebind(
			"INSERT INTO users (username, password_hash, platform_admin, created_at, sso_issuer, sso_subject) VALUES (?, '', FALSE, ?, ?, ?) RETURNING id"),
			id.Username, dbTime(s.now()), id.Issuer, id.Subject).Scan(&userID)
		return userID, nil, s.usernameTaken(ctx, err, id.Username)
	case err != nil:
		return 0, nil, err
	}
	if name != id.Username {
		_, err := tx.ExecContext(ctx, s.d.rebind("UPDATE users SET username = ? WHERE id = ?"), id.Username, userID)
		if err := s.usernameTaken(ctx, err, id.Username); err != nil {
			return 0, nil, err
		}
	}
	before, err := groupsOf(ctx, tx, s.d.rebind, userID)
	return userID, before, err
}

// usernameTaken turns a uniqueness violation on the username into a
// *UsernameTakenError saying who holds it.
func (s *Store) usernameTaken(ctx context.Context, err error, username string) error {
	if err == nil || !s.d.isUniqueViolation(err) {
		return err
	}
	holder, gerr := s.GetUserByName(ctx, username)
	return &UsernameTakenError{Username: username, Local: gerr == nil && holder.SSOIssuer == ""}
}

func (s *Store) replaceGroups(ctx context.Context, tx *sql.Tx, userID int64, groups []string) error {
	if _, err := tx.ExecContext(ctx, s.d.rebind("DELETE FROM user_groups WHERE user_id = ?"), userID); err != nil {
		return err
	}
	groups = slices.Clone(groups)
	slices.Sort(groups)
	for _, g := range slices.Compact(groups) {
		if g == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, s.d.rebind("INSERT INTO user_groups (user_id, group_name) VALUES (?, ?)"), userID, g); err != nil {
			return err
		}
	}
	return nil
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func groupsOf(ctx context.Context, q querier, rebind func(string) string, userID int64) ([]string, error) {
	rows, err := q.QueryContext(ctx, rebind("SELECT group_name FROM user_groups WHERE user_id = ? ORDER BY group_name"), userID)
	if err != nil {
		return nil, err
	}
	return scanAll(rows, func(r rowScanner) (string, error) {
		var g string
		return g, r.Scan(&g)
	})
}

// UserGroups returns the groups the user's last SSO sign-in gave, sorted;
// empty for local users.
func (s *Store) UserGroups(ctx context.Context, userID int64) ([]string, error) {
	gs, err := groupsOf(ctx, s.db, s.d.rebind, userID)
	if err != nil {
		return nil, fmt.Errorf("groups of user %d: %w", userID, err)
	}
	return gs, nil
}

// GetSSOUser returns the user an OpenID provider's issuer and subject name.
func (s *Store) GetSSOUser(ctx context.Context, issuer, subject string) (User, error) {
	u, err := scanUser(s.queryRow(ctx, "SELECT "+userColumns+" FROM users WHERE sso_issuer = ? AND sso_subject = ?", issuer, subject))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, notFound("SSO user", fmt.Sprintf("%q at %s", subject, issuer))
	}
	if err != nil {
		return User{}, fmt.Errorf("get SSO user: %w", err)
	}
	return u, nil
}
