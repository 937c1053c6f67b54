package store

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestAudit(t *testing.T) {
	openEach(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		now := testTime
		fixedClock(s, &now)
		shop, zoo := int64(1), int64(2)
		var ids []int64
		for i, ws := range []*int64{&shop, nil, &zoo, &shop, &shop} {
			e, err := s.AppendAudit(ctx, AuditEvent{Actor: "alice", WorkspaceID: ws, Target: fmt.Sprint("t", i),
				Action: "job.create", Outcome: OutcomeSuccess, Detail: "d"})
			if err != nil {
				t.Fatalf("AppendAudit #%d: %v", i, err)
			}
			ids = append(ids, e.ID)
			now = now.Add(time.Second)
		}
		explicit := time.Date(2020, 1, 1, 0, 0, 0, 999, time.UTC)
		e, err := s.AppendAudit(ctx, AuditEvent{Time: explicit, Actor: "bob", Action: "login", Outcome: OutcomeDenied})
		checkErr(t, "AppendAudit with a time", err, nil)
		ids = append(ids, e.ID)

		newest, err := s.ListAudit(ctx, AuditFilter{Limit: 1})
		checkErr(t, "ListAudit", err, nil)
		want := AuditEvent{ID: e.ID, Time: dbTime(explicit), Actor: "bob", Action: "login", Outcome: OutcomeDenied}
		if len(newest) != 1 || newest[0] != want {
			t.Fatalf("ListAudit(Limit 1) = %+v, want [%+v]", newest, want)
		}
		all, _ := s.ListAudit(ctx, AuditFilter{})
		if len(all) == 0 || all[len(all)-1].Time != wantTime || *all[len(all)-1].WorkspaceID != shop {
			t.Fatalf("oldest event = %+v, want Time %v and workspace %d", all[len(all)-1], wantTime, shop)
		}

		tests := []struct {
			name   string
			filter AuditFilter
			want   []int64
		}{
			{"all, newest first", AuditFilter{}, []int64{ids[5], ids[4], ids[3], ids[2], ids[1], ids[0]}},
			{"one workspace", AuditFilter{WorkspaceID: &shop}, []int64{ids[4], ids[3], ids[0]}},
			{"page", AuditFilter{Limit: 2, BeforeID: ids[4]}, []int64{ids[3], ids[2]}},
			{"workspace page", AuditFilter{WorkspaceID: &shop, Limit: 1, BeforeID: ids[3]}, []int64{ids[0]}},
			{"past the end", AuditFilter{BeforeID: ids[0]}, []int64{}},
			{"unknown workspace", AuditFilter{WorkspaceID: new(int64(99))}, []int64{}},
		}
		for _, tt := range tests {
			got, err := s.ListAudit(ctx, tt.filter)
			gotIDs := names(got, func(e AuditEvent) string { return fmt.Sprint(e.ID) })
			wantIDs := names(tt.want, func(id int64) string { return fmt.Sprint(id) })
			if err != nil || gotIDs != wantIDs {
				t.Errorf("ListAudit %s = %s, %v; want %s", tt.name, gotIDs, err, wantIDs)
			}
		}

		_, err = s.AppendAudit(ctx, AuditEvent{Actor: "x", Action: "y", Outcome: "maybe"})
		checkErr(t, "AppendAudit with an unknown outcome", err, ErrInvalid)
	})
}

