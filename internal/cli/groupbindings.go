package cli

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/switchyard/switchyard/client"
)

func (c *cli) groupBindingCmd() *cobra.Command {
	return c.group("group-binding", "Identity-provider groups mapped to roles (platform admins)",
		c.groupBindingListCmd(), c.groupBindingAddCmd(), c.groupBindingRemoveCmd())
}

func groupBindingTable(bs []client.GroupBinding, wide bool) table {
	t := table{head: []string{"ID", "GROUP", "ROLE", "WORKSPACE", "AGE"}}
	if wide {
		t.head = append(t.head, "CREATED")
	}
	now := time.Now()
	for _, b := range bs {
		ws := b.Workspace
		if b.Role == client.RolePlatformAdmin {
			ws = "(all)"
		}
		row := []string{strconv.FormatInt(b.ID, 10), dash(b.Group), b.Role, dash(ws), age(b.CreatedAt, now)}
		if wide {
			row = append(row, timestamp(&b.CreatedAt))
		}
		t.add(row...)
	}
	return t
}

func groupBindingName(b client.GroupBinding) string { return strconv.FormatInt(b.ID, 10) }

func (c *cli) groupBindingListCmd() *cobra.Command {
	var f adminFlags
	return c.adminCmd("list", "List the group bindings",
		"List the identity-provider groups mapped to a workspace role or to platform-admin (platform admins).",
		`  switchyard group-binding list
  switchyard group-binding list -o json`, noArgs, &f, false,
		func(ctx context.Context, s *session, _ []string) error {
			bs, err := s.client.GroupBindings(ctx)
			if err != nil {
				return err
			}
			return c.print(f.out, listing{kind: "GroupBinding", items: bs, table: groupBindingTable(bs, f.out.wide()),
				names: names("group-binding", bs, groupBindingName)})
		})
}

func (c *cli) groupBindingAddCmd() *cobra.Command {
	var f adminFlags
	var role, workspace string
	cmd := c.adminCmd("add GROUP", "Map a group to a workspace role or to platform-admin (platform admins)",
		`Map an identity-provider group (as the provider names it in the groups claim) to a
workspace role (--role admin, editor or viewer, with -w) or to platform-admin (no -w).
A user's role in a workspace is the highest of their own membership and their groups'.`,
		`  switchyard group-binding add release-editors --role editor -w payments
  switchyard group-binding add platform-team --role platform-admin`, argsBetween(1, 1), &f, false,
		func(ctx context.Context, s *session, args []string) error {
			b, err := s.client.CreateGroupBinding(ctx, client.NewGroupBinding{Group: args[0], Workspace: workspace, Role: role})
			if err != nil {
				return err
			}
			return c.print(f.out, listing{kind: "GroupBinding", single: true, items: b, names: []string{"group-binding/" + groupBindingName(*b)},
				table: groupBindingTable([]client.GroupBinding{*b}, f.out.wide())})
		})
	cmd.Flags().StringVar(&role, "role", "", "admin, editor, viewer (with -w) or platform-admin (required)")
	_ = cmd.MarkFlagRequired("role")
	// Not the context's default workspace: a platform-admin binding has none.
	cmd.Flags().StringVarP(&workspace, "workspace", "w", "", "the workspace of an admin, editor or viewer binding")
	_ = cmd.RegisterFlagCompletionFunc("workspace", c.completeWorkspaces(&f.conn))
	return cmd
}

func (c *cli) groupBindingRemoveCmd() *cobra.Command {
	var f adminFlags
	return c.adminCmd("remove ID", "Remove a group binding by id (platform admins)",
		"Remove a group binding by its id (see group-binding list); the access it gave ends at once (platform admins).",
		`  switchyard group-binding remove 3`, argsBetween(1, 1), &f, false,
		func(ctx context.Context, s *session, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || id <= 0 {
				return usageError{fmt.Sprintf("group-binding remove: %q is not a group binding id (see switchyard group-binding list)", args[0])}
			}
			if err := s.client.DeleteGroupBinding(ctx, id); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "group binding %d removed\n", id)
			return nil
		})
}
