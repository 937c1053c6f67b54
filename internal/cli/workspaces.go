package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/switchyard/switchyard/client"
)

var workspaceCommands = []subcommand{
	{"list", "list the workspaces you can see", (*cli).workspaceList},
	{"get", "show one workspace", (*cli).workspaceGet},
	{"create", "create a workspace (platform admins)", (*cli).workspaceCreate},
	{"delete", "delete a workspace (platform admins)", (*cli).workspaceDelete},
}

func workspaceTable(w *tabwriter.Writer, ws []client.Workspace) {
	fmt.Fprintln(w, "NAME\tROLE\tAGE\tDESCRIPTION")
	now := time.Now()
	for _, x := range ws {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", x.Name, dash(x.Role), age(x.CreatedAt, now), dash(x.Description))
	}
}

func (c *cli) workspaceList(ctx context.Context, args []string) error {
	var f adminFlags
	s, _, err := c.adminStart(newFlags("workspace list", "[flags]", `List the workspaces you are a member of (all of them for platform admins).

Examples:
  switchyard workspace list`), &f, args, 0, 0, false)
	if err != nil {
		return err
	}
	ws, err := s.client.Workspaces(ctx)
	if err != nil {
		return err
	}
	return c.print(f.out, ws, func(w *tabwriter.Writer) { workspaceTable(w, ws) })
}

func (c *cli) workspaceGet(ctx context.Context, args []string) error {
	var f adminFlags
	s, pos, err := c.adminStart(newFlags("workspace get", "NAME [flags]", `Show one workspace and your role in it.

Examples:
  switchyard workspace get payments -o json`), &f, args, 1, 1, false)
	if err != nil {
		return err
	}
	ws, err := s.client.Workspace(ctx, pos[0])
	if err != nil {
		return err
	}
	return c.print(f.out, ws, func(w *tabwriter.Writer) { workspaceTable(w, []client.Workspace{*ws}) })
}

func (c *cli) workspaceCreate(ctx context.Context, args []string) error {
	var f adminFlags
	fs := newFlags("workspace create", "NAME [flags]", `Create a workspace (platform admins). Then add members and bind namespaces.

Examples:
  switchyard workspace create payments --description "Payments team"
  switchyard member set alice admin -w payments
  switchyard binding add prod-eu/payments -w payments`)
	desc := fs.String("description", "", "what the workspace is for")
	s, pos, err := c.adminStart(fs, &f, args, 1, 1, false)
	if err != nil {
		return err
	}
	ws, err := s.client.CreateWorkspace(ctx, client.NewWorkspace{Name: pos[0], Description: *desc})
	if err != nil {
		return err
	}
	return c.print(f.out, ws, func(w *tabwriter.Writer) { workspaceTable(w, []client.Workspace{*ws}) })
}

func (c *cli) workspaceDelete(ctx context.Context, args []string) error {
	var f adminFlags
	s, pos, err := c.adminStart(newFlags("workspace delete", "NAME [flags]", `Delete a workspace (platform admins).

Examples:
  switchyard workspace delete payments`), &f, args, 1, 1, false)
	if err != nil {
		return err
	}
	if err := s.client.DeleteWorkspace(ctx, pos[0]); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "workspace %s deleted\n", pos[0])
	return nil
}

var memberCommands = []subcommand{
	{"list", "list a workspace's members", (*cli).memberList},
	{"set", "add a user to a workspace or change their role", (*cli).memberSet},
	{"remove", "remove a user from a workspace", (*cli).memberRemove},
}

func memberTable(w *tabwriter.Writer, ms []client.Member) {
	fmt.Fprintln(w, "USER\tROLE\tAGE")
	now := time.Now()
	for _, m := range ms {
		fmt.Fprintf(w, "%s\t%s\t%s\n", m.Username, m.Role, age(m.CreatedAt, now))
	}
}

// workspaceStart is adminStart for commands in a workspace.
func (c *cli) workspaceStart(fs *flagSet, f *adminFlags, args []string, min, max int) (*session, string, []string, error) {
	s, pos, err := c.adminStart(fs, f, args, min, max, true)
	if err != nil {
		return nil, "", nil, err
	}
	ws, err := s.needWorkspace()
	return s, ws, pos, err
}

func (c *cli) memberList(ctx context.Context, args []string) error {
	var f adminFlags
	s, ws, _, err := c.workspaceStart(newFlags("member list", "[flags]", `List the members of a workspace and their roles.

Examples:
  switchyard member list -w payments`), &f, args, 0, 0)
	if err != nil {
		return err
	}
	ms, err := s.client.Members(ctx, ws)
	if err != nil {
		return err
	}
	return c.print(f.out, ms, func(w *tabwriter.Writer) { memberTable(w, ms) })
}

