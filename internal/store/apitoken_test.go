package store

import (
	"errors"
	"testing"
	"time"
)

func TestAPITokens(t *testing.T) {
	openEach(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		now := testTime
		fixedClock(s, &now)
		alice, bob := mustUser(t, s, "alice"), mustUser(t, s, "bob")
		tok, err := s.CreateAPIToken(ctx, APIToken{UserID: alice.ID, Name: "ci", Prefix: "sy_ab", Hash: "h-ci"})
		checkErr(t, "CreateAPIToken", err, nil)
		want := APIToken{ID: tok.ID, UserID: alice.ID, Name: "ci", Prefix: "sy_ab", Hash: "h-ci", CreatedAt: wantTime}
		if !equalToken(tok, want) || tok.ID == 0 {
			t.Fatalf("CreateAPIToken = %+v, want %+v with a non-zero ID", tok, want)
		}
		if got, err := s.GetAPITokenByHash(ctx, "h-ci"); err != nil || !equalToken(got, want) {
			t.Fatalf("GetAPITokenByHash = %+v, %v; want %+v", got, err, want)
		}

		now = now.Add(time.Minute)
		checkErr(t, "TouchAPIToken", s.TouchAPIToken(ctx, tok.ID), nil)
		used := dbTime(now)
		want.LastUsedAt = &used
		if got, err := s.GetAPITokenByHash(ctx, "h-ci"); err != nil || !equalToken(got, want) {
			t.Fatalf("GetAPITokenByHash after touch = %+v, %v; want %+v", got, err, want)
		}

		// Only the owner revokes, once; a revoked token no longer authenticates
		// but stays listed, and its name may be reused.
		checkErr(t, "RevokeAPIToken by another user", s.RevokeAPIToken(ctx, bob.ID, tok.ID), ErrNotFound)
		checkErr(t, "RevokeAPIToken", s.RevokeAPIToken(ctx, alice.ID, tok.ID), nil)
		checkErr(t, "RevokeAPIToken twice", s.RevokeAPIToken(ctx, alice.ID, tok.ID), ErrNotFound)
		_, err = s.GetAPITokenByHash(ctx, "h-ci")
		checkErr(t, "GetAPITokenByHash after revoke", err, ErrNotFound)
		_, err = s.CreateAPIToken(ctx, APIToken{UserID: alice.ID, Name: "ci", Prefix: "sy_cd", Hash: "h-ci-2"})
		checkErr(t, "CreateAPIToken reusing a revoked token's name", err, nil)

		list, err := s.ListAPITokens(ctx, alice.ID)
		checkErr(t, "ListAPITokens", err, nil)
		got := names(list, func(t APIToken) string { return t.Hash + "/" + fmtTime(t.RevokedAt) })
		if want := "[h-ci/" + dbTime(now).Format(time.RFC3339Nano) + " h-ci-2/nil]"; got != want {
			t.Errorf("ListAPITokens = %s, want %s", got, want)
		}
		if list, err := s.ListAPITokens(ctx, bob.ID); err != nil || list == nil || len(list) != 0 {
			t.Errorf("ListAPITokens of a user without tokens = %#v, %v; want an empty, non-nil slice", list, err)
		}
	})
}

