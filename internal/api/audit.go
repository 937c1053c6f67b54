package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/switchyard/switchyard/internal/access"
	"github.com/switchyard/switchyard/internal/auth"
	"github.com/switchyard/switchyard/internal/store"
)

func (a *API) auditRoutes() []route {
	return []route{
		{pattern: "GET /api/v1/audit", handle: a.listGlobalAudit},
		{pattern: "GET /api/v1/workspaces/{ws}/audit", handle: a.listWorkspaceAudit},
	}
}

// listGlobalAudit serves every event to platform admins. ?workspace_id=
// narrows to one workspace; the filters and paging are auditFilter's.
func (a *API) listGlobalAudit(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	if err := a.authorize(r.Context(), p, access.AuditViewGlobal, 0); err != nil {
		return err
	}
	f, err := auditFilter(r)
	if err != nil {
		return err
	}
	if v := r.URL.Query().Get("workspace_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return badRequest("workspace_id", "workspace_id must be a positive integer")
		}
		f.WorkspaceID = &id
	}
	return a.writeAudit(w, r, f)
}

// listWorkspaceAudit serves a workspace's events to its admins.
func (a *API) listWorkspaceAudit(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	ws, err := a.workspace(r, p, access.AuditView)
	if err != nil {
		return err
	}
	f, err := auditFilter(r)
	if err != nil {
		return err
	}
	f.WorkspaceID = &ws.ID
	return a.writeAudit(w, r, f)
}

func (a *API) writeAudit(w http.ResponseWriter, r *http.Request, f store.AuditFilter) error {
	es, err := a.Store.ListAudit(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, mapAll(es, toAudit))
	return nil
}

// auditFilter reads the filters ?actor= (a username), ?action= (a prefix,
// e.g. "job."), ?outcome= (success, failure or denied) and ?target=, and the
// paging ?limit= (1..1000, default 100) and ?before= (an event ID).
func auditFilter(r *http.Request) (store.AuditFilter, error) {
	q := r.URL.Query()
	f := store.AuditFilter{Actor: q.Get("actor"), ActionPrefix: q.Get("action"), Outcome: q.Get("outcome"), Target: q.Get("target")}
	switch f.Outcome {
	case "", store.OutcomeSuccess, store.OutcomeFailure, store.OutcomeDenied:
	default:
		return f, badRequest("outcome", "outcome must be success, failure or denied, not %q", f.Outcome)
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > store.MaxAuditLimit {
			return f, badRequest("limit", "limit must be an integer from 1 to %d", store.MaxAuditLimit)
		}
		f.Limit = n
	}
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return f, badRequest("before", "before must be a positive event ID")
		}
		f.BeforeID = n
	}
	return f, nil
}

// event describes a change for the audit log.
type event struct {
	actor       string
	workspaceID *int64
	target      string
	action      string
	detail      string
	// by, when set, is the caller acting: on success the record names the
	// identity-provider group that gave it the access, if one did.
	by *access.Subject
}

// record appends ev to the audit log with the outcome err implies, and
// returns err unchanged so handlers can `return a.record(ctx, ev, err)`.
// A failure to write the log is logged, not returned: the change happened.
func (a *API) record(ctx context.Context, ev event, err error) error {
	outcome, detail := store.OutcomeSuccess, ev.detail
	switch {
	case err == nil:
		detail = joinDetail(detail, a.viaGroup(ctx, ev))
	case isDenial(err):
		outcome = store.OutcomeDenied
	default:
		outcome = store.OutcomeFailure
	}
	if err != nil {
		// The event's own detail (a failed login's address) stays: what went
		// wrong follows it.
		detail = strings.TrimPrefix(ev.detail+"; "+status(err).Message, "; ")
	}
	_, aerr := a.Store.AppendAudit(context.WithoutCancel(ctx), store.AuditEvent{
		Actor: ev.actor, WorkspaceID: ev.workspaceID, Target: ev.target,
		Action: ev.action, Outcome: outcome, Detail: detail,
	})
	if aerr != nil {
		a.Logger.ErrorContext(ctx, "append audit event", "action", ev.action, "err", aerr)
	}
	return err
}

// isDenial reports whether err refused the caller rather than failed. A
// wrong password is a failure; a login refused by the rate limit, a denial.
func isDenial(err error) bool {
	var limited *auth.RateLimitedError
	return errors.Is(err, access.ErrForbidden) || errors.Is(err, access.ErrNotVisible) ||
		errors.Is(err, auth.ErrCSRF) || errors.As(err, &limited)
}

// viaGroup says which group gave ev's actor the access it used, "" when its
// own standing did (or it can't be read: the change happened, the log says less).
func (a *API) viaGroup(ctx context.Context, ev event) string {
	if ev.by == nil || ev.by.PlatformAdmin {
		return ""
	}
	var ws int64
	if ev.workspaceID != nil {
		ws = *ev.workspaceID
	}
	g, err := a.Access.Grant(ctx, *ev.by, ws)
	if err != nil {
		a.Logger.Warn("audit: read group grants", "user", ev.by.Username, "err", err)
		return ""
	}
	if g.Via == "" {
		return ""
	}
	return "access through group " + g.Via
}

func joinDetail(detail, more string) string {
	switch {
	case more == "":
		return detail
	case detail == "":
		return more
	}
	return detail + "; " + more
}
