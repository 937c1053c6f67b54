package api

import (
	"time"

	"github.com/switchyard/switchyard/internal/store"
)

// The JSON shapes of resources. They never carry secrets: no password
// hashes, no token hashes, no kubeconfigs.

type userJSON struct {
	ID            int64      `json:"id"`
	Username      string     `json:"username"`
	PlatformAdmin bool       `json:"platform_admin"`
	CreatedAt     time.Time  `json:"created_at"`
	Disabled      bool       `json:"disabled"`
	DisabledAt    *time.Time `json:"disabled_at"` // null while enabled
}

func toUser(u store.User) userJSON {
	j := userJSON{ID: u.ID, Username: u.Username, PlatformAdmin: u.PlatformAdmin, CreatedAt: u.CreatedAt, Disabled: u.Disabled()}
	if u.Disabled() {
		j.DisabledAt = &u.DisabledAt
	}
	return j
}

type workspaceJSON struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	CreatedAt   time.Time `json:"created_at"`
	Role        string    `json:"role,omitempty"` // the caller's role; empty for a platform admin who is not a member
}

func toWorkspace(w store.Workspace, role string) workspaceJSON {
	return workspaceJSON{ID: w.ID, Name: w.Name, Description: w.Description, CreatedAt: w.CreatedAt, Role: role}
}

type memberJSON struct {
	Username  string    `json:"username"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"created_at"`
}

func toMember(m store.Member) memberJSON {
	return memberJSON{Username: m.Username, Role: m.Role, CreatedAt: m.CreatedAt}
}

type bindingJSON struct {
	ID        int64     `json:"id"`
	Cluster   string    `json:"cluster"`
	Namespace string    `json:"namespace"`
	CreatedAt time.Time `json:"created_at"`
}

func toBinding(b store.Binding) bindingJSON {
	return bindingJSON{ID: b.ID, Cluster: b.ClusterName, Namespace: b.Namespace, CreatedAt: b.CreatedAt}
}

type tokenJSON struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
	ExpiresAt  *time.Time `json:"expires_at"` // null: never
}

func toToken(t store.APIToken) tokenJSON {
	return tokenJSON{ID: t.ID, Name: t.Name, Prefix: t.Prefix, CreatedAt: t.CreatedAt, LastUsedAt: t.LastUsedAt, RevokedAt: t.RevokedAt, ExpiresAt: t.ExpiresAt}
}

type auditJSON struct {
	ID          int64     `json:"id"`
	Time        time.Time `json:"time"`
	Actor       string    `json:"actor"`
	WorkspaceID *int64    `json:"workspace_id"`
	Target      string    `json:"target"`
	Action      string    `json:"action"`
	Outcome     string    `json:"outcome"`
	Detail      string    `json:"detail"`
}

func toAudit(e store.AuditEvent) auditJSON {
	return auditJSON{ID: e.ID, Time: e.Time, Actor: e.Actor, WorkspaceID: e.WorkspaceID, Target: e.Target,
		Action: e.Action, Outcome: e.Outcome, Detail: e.Detail}
}

// list is the envelope of every list response, so fields can be added later.
type list[T any] struct {
	Items []T `json:"items"`
}

func mapAll[S, T any](in []S, f func(S) T) list[T] {
	out := make([]T, 0, len(in))
	for _, v := range in {
		out = append(out, f(v))
	}
	return list[T]{Items: out}
}
