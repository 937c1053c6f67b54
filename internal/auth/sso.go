package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/switchyard/switchyard/internal/oidc"
	"github.com/switchyard/switchyard/internal/store"
)

// SSOSignIn is the outcome of a sign-in through the OpenID provider.
type SSOSignIn struct {
	User store.User
	// Grants are the group bindings the user's groups give now.
	Grants []store.GroupBinding
	// Lost names the accesses the user's groups gave at the previous sign-in
	// and give no more; EndedSessions is how many of its sessions ended for it.
	Lost          []string
	EndedSessions int64
}

// AuditDetail says, for the audit log, which group gave which access and what was lost.
func (s SSOSignIn) AuditDetail() string {
	d := grantsDetail(s.Grants)
	if len(s.Lost) > 0 {
		d += fmt.Sprintf("; lost access (%s): %d open session(s) ended", strings.Join(s.Lost, ", "), s.EndedSessions)
	}
	return d
}

// SignInSSO creates or updates the SSO user a verified identity names (keyed
// by issuer and subject; a local user of the same name is refused with a
// *store.UsernameTakenError), stores its current groups, and ends its open
// sessions when those groups no longer give an access they gave at its last
// sign-in. The caller then starts a session or issues a token.
func (a *Authenticator) SignInSSO(ctx context.Context, issuer string, id oidc.Identity) (SSOSignIn, error) {
	before, err := a.previousGrants(ctx, issuer, id.Subject)
	if err != nil {
		return SSOSignIn{}, fmt.Errorf("sign in %q: %w", id.Username, err)
	}
	u, _, err := a.Store.UpsertSSOUser(ctx, store.SSOIdentity{Issuer: issuer, Subject: id.Subject, Username: id.Username, Groups: id.Groups})
	if err != nil {
		return SSOSignIn{}, err
	}
	out := SSOSignIn{User: u}
	if out.Grants, err = a.Store.GroupGrants(ctx, u.ID, 0); err != nil {
		return SSOSignIn{}, fmt.Errorf("sign in %q: %w", id.Username, err)
	}
	if out.Lost = lostGrants(before, out.Grants); len(out.Lost) > 0 {
		if out.EndedSessions, err = a.Store.DeleteUserSessions(ctx, u.ID); err != nil {
			return SSOSignIn{}, fmt.Errorf("sign in %q: %w", id.Username, err)
		}
	}
	return out, nil
}

// previousGrants returns the group grants the SSO user had before this
// sign-in (none for a new user), found by issuer and subject: the provider
// may have renamed it.
func (a *Authenticator) previousGrants(ctx context.Context, issuer, subject string) ([]store.GroupBinding, error) {
	u, err := a.Store.GetSSOUser(ctx, issuer, subject)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return a.Store.GroupGrants(ctx, u.ID, 0)
}

// grantKey names what a binding gives, whichever group gives it.
func grantKey(b store.GroupBinding) string {
	if b.Role == store.RolePlatformAdmin {
		return "platform admin"
	}
	return b.Role + " in " + b.WorkspaceName
}

// lostGrants lists the accesses of before that after gives no more (a lower
// role in the same workspace counts as lost).
func lostGrants(before, after []store.GroupBinding) []string {
	have := map[string]bool{}
	for _, b := range after {
		have[grantKey(b)] = true
	}
	var lost []string
	for _, b := range before {
		if k := grantKey(b); !have[k] && !slices.Contains(lost, k) {
			lost = append(lost, k)
		}
	}
	return lost
}

// grantsDetail says, for the audit log, which group gave which access.
func grantsDetail(gs []store.GroupBinding) string {
	if len(gs) == 0 {
		return "; no group gives access"
	}
	parts := make([]string, len(gs))
	for i, b := range gs {
		parts[i] = grantKey(b) + " through group " + b.Group
	}
	return "; " + strings.Join(parts, ", ")
}
