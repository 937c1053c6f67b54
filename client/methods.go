package client

import (
	"context"
	"net/url"
	"strconv"
)

// Login signs in with a username and password and keeps the session cookie
// and CSRF token for the following calls.
func (c *Client) Login(ctx context.Context, username, password string) (*Session, error) {
	var s Session
	err := c.do(ctx, "POST", "/api/v1/login", map[string]string{"username": username, "password": password}, &s)
	if err != nil {
		return nil, err
	}
	c.SetCSRFToken(s.CSRFToken)
	return &s, nil
}

// Logout ends the session.
func (c *Client) Logout(ctx context.Context) error {
	if err := c.do(ctx, "POST", "/api/v1/logout", nil, nil); err != nil {
		return err
	}
	c.SetCSRFToken("")
	return nil
}

// Me returns who the client is signed in as.
func (c *Client) Me(ctx context.Context) (*Session, error) {
	var s Session
	return &s, c.do(ctx, "GET", "/api/v1/me", nil, &s)
}

// CreateToken issues a personal API token that expires after expiresInDays
// days (1 to 3650), or never for 0; its secret is in the answer only.
func (c *Client) CreateToken(ctx context.Context, name string, expiresInDays int) (*NewToken, error) {
	var t NewToken
	req := struct {
		Name          string `json:"name"`
		ExpiresInDays int    `json:"expires_in_days,omitempty"`
	}{name, expiresInDays}
	return &t, c.do(ctx, "POST", "/api/v1/tokens", req, &t)
}

// Tokens lists the caller's API tokens.
func (c *Client) Tokens(ctx context.Context) ([]Token, error) {
	var l list[Token]
	return l.Items, c.do(ctx, "GET", "/api/v1/tokens", nil, &l)
}

// RevokeToken revokes one of the caller's API tokens.
func (c *Client) RevokeToken(ctx context.Context, id int64) error {
	return c.do(ctx, "DELETE", "/api/v1/tokens/"+strconv.FormatInt(id, 10), nil, nil)
}

// CreateUser adds an account (platform admins).
func (c *Client) CreateUser(ctx context.Context, u NewUser) (*User, error) {
	var out User
	return &out, c.do(ctx, "POST", "/api/v1/users", u, &out)
}

// Users lists every account (platform admins).
func (c *Client) Users(ctx context.Context) ([]User, error) {
	var l list[User]
	return l.Items, c.do(ctx, "GET", "/api/v1/users", nil, &l)
}

// SetUserPassword replaces a user's password and ends their sessions (platform admins).
func (c *Client) SetUserPassword(ctx context.Context, userID int64, password string) error {
	return c.do(ctx, "PUT", "/api/v1/users/"+strconv.FormatInt(userID, 10)+"/password", map[string]string{"password": password}, nil)
}

// CreateWorkspace adds a workspace (platform admins).
func (c *Client) CreateWorkspace(ctx context.Context, w NewWorkspace) (*Workspace, error) {
	var out Workspace
	return &out, c.do(ctx, "POST", "/api/v1/workspaces", w, &out)
}

// Workspaces lists the workspaces the caller can see.
func (c *Client) Workspaces(ctx context.Context) ([]Workspace, error) {
	var l list[Workspace]
	return l.Items, c.do(ctx, "GET", "/api/v1/workspaces", nil, &l)
}

// Workspace returns one workspace by name.
func (c *Client) Workspace(ctx context.Context, name string) (*Workspace, error) {
	var out Workspace
	return &out, c.do(ctx, "GET", wsPath(name), nil, &out)
}

// DeleteWorkspace removes a workspace (platform admins).
func (c *Client) DeleteWorkspace(ctx context.Context, name string) error {
	return c.do(ctx, "DELETE", wsPath(name), nil, nil)
}

// Members lists a workspace's members.
func (c *Client) Members(ctx context.Context, workspace string) ([]Member, error) {
	var l list[Member]
	return l.Items, c.do(ctx, "GET", wsPath(workspace)+"/members", nil, &l)
}

// Member returns one member of a workspace.
func (c *Client) Member(ctx context.Context, workspace, username string) (*Member, error) {
	var out Member
	return &out, c.do(ctx, "GET", wsPath(workspace)+"/members/"+pathEscape(username), nil, &out)
}

// PutMember adds a user to a workspace or changes their role (workspace admins).
func (c *Client) PutMember(ctx context.Context, workspace, username, role string) (*Member, error) {
	var out Member
	return &out, c.do(ctx, "PUT", wsPath(workspace)+"/members/"+pathEscape(username), map[string]string{"role": role}, &out)
}

