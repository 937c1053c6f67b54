package cli

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/switchyard/switchyard/client"
)

func (c *cli) auditCmd() *cobra.Command {
	return c.group("audit", "The audit log: who did what, and how it went", c.auditListCmd())
}

const auditListHelp = `List audit log events, newest first: who did what to what, and how it went.

As kubectl does with namespaces, it reads one workspace's log (workspace
admins): -w, else SWITCHYARD_WORKSPACE, else the context's workspace. -A/--all
reads the whole log instead (platform admins): every workspace's events and the
platform-wide ones, such as logins; it ignores the default workspace and
refuses -w.

Filters combine (an event must match all of those given): --actor is a user
name, --action a prefix of the action ("job." for every job action,
"job.promote" for one), --outcome success, failure or denied, --target what was
acted on ("job web", "member alice").

A page holds --limit events, newest first. When a page is full, a note on
stderr gives the --before to pass for the next, older, page. The table shows
local times and cuts DETAIL short; -o wide shows the time zone and all of
DETAIL; -o json and -o yaml print the events as the API returns them, in a
list: {"kind": "AuditEventList", "items": […]}.`

const auditListExample = `  switchyard audit list -w demo
  switchyard audit list -w demo --action job. --outcome failure
  switchyard audit list -w demo --target "job web-bg" --before 1234
  switchyard audit list --all --outcome denied -o wide
  switchyard audit list -A --actor admin --limit 1000 -o json | jq -r '.items[].action'`

// auditListFlags are audit list's own flags.
type auditListFlags struct {
	all   bool
	query client.AuditQuery
}

func (f *auditListFlags) bind(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.BoolVarP(&f.all, "all", "A", false, "read the whole log, every workspace's and platform-wide events (platform admins)")
	fs.StringVar(&f.query.Actor, "actor", "", "only events by this user (exact name)")
	fs.StringVar(&f.query.Action, "action", "", `only actions starting with this, e.g. "job." or "job.promote"`)
	fs.StringVar(&f.query.Outcome, "outcome", "", "only events with this outcome: success, failure or denied")
	fs.StringVar(&f.query.Target, "target", "", `only events about this target, e.g. "job web"`)
	fs.IntVar(&f.query.Limit, "limit", 100, "events per page (the server allows at most 1000)")
	fs.Int64Var(&f.query.Before, "before", 0, "only events older than this event ID: the last ID of the previous page")
	_ = cmd.RegisterFlagCompletionFunc("outcome", fixed(client.OutcomeSuccess, client.OutcomeFailure, client.OutcomeDenied))
}

// check refuses what the server would refuse or silently ignore, before
// asking it; the --limit cap stays the server's to say.
func (f *auditListFlags) check(workspaceFlag string) error {
	if f.all && workspaceFlag != "" {
		return usageError{"audit list: --all reads every workspace's events: drop -w, or drop --all for one workspace's"}
	}
	switch o := strings.ToLower(f.query.Outcome); o {
	case "", client.OutcomeSuccess, client.OutcomeFailure, client.OutcomeDenied:
		f.query.Outcome = o
	default:
		return usageError{fmt.Sprintf("audit list: --outcome %q: must be success, failure or denied", f.query.Outcome)}
	}
	if f.query.Limit < 1 {
		return usageError{fmt.Sprintf("audit list: --limit %d: must be at least 1", f.query.Limit)}
	}
	if f.query.Before < 0 {
		return usageError{fmt.Sprintf("audit list: --before %d: must be an event ID (see the ID column)", f.query.Before)}
	}
	return nil
}

func (c *cli) auditListCmd() *cobra.Command {
	var f adminFlags
	var af auditListFlags
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "Read the audit log: a workspace's, or the whole one with --all",
		Long:    auditListHelp,
		Example: auditListExample,
		Args:    noArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return c.auditList(cmd.Context(), f, af) },
	}
	af.bind(cmd)
	f.bind(c, cmd, true)
	return cmd
}

