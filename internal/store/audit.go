package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
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

// AuditFilter selects audit events for ListAudit. Empty fields select all;
// the fields set must all match.
type AuditFilter struct {
	WorkspaceID  *int64 // only this workspace's events; nil for all
	Actor        string // only events by this actor (exact username)
	ActionPrefix string // only actions starting with this (case-sensitive): "job." or "job.promote"
	Outcome      string // only events with this outcome: OutcomeSuccess, OutcomeDenied or OutcomeFailure
	Target       string // only events about this target (e.g. "job web")
	Limit        int    // at most this many; 0 means DefaultAuditLimit, capped at MaxAuditLimit
	BeforeID     int64  // only events older than this ID (the last ID of the previous page); 0 for the newest
}

// Caps on the text of an audit event, in bytes. AppendAudit cuts longer
// values (at a character boundary, marked with "…"), so that no request can
// make a row large: whatever reaches the log, its size is bounded here.
const (
	MaxAuditShort  = 256  // Actor, Target and Action
	MaxAuditDetail = 2048 // Detail
)

// capAudit applies the caps to every text field of e.
func capAudit(e AuditEvent) AuditEvent {
	e.Actor = capText(e.Actor, MaxAuditShort)
	e.Target = capText(e.Target, MaxAuditShort)
	e.Action = capText(e.Action, MaxAuditShort)
	e.Detail = capText(e.Detail, MaxAuditDetail)
	return e
}

// capText cuts s to at most n bytes, ending at a character boundary with "…".
func capText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const mark = "…"
	cut := n - len(mark)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strings.ToValidUTF8(s[:cut], "") + mark
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

// AppendAudit stores an event and returns it with ID set, Time set to now
// when it was zero, and its text fields cut to the caps (MaxAuditShort,
// MaxAuditDetail).
func (s *Store) AppendAudit(ctx context.Context, e AuditEvent) (AuditEvent, error) {
	if err := oneOf("outcome", e.Outcome, OutcomeSuccess, OutcomeDenied, OutcomeFailure); err != nil {
		return AuditEvent{}, fmt.Errorf("append audit event: %w", err)
	}
	if e.Time.IsZero() {
		e.Time = s.now()
	}
	e.Time = dbTime(e.Time)
	e = capAudit(e)
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
// An unknown Outcome is a ValidationError.
func (s *Store) ListAudit(ctx context.Context, f AuditFilter) ([]AuditEvent, error) {
	if f.Outcome != "" {
		if err := oneOf("outcome", f.Outcome, OutcomeSuccess, OutcomeDenied, OutcomeFailure); err != nil {
			return nil, fmt.Errorf("list audit events: %w", err)
		}
	}
	where, args := auditWhere(f)
	q := "SELECT " + auditColumns + " FROM audit_events" + where + " ORDER BY id DESC LIMIT ?"
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

// auditWhere is the WHERE clause of f, with its arguments.
func auditWhere(f AuditFilter) (string, []any) {
	var conds []string
	var args []any
	add := func(cond string, arg ...any) { conds = append(conds, cond); args = append(args, arg...) }
	if f.WorkspaceID != nil {
		add("workspace_id = ?", *f.WorkspaceID)
	}
	if f.Actor != "" {
		add("actor = ?", f.Actor)
	}
	if f.ActionPrefix != "" {
		// Not LIKE: SQLite's ignores ASCII case and PostgreSQL's does not.
		// substr counts characters in both, as RuneCountInString does.
		add("substr(action, 1, ?) = ?", utf8.RuneCountInString(f.ActionPrefix), f.ActionPrefix)
	}
	if f.Outcome != "" {
		add("outcome = ?", f.Outcome)
	}
	if f.Target != "" {
		add("target = ?", f.Target)
	}
	if f.BeforeID > 0 {
		add("id < ?", f.BeforeID)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
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
