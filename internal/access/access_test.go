package access_test

import (
	"errors"
	"testing"

	"github.com/switchyard/switchyard/internal/access"
	"github.com/switchyard/switchyard/internal/store"
)

// allowed is the expected matrix, written out by hand from the product's
// permission table rather than derived from the policy: which of platform
// admin (P), workspace admin (A), editor (E) and viewer (V) may do each action.
var allowed = map[access.Action]string{
	access.UserCreate:         "P",
	access.UserList:           "P",
	access.UserSetPassword:    "P",
	access.UserManage:         "P",
	access.UserTokens:         "P",
	access.ClusterCreate:      "P",
	access.ClusterView:        "P",
	access.ClusterUpdate:      "P",
	access.ClusterDelete:      "P",
	access.WorkspaceCreate:    "P",
	access.AuditViewGlobal:    "P",
	access.WorkspaceView:      "PAEV",
	access.WorkspaceDelete:    "P",
	access.MemberView:         "PAEV",
	access.MemberManage:       "PA",
	access.BindingView:        "PAEV",
	access.BindingManage:      "P",
	access.ResourceView:       "PAEV",
	access.AuditView:          "PA",
	access.JobView:            "PAEV",
	access.JobCreate:          "PAE",
	access.JobDeploy:          "PAE",
	access.JobPromote:         "PAE",
	access.JobAbort:           "PAE",
	access.JobRetry:           "PAE",
	access.JobRollback:        "PAE",
	access.JobDelete:          "PAE",
	access.NotificationView:   "PA",
	access.NotificationManage: "PA",
	access.JobChecks:          "PAE",
	access.GroupBindingView:   "P",
	access.GroupBindingManage: "P",
}

// TestAuthorizeMatrix checks every subject × action × own/other workspace
// against a real store: each user is a member of workspace "own" only.
func TestAuthorizeMatrix(t *testing.T) {
	ctx := t.Context()
	s, err := store.Open(ctx, store.Options{DataDir: t.TempDir()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	own, _ := s.CreateWorkspace(ctx, store.Workspace{Name: "own"})
	other, _ := s.CreateWorkspace(ctx, store.Workspace{Name: "other"})
	subjects := map[string]access.Subject{}
	for _, k := range []struct{ key, role string }{{"P", ""}, {"A", store.RoleAdmin}, {"E", store.RoleEditor}, {"V", store.RoleViewer}, {"N", ""}} {
		u, err := s.CreateUser(ctx, store.User{Username: "user-" + k.key, PasswordHash: "x", PlatformAdmin: k.key == "P"})
		if err != nil {
			t.Fatal(err)
		}
		if k.role != "" {
			if _, err := s.PutMember(ctx, store.Member{WorkspaceID: own.ID, UserID: u.ID, Role: k.role}); err != nil {
				t.Fatal(err)
			}
		}
		subjects[k.key] = access.SubjectOf(u)
	}
	c := &access.Checker{Store: s}
	for action, who := range allowed {
		for key, subj := range subjects {
			for _, ws := range []struct {
				name string
				id   int64
			}{{"own", own.ID}, {"other", other.ID}} {
				t.Run(string(action)+"/"+key+"/"+ws.name, func(t *testing.T) {
					got := c.Authorize(ctx, subj, action, ws.id)
					want := expect(action, who, key, ws.name == "own")
					if !errors.Is(got, want) || (want == nil) != (got == nil) {
						t.Errorf("Authorize(%s, %s, %s) = %v, want %v", key, action, ws.name, got, want)
					}
				})
			}
		}
	}
}

// expect returns the error the policy should give: nil when allowed, ErrNotVisible
// for a non-member's workspace action, ErrForbidden otherwise.
func expect(a access.Action, who, key string, member bool) error {
	isMember := member && key != "P" && key != "N"
	if key == "P" {
		return nil
	}
	if access.IsWorkspaceAction(a) && !isMember {
		return access.ErrNotVisible
	}
	for _, r := range who {
		if string(r) == key {
			return nil
		}
	}
	return access.ErrForbidden
}

// TestDecideCoversEveryAction guards against an action added to the policy
// but not to the expected matrix above (and the reverse).
func TestDecideCoversEveryAction(t *testing.T) {
	for a := range allowed {
		if err := access.Decide(true, "", a); err != nil {
			t.Errorf("Decide(platform admin, %s) = %v, want nil", a, err)
		}
	}
	for _, a := range access.Actions() {
		if _, ok := allowed[a]; !ok {
			t.Errorf("action %s is in the policy but not in the expected matrix", a)
		}
	}
	if err := access.Decide(true, "", "job.teleport"); !errors.Is(err, access.ErrUnknownAction) {
		t.Errorf("Decide(unknown action) = %v, want ErrUnknownAction", err)
	}
}

func TestEffective(t *testing.T) {
	shop, zoo := int64(1), int64(2)
	bind := func(group string, ws *int64, role string) store.GroupBinding {
		return store.GroupBinding{Group: group, WorkspaceID: ws, Role: role}
	}
	tests := []struct {
		name      string
		admin     bool
		direct    string
		grants    []store.GroupBinding
		workspace int64
		want      access.Grant
	}{
		{"no groups", false, store.RoleViewer, nil, shop, access.Grant{Role: store.RoleViewer}},
		{"group above direct", false, store.RoleViewer, []store.GroupBinding{bind("dev", &shop, store.RoleEditor)}, shop,
			access.Grant{Role: store.RoleEditor, Via: "dev"}},
		{"direct above group", false, store.RoleAdmin, []store.GroupBinding{bind("dev", &shop, store.RoleEditor)}, shop,
			access.Grant{Role: store.RoleAdmin}},
		{"tie: direct wins", false, store.RoleEditor, []store.GroupBinding{bind("dev", &shop, store.RoleEditor)}, shop,
			access.Grant{Role: store.RoleEditor}},
		{"highest group", false, "", []store.GroupBinding{bind("a", &shop, store.RoleViewer), bind("b", &shop, store.RoleAdmin), bind("c", &shop, store.RoleEditor)}, shop,
			access.Grant{Role: store.RoleAdmin, Via: "b"}},
		{"other workspace's binding ignored", false, "", []store.GroupBinding{bind("dev", &zoo, store.RoleAdmin)}, shop, access.Grant{}},
		{"platform admin through a group", false, store.RoleViewer, []store.GroupBinding{bind("ops", nil, store.RolePlatformAdmin), bind("dev", &shop, store.RoleEditor)}, shop,
			access.Grant{PlatformAdmin: true, Role: store.RoleEditor, Via: "ops"}},
		{"platform admin in own right", true, "", []store.GroupBinding{bind("ops", nil, store.RolePlatformAdmin)}, 0,
			access.Grant{PlatformAdmin: true}},
		{"platform actions ignore workspace roles", false, "", []store.GroupBinding{bind("dev", &shop, store.RoleAdmin)}, 0, access.Grant{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := access.Effective(tt.admin, tt.direct, tt.grants, tt.workspace); got != tt.want {
				t.Fatalf("Effective = %+v, want %+v", got, tt.want)
			}
		})
	}
}