func TestAuditLimit(t *testing.T) {
	tests := []struct{ in, want int }{
		{-1, DefaultAuditLimit},
		{0, DefaultAuditLimit},
		{1, 1},
		{MaxAuditLimit, MaxAuditLimit},
		{MaxAuditLimit + 1, MaxAuditLimit},
	}
	for _, tt := range tests {
		if got := auditLimit(tt.in); got != tt.want {
			t.Errorf("auditLimit(%d) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestAuditTarget(t *testing.T) {
	openEach(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		for _, target := range []string{"job web", "job api", "job web"} {
			if _, err := s.AppendAudit(ctx, AuditEvent{Actor: "alice", Target: target, Action: "job.promote", Outcome: OutcomeSuccess}); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.ListAudit(ctx, AuditFilter{Target: "job web"})
		if err != nil || len(got) != 2 || got[0].Target != "job web" || got[1].Target != "job web" {
			t.Fatalf("ListAudit(target job web) = %+v, %v; want the 2 events about it", got, err)
		}
	})
}

// TestAuditFilters checks each filter alone, then together with paging. The
// actions include LIKE's wildcards, other case and non-ASCII, which a naive
// LIKE or a byte-length prefix would get wrong on one dialect or the other.
func TestAuditFilters(t *testing.T) {
	openEach(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		shop, zoo := int64(1), int64(2)
		events := []AuditEvent{
			{Actor: "alice", WorkspaceID: &shop, Target: "job web", Action: "job.promote", Outcome: OutcomeSuccess},
			{Actor: "alice", WorkspaceID: &shop, Target: "job web", Action: "job.abort", Outcome: OutcomeFailure},
			{Actor: "bob", WorkspaceID: &zoo, Target: "job api", Action: "job.promote", Outcome: OutcomeDenied},
			{Actor: "bob", Target: "user carol", Action: "user.create", Outcome: OutcomeSuccess},
			{Actor: "carol", WorkspaceID: &shop, Target: "job_x web", Action: "job_x.create", Outcome: OutcomeSuccess},
			{Actor: "alice", Target: "cluster dé", Action: "déploiement.test", Outcome: OutcomeSuccess},
		}
		ids := make([]int64, len(events))
		for i, e := range events {
			e, err := s.AppendAudit(ctx, e)
			if err != nil {
				t.Fatalf("AppendAudit #%d: %v", i, err)
			}
			ids[i] = e.ID
		}
		tests := []struct {
			name   string
			filter AuditFilter
			want   []int // indexes into events, newest first
		}{
			{"actor", AuditFilter{Actor: "alice"}, []int{5, 1, 0}},
			{"actor is exact", AuditFilter{Actor: "ali"}, nil},
			{"action prefix with dot", AuditFilter{ActionPrefix: "job."}, []int{2, 1, 0}},
			{"whole action", AuditFilter{ActionPrefix: "job.promote"}, []int{2, 0}},
			{"action prefix without dot", AuditFilter{ActionPrefix: "job"}, []int{4, 2, 1, 0}},
			{"underscore is literal", AuditFilter{ActionPrefix: "job_"}, []int{4}},
			{"percent is literal", AuditFilter{ActionPrefix: "%"}, nil},
			{"action is case-sensitive", AuditFilter{ActionPrefix: "JOB."}, nil},
			{"non-ASCII prefix", AuditFilter{ActionPrefix: "dé"}, []int{5}},
			{"longer than any action", AuditFilter{ActionPrefix: "job.promote.x"}, nil},
			{"outcome failure", AuditFilter{Outcome: OutcomeFailure}, []int{1}},
			{"outcome denied", AuditFilter{Outcome: OutcomeDenied}, []int{2}},
			{"outcome success", AuditFilter{Outcome: OutcomeSuccess}, []int{5, 4, 3, 0}},
			{"target", AuditFilter{Target: "job web"}, []int{1, 0}},
			{"all together", AuditFilter{WorkspaceID: &shop, Actor: "alice", ActionPrefix: "job.", Outcome: OutcomeSuccess, Target: "job web"}, []int{0}},
			{"filter and page", AuditFilter{ActionPrefix: "job.", Limit: 1, BeforeID: ids[2]}, []int{1}},
		}
		for _, tt := range tests {
			got, err := s.ListAudit(ctx, tt.filter)
			gotIDs := names(got, func(e AuditEvent) string { return fmt.Sprint(e.ID) })
			wantIDs := names(tt.want, func(i int) string { return fmt.Sprint(ids[i]) })
			if err != nil || gotIDs != wantIDs {
				t.Errorf("ListAudit %s = %s, %v; want %s", tt.name, gotIDs, err, wantIDs)
			}
		}
		_, err := s.ListAudit(ctx, AuditFilter{Outcome: "maybe"})
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Field != "outcome" {
			t.Errorf("ListAudit with outcome maybe: got error %v, want a ValidationError on outcome", err)
		}
	})
}