func (c *cli) memberSet(ctx context.Context, args []string) error {
	var f adminFlags
	s, ws, pos, err := c.workspaceStart(newFlags("member set", "USER ROLE [flags]", `Add a user to a workspace with a role (admin, editor or viewer), or change
their role (workspace admins).

Examples:
  switchyard member set alice editor -w payments`), &f, args, 2, 2)
	if err != nil {
		return err
	}
	m, err := s.client.PutMember(ctx, ws, pos[0], pos[1])
	if err != nil {
		return err
	}
	return c.print(f.out, m, func(w *tabwriter.Writer) { memberTable(w, []client.Member{*m}) })
}

func (c *cli) memberRemove(ctx context.Context, args []string) error {
	var f adminFlags
	s, ws, pos, err := c.workspaceStart(newFlags("member remove", "USER [flags]", `Remove a user from a workspace (workspace admins).

Examples:
  switchyard member remove alice -w payments`), &f, args, 1, 1)
	if err != nil {
		return err
	}
	if err := s.client.DeleteMember(ctx, ws, pos[0]); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "%s removed from workspace %s\n", pos[0], ws)
	return nil
}

var bindingCommands = []subcommand{
	{"list", "list the namespaces a workspace may deploy to", (*cli).bindingList},
	{"add", "let a workspace deploy to CLUSTER/NAMESPACE (platform admins)", (*cli).bindingAdd},
	{"remove", "remove a binding by id (platform admins)", (*cli).bindingRemove},
}

func bindingTable(w *tabwriter.Writer, bs []client.Binding) {
	fmt.Fprintln(w, "ID\tCLUSTER\tNAMESPACE\tAGE")
	now := time.Now()
	for _, b := range bs {
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\n", b.ID, b.Cluster, b.Namespace, age(b.CreatedAt, now))
	}
}

func (c *cli) bindingList(ctx context.Context, args []string) error {
	var f adminFlags
	s, ws, _, err := c.workspaceStart(newFlags("binding list", "[flags]", `List the cluster namespaces a workspace may deploy to.

Examples:
  switchyard binding list -w payments`), &f, args, 0, 0)
	if err != nil {
		return err
	}
	bs, err := s.client.Bindings(ctx, ws)
	if err != nil {
		return err
	}
	return c.print(f.out, bs, func(w *tabwriter.Writer) { bindingTable(w, bs) })
}

func (c *cli) bindingAdd(ctx context.Context, args []string) error {
	var f adminFlags
	s, ws, pos, err := c.workspaceStart(newFlags("binding add", "CLUSTER NAMESPACE [flags]", `Let a workspace deploy into a namespace of a registered cluster (platform admins).

Examples:
  switchyard binding add prod-eu payments -w payments`), &f, args, 2, 2)
	if err != nil {
		return err
	}
	b, err := s.client.CreateBinding(ctx, ws, client.NewBinding{Cluster: pos[0], Namespace: pos[1]})
	if err != nil {
		return err
	}
	return c.print(f.out, b, func(w *tabwriter.Writer) { bindingTable(w, []client.Binding{*b}) })
}

func (c *cli) bindingRemove(ctx context.Context, args []string) error {
	var f adminFlags
	s, ws, pos, err := c.workspaceStart(newFlags("binding remove", "ID [flags]", `Remove a binding by its id (see binding list) (platform admins).

Examples:
  switchyard binding remove 7 -w payments`), &f, args, 1, 1)
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(pos[0], 10, 64)
	if err != nil || id <= 0 {
		return usageError{fmt.Sprintf("binding remove: %q is not a binding id (see switchyard binding list)", pos[0])}
	}
	if err := s.client.DeleteBinding(ctx, ws, id); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "binding %d removed\n", id)
	return nil
}

var tokenCommands = []subcommand{
	{"list", "list your API tokens", (*cli).tokenList},
	{"create", "create an API token (shown once)", (*cli).tokenCreate},
	{"revoke", "revoke an API token by id", (*cli).tokenRevoke},
}

func tokenTable(w *tabwriter.Writer, ts []client.Token) {
	fmt.Fprintln(w, "ID\tNAME\tPREFIX\tAGE\tLAST USED\tEXPIRES\tREVOKED")
	now := time.Now()
	for _, t := range ts {
		used, revoked := "-", "-"
		if t.LastUsedAt != nil {
			used = age(*t.LastUsedAt, now) + " ago"
		}
		if t.RevokedAt != nil {
			revoked = age(*t.RevokedAt, now) + " ago"
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, dash(t.Name), t.Prefix, age(t.CreatedAt, now), used, tokenExpiry(t.ExpiresAt, now), revoked)
	}
}

// tokenExpiry is a token's EXPIRES cell: the local date it expires on,
// "never" or "expired".
func tokenExpiry(at *time.Time, now time.Time) string {
	switch {
	case at == nil:
		return "never"
	case !now.Before(*at):
		return "expired"
	}
	return at.Local().Format(time.DateOnly)
}

// lifetimeDays parses a token lifetime flag: whole days written like 90d,
// nothing else (a token's life is counted in days, not hours).
func lifetimeDays(dst *int) func(string) error {
	return func(v string) error {
		digits, ok := strings.CutSuffix(v, "d")
		n, err := strconv.Atoi(digits)
		if !ok || err != nil || n <= 0 {
			return errors.New("want a positive number of days, like 90d")
		}
		*dst = n
		return nil
	}
}

