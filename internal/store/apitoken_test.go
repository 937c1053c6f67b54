package store

import (
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

// equalToken compares tokens, following the optional times.
func equalToken(a, b APIToken) bool {
	return a.ID == b.ID && a.UserID == b.UserID && a.Name == b.Name && a.Prefix == b.Prefix && a.Hash == b.Hash &&
		a.CreatedAt == b.CreatedAt && fmtTime(a.LastUsedAt) == fmtTime(b.LastUsedAt) && fmtTime(a.RevokedAt) == fmtTime(b.RevokedAt)
}

// fmtTime shows an optional time, its zone included.
func fmtTime(t *time.Time) string {
	if t == nil {
		return "nil"
	}
	return t.Format(time.RFC3339Nano)
}
