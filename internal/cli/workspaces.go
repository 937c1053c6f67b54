package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/switchyard/switchyard/client"
)

func (c *cli) workspaceCmd() *cobra.Command {
	return c.group("workspace", "Workspaces: a team's jobs, members and namespaces",
		c.workspaceListCmd(), c.workspaceGetCmd(), c.workspaceCreateCmd(), c.workspaceDeleteCmd())
}

func workspaceTable(ws []client.Workspace, wide bool) table {
	t := table{head: []string{"NAME", "ROLE", "AGE", "DESCRIPTION"}}
	if wide {
		t.head = append(t.head, "ID", "CREATED")
	}
	now := time.Now()
	for _, x := range ws {
		row := []string{dash(x.Name), dash(x.Role), age(x.CreatedAt, now), dash(x.Description)}
		if wide {
			row = append(row, strconv.FormatInt(x.ID, 10), timestamp(&x.CreatedAt))
		}
		t.add(row...)
	}
	return t
}

func (c *cli) printWorkspace(o outputFlags, ws *client.Workspace) error {
	return c.print(o, listing{kind: "Workspace", single: true, items: ws, names: []string{"workspace/" + ws.Name},
		table: workspaceTable([]client.Workspace{*ws}, o.wide())})
}

// workspaceArg completes a workspace name as the first argument.
func (c *cli) workspaceArg(cmd *cobra.Command, f *adminFlags) *cobra.Command {
	cmd.ValidArgsFunction = c.nameArgs(&f.conn, false, 1, workspaceNames)
	return cmd
}

func (c *cli) workspaceListCmd() *cobra.Command {
	var f adminFlags
	return c.adminCmd("list", "List the workspaces you can see",
		"List the workspaces you are a member of (all of them for platform admins).",
		`  switchyard workspace list
  switchyard workspace list -o name`, noArgs, &f, false,
		func(ctx context.Context, s *session, _ []string) error {
			ws, err := s.client.Workspaces(ctx)
			if err != nil {
				return err
			}
			return c.print(f.out, listing{kind: "Workspace", items: ws, table: workspaceTable(ws, f.out.wide()),
				names: names("workspace", ws, func(w client.Workspace) string { return w.Name })})
		})
}

func (c *cli) workspaceGetCmd() *cobra.Command {
	var f adminFlags
	return c.workspaceArg(c.adminCmd("get NAME", "Show one workspace", "Show one workspace and your role in it.",
		`  switchyard workspace get demo -o json`, argsBetween(1, 1), &f, false,
		func(ctx context.Context, s *session, args []string) error {
			ws, err := s.client.Workspace(ctx, args[0])
			if err != nil {
				return err
			}
			return c.printWorkspace(f.out, ws)
		}), &f)
}

func (c *cli) workspaceCreateCmd() *cobra.Command {
	var f adminFlags
	var desc string
	cmd := c.adminCmd("create NAME", "Create a workspace (platform admins)",
		"Create a workspace (platform admins). Then add members and bind namespaces.",
		`  switchyard workspace create payments --description "Payments team"
  switchyard member set alice admin -w payments
  switchyard binding add local demo -w payments`, argsBetween(1, 1), &f, false,
		func(ctx context.Context, s *session, args []string) error {
			ws, err := s.client.CreateWorkspace(ctx, client.NewWorkspace{Name: args[0], Description: desc})
			if err != nil {
				return err
			}
			return c.printWorkspace(f.out, ws)
		})
	cmd.Flags().StringVar(&desc, "description", "", "what the workspace is for")
	return cmd
}

func (c *cli) workspaceDeleteCmd() *cobra.Command {
	var f adminFlags
	return c.workspaceArg(c.adminCmd("delete NAME", "Delete a workspace (platform admins)", "Delete a workspace (platform admins).",
		`  switchyard workspace delete payments`, argsBetween(1, 1), &f, false,
		func(ctx context.Context, s *session, args []string) error {
			if err := s.client.DeleteWorkspace(ctx, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "workspace %s deleted\n", args[0])
			return nil
		}), &f)
}

func (c *cli) memberCmd() *cobra.Command {
	return c.group("member", "Who may do what in a workspace",
		c.memberListCmd(), c.memberSetCmd(), c.memberRemoveCmd())
}

