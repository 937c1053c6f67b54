package client

import "time"

// User is a Switchyard account.
type User struct {
	ID            int64     `json:"id"`
	Username      string    `json:"username"`
	PlatformAdmin bool      `json:"platform_admin"`
	CreatedAt     time.Time `json:"created_at"`
	// Disabled users can't sign in and their credentials answer 401.
	Disabled   bool       `json:"disabled"`
	DisabledAt *time.Time `json:"disabled_at"`
}

// Session is who is signed in; CSRFToken and ExpiresAt are set for cookie sessions.
type Session struct {
	User      User       `json:"user"`
	CSRFToken string     `json:"csrf_token"`
	ExpiresAt *time.Time `json:"expires_at"`
}

// Token is a personal API token, without its secret.
type Token struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
	ExpiresAt  *time.Time `json:"expires_at"` // nil: the token never expires
}

// NewToken is a token just created: Token is its secret, shown only this once.
type NewToken struct {
	Token
	Secret string `json:"token"`
}

// NewUser is what CreateUser sends.
type NewUser struct {
	Username      string `json:"username"`
	Password      string `json:"password"`
	PlatformAdmin bool   `json:"platform_admin"`
}

// Workspace is a team's space. Role is the caller's role in it ("" for a
// platform admin who is not a member).
type Workspace struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	CreatedAt   time.Time `json:"created_at"`
	Role        string    `json:"role"`
}

// NewWorkspace is what CreateWorkspace sends.
type NewWorkspace struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// Workspace roles.
const (
	RoleAdmin  = "admin"
	RoleEditor = "editor"
	RoleViewer = "viewer"
)

// Member is a user's role in a workspace.
type Member struct {
	Username  string    `json:"username"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"created_at"`
}

// Binding lets a workspace deploy into a namespace of a cluster.
type Binding struct {
	ID        int64     `json:"id"`
	Cluster   string    `json:"cluster"`
	Namespace string    `json:"namespace"`
	CreatedAt time.Time `json:"created_at"`
}

// NewBinding is what CreateBinding sends.
type NewBinding struct {
	Cluster   string `json:"cluster"`
	Namespace string `json:"namespace"`
}

// AuditEvent is one entry of the audit log.
type AuditEvent struct {
	ID          int64     `json:"id"`
	Time        time.Time `json:"time"`
	Actor       string    `json:"actor"`
	WorkspaceID *int64    `json:"workspace_id"`
	Target      string    `json:"target"`
	Action      string    `json:"action"`
	Outcome     string    `json:"outcome"`
	Detail      string    `json:"detail"`
}

// AuditQuery filters and pages the audit log. Empty filters select all; the
// ones set must all match. It pages by Limit events (0: the server's
// default) older than event Before (0: the newest).
type AuditQuery struct {
	Actor   string // exact username
	Action  string // action prefix: "job." or "job.promote"
	Outcome string // OutcomeSuccess, OutcomeFailure or OutcomeDenied
	Target  string // exact target, e.g. "job web"
	Limit   int
	Before  int64
}

// Audit outcomes, for AuditEvent.Outcome and AuditQuery.Outcome.
const (
	OutcomeSuccess = "success" // the action was carried out
	OutcomeFailure = "failure" // it was allowed but failed
	OutcomeDenied  = "denied"  // the actor was not allowed to
)

// RolePlatformAdmin is the role of a group binding that makes the group's
// members platform administrators (no workspace).
const RolePlatformAdmin = "platform-admin"

// GroupBinding maps an identity-provider group to a workspace role, or to
// platform admin (Workspace empty).
type GroupBinding struct {
	ID        int64     `json:"id"`
	Group     string    `json:"group"`
	Workspace string    `json:"workspace,omitempty"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"created_at"`
}

// NewGroupBinding is what CreateGroupBinding sends: Workspace is required for
// RoleAdmin, RoleEditor and RoleViewer and empty for RolePlatformAdmin.
type NewGroupBinding struct {
	Group     string `json:"group"`
	Workspace string `json:"workspace,omitempty"`
	Role      string `json:"role"`
}

// BuildInfo is the build of a server (GET /api/v1/version) or of the CLI.
type BuildInfo struct {
	Version   string `json:"version"`    // git describe of the release, "dev" when unset
	Revision  string `json:"revision"`   // the commit, "" when unknown
	GoVersion string `json:"go_version"` // the Go toolchain it was built with
}

// SSOConfig is the server's single sign-on for the CLI (GET /api/v1/sso).
type SSOConfig struct {
	Issuer      string `json:"issuer"`
	CLIClientID string `json:"cli_client_id"`
}
