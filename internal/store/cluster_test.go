package store

import (
	"bytes"
	"reflect"
	"testing"
	"time"
)

func TestClusters(t *testing.T) {
	openEach(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		now := testTime
		fixedClock(s, &now)
		// Every byte value, to show the sealed kubeconfig is stored as binary.
		sealed := make([]byte, 256)
		for i := range sealed {
			sealed[i] = byte(i)
		}
		c, err := s.CreateCluster(ctx, Cluster{Name: "prod", SealedKubeconfig: sealed, Context: "admin@prod"})
		checkErr(t, "CreateCluster", err, nil)
		want := Cluster{ID: c.ID, Name: "prod", SealedKubeconfig: sealed, Context: "admin@prod", CreatedAt: wantTime}
		if !reflect.DeepEqual(c, want) || c.ID == 0 {
			t.Fatalf("CreateCluster = %+v, want %+v with a non-zero ID", c, want)
		}
		got, err := s.GetCluster(ctx, c.ID)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("GetCluster = %+v, %v; want %+v", got, err, want)
		}
		if !bytes.Equal(got.SealedKubeconfig, sealed) {
			t.Fatalf("SealedKubeconfig = %x, want %x", got.SealedKubeconfig, sealed)
		}

		probed := testTime.Add(time.Minute)
		st := ClusterStatus{Reachable: true, KubernetesVersion: "v1.34.1", ArgoInstalled: true, ArgoVersion: "v1.8.3",
			IstioInstalled: true, ProbedAt: &probed}
		checkErr(t, "UpdateClusterStatus", s.UpdateClusterStatus(ctx, c.ID, st), nil)
		wantProbed := dbTime(probed)
		st.ProbedAt = &wantProbed
		want.Status = st
		if got, err := s.GetClusterByName(ctx, "prod"); err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("GetClusterByName after status update = %+v, %v; want %+v", got, err, want)
		}
		down := ClusterStatus{Error: "connection refused", ProbedAt: &probed}
		checkErr(t, "UpdateClusterStatus(down)", s.UpdateClusterStatus(ctx, c.ID, down), nil)
		if got, _ := s.GetCluster(ctx, c.ID); got.Status.Reachable || got.Status.Error != "connection refused" || got.Status.ArgoInstalled {
			t.Fatalf("Status after failed probe = %+v, want %+v", got.Status, down)
		}

		checkErr(t, "SetClusterArgoInstanceID", s.SetClusterArgoInstanceID(ctx, c.ID, "team-a"), nil)
		if got, _ := s.GetCluster(ctx, c.ID); got.ArgoInstanceID != "team-a" {
			t.Fatalf("ArgoInstanceID = %q, want team-a", got.ArgoInstanceID)
		}
		checkErr(t, "SetClusterArgoInstanceID(missing)", s.SetClusterArgoInstanceID(ctx, c.ID+100, "x"), ErrNotFound)
		withID, err := s.CreateCluster(ctx, Cluster{Name: "shared", SealedKubeconfig: sealed, ArgoInstanceID: "team-b"})
		checkErr(t, "CreateCluster(instance ID)", err, nil)
		if got, _ := s.GetCluster(ctx, withID.ID); got.ArgoInstanceID != "team-b" {
			t.Fatalf("ArgoInstanceID of a new cluster = %q, want team-b", got.ArgoInstanceID)
		}

		mustCluster(t, s, "dev")
		list, err := s.ListClusters(ctx)
		if got := names(list, func(c Cluster) string { return c.Name }); err != nil || got != "[dev prod shared]" {
			t.Errorf("ListClusters = %s, %v; want [dev prod shared]", got, err)
		}
	})
}

// TestDeleteCluster checks that a cluster's bindings go with it, in every
// workspace, and nothing else does.
func TestDeleteCluster(t *testing.T) {
	openEach(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		prod, dev := mustCluster(t, s, "prod"), mustCluster(t, s, "dev")
		shop, zoo := mustWorkspace(t, s, "shop"), mustWorkspace(t, s, "zoo")
		for _, b := range []Binding{
			{WorkspaceID: shop.ID, ClusterID: prod.ID, Namespace: "shop"},
			{WorkspaceID: zoo.ID, ClusterID: prod.ID, Namespace: "zoo"},
			{WorkspaceID: shop.ID, ClusterID: dev.ID, Namespace: "shop"},
		} {
			if _, err := s.CreateBinding(ctx, b); err != nil {
				t.Fatal(err)
			}
		}
		checkErr(t, "DeleteCluster", s.DeleteCluster(ctx, prod.ID), nil)
		checkErr(t, "DeleteCluster twice", s.DeleteCluster(ctx, prod.ID), ErrNotFound)
		_, err := s.GetCluster(ctx, prod.ID)
		checkErr(t, "GetCluster after delete", err, ErrNotFound)
		checkCount(t, "bindings of the deleted cluster", countRows(t, s, "bindings WHERE cluster_id = ?", prod.ID), 0)
		list, err := s.ListBindings(ctx, shop.ID)
		if got := names(list, bindingName); err != nil || got != "[dev/shop]" {
			t.Errorf("ListBindings after cluster delete = %s, %v; want [dev/shop]", got, err)
		}
		if _, err := s.GetWorkspace(ctx, zoo.ID); err != nil {
			t.Errorf("GetWorkspace after cluster delete: got %v, want no error", err)
		}
	})
}

// TestInClusterCluster stores the cluster the server runs in: marked, with
// no sealed kubeconfig; a kubeconfig is refused for it and still required
// for every other cluster.
func TestInClusterCluster(t *testing.T) {
	openEach(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		c, err := s.CreateCluster(ctx, Cluster{Name: "home", InCluster: true})
		checkErr(t, "CreateCluster(in-cluster)", err, nil)
		got, err := s.GetClusterByName(ctx, "home")
		if err != nil || !got.InCluster || len(got.SealedKubeconfig) != 0 || got.ID != c.ID {
			t.Fatalf("GetClusterByName = %+v, %v; want cluster %d in-cluster with no kubeconfig", got, err, c.ID)
		}
		if others, _ := s.ListClusters(ctx); len(others) != 1 || !others[0].InCluster {
			t.Fatalf("ListClusters = %+v, want the in-cluster cluster", others)
		}
		_, err = s.CreateCluster(ctx, Cluster{Name: "both", InCluster: true, SealedKubeconfig: []byte{1}})
		checkErr(t, "CreateCluster(in-cluster with kubeconfig)", err, ErrInvalid)
		_, err = s.CreateCluster(ctx, Cluster{Name: "neither"})
		checkErr(t, "CreateCluster(no kubeconfig)", err, ErrInvalid)
	})
}