func memberTable(ms []client.Member, wide bool) table {
	t := table{head: []string{"USER", "ROLE", "AGE"}}
	if wide {
		t.head = append(t.head, "SINCE")
	}
	now := time.Now()
	for _, m := range ms {
		row := []string{dash(m.Username), dash(m.Role), age(m.CreatedAt, now)}
		if wide {
			row = append(row, timestamp(&m.CreatedAt))
		}
		t.add(row...)
	}
	return t
}

// workspaceCmd is adminCmd for commands in a workspace: run gets it.
func (c *cli) inWorkspaceCmd(use, short, long, example string, args cobra.PositionalArgs, f *adminFlags,
	run func(ctx context.Context, s *session, ws string, args []string) error) *cobra.Command {
	return c.adminCmd(use, short, long, example, args, f, true, func(ctx context.Context, s *session, args []string) error {
		ws, err := s.needWorkspace()
		if err != nil {
			return err
		}
		return run(ctx, s, ws, args)
	})
}

func (c *cli) memberListCmd() *cobra.Command {
	var f adminFlags
	return c.inWorkspaceCmd("list", "List a workspace's members", "List the members of a workspace and their roles.",
		`  switchyard member list -w demo`, noArgs, &f,
		func(ctx context.Context, s *session, ws string, _ []string) error {
			ms, err := s.client.Members(ctx, ws)
			if err != nil {
				return err
			}
			return c.print(f.out, listing{kind: "Member", items: ms, scope: "in workspace " + ws, table: memberTable(ms, f.out.wide()),
				names: names("member", ms, func(m client.Member) string { return m.Username })})
		})
}

func (c *cli) memberSetCmd() *cobra.Command {
	var f adminFlags
	cmd := c.inWorkspaceCmd("set USER ROLE", "Add a user to a workspace or change their role",
		"Add a user to a workspace with a role (admin, editor or viewer), or change\ntheir role (workspace admins).",
		`  switchyard member set bob editor -w payments`, argsBetween(2, 2), &f,
		func(ctx context.Context, s *session, ws string, args []string) error {
			m, err := s.client.PutMember(ctx, ws, args[0], args[1])
			if err != nil {
				return err
			}
			return c.print(f.out, listing{kind: "Member", single: true, items: m, names: []string{"member/" + m.Username},
				table: memberTable([]client.Member{*m}, f.out.wide())})
		})
	cmd.ValidArgsFunction = func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		if len(args) == 1 {
			return []string{client.RoleAdmin, client.RoleEditor, client.RoleViewer}, cobra.ShellCompDirectiveNoFileComp
		}
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return cmd
}

func (c *cli) memberRemoveCmd() *cobra.Command {
	var f adminFlags
	return c.inWorkspaceCmd("remove USER", "Remove a user from a workspace", "Remove a user from a workspace (workspace admins).",
		`  switchyard member remove bob -w payments`, argsBetween(1, 1), &f,
		func(ctx context.Context, s *session, ws string, args []string) error {
			if err := s.client.DeleteMember(ctx, ws, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "%s removed from workspace %s\n", args[0], ws)
			return nil
		})
}

func (c *cli) bindingCmd() *cobra.Command {
	return c.group("binding", "The cluster namespaces a workspace may deploy to",
		c.bindingListCmd(), c.bindingAddCmd(), c.bindingRemoveCmd())
}

func bindingTable(bs []client.Binding, wide bool) table {
	t := table{head: []string{"ID", "CLUSTER", "NAMESPACE", "AGE"}}
	if wide {
		t.head = append(t.head, "CREATED")
	}
	now := time.Now()
	for _, b := range bs {
		row := []string{strconv.FormatInt(b.ID, 10), dash(b.Cluster), dash(b.Namespace), age(b.CreatedAt, now)}
		if wide {
			row = append(row, timestamp(&b.CreatedAt))
		}
		t.add(row...)
	}
	return t
}

func bindingName(b client.Binding) string { return strconv.FormatInt(b.ID, 10) }

func (c *cli) bindingListCmd() *cobra.Command {
	var f adminFlags
	return c.inWorkspaceCmd("list", "List the namespaces a workspace may deploy to", "List the cluster namespaces a workspace may deploy to.",
		`  switchyard binding list -w demo`, noArgs, &f,
		func(ctx context.Context, s *session, ws string, _ []string) error {
			bs, err := s.client.Bindings(ctx, ws)
			if err != nil {
				return err
			}
			return c.print(f.out, listing{kind: "Binding", items: bs, scope: "in workspace " + ws, table: bindingTable(bs, f.out.wide()),
				names: names("binding", bs, bindingName)})
		})
}

