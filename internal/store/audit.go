package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Audit outcomes.
const (
	OutcomeSuccess = "success" // the action was carried out
	OutcomeDenied  = "denied"  // the actor was not allowed to
	OutcomeFailure = "failure" // it was allowed but failed
)

// Limits on ListAudit's page size.
const (
	DefaultAuditLimit = 100
	MaxAuditLimit     = 1000
)

// AuditEvent records who did what to what, and how it went.
type AuditEvent struct {
	ID          int64
	Time        time.Time
	Actor       string // username, or a description for non-users ("system")
	WorkspaceID *int64 // nil for platform-wide events
	Target      string // what was acted on, e.g. "cluster prod"
	Action      string // e.g. "cluster.create"
	Outcome     string // OutcomeSuccess, OutcomeDenied or OutcomeFailure
	Detail      string // free text; never secrets
}

// AuditFilter selects audit events for ListAudit.
type AuditFilter struct {
	WorkspaceID *int64 // only this workspace's events; nil for all
	Target      string // only events about this target (e.g. "job web"); empty for all
	Limit       int    // at most this many; 0 means DefaultAuditLimit, capped at MaxAuditLimit
	BeforeID    int64  // only events older than this ID (the last ID of the previous page); 0 for the newest
}

const (
	auditInsertColumns = "occurred_at, actor, workspace_id, target, action, outcome, detail"
	auditColumns       = "id, " + auditInsertColumns
)

func scanAudit(r rowScanner) (AuditEvent, error) {
	var e AuditEvent
	var ws sql.Null[int64]
	err := r.Scan(&e.ID, &e.Time, &e.Actor, &ws, &e.Target, &e.Action, &e.Outcome, &e.Detail)
	e.Time, e.WorkspaceID = e.Time.UTC(), int64Ptr(ws)
	return e, err
}

// AppendAudit stores an event and returns it with ID set, and Time set to now
// when it was zero.
func (s *Store) AppendAudit(ctx context.Context, e AuditEvent) (AuditEvent, error) {
	if err := oneOf("outcome", e.Outcome, OutcomeSuccess, OutcomeDenied, OutcomeFailure); err != nil {
		return AuditEvent{}, fmt.Errorf("append audit event: %w", err)
	}
	if e.Time.IsZero() {
		e.Time = s.now()
	}
	e.Time = dbTime(e.Time)
	err := s.queryRow(ctx,
		"INSERT INTO audit_events ("+auditInsertColumns+") VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
		e.Time, e.Actor, nullInt64(e.WorkspaceID), e.Target, e.Action, e.Outcome, e.Detail).Scan(&e.ID)
	if err != nil {
		return AuditEvent{}, fmt.Errorf("append audit event %s: %w", e.Action, err)
	}
	return e, nil
}

// ListAudit returns events newest first (by ID, which follows insertion
// order). Page through older events by passing the last ID seen as BeforeID.
func (s *Store) ListAudit(ctx context.Context, f AuditFilter) ([]AuditEvent, error) {
	var where []string
	var args []any
	if f.WorkspaceID != nil {
		where, args = append(where, "workspace_id = ?"), append(args, *f.WorkspaceID)
	}
	if f.Target != "" {
		where, args = append(where, "target = ?"), append(args, f.Target)
	}
	if f.BeforeID > 0 {
		where, args = append(where, "id < ?"), append(args, f.BeforeID)
	}
	q := "SELECT " + auditColumns + " FROM audit_events"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC LIMIT ?"
	rows, err := s.query(ctx, q, append(args, auditLimit(f.Limit))...)
	if err != nil {
		return nil, fmt.Errorf("list audit events: %w", err)
	}
	es, err := scanAll(rows, scanAudit)
	if err != nil {
		return nil, fmt.Errorf("list audit events: %w", err)
	}
	return es, nil
}

// auditLimit applies the default and the cap to a requested page size.
func auditLimit(n int) int {
	switch {
	case n <= 0:
		return DefaultAuditLimit
	case n > MaxAuditLimit:
		return MaxAuditLimit
	}
	return n
}
