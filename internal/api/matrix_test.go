package api_test

import (
	"context"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/client"
	"github.com/switchyard/switchyard/internal/store"
)

// fixture is a fresh workspace for one case of the matrix, with a spare
// viewer member and one binding to act on.
type fixture struct {
	ws             string
	bindingID      int64
	cluster        string // probed by the cluster ops: unreachable, but a real kubeconfig
	spare          string // a cluster of this case alone, for DELETE cluster
	victimID       int64  // a user whose password may be changed
	life           string // a user of this case alone, for the lifecycle routes
	lifeToken      int64  // an API token of life
	groupBindingID int64  // a group binding of ws, for DELETE group binding
	notificationID int64  // a webhook subscription of ws
}

// op is one route of the API, called as some user.
type op struct {
	name    string
	allowed string // who may: P platform admin, A workspace admin, E editor, V viewer
	call    func(ctx context.Context, c *client.Client, f fixture) error
}

var workspaceOps = []op{
	{"GET workspace", "PAEV", func(ctx context.Context, c *client.Client, f fixture) error {
		_, err := c.Workspace(ctx, f.ws)
		return err
	}},
	{"DELETE workspace", "P", func(ctx context.Context, c *client.Client, f fixture) error { return c.DeleteWorkspace(ctx, f.ws) }},
	{"GET members", "PAEV", func(ctx context.Context, c *client.Client, f fixture) error {
		_, err := c.Members(ctx, f.ws)
		return err
	}},
	{"GET member", "PAEV", func(ctx context.Context, c *client.Client, f fixture) error {
		_, err := c.Member(ctx, f.ws, "spare")
		return err
	}},
	{"PUT member", "PA", func(ctx context.Context, c *client.Client, f fixture) error {
		_, err := c.PutMember(ctx, f.ws, "spare", client.RoleEditor)
		return err
	}},
	{"DELETE member", "PA", func(ctx context.Context, c *client.Client, f fixture) error {
		return c.DeleteMember(ctx, f.ws, "spare")
	}},
	{"GET bindings", "PAEV", func(ctx context.Context, c *client.Client, f fixture) error {
		_, err := c.Bindings(ctx, f.ws)
		return err
	}},
	{"GET binding", "PAEV", func(ctx context.Context, c *client.Client, f fixture) error {
		_, err := c.Binding(ctx, f.ws, f.bindingID)
		return err
	}},
	{"POST binding", "P", func(ctx context.Context, c *client.Client, f fixture) error {
		_, err := c.CreateBinding(ctx, f.ws, client.NewBinding{Cluster: f.cluster, Namespace: "other-ns"})
		return err
	}},
	{"DELETE binding", "P", func(ctx context.Context, c *client.Client, f fixture) error {
		return c.DeleteBinding(ctx, f.ws, f.bindingID)
	}},
	{"GET workspace audit", "PA", func(ctx context.Context, c *client.Client, f fixture) error {
		_, err := c.WorkspaceAudit(ctx, f.ws, client.AuditQuery{})
		return err
	}},
	{"GET notifications", "PA", func(ctx context.Context, c *client.Client, f fixture) error {
		_, err := c.Notifications(ctx, f.ws)
		return err
	}},
	{"POST notification", "PA", func(ctx context.Context, c *client.Client, f fixture) error {
		_, err := c.CreateNotification(ctx, f.ws, client.NewNotification{URL: "http://127.0.0.1:1/hook"})
		return err
	}},
	{"GET notification", "PA", func(ctx context.Context, c *client.Client, f fixture) error {
		_, err := c.Notification(ctx, f.ws, f.notificationID)
		return err
	}},
	{"GET notification deliveries", "PA", func(ctx context.Context, c *client.Client, f fixture) error {
		_, err := c.NotificationDeliveries(ctx, f.ws, f.notificationID)
		return err
	}},
	{"DELETE notification", "PA", func(ctx context.Context, c *client.Client, f fixture) error {
		return c.DeleteNotification(ctx, f.ws, f.notificationID)
	}},
	// The Deployment and Service pickers need a reachable cluster: their
	// role checks are in TestClustersAndPickers.
	{"GET workspace clusters", "PAEV", func(ctx context.Context, c *client.Client, f fixture) error {
		_, err := c.WorkspaceClusters(ctx, f.ws)
		return err
	}},
}

