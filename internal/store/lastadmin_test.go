package store

import (
	"errors"
	"sync"
	"testing"
)

// TestLastAdminConcurrent: two admins demoted (or removed) at once, 30
// rounds on each dialect: exactly one change wins each round, the other is
// ErrLastAdmin, and the workspace always keeps an admin.
func TestLastAdminConcurrent(t *testing.T) {
	openEach(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		ana, ben := mustUser(t, s, "ana"), mustUser(t, s, "ben")
		ws := mustWorkspace(t, s, "shop")
		change := []func(userID int64) error{
			func(id int64) error {
				_, err := s.PutMember(ctx, Member{WorkspaceID: ws.ID, UserID: id, Role: RoleEditor})
				return err
			},
			func(id int64) error { return s.DeleteMember(ctx, ws.ID, id) },
		}
		for round := range 30 {
			for _, u := range []User{ana, ben} {
				if _, err := s.PutMember(ctx, Member{WorkspaceID: ws.ID, UserID: u.ID, Role: RoleAdmin}); err != nil {
					t.Fatal(err)
				}
			}
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i, u := range []User{ana, ben} {
				wg.Go(func() { errs[i] = change[(round+i)%2](u.ID) })
			}
			wg.Wait()
			refused := 0
			for _, err := range errs {
				switch {
				case errors.Is(err, ErrLastAdmin):
					refused++
				case err != nil:
					t.Fatalf("round %d: %v", round, err)
				}
			}
			ms, err := s.ListMembers(ctx, ws.ID)
			if err != nil {
				t.Fatal(err)
			}
			admins := 0
			for _, m := range ms {
				if m.Role == RoleAdmin {
					admins++
				}
			}
			if admins != 1 || refused != 1 {
				t.Fatalf("round %d: %d admins left and %d changes refused (%v), want 1 and 1", round, admins, refused, errs)
			}
		}
	})
}
