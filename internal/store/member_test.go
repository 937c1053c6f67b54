package store

import (
	"testing"
	"time"
)

func TestMembers(t *testing.T) {
	openEach(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		now := testTime
		fixedClock(s, &now)
		bob, alice := mustUser(t, s, "bob"), mustUser(t, s, "alice")
		shop := mustWorkspace(t, s, "shop")

		m, err := s.PutMember(ctx, Member{WorkspaceID: shop.ID, UserID: bob.ID, Role: RoleViewer, Username: "ignored"})
		checkErr(t, "PutMember", err, nil)
		want := Member{WorkspaceID: shop.ID, UserID: bob.ID, Username: "bob", Role: RoleViewer, CreatedAt: wantTime}
		if m != want {
			t.Fatalf("PutMember = %+v, want %+v", m, want)
		}
		// Changing the role keeps the membership's CreatedAt.
		now = now.Add(time.Hour)
		m, err = s.PutMember(ctx, Member{WorkspaceID: shop.ID, UserID: bob.ID, Role: RoleEditor})
		want.Role = RoleEditor
		if err != nil || m != want {
			t.Fatalf("PutMember changing the role = %+v, %v; want %+v", m, err, want)
		}
		if got, err := s.GetMember(ctx, shop.ID, bob.ID); err != nil || got != want {
			t.Fatalf("GetMember = %+v, %v; want %+v", got, err, want)
		}
		_, err = s.PutMember(ctx, Member{WorkspaceID: shop.ID, UserID: alice.ID, Role: RoleAdmin})
		checkErr(t, "PutMember(alice)", err, nil)
		list, err := s.ListMembers(ctx, shop.ID)
		got := names(list, func(m Member) string { return m.Username + ":" + m.Role })
		if err != nil || got != "[alice:admin bob:editor]" {
			t.Fatalf("ListMembers = %s, %v; want [alice:admin bob:editor]", got, err)
		}

		checkErr(t, "DeleteMember", s.DeleteMember(ctx, shop.ID, bob.ID), nil)
		checkErr(t, "DeleteMember twice", s.DeleteMember(ctx, shop.ID, bob.ID), ErrNotFound)
		_, err = s.GetMember(ctx, shop.ID, bob.ID)
		checkErr(t, "GetMember after delete", err, ErrNotFound)
	})
}

func TestPutMemberRejects(t *testing.T) {
	openEach(t, func(t *testing.T, s *Store) {
		alice, shop := mustUser(t, s, "alice"), mustWorkspace(t, s, "shop")
		tests := []struct {
			name string
			m    Member
			want error
		}{
			{"unknown role", Member{WorkspaceID: shop.ID, UserID: alice.ID, Role: "owner"}, ErrInvalid},
			{"empty role", Member{WorkspaceID: shop.ID, UserID: alice.ID}, ErrInvalid},
			{"missing user", Member{WorkspaceID: shop.ID, UserID: alice.ID + 100, Role: RoleViewer}, ErrNotFound},
			{"missing workspace", Member{WorkspaceID: shop.ID + 100, UserID: alice.ID, Role: RoleViewer}, ErrNotFound},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := s.PutMember(t.Context(), tt.m)
				checkErr(t, "PutMember", err, tt.want)
			})
		}
	})
}