// DeleteMember removes a user from a workspace (workspace admins).
func (c *Client) DeleteMember(ctx context.Context, workspace, username string) error {
	return c.do(ctx, "DELETE", wsPath(workspace)+"/members/"+pathEscape(username), nil, nil)
}

// Bindings lists the cluster namespaces a workspace may deploy to.
func (c *Client) Bindings(ctx context.Context, workspace string) ([]Binding, error) {
	var l list[Binding]
	return l.Items, c.do(ctx, "GET", wsPath(workspace)+"/bindings", nil, &l)
}

// Binding returns one binding of a workspace.
func (c *Client) Binding(ctx context.Context, workspace string, id int64) (*Binding, error) {
	var out Binding
	return &out, c.do(ctx, "GET", wsPath(workspace)+"/bindings/"+strconv.FormatInt(id, 10), nil, &out)
}

// CreateBinding binds a namespace of a registered cluster to a workspace (platform admins).
func (c *Client) CreateBinding(ctx context.Context, workspace string, b NewBinding) (*Binding, error) {
	var out Binding
	return &out, c.do(ctx, "POST", wsPath(workspace)+"/bindings", b, &out)
}

// DeleteBinding removes a binding (platform admins).
func (c *Client) DeleteBinding(ctx context.Context, workspace string, id int64) error {
	return c.do(ctx, "DELETE", wsPath(workspace)+"/bindings/"+strconv.FormatInt(id, 10), nil, nil)
}

// WorkspaceAudit pages through a workspace's audit log (its admins).
func (c *Client) WorkspaceAudit(ctx context.Context, workspace string, q AuditQuery) ([]AuditEvent, error) {
	var l list[AuditEvent]
	return l.Items, c.do(ctx, "GET", wsPath(workspace)+"/audit"+q.encode(), nil, &l)
}

// Audit pages through the whole audit log (platform admins).
func (c *Client) Audit(ctx context.Context, q AuditQuery) ([]AuditEvent, error) {
	var l list[AuditEvent]
	return l.Items, c.do(ctx, "GET", "/api/v1/audit"+q.encode(), nil, &l)
}

func (q AuditQuery) encode() string {
	v := url.Values{}
	for k, val := range map[string]string{"actor": q.Actor, "action": q.Action, "outcome": q.Outcome, "target": q.Target} {
		if val != "" {
			v.Set(k, val)
		}
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.Before > 0 {
		v.Set("before", strconv.FormatInt(q.Before, 10))
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

func wsPath(name string) string { return "/api/v1/workspaces/" + pathEscape(name) }

// GroupBindings lists the identity-provider group bindings (platform admins).
func (c *Client) GroupBindings(ctx context.Context) ([]GroupBinding, error) {
	var l list[GroupBinding]
	return l.Items, c.do(ctx, "GET", "/api/v1/group-bindings", nil, &l)
}

// CreateGroupBinding maps a group to a role (platform admins).
func (c *Client) CreateGroupBinding(ctx context.Context, b NewGroupBinding) (*GroupBinding, error) {
	var out GroupBinding
	return &out, c.do(ctx, "POST", "/api/v1/group-bindings", b, &out)
}

// DeleteGroupBinding removes a group binding (platform admins).
func (c *Client) DeleteGroupBinding(ctx context.Context, id int64) error {
	return c.do(ctx, "DELETE", "/api/v1/group-bindings/"+strconv.FormatInt(id, 10), nil, nil)
}

// ServerVersion returns the server's build: version, revision, Go version.
// It needs no sign-in.
func (c *Client) ServerVersion(ctx context.Context) (*BuildInfo, error) {
	var v BuildInfo
	return &v, c.do(ctx, "GET", "/api/v1/version", nil, &v)
}

// SSOConfig says which OpenID provider and public client the CLI signs in
// with; a 404 when the server has none.
func (c *Client) SSOConfig(ctx context.Context) (*SSOConfig, error) {
	var out SSOConfig
	return &out, c.do(ctx, "GET", "/api/v1/sso", nil, &out)
}

// LoginSSO trades an ID token the provider issued for the CLI's client for a
// new API token (expiresInDays 0: it never expires; name "" picks one).
func (c *Client) LoginSSO(ctx context.Context, idToken, name string, expiresInDays int) (*NewToken, error) {
	var t NewToken
	req := struct {
		IDToken       string `json:"id_token"`
		TokenName     string `json:"token_name,omitempty"`
		ExpiresInDays int    `json:"expires_in_days,omitempty"`
	}{idToken, name, expiresInDays}
	return &t, c.do(ctx, "POST", "/api/v1/login/sso", req, &t)
}
