package cli

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// Dynamic completion: cobra's completion scripts (bash, zsh, fish,
// PowerShell: switchyard completion SHELL) call the hidden __complete
// command, which asks the server for the names. Each lookup is bounded by
// completionTimeout so a slow server never hangs the shell, and any error
// just means no suggestions.

const completionTimeout = 3 * time.Second

// completer is a function that lists names from the server.
type completer func(ctx context.Context, s *session) ([]string, error)

// complete runs list with the connection flags parsed so far.
func (c *cli) complete(ctx context.Context, o *connFlags, needWorkspace bool, list completer) []string {
	s, err := c.connect(*o)
	if err != nil || (needWorkspace && s.workspace == "") {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, completionTimeout)
	defer cancel()
	names, err := list(ctx, s)
	if err != nil {
		return nil
	}
	return names
}

// nameArgs completes the first maxArgs positional arguments with list.
func (c *cli) nameArgs(o *connFlags, needWorkspace bool, maxArgs int, lists ...completer) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) >= maxArgs || len(args) >= len(lists) {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return filterPrefix(c.complete(cmd.Context(), o, needWorkspace, lists[len(args)]), toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

// flagNames completes a flag's value with list.
func (c *cli) flagNames(o *connFlags, needWorkspace bool, list completer) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		return filterPrefix(c.complete(cmd.Context(), o, needWorkspace, list), toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

func filterPrefix(names []string, prefix string) []string {
	out := names[:0]
	for _, n := range names {
		if strings.HasPrefix(n, prefix) {
			out = append(out, n)
		}
	}
	return out
}

func jobNames(ctx context.Context, s *session) ([]string, error) {
	l, err := s.client.Jobs(ctx, s.workspace, jobQueryAll())
	if err != nil {
		return nil, err
	}
	var out []string
	for _, j := range l.Items {
		out = append(out, j.Name)
	}
	return out, nil
}

// clusterNames lists the registered clusters (platform admins), else the
// clusters bound to the workspace.
func clusterNames(ctx context.Context, s *session) ([]string, error) {
	var out []string
	if cs, err := s.client.Clusters(ctx); err == nil {
		for _, cl := range cs {
			out = append(out, cl.Name)
		}
		return out, nil
	}
	if s.workspace == "" {
		return nil, nil
	}
	wcs, err := s.client.WorkspaceClusters(ctx, s.workspace)
	for _, wc := range wcs {
		out = append(out, wc.Name)
	}
	return out, err
}

func workspaceNames(ctx context.Context, s *session) ([]string, error) {
	ws, err := s.client.Workspaces(ctx)
	var out []string
	for _, w := range ws {
		out = append(out, w.Name)
	}
	return out, err
}

// namespaceNames lists the namespaces bound to the workspace, on every
// cluster of it or on cluster when it is set.
func namespaceNames(cluster *string) completer {
	return func(ctx context.Context, s *session) ([]string, error) {
		if s.workspace == "" {
			return nil, nil
		}
		wcs, err := s.client.WorkspaceClusters(ctx, s.workspace)
		var out []string
		for _, wc := range wcs {
			if cluster != nil && *cluster != "" && wc.Name != *cluster {
				continue
			}
			for _, ns := range wc.Namespaces {
				if !slices.Contains(out, ns.Name) {
					out = append(out, ns.Name)
				}
			}
		}
		return out, err
	}
}

func (c *cli) completeWorkspaces(o *connFlags) cobra.CompletionFunc {
	return c.flagNames(o, false, workspaceNames)
}

func (c *cli) completeContexts(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	cfg, err := c.loadConfig()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return cfg.names(), cobra.ShellCompDirectiveNoFileComp
}

// fixed completes a flag with a fixed list of values.
func fixed(values ...string) cobra.CompletionFunc {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}
