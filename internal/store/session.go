package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Session is a signed-in browser. The cookie holds a random token; the store
// only ever sees its hash, so a leaked database does not leak live cookies.
type Session struct {
	ID         string // hex SHA-256 of the cookie token
	UserID     int64
	CSRFToken  string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastSeenAt time.Time
}

const sessionColumns = "id, user_id, csrf_token, created_at, expires_at, last_seen_at"

func scanSession(r rowScanner) (Session, error) {
	var ss Session
	err := r.Scan(&ss.ID, &ss.UserID, &ss.CSRFToken, &ss.CreatedAt, &ss.ExpiresAt, &ss.LastSeenAt)
	ss.CreatedAt, ss.ExpiresAt, ss.LastSeenAt = ss.CreatedAt.UTC(), ss.ExpiresAt.UTC(), ss.LastSeenAt.UTC()
	return ss, err
}

// CreateSession stores a session whose ID, UserID, CSRFToken and ExpiresAt
// the caller chose; CreatedAt and LastSeenAt are set to now. A missing user
// is a *NotFoundError, a reused ID a *ConflictError.
func (s *Store) CreateSession(ctx context.Context, ss Session) (Session, error) {
	if err := required("session ID", ss.ID); err != nil {
		return Session{}, fmt.Errorf("create session: %w", err)
	}
	now := dbTime(s.now())
	ss.CreatedAt, ss.LastSeenAt, ss.ExpiresAt = now, now, dbTime(ss.ExpiresAt)
	_, err := s.exec(ctx,
		"INSERT INTO sessions ("+sessionColumns+") VALUES (?, ?, ?, ?, ?, ?)",
		ss.ID, ss.UserID, ss.CSRFToken, ss.CreatedAt, ss.ExpiresAt, ss.LastSeenAt)
	if err != nil {
		// The conflict key is not the ID: it is a credential.
		err = s.constraint(err, conflict("session", "with this ID"), notFound("user", ss.UserID))
		return Session{}, fmt.Errorf("create session for user %d: %w", ss.UserID, err)
	}
	return ss, nil
}

// GetSession returns the session with the given ID. An expired session is
// not found, even before DeleteExpiredSessions removes it.
func (s *Store) GetSession(ctx context.Context, id string) (Session, error) {
	ss, err := scanSession(s.queryRow(ctx,
		"SELECT "+sessionColumns+" FROM sessions WHERE id = ? AND expires_at > ?", id, dbTime(s.now())))
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, sessionNotFound()
	}
	if err != nil {
		return Session{}, fmt.Errorf("get session: %w", err)
	}
	return ss, nil
}

// sessionNotFound does not repeat the ID: it is a credential.
func sessionNotFound() error {
	return &NotFoundError{Resource: "session", Key: "(unknown or expired)"}
}

// TouchSession records activity on a live session: LastSeenAt becomes now
// and ExpiresAt the given time (sliding expiry). An expired or unknown
// session is not found.
func (s *Store) TouchSession(ctx context.Context, id string, expiresAt time.Time) error {
	now := dbTime(s.now())
	err := s.execOne(ctx, sessionNotFound(),
		"UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE id = ? AND expires_at > ?",
		now, dbTime(expiresAt), id, now)
	if err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

// DeleteSession removes a session (sign-out). An unknown ID is not found;
// sign-out handlers may ignore that.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	if err := s.execOne(ctx, sessionNotFound(), "DELETE FROM sessions WHERE id = ?", id); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteUserSessions removes every session of a user, e.g. after a
// password change, and returns how many there were.
func (s *Store) DeleteUserSessions(ctx context.Context, userID int64) (int64, error) {
	res, err := s.exec(ctx, "DELETE FROM sessions WHERE user_id = ?", userID)
	if err != nil {
		return 0, fmt.Errorf("delete sessions of user %d: %w", userID, err)
	}
	return res.RowsAffected()
}

// DeleteExpiredSessions removes sessions past their expiry and returns how
// many it removed. Run it periodically; correctness does not depend on it.
func (s *Store) DeleteExpiredSessions(ctx context.Context) (int64, error) {
	res, err := s.exec(ctx, "DELETE FROM sessions WHERE expires_at <= ?", dbTime(s.now()))
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	return res.RowsAffected()
}
