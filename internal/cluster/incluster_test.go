package cluster

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/internal/store"
)

// TestRegisterInClusterRefusals: outside a pod the in-cluster registration
// fails saying why and stores nothing; a bad name or one taken by a
// kubeconfig cluster is refused before that. (test/install runs the real
// thing, with a ServiceAccount token mounted where pods have it.)
func TestRegisterInClusterRefusals(t *testing.T) {
	ctx := context.Background()
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	t.Setenv("KUBERNETES_SERVICE_PORT", "")
	m := newManager(t, t.TempDir())
	if _, err := m.Store.CreateCluster(ctx, store.Cluster{Name: "prod", SealedKubeconfig: []byte{1}}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, cluster string
		want          error
		text          string
	}{
		{"not in a pod", "home", nil, "in-cluster config"},
		{"not a DNS label", "Home", store.ErrInvalid, "name"},
		{"taken by a kubeconfig cluster", "prod", store.ErrConflict, "registered with a kubeconfig"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := m.RegisterInCluster(ctx, tt.cluster)
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) || !strings.Contains(err.Error(), tt.text) {
				t.Fatalf("RegisterInCluster(%q) = %v, want an error matching %v and saying %q", tt.cluster, err, tt.want, tt.text)
			}
		})
	}
	if cs, _ := m.Store.ListClusters(ctx); len(cs) != 1 {
		t.Fatalf("clusters after refusals = %d, want only prod", len(cs))
	}
}
