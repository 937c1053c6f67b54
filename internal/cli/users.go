package cli

import (
	"bufio"
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/switchyard/switchyard/client"
)

// The account lifecycle commands (platform admins): user disable, enable,
// delete, set --platform-admin, tokens and revoke-token.

// userLifecycleCmds are the user group's subcommands beyond list and create.
func (c *cli) userLifecycleCmds() []*cobra.Command {
	return []*cobra.Command{c.userDisableCmd(), c.userEnableCmd(), c.userDeleteCmd(), c.userSetCmd(), c.userTokensCmd(), c.userRevokeTokenCmd()}
}

// printUser prints one user as the other user commands do.
func (c *cli) printUser(o outputFlags, u *client.User) error {
	return c.print(o, listing{kind: "User", single: true, items: u, names: []string{"user/" + u.Username},
		table: userTable([]client.User{*u}, o.wide())})
}

func (c *cli) userDisableCmd() *cobra.Command {
	var f adminFlags
	return c.adminCmd("disable NAME", "Disable an account: signed out, API tokens refused", `Disable an account (platform admins): its sessions end at once, its API
tokens answer 401 from their next request and it can't sign in until
"user enable". Not your own account, nor the last enabled platform admin.`,
		`  switchyard user disable alice`, argsBetween(1, 1), &f, false,
		func(ctx context.Context, s *session, args []string) error {
			u, err := s.client.DisableUser(ctx, args[0])
			if err != nil {
				return err
			}
			return c.printUser(f.out, u)
		})
}

func (c *cli) userEnableCmd() *cobra.Command {
	var f adminFlags
	return c.adminCmd("enable NAME", "Enable a disabled account again", `Enable a disabled account again (platform admins): it can sign in and its
API tokens count again; its old sessions do not come back.`,
		`  switchyard user enable alice`, argsBetween(1, 1), &f, false,
		func(ctx context.Context, s *session, args []string) error {
			u, err := s.client.EnableUser(ctx, args[0])
			if err != nil {
				return err
			}
			return c.printUser(f.out, u)
		})
}

func (c *cli) userDeleteCmd() *cobra.Command {
	var f adminFlags
	var yes bool
	cmd := c.adminCmd("delete NAME", "Delete an account with its tokens and memberships", `Delete an account (platform admins) with its sessions, API tokens and
workspace memberships; the audit log keeps its name. Refused for your own
account, the last enabled platform admin and the only admin of a workspace
(the error names it). Asks for confirmation on a terminal unless --yes.`,
		`  switchyard user delete alice --yes`, argsBetween(1, 1), &f, false,
		func(ctx context.Context, s *session, args []string) error {
			if !yes && c.stdinTTY {
				fmt.Fprintf(c.stderr, "Delete user %q with their API tokens and memberships? [y/N] ", args[0])
				line, _ := bufio.NewReader(c.stdin).ReadString('\n')
				if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
					return fmt.Errorf("not deleted")
				}
			}
			if err := s.client.DeleteUser(ctx, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "user %s deleted\n", args[0])
			return nil
		})
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

func (c *cli) userSetCmd() *cobra.Command {
	var f adminFlags
	var admin bool
	cmd := c.adminCmd("set NAME --platform-admin=true|false", "Grant or remove platform admin", `Grant (--platform-admin) or remove (--platform-admin=false) platform
administration (platform admins). Not from yourself, nor from the last
enabled platform admin.`,
		`  switchyard user set alice --platform-admin
  switchyard user set alice --platform-admin=false`, argsBetween(1, 1), &f, false,
		func(ctx context.Context, s *session, args []string) error {
			u, err := s.client.SetPlatformAdmin(ctx, args[0], admin)
			if err != nil {
				return err
			}
			return c.printUser(f.out, u)
		})
	cmd.Flags().BoolVar(&admin, "platform-admin", false, "true grants platform admin, false removes it")
	_ = cmd.MarkFlagRequired("platform-admin")
	return cmd
}

func (c *cli) userTokensCmd() *cobra.Command {
	var f adminFlags
	return c.adminCmd("tokens NAME", "List a user's API tokens", `List a user's API tokens, revoked and expired ones included, never their
secrets (platform admins).`,
		`  switchyard user tokens alice`, argsBetween(1, 1), &f, false,
		func(ctx context.Context, s *session, args []string) error {
			ts, err := s.client.UserTokens(ctx, args[0])
			if err != nil {
				return err
			}
			return c.print(f.out, listing{kind: "Token", items: ts, table: tokenTable(ts, f.out.wide()),
				names: names("token", ts, func(t client.Token) string { return strconv.FormatInt(t.ID, 10) })})
		})
}

func (c *cli) userRevokeTokenCmd() *cobra.Command {
	var f adminFlags
	return c.adminCmd("revoke-token NAME ID", "Revoke one of a user's API tokens", `Revoke one of a user's API tokens by id (see user tokens; platform admins):
it answers 401 from its next request.`,
		`  switchyard user revoke-token alice 12
  switchyard user revoke-token alice "$(switchyard user tokens alice -o jsonpath='{.items[0].id}')"`, argsBetween(2, 2), &f, false,
		func(ctx context.Context, s *session, args []string) error {
			id, err := strconv.ParseInt(args[1], 10, 64)
			if err != nil || id <= 0 {
				return usageError{fmt.Sprintf("user revoke-token: %q is not a token id (see switchyard user tokens %s)", args[1], args[0])}
			}
			if err := s.client.RevokeUserToken(ctx, args[0], id); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "token %d of user %s revoked\n", id, args[0])
			return nil
		})
}
