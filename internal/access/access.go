// Package access decides who may do what: every authorization decision in
// Switchyard goes through Checker.Authorize, which applies the one policy
// function Decide.
//
// The policy: platform administrators may do everything. Platform actions
// (users, clusters, creating workspaces, the global audit log) are theirs
// alone. Workspace actions depend on the caller's role in that workspace:
// viewers read, editors also create and operate release jobs, workspace
// admins also manage members and read the workspace's audit log. Changing a
// workspace's cluster bindings or deleting it stays with platform admins,
// since it grants or removes access to clusters.
//
// A user who is not a member of a workspace is told it does not exist
// (ErrNotVisible, which callers answer like a missing workspace), so names
// and IDs of other teams' workspaces cannot be probed; a member lacking the
// role gets ErrForbidden.
package access

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/switchyard/switchyard/internal/store"
)

// Action is something a user asks to do.
type Action string

// Platform actions: platform administrators only, no workspace involved.
const (
	UserCreate         Action = "user.create"
	UserList           Action = "user.list"
	UserSetPassword    Action = "user.password"
	UserManage         Action = "user.manage" // disable, enable, delete, grant or remove platform admin
	UserTokens         Action = "user.tokens" // list and revoke another user's API tokens
	ClusterCreate      Action = "cluster.create"
	ClusterView        Action = "cluster.view"
	ClusterUpdate      Action = "cluster.update"
	ClusterDelete      Action = "cluster.delete"
	WorkspaceCreate    Action = "workspace.create"
	AuditViewGlobal    Action = "audit.view.global"
	GroupBindingView   Action = "group-binding.view"   // which IdP groups give which access
	GroupBindingManage Action = "group-binding.manage" // map a group to a role: grants access
)

// Workspace actions: decided by the caller's role in the workspace.
const (
	WorkspaceView   Action = "workspace.view"
	WorkspaceDelete Action = "workspace.delete" // platform admins only
	MemberView      Action = "member.view"
	MemberManage    Action = "member.manage"
	BindingView     Action = "binding.view"
	BindingManage   Action = "binding.manage" // platform admins only: grants cluster access
	ResourceView    Action = "resource.view"  // pickers: bound clusters, namespaces, Deployments, Services
	AuditView       Action = "audit.view"
	JobView         Action = "job.view"
	JobCreate       Action = "job.create"
	JobDeploy       Action = "job.deploy"
	JobPromote      Action = "job.promote"
	JobAbort        Action = "job.abort"
	JobRetry        Action = "job.retry"
	JobRollback     Action = "job.rollback"
	JobDelete       Action = "job.delete"
	JobChecks       Action = "job.checks" // replace a job's checks
	// Webhook subscriptions: their URLs (Slack's hold a token) and delivery
	// logs are the workspace admins'.
	NotificationView   Action = "notification.view"
	NotificationManage Action = "notification.manage"
)

// Errors returned by Decide and Authorize. Both are final: retrying will not help.
var (
	// ErrForbidden means the caller may see the thing but not do this to it (HTTP 403).
	ErrForbidden = errors.New("forbidden")
	// ErrNotVisible means the caller is not a member of the workspace and must
	// not learn that it exists: answer as for a missing workspace (HTTP 404).
	ErrNotVisible = errors.New("not visible")
	// ErrUnknownAction means the action is not in the policy: a programming error.
	ErrUnknownAction = errors.New("unknown action")
)

// minRole is the least workspace role allowed each workspace action; ""
// means no workspace role suffices (platform admins only).
var minRole = map[Action]string{
	WorkspaceView:   store.RoleViewer,
	WorkspaceDelete: "",
	MemberView:      store.RoleViewer,
	MemberManage:    store.RoleAdmin,
	BindingView:     store.RoleViewer,
	BindingManage:   "",
	ResourceView:    store.RoleViewer,
	AuditView:       store.RoleAdmin,
	JobView:         store.RoleViewer,
	JobCreate:       store.RoleEditor,
	JobDeploy:       store.RoleEditor,
	JobPromote:      store.RoleEditor,
	JobAbort:        store.RoleEditor,
	JobRetry:        store.RoleEditor,
	JobRollback:     store.RoleEditor,
	JobDelete:       store.RoleEditor,
	JobChecks:       store.RoleEditor,

	NotificationView:   store.RoleAdmin,
	NotificationManage: store.RoleAdmin,
}

// platformActions are the actions that involve no workspace.
var platformActions = map[Action]bool{
	UserCreate: true, UserList: true, UserSetPassword: true, UserManage: true, UserTokens: true,
	ClusterCreate: true, ClusterView: true, ClusterUpdate: true, ClusterDelete: true,
	WorkspaceCreate: true, AuditViewGlobal: true,
	GroupBindingView: true, GroupBindingManage: true,
}

// rank orders roles; a higher rank includes the lower ones.
var rank = map[string]int{store.RoleViewer: 1, store.RoleEditor: 2, store.RoleAdmin: 3}

// IsWorkspaceAction reports whether a is decided per workspace.
func IsWorkspaceAction(a Action) bool {
	_, ok := minRole[a]
	return ok
}