func (c *cli) tokenList(ctx context.Context, args []string) error {
	var f adminFlags
	s, _, err := c.adminStart(newFlags("token list", "[flags]", `List your personal API tokens, revoked and expired ones included (never
their secrets). EXPIRES is the date a token stops working, "never" or
"expired".

Examples:
  switchyard token list`), &f, args, 0, 0, false)
	if err != nil {
		return err
	}
	ts, err := s.client.Tokens(ctx)
	if err != nil {
		return err
	}
	return c.print(f.out, ts, func(w *tabwriter.Writer) { tokenTable(w, ts) })
}

func (c *cli) tokenCreate(ctx context.Context, args []string) error {
	var f adminFlags
	fs := newFlags("token create", "NAME [flags]", `Create a personal API token, e.g. for a CI pipeline (SWITCHYARD_TOKEN). The
secret is printed once, on stdout; store it right away. The token never
expires unless --expires gives its lifetime in days (1d to 3650d).

Examples:
  switchyard token create ci-payments --expires 90d
  switchyard token create ci-payments --expires 30d -o json | jq -r .token
  switchyard token create break-glass`)
	var days int
	fs.Func("expires", "lifetime of the token (`days` like 90d; default: it never expires)", lifetimeDays(&days))
	s, pos, err := c.adminStart(fs, &f, args, 1, 1, false)
	if err != nil {
		return err
	}
	t, err := s.client.CreateToken(ctx, pos[0], days)
	if err != nil {
		return err
	}
	if f.out.format == "json" || f.out.format == "yaml" {
		return c.print(f.out, t, nil)
	}
	fmt.Fprintln(c.stdout, t.Secret)
	expiry := "never expires"
	if t.ExpiresAt != nil {
		expiry = "expires " + t.ExpiresAt.Local().Format(time.RFC3339)
	}
	fmt.Fprintf(c.stderr, "token %q (id %d) created; it %s and is shown only this once\n", t.Name, t.ID, expiry)
	return nil
}

func (c *cli) tokenRevoke(ctx context.Context, args []string) error {
	var f adminFlags
	s, pos, err := c.adminStart(newFlags("token revoke", "ID [flags]", `Revoke one of your API tokens by id (see token list).

Examples:
  switchyard token revoke 12`), &f, args, 1, 1, false)
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(pos[0], 10, 64)
	if err != nil || id <= 0 {
		return usageError{fmt.Sprintf("token revoke: %q is not a token id (see switchyard token list)", pos[0])}
	}
	if err := s.client.RevokeToken(ctx, id); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "token %d revoked\n", id)
	return nil
}

var userCommands = []subcommand{
	{"list", "list every account (platform admins)", (*cli).userList},
	{"create", "add an account (platform admins)", (*cli).userCreate},
}

func userTable(w *tabwriter.Writer, us []client.User) {
	fmt.Fprintln(w, "ID\tUSER\tPLATFORM ADMIN\tAGE")
	now := time.Now()
	for _, u := range us {
		fmt.Fprintf(w, "%d\t%s\t%v\t%s\n", u.ID, u.Username, u.PlatformAdmin, age(u.CreatedAt, now))
	}
}

func (c *cli) userList(ctx context.Context, args []string) error {
	var f adminFlags
	s, _, err := c.adminStart(newFlags("user list", "[flags]", `List every account (platform admins).

Examples:
  switchyard user list`), &f, args, 0, 0, false)
	if err != nil {
		return err
	}
	us, err := s.client.Users(ctx)
	if err != nil {
		return err
	}
	return c.print(f.out, us, func(w *tabwriter.Writer) { userTable(w, us) })
}

func (c *cli) userCreate(ctx context.Context, args []string) error {
	var f adminFlags
	fs := newFlags("user create", "NAME [flags]", `Add an account (platform admins). The password is read from stdin with
--password-stdin, or prompted for without echo on a terminal.

Examples:
  printf '%s\n' "$PASSWORD" | switchyard user create alice --password-stdin
  switchyard user create bob --platform-admin`)
	stdinPw := fs.Bool("password-stdin", false, "read the password from standard input")
	admin := fs.Bool("platform-admin", false, "make the user a platform administrator")
	s, pos, err := c.adminStart(fs, &f, args, 1, 1, false)
	if err != nil {
		return err
	}
	pw, err := c.readPassword(bufio.NewReader(c.stdin), *stdinPw)
	if err != nil {
		return err
	}
	u, err := s.client.CreateUser(ctx, client.NewUser{Username: pos[0], Password: pw, PlatformAdmin: *admin})
	if err != nil {
		return err
	}
	return c.print(f.out, u, func(w *tabwriter.Writer) { userTable(w, []client.User{*u}) })
}

func readAll(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("read stdin: %w", err)
	}
	return data, nil
}
