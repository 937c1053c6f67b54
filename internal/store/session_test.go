package store

import (
	"testing"
	"time"
)

func TestSessions(t *testing.T) {
	openEach(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		now := testTime
		fixedClock(s, &now)
		alice := mustUser(t, s, "alice")
		ss, err := s.CreateSession(ctx, Session{ID: "sid", UserID: alice.ID, CSRFToken: "csrf", ExpiresAt: now.Add(time.Hour)})
		checkErr(t, "CreateSession", err, nil)
		want := Session{ID: "sid", UserID: alice.ID, CSRFToken: "csrf",
			CreatedAt: wantTime, LastSeenAt: wantTime, ExpiresAt: wantTime.Add(time.Hour)}
		if ss != want {
			t.Fatalf("CreateSession = %+v, want %+v", ss, want)
		}
		if got, err := s.GetSession(ctx, "sid"); err != nil || got != want {
			t.Fatalf("GetSession = %+v, %v; want %+v", got, err, want)
		}

		// Sliding expiry: a touch moves LastSeenAt and ExpiresAt.
		now = now.Add(50 * time.Minute)
		checkErr(t, "TouchSession", s.TouchSession(ctx, "sid", now.Add(time.Hour)), nil)
		want.LastSeenAt, want.ExpiresAt = dbTime(now), dbTime(now.Add(time.Hour))
		if got, err := s.GetSession(ctx, "sid"); err != nil || got != want {
			t.Fatalf("GetSession after touch = %+v, %v; want %+v", got, err, want)
		}

		// One microsecond before expiry the session lives; at expiry it is gone.
		now = want.ExpiresAt.Add(-time.Microsecond)
		checkErr(t, "GetSession just before expiry", getSessionErr(s, t, "sid"), nil)
		now = want.ExpiresAt
		checkErr(t, "GetSession at expiry", getSessionErr(s, t, "sid"), ErrNotFound)
		checkErr(t, "TouchSession after expiry", s.TouchSession(ctx, "sid", now.Add(time.Hour)), ErrNotFound)
	})
}

func getSessionErr(s *Store, t *testing.T, id string) error {
	_, err := s.GetSession(t.Context(), id)
	return err
}

func TestDeleteSessions(t *testing.T) {
	openEach(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		now := testTime
		fixedClock(s, &now)
		alice, bob := mustUser(t, s, "alice"), mustUser(t, s, "bob")
		for _, ss := range []Session{
			{ID: "expired", UserID: alice.ID, ExpiresAt: now.Add(time.Second)},
			{ID: "live", UserID: alice.ID, ExpiresAt: now.Add(time.Hour)},
			{ID: "bob-1", UserID: bob.ID, ExpiresAt: now.Add(time.Hour)},
			{ID: "bob-2", UserID: bob.ID, ExpiresAt: now.Add(time.Hour)},
		} {
			if _, err := s.CreateSession(ctx, ss); err != nil {
				t.Fatalf("CreateSession(%s): %v", ss.ID, err)
			}
		}
		now = now.Add(time.Minute)
		if n, err := s.DeleteExpiredSessions(ctx); err != nil || n != 1 {
			t.Fatalf("DeleteExpiredSessions = %d, %v; want 1", n, err)
		}
		if n, err := s.DeleteUserSessions(ctx, bob.ID); err != nil || n != 2 {
			t.Fatalf("DeleteUserSessions = %d, %v; want 2", n, err)
		}
		checkErr(t, "GetSession(live)", getSessionErr(s, t, "live"), nil)
		checkErr(t, "DeleteSession(live)", s.DeleteSession(ctx, "live"), nil)
		checkErr(t, "GetSession after delete", getSessionErr(s, t, "live"), ErrNotFound)
		checkErr(t, "DeleteSession twice", s.DeleteSession(ctx, "live"), ErrNotFound)
	})
}