func TestAPITokenExpiry(t *testing.T) {
	openEach(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		now := testTime
		fixedClock(s, &now)
		alice := mustUser(t, s, "alice")
		// The expiry is normalised like every stored time: UTC, microseconds.
		day := testTime.Add(24 * time.Hour)
		wantDay := wantTime.Add(24 * time.Hour)
		forever, err := s.CreateAPIToken(ctx, APIToken{UserID: alice.ID, Name: "forever", Prefix: "sy_f", Hash: "h-forever"})
		checkErr(t, "CreateAPIToken without expiry", err, nil)
		daily, err := s.CreateAPIToken(ctx, APIToken{UserID: alice.ID, Name: "daily", Prefix: "sy_d", Hash: "h-daily", ExpiresAt: &day})
		checkErr(t, "CreateAPIToken with expiry", err, nil)
		if forever.ExpiresAt != nil || daily.ExpiresAt == nil || *daily.ExpiresAt != wantDay {
			t.Fatalf("CreateAPIToken ExpiresAt = %s and %s, want nil and %s", fmtTime(forever.ExpiresAt), fmtTime(daily.ExpiresAt), wantDay.Format(time.RFC3339Nano))
		}
		for _, want := range []APIToken{forever, daily} {
			if got, err := s.GetAPITokenByHash(ctx, want.Hash); err != nil || !equalToken(got, want) {
				t.Fatalf("GetAPITokenByHash(%s) = %+v, %v; want %+v", want.Hash, got, err, want)
			}
		}
		list, err := s.ListAPITokens(ctx, alice.ID)
		checkErr(t, "ListAPITokens", err, nil)
		got := names(list, func(t APIToken) string { return t.Name + "/" + fmtTime(t.ExpiresAt) })
		if want := "[forever/nil daily/" + wantDay.Format(time.RFC3339Nano) + "]"; got != want {
			t.Errorf("ListAPITokens = %s, want %s", got, want)
		}

		// A microsecond before its expiry the token works; at its expiry it
		// is not found any more, and says it expired. Others are unaffected.
		now = wantDay.Add(-time.Microsecond)
		if _, err := s.GetAPITokenByHash(ctx, "h-daily"); err != nil {
			t.Fatalf("GetAPITokenByHash just before expiry: %v, want the token", err)
		}
		now = wantDay
		_, err = s.GetAPITokenByHash(ctx, "h-daily")
		checkErr(t, "GetAPITokenByHash at expiry", err, ErrNotFound)
		var expired *ExpiredError
		if !errors.As(err, &expired) || !expired.ExpiredAt.Equal(wantDay) {
			t.Errorf("GetAPITokenByHash at expiry: err = %v, want an *ExpiredError at %s", err, wantDay)
		}
		now = wantDay.Add(365 * 24 * time.Hour)
		if _, err := s.GetAPITokenByHash(ctx, "h-forever"); err != nil {
			t.Errorf("GetAPITokenByHash of a token without expiry a year on: %v, want the token", err)
		}
		// A token created already expired is stored but never works; an
		// expired token stays listed.
		past := now.Add(-time.Hour)
		_, err = s.CreateAPIToken(ctx, APIToken{UserID: alice.ID, Name: "stale", Prefix: "sy_s", Hash: "h-stale", ExpiresAt: &past})
		checkErr(t, "CreateAPIToken with a past expiry", err, nil)
		_, err = s.GetAPITokenByHash(ctx, "h-stale")
		checkErr(t, "GetAPITokenByHash of a token created expired", err, ErrNotFound)
		if list, err := s.ListAPITokens(ctx, alice.ID); err != nil || len(list) != 3 {
			t.Errorf("ListAPITokens = %+v, %v; want all three tokens, expired ones included", list, err)
		}
		// A revoked token is just not found, whatever its expiry.
		checkErr(t, "RevokeAPIToken", s.RevokeAPIToken(ctx, alice.ID, daily.ID), nil)
		_, err = s.GetAPITokenByHash(ctx, "h-daily")
		if checkErr(t, "GetAPITokenByHash of a revoked, expired token", err, ErrNotFound); errors.As(err, &expired) {
			t.Errorf("GetAPITokenByHash of a revoked, expired token: err = %v, want unknown or revoked", err)
		}

		// An expired token gives up its name to a new token, and is revoked
		// for it; an unexpired one keeps it.
		later := now.Add(time.Hour)
		_, err = s.CreateAPIToken(ctx, APIToken{UserID: alice.ID, Name: "hourly", Prefix: "sy_h", Hash: "h-hourly", ExpiresAt: &later})
		checkErr(t, "CreateAPIToken hourly", err, nil)
		_, err = s.CreateAPIToken(ctx, APIToken{UserID: alice.ID, Name: "hourly", Prefix: "sy_h", Hash: "h-hourly-2"})
		checkErr(t, "CreateAPIToken reusing an unexpired token's name", err, ErrConflict)
		_, err = s.CreateAPIToken(ctx, APIToken{UserID: alice.ID, Name: "stale", Prefix: "sy_s", Hash: "h-stale-2"})
		checkErr(t, "CreateAPIToken reusing an expired token's name", err, nil)
		list, err = s.ListAPITokens(ctx, alice.ID)
		checkErr(t, "ListAPITokens", err, nil)
		got = names(list, func(t APIToken) string { return t.Hash + "/" + fmtTime(t.RevokedAt) })
		revokedAt := dbTime(now).Format(time.RFC3339Nano)
		if want := "[h-forever/nil h-daily/" + revokedAt + " h-stale/" + revokedAt + " h-hourly/nil h-stale-2/nil]"; got != want {
			t.Errorf("ListAPITokens = %s, want %s", got, want)
		}
	})
}

// equalToken compares tokens, following the optional times.
func equalToken(a, b APIToken) bool {
	return a.ID == b.ID && a.UserID == b.UserID && a.Name == b.Name && a.Prefix == b.Prefix && a.Hash == b.Hash &&
		a.CreatedAt == b.CreatedAt && fmtTime(a.LastUsedAt) == fmtTime(b.LastUsedAt) && fmtTime(a.RevokedAt) == fmtTime(b.RevokedAt) &&
		fmtTime(a.ExpiresAt) == fmtTime(b.ExpiresAt)
}

// fmtTime shows an optional time, its zone included.
func fmtTime(t *time.Time) string {
	if t == nil {
		return "nil"
	}
	return t.Format(time.RFC3339Nano)
}
