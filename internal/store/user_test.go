package store

import (
	"testing"
)

func TestUsers(t *testing.T) {
	openEach(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		now := testTime
		fixedClock(s, &now)
		if n, err := s.CountUsers(ctx); err != nil || n != 0 {
			t.Fatalf("CountUsers on an empty store = %d, %v; want 0", n, err)
		}
		bob, err := s.CreateUser(ctx, User{Username: "bob", PasswordHash: "h1", PlatformAdmin: true})
		if err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
		want := User{ID: bob.ID, Username: "bob", PasswordHash: "h1", PlatformAdmin: true, CreatedAt: wantTime}
		if bob != want || bob.ID == 0 {
			t.Fatalf("CreateUser = %+v, want %+v with a non-zero ID", bob, want)
		}
		alice := mustUser(t, s, "alice")

		if got, err := s.GetUser(ctx, bob.ID); err != nil || got != want {
			t.Errorf("GetUser = %+v, %v; want %+v", got, err, want)
		}
		if got, err := s.GetUserByName(ctx, "alice"); err != nil || got != alice {
			t.Errorf("GetUserByName = %+v, %v; want %+v", got, err, alice)
		}
		list, err := s.ListUsers(ctx)
		checkErr(t, "ListUsers", err, nil)
		if got := names(list, func(u User) string { return u.Username }); got != "[alice bob]" {
			t.Errorf("ListUsers = %s, want [alice bob]", got)
		}
		if n, err := s.CountUsers(ctx); err != nil || n != 2 {
			t.Errorf("CountUsers = %d, %v; want 2", n, err)
		}

		checkErr(t, "SetPassword", s.SetPassword(ctx, alice.ID, "new-hash"), nil)
		if got, _ := s.GetUser(ctx, alice.ID); got.PasswordHash != "new-hash" {
			t.Errorf("PasswordHash after SetPassword = %q, want %q", got.PasswordHash, "new-hash")
		}
		if got, _ := s.GetUser(ctx, bob.ID); got.PasswordHash != "h1" {
			t.Errorf("other user's PasswordHash after SetPassword = %q, want %q", got.PasswordHash, "h1")
		}
	})
}
