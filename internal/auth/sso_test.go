package auth

import (
	"fmt"
	"testing"

	"github.com/switchyard/switchyard/internal/store"
)

func TestLostGrants(t *testing.T) {
	shop := int64(1)
	b := func(group, role string) store.GroupBinding {
		if role == store.RolePlatformAdmin {
			return store.GroupBinding{Group: group, Role: role}
		}
		return store.GroupBinding{Group: group, WorkspaceID: &shop, WorkspaceName: "shop", Role: role}
	}
	tests := []struct {
		name          string
		before, after []store.GroupBinding
		want          string
	}{
		{"same", []store.GroupBinding{b("dev", "editor")}, []store.GroupBinding{b("dev", "editor")}, "[]"},
		{"same access through another group", []store.GroupBinding{b("dev", "editor")}, []store.GroupBinding{b("qa", "editor")}, "[]"},
		{"gained", nil, []store.GroupBinding{b("dev", "editor")}, "[]"},
		{"lost", []store.GroupBinding{b("dev", "editor"), b("ops", store.RolePlatformAdmin)}, []store.GroupBinding{b("dev", "editor")}, "[platform admin]"},
		{"demoted", []store.GroupBinding{b("dev", "admin")}, []store.GroupBinding{b("dev", "viewer")}, "[admin in shop]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fmt.Sprint(lostGrants(tt.before, tt.after)); got != tt.want {
				t.Fatalf("lostGrants = %s, want %s", got, tt.want)
			}
		})
	}
}