// Actions returns every action the policy knows, sorted.
func Actions() []Action {
	out := make([]Action, 0, len(minRole)+len(platformActions))
	for a := range minRole {
		out = append(out, a)
	}
	for a := range platformActions {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}

// Decide is the whole policy. platformAdmin says whether the caller is a
// platform administrator; role is the caller's role in the workspace the
// action is about ("" when not a member, ignored for platform actions).
func Decide(platformAdmin bool, role string, a Action) error {
	need, workspaceAction := minRole[a]
	if !workspaceAction && !platformActions[a] {
		return fmt.Errorf("%w %q", ErrUnknownAction, a)
	}
	switch {
	case platformAdmin:
		return nil
	case !workspaceAction:
		return fmt.Errorf("%s: %w: platform administrators only", a, ErrForbidden)
	case rank[role] == 0:
		return fmt.Errorf("%s: %w", a, ErrNotVisible)
	case need == "":
		return fmt.Errorf("%s: %w: platform administrators only", a, ErrForbidden)
	case rank[role] < rank[need]:
		return fmt.Errorf("%s: %w: needs workspace role %s or higher", a, ErrForbidden, need)
	}
	return nil
}

// Subject is who asks.
type Subject struct {
	UserID        int64
	Username      string
	PlatformAdmin bool // a platform administrator in its own right (not through a group)
}

// SubjectOf returns the subject for a signed-in user.
func SubjectOf(u store.User) Subject {
	return Subject{UserID: u.ID, Username: u.Username, PlatformAdmin: u.PlatformAdmin}
}

// Grant is the access a subject has: Decide's inputs, and where they came from.
type Grant struct {
	PlatformAdmin bool
	Role          string // the effective workspace role; "" when none
	// Via is the identity-provider group that gave the access, when a group
	// binding did and the user's own standing (direct membership, platform
	// admin flag) gives less; "" otherwise. The audit log names it.
	Via string
}

// Effective is the rule of group bindings: a subject's access is the highest
// of its own (platformAdmin, directRole) and that of each binding of its
// groups (store.GroupGrants) that applies to workspaceID (0: platform only).
// On a tie the subject's own standing wins, then the first group in order.
func Effective(platformAdmin bool, directRole string, grants []store.GroupBinding, workspaceID int64) Grant {
	g := Grant{PlatformAdmin: platformAdmin, Role: directRole}
	adminVia, roleVia := "", ""
	for _, b := range grants {
		switch {
		case b.Role == store.RolePlatformAdmin:
			if !g.PlatformAdmin {
				g.PlatformAdmin, adminVia = true, b.Group
			}
		case workspaceID != 0 && b.WorkspaceID != nil && *b.WorkspaceID == workspaceID && rank[b.Role] > rank[g.Role]:
			g.Role, roleVia = b.Role, b.Group
		}
	}
	// Platform admin decides everything, so the group that gave it is the one named.
	g.Via = cmp.Or(adminVia, roleVia)
	if platformAdmin {
		g.Via = ""
	}
	return g
}

// Checker looks up the facts Decide needs.
type Checker struct {
	Store *store.Store
}

// Authorize decides whether s may do a in the workspace with the given ID
// (0 for platform actions). It returns nil, or an error matching
// ErrForbidden or ErrNotVisible; other errors come from the store and may be
// worth retrying.
func (c *Checker) Authorize(ctx context.Context, s Subject, a Action, workspaceID int64) error {
	if s.PlatformAdmin {
		return Decide(true, "", a)
	}
	if !IsWorkspaceAction(a) {
		workspaceID = 0
	}
	g, err := c.Grant(ctx, s, workspaceID)
	if err != nil {
		return fmt.Errorf("authorize %s: %w", a, err)
	}
	return Decide(g.PlatformAdmin, g.Role, a)
}

// Grant returns the subject's effective access in the workspace with the
// given ID (0: platform admin only): its direct membership and its groups'
// bindings, through Effective.
func (c *Checker) Grant(ctx context.Context, s Subject, workspaceID int64) (Grant, error) {
	direct := ""
	if workspaceID != 0 {
		m, err := c.Store.GetMember(ctx, workspaceID, s.UserID)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return Grant{}, err
		default:
			direct = m.Role
		}
	}
	grants, err := c.Store.GroupGrants(ctx, s.UserID, workspaceID)
	if err != nil {
		return Grant{}, err
	}
	if workspaceID == 0 {
		grants = slices.DeleteFunc(grants, func(b store.GroupBinding) bool { return b.Role != store.RolePlatformAdmin })
	}
	return Effective(s.PlatformAdmin, direct, grants, workspaceID), nil
}

// IsPlatformAdmin reports whether the subject is a platform admin, in its
// own right or through a group.
func (c *Checker) IsPlatformAdmin(ctx context.Context, s Subject) (bool, error) {
	if s.PlatformAdmin {
		return true, nil
	}
	g, err := c.Grant(ctx, s, 0)
	return g.PlatformAdmin, err
}

// Role returns the subject's effective role in the workspace (direct
// membership or group bindings), "" when it has none. Platform admins who
// are not members also get "".
func (c *Checker) Role(ctx context.Context, s Subject, workspaceID int64) (string, error) {
	g, err := c.Grant(ctx, Subject{UserID: s.UserID, Username: s.Username}, workspaceID)
	if err != nil {
		return "", fmt.Errorf("role of user %d in workspace %d: %w", s.UserID, workspaceID, err)
	}
	return g.Role, nil
}