var platformOps = []op{
	{"POST user", "P", func(ctx context.Context, c *client.Client, f fixture) error {
		_, err := c.CreateUser(ctx, client.NewUser{Username: "new-" + f.ws, Password: "password-new"})
		return err
	}},
	{"GET users", "P", func(ctx context.Context, c *client.Client, f fixture) error { _, err := c.Users(ctx); return err }},
	{"PUT user password", "P", func(ctx context.Context, c *client.Client, f fixture) error {
		return c.SetUserPassword(ctx, f.victimID, "new-password")
	}},
	{"POST user disable", "P", func(ctx context.Context, c *client.Client, f fixture) error {
		_, err := c.DisableUser(ctx, f.life)
		return err
	}},
	{"POST user enable", "P", func(ctx context.Context, c *client.Client, f fixture) error {
		_, err := c.EnableUser(ctx, f.life)
		return err
	}},
	{"PATCH user", "P", func(ctx context.Context, c *client.Client, f fixture) error {
		_, err := c.SetPlatformAdmin(ctx, f.life, true)
		return err
	}},
	{"DELETE user", "P", func(ctx context.Context, c *client.Client, f fixture) error { return c.DeleteUser(ctx, f.life) }},
	{"GET user tokens", "P", func(ctx context.Context, c *client.Client, f fixture) error {
		_, err := c.UserTokens(ctx, f.life)
		return err
	}},
	{"DELETE user token", "P", func(ctx context.Context, c *client.Client, f fixture) error {
		return c.RevokeUserToken(ctx, f.life, f.lifeToken)
	}},
	{"POST workspace", "P", func(ctx context.Context, c *client.Client, f fixture) error {
		_, err := c.CreateWorkspace(ctx, client.NewWorkspace{Name: "new-" + f.ws})
		return err
	}},
	{"GET audit", "P", func(ctx context.Context, c *client.Client, f fixture) error {
		_, err := c.Audit(ctx, client.AuditQuery{})
		return err
	}},
	{"POST cluster", "P", func(ctx context.Context, c *client.Client, f fixture) error {
		_, err := c.CreateCluster(ctx, client.NewCluster{Name: "new-" + f.ws, Kubeconfig: unreachableKubeconfig})
		return err
	}},
	{"GET clusters", "P", func(ctx context.Context, c *client.Client, f fixture) error { _, err := c.Clusters(ctx); return err }},
	{"GET cluster", "P", func(ctx context.Context, c *client.Client, f fixture) error {
		_, err := c.Cluster(ctx, f.cluster)
		return err
	}},
	{"POST cluster probe", "P", func(ctx context.Context, c *client.Client, f fixture) error {
		_, err := c.ProbeCluster(ctx, f.cluster)
		return err
	}},
	{"PUT cluster kubeconfig", "P", func(ctx context.Context, c *client.Client, f fixture) error {
		_, err := c.ReplaceClusterKubeconfig(ctx, f.spare, client.KubeconfigUpdate{Kubeconfig: unreachableKubeconfig})
		return err
	}},
	{"DELETE cluster", "P", func(ctx context.Context, c *client.Client, f fixture) error { return c.DeleteCluster(ctx, f.spare) }},
	{"GET group bindings", "P", func(ctx context.Context, c *client.Client, f fixture) error {
		_, err := c.GroupBindings(ctx)
		return err
	}},
	{"POST group binding", "P", func(ctx context.Context, c *client.Client, f fixture) error {
		_, err := c.CreateGroupBinding(ctx, client.NewGroupBinding{Group: "new-" + f.ws, Workspace: f.ws, Role: client.RoleEditor})
		return err
	}},
	{"DELETE group binding", "P", func(ctx context.Context, c *client.Client, f fixture) error {
		return c.DeleteGroupBinding(ctx, f.groupBindingID)
	}},
}

