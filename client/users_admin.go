package client

import (
	"context"
	"strconv"
)

// The account lifecycle, for platform admins: disable, enable, delete,
// grant or remove platform admin, and another user's API tokens.

// DisableUser disables an account: its sessions end, its API tokens answer
// 401 and it can't sign in until EnableUser.
func (c *Client) DisableUser(ctx context.Context, username string) (*User, error) {
	var out User
	return &out, c.do(ctx, "POST", userPath(username)+"/disable", nil, &out)
}

// EnableUser enables a disabled account again.
func (c *Client) EnableUser(ctx context.Context, username string) (*User, error) {
	var out User
	return &out, c.do(ctx, "POST", userPath(username)+"/enable", nil, &out)
}

// SetPlatformAdmin grants (true) or removes (false) platform admin.
func (c *Client) SetPlatformAdmin(ctx context.Context, username string, admin bool) (*User, error) {
	var out User
	req := struct {
		PlatformAdmin bool `json:"platform_admin"`
	}{admin}
	return &out, c.do(ctx, "PATCH", userPath(username), req, &out)
}

// DeleteUser deletes an account with its sessions, tokens and memberships;
// the audit log keeps its name.
func (c *Client) DeleteUser(ctx context.Context, username string) error {
	return c.do(ctx, "DELETE", userPath(username), nil, nil)
}

// UserTokens lists another user's API tokens, without secrets.
func (c *Client) UserTokens(ctx context.Context, username string) ([]Token, error) {
	var l list[Token]
	return l.Items, c.do(ctx, "GET", userPath(username)+"/tokens", nil, &l)
}

// RevokeUserToken revokes one of another user's API tokens.
func (c *Client) RevokeUserToken(ctx context.Context, username string, id int64) error {
	return c.do(ctx, "DELETE", userPath(username)+"/tokens/"+strconv.FormatInt(id, 10), nil, nil)
}

func userPath(username string) string { return "/api/v1/users/" + pathEscape(username) }
