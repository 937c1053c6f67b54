package store

import (
	"testing"
)

func bindingName(b Binding) string { return b.ClusterName + "/" + b.Namespace }

func TestBindings(t *testing.T) {
	openEach(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		now := testTime
		fixedClock(s, &now)
		prod, dev := mustCluster(t, s, "prod"), mustCluster(t, s, "dev")
		shop, zoo := mustWorkspace(t, s, "shop"), mustWorkspace(t, s, "zoo")

		b, err := s.CreateBinding(ctx, Binding{WorkspaceID: shop.ID, ClusterID: prod.ID, Namespace: "web", ClusterName: "ignored"})
		checkErr(t, "CreateBinding", err, nil)
		want := Binding{ID: b.ID, WorkspaceID: shop.ID, ClusterID: prod.ID, ClusterName: "prod", Namespace: "web", CreatedAt: wantTime}
		if b != want || b.ID == 0 {
			t.Fatalf("CreateBinding = %+v, want %+v with a non-zero ID", b, want)
		}
		for _, nb := range []Binding{
			{WorkspaceID: shop.ID, ClusterID: dev.ID, Namespace: "web"},
			{WorkspaceID: shop.ID, ClusterID: prod.ID, Namespace: "api"},
			{WorkspaceID: zoo.ID, ClusterID: prod.ID, Namespace: "web"}, // same namespace, other workspace
		} {
			if _, err := s.CreateBinding(ctx, nb); err != nil {
				t.Fatalf("CreateBinding(%+v): %v", nb, err)
			}
		}
		list, err := s.ListBindings(ctx, shop.ID)
		if got := names(list, bindingName); err != nil || got != "[dev/web prod/api prod/web]" {
			t.Fatalf("ListBindings = %s, %v; want [dev/web prod/api prod/web]", got, err)
		}

		tests := []struct {
			name      string
			workspace int64
			cluster   int64
			namespace string
			want      bool
		}{
			{"bound", shop.ID, prod.ID, "web", true},
			{"other namespace", shop.ID, prod.ID, "db", false},
			{"other cluster", zoo.ID, dev.ID, "web", false},
			{"other workspace's binding", zoo.ID, prod.ID, "api", false},
		}
		for _, tt := range tests {
			got, err := s.HasBinding(ctx, tt.workspace, tt.cluster, tt.namespace)
			if err != nil || got != tt.want {
				t.Errorf("HasBinding %s = %v, %v; want %v", tt.name, got, err, tt.want)
			}
		}

		checkErr(t, "DeleteBinding from another workspace", s.DeleteBinding(ctx, zoo.ID, b.ID), ErrNotFound)
		checkErr(t, "DeleteBinding", s.DeleteBinding(ctx, shop.ID, b.ID), nil)
		checkErr(t, "DeleteBinding twice", s.DeleteBinding(ctx, shop.ID, b.ID), ErrNotFound)
		if ok, err := s.HasBinding(ctx, shop.ID, prod.ID, "web"); err != nil || ok {
			t.Errorf("HasBinding after delete = %v, %v; want false", ok, err)
		}
	})
}