// TestRoleMatrix calls every route as a platform admin, a workspace admin,
// an editor, a viewer and a user with no role, each on a workspace they
// belong to and on one they do not, and checks each answer: allowed, 403
// for a member lacking the role, 404 for a workspace not their own.
func TestRoleMatrix(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		roles := map[string]string{"A": client.RoleAdmin, "E": client.RoleEditor, "V": client.RoleViewer, "P": "", "N": ""}
		users := map[string]*client.Client{}
		for key := range roles {
			users[key] = e.user("user-"+strings.ToLower(key), key == "P")
		}
		e.user("spare", false)
		e.user("victim", false)
		victim := e.userID("victim")
		cluster := e.cluster()
		for _, o := range append(workspaceOps, platformOps...) {
			workspaceOp := !contains(platformOps, o.name)
			for key, c := range users {
				for _, own := range []bool{true, false} {
					name := o.name + "/" + key + "/own"
					if !own {
						name = o.name + "/" + key + "/other"
					}
					t.Run(name, func(t *testing.T) {
						members := map[string]string{"spare": client.RoleViewer, "user-a": client.RoleAdmin}
						if own && roles[key] != "" {
							members["user-"+strings.ToLower(key)] = roles[key]
						}
						if !own {
							delete(members, "user-a") // keep the other workspace wholly foreign to user-a
						}
						f := fixture{ws: e.workspace(members), cluster: cluster, spare: e.cluster(), victimID: victim}
						b, err := e.admin.CreateBinding(ctx, f.ws, client.NewBinding{Cluster: cluster, Namespace: "demo"})
						if err != nil {
							t.Fatal(err)
						}
						f.bindingID = b.ID
						f.life = e.name("life")
						if _, err := e.admin.CreateUser(ctx, client.NewUser{Username: f.life, Password: "password-life"}); err != nil {
							t.Fatal(err)
						}
						tok, err := e.store.CreateAPIToken(ctx, store.APIToken{UserID: e.userID(f.life), Name: "ci", Prefix: "sy_life", Hash: "hash-" + f.life})
						if err != nil {
							t.Fatal(err)
						}
						f.lifeToken = tok.ID
						gb, err := e.admin.CreateGroupBinding(ctx, client.NewGroupBinding{Group: "team-" + f.ws, Workspace: f.ws, Role: client.RoleViewer})
						if err != nil {
							t.Fatal(err)
						}
						f.groupBindingID = gb.ID
						n, err := e.admin.CreateNotification(ctx, f.ws, client.NewNotification{URL: "http://127.0.0.1:1/hook"})
						if err != nil {
							t.Fatal(err)
						}
						f.notificationID = n.ID
						err = o.call(ctx, c, f)
						wantStatus(t, name, err, expectStatus(o.allowed, key, own, workspaceOp))
					})
				}
			}
		}
	})
}

func contains(ops []op, name string) bool {
	for _, o := range ops {
		if o.name == name {
			return true
		}
	}
	return false
}

// expectStatus is the answer the matrix expects: 0 (success), 403 or 404.
func expectStatus(allowed, key string, own, workspaceOp bool) int {
	switch {
	case key == "P":
		return 0
	case !workspaceOp:
		return 403
	case !own || key == "N":
		return 404
	case strings.Contains(allowed, key):
		return 0
	}
	return 403
}

