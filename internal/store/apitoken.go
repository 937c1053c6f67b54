package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// APIToken lets a program act as a user through the REST API. The token
// itself is shown once at creation; the store keeps only its hash.
type APIToken struct {
	ID         int64
	UserID     int64
	Name       string // unique among the user's live tokens
	Prefix     string // first characters of the token, shown to tell tokens apart
	Hash       string // hex SHA-256 of the token
	CreatedAt  time.Time
	LastUsedAt *time.Time // nil until first use
	RevokedAt  *time.Time // nil while the token is live
	ExpiresAt  *time.Time // nil for a token that never expires
}

const apiTokenColumns = "id, user_id, name, prefix, hash, created_at, last_used_at, revoked_at, expires_at"

func scanAPIToken(r rowScanner) (APIToken, error) {
	var t APIToken
	var lastUsed, revoked, expires sql.Null[time.Time]
	err := r.Scan(&t.ID, &t.UserID, &t.Name, &t.Prefix, &t.Hash, &t.CreatedAt, &lastUsed, &revoked, &expires)
	t.CreatedAt, t.LastUsedAt, t.RevokedAt, t.ExpiresAt = t.CreatedAt.UTC(), timePtr(lastUsed), timePtr(revoked), timePtr(expires)
	return t, err
}

// CreateAPIToken stores a new live token for UserID with Name, Prefix, Hash
// and ExpiresAt (nil: never), and returns it with ID and CreatedAt set. The
// store does not judge ExpiresAt: one already past makes a token that never
// authenticates. A name already used by another live, unexpired token of the
// user is a *ConflictError, as is a reused hash; a missing user is a
// *NotFoundError. An expired token holding the name is revoked first, so
// that, say, "switchyard login" can replace its expired token.
func (s *Store) CreateAPIToken(ctx context.Context, t APIToken) (APIToken, error) {
	if err := validateAPIToken(t); err != nil {
		return APIToken{}, fmt.Errorf("create API token: %w", err)
	}
	expires := nullTime(t.ExpiresAt)
	t.CreatedAt, t.LastUsedAt, t.RevokedAt, t.ExpiresAt = dbTime(s.now()), nil, nil, timePtr(expires)
	_, err := s.exec(ctx,
		"UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND name = ? AND revoked_at IS NULL AND expires_at <= ?",
		t.CreatedAt, t.UserID, t.Name, t.CreatedAt)
	if err != nil {
		return APIToken{}, fmt.Errorf("create API token for user %d: revoke the expired token %q: %w", t.UserID, t.Name, err)
	}
	err = s.queryRow(ctx,
		"INSERT INTO api_tokens (user_id, name, prefix, hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
		t.UserID, t.Name, t.Prefix, t.Hash, t.CreatedAt, expires).Scan(&t.ID)
	if err != nil {
		err = s.constraint(err, conflict("API token", fmt.Sprintf("%q", t.Name)), notFound("user", t.UserID))
		return APIToken{}, fmt.Errorf("create API token for user %d: %w", t.UserID, err)
	}
	return t, nil
}

func validateAPIToken(t APIToken) error {
	return errors.Join(required("name", t.Name), required("prefix", t.Prefix), required("hash", t.Hash))
}

// GetAPITokenByHash returns the live token with the given hash. A revoked
// or unknown token is a *NotFoundError; an expired one (ExpiresAt not after
// the store's clock) an *ExpiredError, which matches ErrNotFound too, so
// that callers may tell the holder why the token stopped working.
func (s *Store) GetAPITokenByHash(ctx context.Context, hash string) (APIToken, error) {
	t, err := scanAPIToken(s.queryRow(ctx,
		"SELECT "+apiTokenColumns+" FROM api_tokens WHERE hash = ? AND revoked_at IS NULL", hash))
	if errors.Is(err, sql.ErrNoRows) {
		// The hash is not repeated: it identifies a credential.
		return APIToken{}, &NotFoundError{Resource: "API token", Key: "(unknown or revoked)"}
	}
	if err != nil {
		return APIToken{}, fmt.Errorf("get API token: %w", err)
	}
	if t.ExpiresAt != nil && !s.now().Before(*t.ExpiresAt) {
		return APIToken{}, &ExpiredError{Resource: "API token", ExpiredAt: *t.ExpiresAt}
	}
	return t, nil
}

// ListAPITokens returns a user's tokens, revoked and expired ones included,
// oldest first.
func (s *Store) ListAPITokens(ctx context.Context, userID int64) ([]APIToken, error) {
	rows, err := s.query(ctx, "SELECT "+apiTokenColumns+" FROM api_tokens WHERE user_id = ? ORDER BY id", userID)
	if err != nil {
		return nil, fmt.Errorf("list API tokens of user %d: %w", userID, err)
	}
	tokens, err := scanAll(rows, scanAPIToken)
	if err != nil {
		return nil, fmt.Errorf("list API tokens of user %d: %w", userID, err)
	}
	return tokens, nil
}

// RevokeAPIToken revokes one of the user's live tokens. A token of another
// user, or one already revoked, is not found, so users cannot probe for
// others' token IDs.
func (s *Store) RevokeAPIToken(ctx context.Context, userID, id int64) error {
	err := s.execOne(ctx, notFound("API token", id),
		"UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL",
		dbTime(s.now()), id, userID)
	if err != nil {
		return fmt.Errorf("revoke API token %d of user %d: %w", id, userID, err)
	}
	return nil
}

// TouchAPIToken records that a token was just used.
func (s *Store) TouchAPIToken(ctx context.Context, id int64) error {
	err := s.execOne(ctx, notFound("API token", id), "UPDATE api_tokens SET last_used_at = ? WHERE id = ?", dbTime(s.now()), id)
	if err != nil {
		return fmt.Errorf("touch API token %d: %w", id, err)
	}
	return nil
}