func (c *cli) bindingAddCmd() *cobra.Command {
	var f adminFlags
	cmd := c.inWorkspaceCmd("add CLUSTER NAMESPACE", "Let a workspace deploy to a namespace of a cluster (platform admins)",
		"Let a workspace deploy into a namespace of a registered cluster (platform admins).",
		`  switchyard binding add local shop -w payments`, argsBetween(2, 2), &f,
		func(ctx context.Context, s *session, ws string, args []string) error {
			b, err := s.client.CreateBinding(ctx, ws, client.NewBinding{Cluster: args[0], Namespace: args[1]})
			if err != nil {
				return err
			}
			return c.print(f.out, listing{kind: "Binding", single: true, items: b, names: []string{"binding/" + bindingName(*b)},
				table: bindingTable([]client.Binding{*b}, f.out.wide())})
		})
	cmd.ValidArgsFunction = c.nameArgs(&f.conn, false, 1, clusterNames)
	return cmd
}

func (c *cli) bindingRemoveCmd() *cobra.Command {
	var f adminFlags
	cmd := c.inWorkspaceCmd("remove ID", "Remove a binding by id (platform admins)",
		"Remove a binding by its id (see binding list) (platform admins).",
		`  switchyard binding remove "$(switchyard binding list -w payments -o jsonpath='{.items[0].id}')" -w payments`, argsBetween(1, 1), &f,
		func(ctx context.Context, s *session, ws string, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || id <= 0 {
				return usageError{fmt.Sprintf("binding remove: %q is not a binding id (see switchyard binding list)", args[0])}
			}
			if err := s.client.DeleteBinding(ctx, ws, id); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "binding %d removed\n", id)
			return nil
		})
	return cmd
}

func (c *cli) tokenCmd() *cobra.Command {
	return c.group("token", "Your personal API tokens", c.tokenListCmd(), c.tokenCreateCmd(), c.tokenRevokeCmd())
}

func tokenTable(ts []client.Token, wide bool) table {
	t := table{head: []string{"ID", "NAME", "PREFIX", "AGE", "LAST USED", "EXPIRES", "REVOKED"}}
	if wide {
		t.head = append(t.head, "CREATED", "LAST USED AT", "EXPIRES AT")
	}
	now := time.Now()
	for _, tk := range ts {
		used, revoked := "-", "-"
		if tk.LastUsedAt != nil {
			used = age(*tk.LastUsedAt, now) + " ago"
		}
		if tk.RevokedAt != nil {
			revoked = age(*tk.RevokedAt, now) + " ago"
		}
		row := []string{strconv.FormatInt(tk.ID, 10), dash(tk.Name), dash(tk.Prefix), age(tk.CreatedAt, now), used, tokenExpiry(tk.ExpiresAt, now), revoked}
		if wide {
			row = append(row, timestamp(&tk.CreatedAt), timestamp(tk.LastUsedAt), timestamp(tk.ExpiresAt))
		}
		t.add(row...)
	}
	return t
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

func (c *cli) tokenListCmd() *cobra.Command {
	var f adminFlags
	return c.adminCmd("list", "List your API tokens", `List your personal API tokens, revoked and expired ones included (never
their secrets). EXPIRES is the date a token stops working, "never" or
"expired"; -o wide adds exact times.`,
		`  switchyard token list
  switchyard token list -o jsonpath='{.items[?(@.name=="ci-payments")].id}'`, noArgs, &f, false,
		func(ctx context.Context, s *session, _ []string) error {
			ts, err := s.client.Tokens(ctx)
			if err != nil {
				return err
			}
			return c.print(f.out, listing{kind: "Token", items: ts, table: tokenTable(ts, f.out.wide()),
				names: names("token", ts, func(t client.Token) string { return strconv.FormatInt(t.ID, 10) })})
		})
}

func (c *cli) tokenCreateCmd() *cobra.Command {
	var f adminFlags
	var days int
	cmd := c.adminCmd("create NAME", "Create an API token (shown once)", `Create a personal API token, e.g. for a CI pipeline (SWITCHYARD_TOKEN). The
secret is printed once, on stdout; store it right away. The token never
expires unless --expires gives its lifetime in whole days: 90d, or a bare 90
(1d to 3650d).`,
		`  switchyard token create ci-payments --expires 90d
  switchyard token create ci-nightly --expires 30 -o json | jq -r .token
  switchyard token create break-glass`, argsBetween(1, 1), &f, false,
		func(ctx context.Context, s *session, args []string) error {
			t, err := s.client.CreateToken(ctx, args[0], days)
			if err != nil {
				return err
			}
			if !f.out.human() {
				return c.print(f.out, listing{kind: "Token", single: true, items: t, names: []string{"token/" + strconv.FormatInt(t.ID, 10)}})
			}
			fmt.Fprintln(c.stdout, t.Secret)
			expiry := "never expires"
			if t.ExpiresAt != nil {
				expiry = "expires " + t.ExpiresAt.Local().Format(time.RFC3339)
			}
			fmt.Fprintf(c.stderr, "token %q (id %d) created; it %s and is shown only this once\n", t.Name, t.ID, expiry)
			return nil
		})
	cmd.Flags().Var(daysFlag(&days), "expires", "lifetime of the token in days (90d or 90; default: it never expires)")
	return cmd
}

func (c *cli) tokenRevokeCmd() *cobra.Command {
	var f adminFlags
	cmd := c.adminCmd("revoke ID", "Revoke an API token by id", "Revoke one of your API tokens by id (see token list).",
		`  switchyard token revoke "$(switchyard token list -o jsonpath='{.items[?(@.name=="break-glass")].id}')"`, argsBetween(1, 1), &f, false,
		func(ctx context.Context, s *session, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || id <= 0 {
				return usageError{fmt.Sprintf("token revoke: %q is not a token id (see switchyard token list)", args[0])}
			}
			if err := s.client.RevokeToken(ctx, id); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "token %d revoked\n", id)
			return nil
		})
	return cmd
}