// TestWorkspaceIsolation: a member of A cannot see or touch B, whatever
// names or IDs they guess, and cannot tell B from a workspace that does not exist.
func TestWorkspaceIsolation(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		mallory := e.user("mallory", false)
		a := e.workspace(map[string]string{"mallory": client.RoleAdmin})
		b := e.workspace(map[string]string{"admin": client.RoleAdmin})
		cluster := e.cluster()
		bb, err := e.admin.CreateBinding(ctx, b, client.NewBinding{Cluster: cluster, Namespace: "secret"})
		if err != nil {
			t.Fatal(err)
		}
		ws, err := mallory.Workspaces(ctx)
		if err != nil || len(ws) != 1 || ws[0].Name != a || ws[0].Role != client.RoleAdmin {
			t.Fatalf("Workspaces = %+v, %v; want only %s as admin", ws, err, a)
		}
		_, errB := mallory.Workspace(ctx, b)
		_, errNone := mallory.Workspace(ctx, "does-not-exist")
		ceB, ceNone := wantStatus(t, "get B", errB, 404), wantStatus(t, "get missing", errNone, 404)
		if ceB != nil && ceNone != nil && strings.ReplaceAll(ceB.Message, b, "X") != strings.ReplaceAll(ceNone.Message, "does-not-exist", "X") {
			t.Errorf("B answers %q but a missing workspace %q: existence leaks", ceB.Message, ceNone.Message)
		}
		tries := map[string]error{}
		_, tries["members of B"] = mallory.Members(ctx, b)
		_, tries["put self into B"] = mallory.PutMember(ctx, b, "mallory", client.RoleAdmin)
		tries["remove admin from B"] = mallory.DeleteMember(ctx, b, "admin")
		_, tries["bindings of B"] = mallory.Bindings(ctx, b)
		_, tries["binding of B by id"] = mallory.Binding(ctx, b, bb.ID)
		tries["delete B"] = mallory.DeleteWorkspace(ctx, b)
		_, tries["audit of B"] = mallory.WorkspaceAudit(ctx, b, client.AuditQuery{})
		for what, err := range tries {
			wantStatus(t, what, err, 404)
		}
		// B's binding ID through A's path: another workspace's binding is not found.
		_, err = mallory.Binding(ctx, a, bb.ID)
		wantStatus(t, "B's binding via A", err, 404)
		if got, _ := e.admin.Bindings(ctx, b); len(got) != 1 {
			t.Errorf("B's bindings = %+v, want untouched", got)
		}
		if got, _ := e.admin.Members(ctx, b); len(got) != 1 {
			t.Errorf("B's members = %+v, want untouched", got)
		}
		// Mallory's tries are in B's audit log as denials, for B's admins to see.
		events, err := e.admin.WorkspaceAudit(ctx, b, client.AuditQuery{})
		if err != nil || !hasEvent(events, "member.put/denied/mallory") {
			t.Errorf("B's audit log = %+v, %v; want mallory's denied member.put", events, err)
		}
	})
}

// TestAuditPaging reads a workspace's log page by page.
func TestAuditPaging(t *testing.T) {
	e := newEnv(t, storeOptsSQLite(t))
	ctx := t.Context()
	for _, u := range []string{"u1", "u2", "u3"} {
		e.user(u, false)
	}
	ws := e.workspace(map[string]string{"u1": "viewer", "u2": "viewer", "u3": "viewer"})
	var seen []string
	q := client.AuditQuery{Limit: 2}
	for range 5 {
		page, err := e.admin.WorkspaceAudit(ctx, ws, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, ev := range page {
			if ev.WorkspaceID == nil {
				t.Errorf("event %+v in the workspace log has no workspace", ev)
			}
			seen = append(seen, ev.Action+" "+ev.Target)
		}
		q.Before = page[len(page)-1].ID
	}
	want := []string{"member.put member u3", "member.put member u2", "member.put member u1", "workspace.create workspace " + ws}
	if strings.Join(seen, ",") != strings.Join(want, ",") {
		t.Errorf("pages = %q, want %q", seen, want)
	}
}
