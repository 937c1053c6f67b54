package api

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// TestClusterRefused: a cluster that refuses Switchyard's credentials (RBAC,
// an expired token) is a 502 saying so, not a 500; only platform
// administrators read the cluster's user names.
func TestClusterRefused(t *testing.T) {
	forbidden := fmt.Errorf("update deployment demo/web: %w", apierrors.NewForbidden(schema.GroupResource{Group: "apps", Resource: "deployments"}, "web",
		fmt.Errorf(`User "system:serviceaccount:kube-system:switchyard" cannot update resource "deployments" in API group "apps" in the namespace "demo"`)))
	e := statusFor(forbidden, false)
	if e.Status != http.StatusBadGateway || e.Code != "cluster_forbidden" || strings.Contains(e.Message, "system:serviceaccount") || !strings.Contains(e.Message, "deployments.apps web") {
		t.Errorf("member: %+v; want 502 cluster_forbidden naming deployments.apps web without the user", e)
	}
	e = statusFor(forbidden, true)
	if e.Status != http.StatusBadGateway || !strings.Contains(e.Message, "system:serviceaccount:kube-system:switchyard") {
		t.Errorf("admin: %+v; want the cluster's own words", e)
	}
	e = statusFor(fmt.Errorf("list rollouts: %w", apierrors.NewUnauthorized("token expired")), false)
	if e.Status != http.StatusBadGateway || e.Code != "cluster_unauthorized" {
		t.Errorf("unauthorized: %+v; want 502 cluster_unauthorized", e)
	}
}