func (c *cli) auditList(ctx context.Context, f adminFlags, af auditListFlags) error {
	if err := f.out.check(); err != nil {
		return err
	}
	if err := af.check(f.conn.workspace); err != nil {
		return err
	}
	s, err := c.connect(f.conn)
	if err != nil {
		return err
	}
	events, err := af.read(ctx, s)
	if err != nil {
		return err
	}
	var wsNames map[int64]string
	if af.all && f.out.human() {
		wsNames = auditWorkspaceNames(ctx, s.client, events)
	}
	scope := "in the audit log"
	if !af.all {
		scope = "in the audit log of workspace " + s.workspace
	}
	if err := c.print(f.out, listing{kind: "AuditEvent", items: events, scope: scope, table: auditTable(events, af.all, wsNames, f.out.wide()),
		names: names("event", events, func(ev client.AuditEvent) string { return strconv.FormatInt(ev.ID, 10) })}); err != nil {
		return err
	}
	if f.out.human() && len(events) == af.query.Limit {
		fmt.Fprintf(c.stderr, "(a full page of %d events; for older ones add --before %d)\n", len(events), events[len(events)-1].ID)
	}
	return nil
}

// read asks for the page: the whole log with --all, else the workspace's.
func (f *auditListFlags) read(ctx context.Context, s *session) ([]client.AuditEvent, error) {
	var events []client.AuditEvent
	var err error
	switch {
	case f.all:
		events, err = s.client.Audit(ctx, f.query)
	case s.workspace == "":
		return nil, usageError{"audit list: no workspace: pass -w NAME for a workspace's log, or --all for the whole log (platform admins)"}
	default:
		events, err = s.client.WorkspaceAudit(ctx, s.workspace, f.query)
	}
	if events == nil && err == nil {
		events = []client.AuditEvent{} // JSON [] rather than null
	}
	return events, err
}

// auditWorkspaceNames maps the workspace IDs of events to names, for the global
// log's WORKSPACE column. It is best effort: a name it cannot find (the
// workspace was deleted, or the lookup failed) shows as the ID.
func auditWorkspaceNames(ctx context.Context, cl *client.Client, events []client.AuditEvent) map[int64]string {
	names := map[int64]string{}
	if !slices.ContainsFunc(events, func(ev client.AuditEvent) bool { return ev.WorkspaceID != nil }) {
		return names
	}
	ws, err := cl.Workspaces(ctx) // all of them: --all is for platform admins
	if err != nil {
		return names
	}
	for _, w := range ws {
		names[w.ID] = w.Name
	}
	return names
}

// auditDetailWidth is where the table cuts DETAIL short (-o wide does not).
const auditDetailWidth = 60

// auditTable makes events rows; the global log has a WORKSPACE column.
func auditTable(events []client.AuditEvent, global bool, names map[int64]string, wide bool) table {
	head := []string{"ID", "TIME", "ACTOR", "WORKSPACE", "ACTION", "TARGET", "OUTCOME", "DETAIL"}
	if !global {
		head = append(head[:3], head[4:]...)
	}
	t := table{head: head}
	layout := time.DateTime
	if wide {
		layout = "2006-01-02 15:04:05 MST"
	}
	for _, ev := range events {
		row := []string{strconv.FormatInt(ev.ID, 10), ev.Time.Local().Format(layout), dash(ev.Actor)}
		if global {
			ws := "-"
			if ev.WorkspaceID != nil {
				ws = names[*ev.WorkspaceID]
				if ws == "" {
					ws = fmt.Sprintf("#%d", *ev.WorkspaceID)
				}
			}
			row = append(row, dash(ws))
		}
		detail := dash(ev.Detail)
		if !wide {
			detail = shorten(detail, auditDetailWidth)
		}
		row = append(row, dash(ev.Action), dash(ev.Target), dash(ev.Outcome), detail)
		t.add(row...)
	}
	return t
}

// shorten cuts s to at most n characters, marking the cut with "…".
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