func (c *cli) userCmd() *cobra.Command {
	return c.group("user", "Accounts (platform admins)", c.userListCmd(), c.userCreateCmd())
}

func userTable(us []client.User, wide bool) table {
	t := table{head: []string{"ID", "USER", "PLATFORM ADMIN", "AGE"}}
	if wide {
		t.head = append(t.head, "CREATED")
	}
	now := time.Now()
	for _, u := range us {
		row := []string{strconv.FormatInt(u.ID, 10), dash(u.Username), yesNo(u.PlatformAdmin), age(u.CreatedAt, now)}
		if wide {
			row = append(row, timestamp(&u.CreatedAt))
		}
		t.add(row...)
	}
	return t
}

func (c *cli) userListCmd() *cobra.Command {
	var f adminFlags
	return c.adminCmd("list", "List every account (platform admins)", "List every account (platform admins).",
		`  switchyard user list`, noArgs, &f, false,
		func(ctx context.Context, s *session, _ []string) error {
			us, err := s.client.Users(ctx)
			if err != nil {
				return err
			}
			return c.print(f.out, listing{kind: "User", items: us, table: userTable(us, f.out.wide()),
				names: names("user", us, func(u client.User) string { return u.Username })})
		})
}

func (c *cli) userCreateCmd() *cobra.Command {
	var f adminFlags
	var stdinPw, admin bool
	cmd := c.adminCmd("create NAME", "Add an account (platform admins)", `Add an account (platform admins). The password is read from stdin with
--password-stdin, or prompted for without echo on a terminal.`,
		`  printf '%s\n' "$PASSWORD" | switchyard user create alice --password-stdin
  printf '%s\n' "$PASSWORD" | switchyard user create bob --platform-admin --password-stdin`, argsBetween(1, 1), &f, false,
		func(ctx context.Context, s *session, args []string) error {
			pw, err := c.readPassword(bufio.NewReader(c.stdin), stdinPw, "")
			if err != nil {
				return err
			}
			u, err := s.client.CreateUser(ctx, client.NewUser{Username: args[0], Password: pw, PlatformAdmin: admin})
			if err != nil {
				return err
			}
			return c.print(f.out, listing{kind: "User", single: true, items: u, names: []string{"user/" + u.Username},
				table: userTable([]client.User{*u}, f.out.wide())})
		})
	cmd.Flags().BoolVar(&stdinPw, "password-stdin", false, "read the password from standard input")
	cmd.Flags().BoolVar(&admin, "platform-admin", false, "make the user a platform administrator")
	return cmd
}

func readAll(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("read stdin: %w", err)
	}
	return data, nil
}
