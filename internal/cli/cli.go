// Package cli implements the switchyard command line with cobra: the server
// (serve) and the client commands that talk to a server through the public
// Go client. Run builds a fresh command tree for every run; nothing is kept
// between runs.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// Exit codes of the switchyard command.
const (
	ExitOK      = 0 // success
	ExitError   = 1 // the command ran and failed: the server refused, the network failed, …
	ExitUsage   = 2 // bad flags or arguments
	ExitFailed  = 3 // job wait: the job ended Degraded or Aborted instead of the awaited phase
	ExitTimeout = 4 // job wait: --timeout passed first
)

const rootLong = `switchyard: blue-green release jobs on Kubernetes, on top of Argo Rollouts.

The same binary is the server (serve) and the command-line client, which
talks to a server through its REST API. Release jobs live in a workspace:
-w/--workspace, else SWITCHYARD_WORKSPACE, else the context's workspace.

Environment:
  SWITCHYARD_CONFIG         config file (default ~/.config/switchyard/config.json)
  SWITCHYARD_URL            server URL, overrides the context's
  SWITCHYARD_TOKEN          API token, overrides the context's (for CI)
  SWITCHYARD_WORKSPACE      default workspace, overrides the context's

Exit codes:
  0  success
  1  error: the server refused (message and field on stderr), network failure, …
  2  usage error: unknown command, flag or argument, a required flag missing
  3  job wait: the job stayed Degraded or Aborted instead (for --grace)
  4  job wait: timed out`

// cli is one run of the command line: its streams and environment. Commands
// are built by its methods; nothing is kept between runs.
type cli struct {
	name           string // how the user called us: "switchyard" or "kubectl switchyard"
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	stdinTTY       bool // stdin is a terminal: prompts and confirmations are possible
	stdoutTTY      bool // stdout is a terminal: watch redraws in place
	stderrTTY      bool // stderr is a terminal: wait's progress line rewrites itself
}

// Run runs the command line args (without the program name) as
// "switchyard" and returns the process exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return RunAs(ctx, "switchyard", args, stdout, stderr)
}

// RunAs is Run for a program called argv0: as kubectl-switchyard (a kubectl
// plugin) its help and examples say "kubectl switchyard".
func RunAs(ctx context.Context, argv0 string, args []string, stdout, stderr io.Writer) int {
	c := &cli{name: displayName(argv0), stdin: os.Stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv,
		stdinTTY: isTerminal(os.Stdin), stdoutTTY: isTerminal(stdout), stderrTTY: isTerminal(stderr)}
	return c.run(ctx, args)
}

// displayName is the name help text uses for a program called argv0.
func displayName(argv0 string) string {
	base := strings.TrimSuffix(filepath.Base(argv0), ".exe")
	if plugin, ok := strings.CutPrefix(base, "kubectl-"); ok {
		return "kubectl " + strings.ReplaceAll(plugin, "_", "-")
	}
	return "switchyard"
}

func (c *cli) run(ctx context.Context, args []string) int {
	root := c.rootCmd()
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	return c.exitCode(cmd, err)
}

// rootCmd builds the whole command tree.
func (c *cli) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:                        "switchyard",
		Short:                      "Blue-green release jobs on Kubernetes",
		Long:                       c.named(rootLong),
		Version:                    versionLine(),
		SilenceErrors:              true, // exitCode prints them, with the usage hint
		SilenceUsage:               true,
		Args:                       noArgs,
		SuggestionsMinimumDistance: 2,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cmd.SetOut(c.stderr)
			_ = cmd.Help()
			return usageError{"missing command"}
		},
		CompletionOptions: cobra.CompletionOptions{HiddenDefaultCmd: false},
	}
	if c.name != "switchyard" {
		root.Annotations = map[string]string{cobra.CommandDisplayNameAnnotation: c.name}
	}
	root.SetOut(c.stdout)
	root.SetErr(c.stderr)
	root.SetIn(c.stdin)
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageError{err.Error()}
	})
	root.AddGroup(
		&cobra.Group{ID: "server", Title: "Server:"},
		&cobra.Group{ID: "session", Title: "Session:"},
		&cobra.Group{ID: "jobs", Title: "Release jobs:"},
		&cobra.Group{ID: "admin", Title: "Administration:"},
	)
	root.SetHelpCommandGroupID("")
	root.SetCompletionCommandGroupID("")
	add := func(group string, cmds ...*cobra.Command) {
		for _, cmd := range cmds {
			cmd.GroupID = group
			root.AddCommand(cmd)
		}
	}
	add("server", c.serveCmd())
	add("session", c.loginCmd(), c.logoutCmd(), c.whoamiCmd(), c.contextCmd())
	add("jobs", c.jobCmd())
	add("admin", c.clusterCmd(), c.workspaceCmd(), c.memberCmd(), c.bindingCmd(), c.groupBindingCmd(), c.notificationCmd(), c.tokenCmd(), c.userCmd(), c.auditCmd())
	root.AddCommand(c.versionCmd())
	root.InitDefaultCompletionCmd()
	if comp, _, err := root.Find([]string{"completion"}); err == nil && comp != root {
		g := c.group("completion", "")
		comp.Args, comp.RunE, comp.SuggestionsMinimumDistance = g.Args, g.RunE, 2
		comp.Example = `  source <(switchyard completion bash)           # bash, this shell
  switchyard completion zsh > _switchyard        # zsh: into a directory of $fpath
  switchyard completion fish > switchyard.fish   # fish: into ~/.config/fish/completions`
	}
	c.nameExamples(root)
	return root
}

// examplePrefix finds the program name where a command line starts in an
// example: at a line's start, after a pipe, && or $( .
var examplePrefix = regexp.MustCompile(`(?m)(^\s*|\|\s*|&&\s*|\$\()switchyard `)

// named rewrites the program name in text for how it was called.
func (c *cli) named(text string) string {
	if c.name == "switchyard" {
		return text
	}
	return examplePrefix.ReplaceAllString(strings.ReplaceAll(text, `"switchyard `, `"`+c.name+" "), "${1}"+c.name+" ")
}

// nameExamples rewrites every command's examples and help for the name the
// program was called by.
func (c *cli) nameExamples(cmd *cobra.Command) {
	cmd.Example = c.named(cmd.Example)
	cmd.Long = c.named(cmd.Long)
	for _, sub := range cmd.Commands() {
		c.nameExamples(sub)
	}
}

// group makes a command that only holds subcommands: without one it prints
// its help and fails with a usage error; with an unknown one it suggests.
func (c *cli) group(use, short string, subs ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{
		Use:                        use,
		Short:                      short,
		SuggestionsMinimumDistance: 2,
		Args:                       cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				cmd.SetOut(c.stderr)
				_ = cmd.Help()
				return usageError{fmt.Sprintf("%s: missing subcommand", cmd.CommandPath())}
			}
			msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
			if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
				msg += "\n\nDid you mean this?\n\t" + strings.Join(s, "\n\t")
			}
			return usageError{msg}
		},
	}
	cmd.AddCommand(subs...)
	return cmd
}

// noArgs refuses any positional argument, as a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
		if !cmd.HasSubCommands() {
			msg = fmt.Sprintf("%s: unexpected argument %q: usage: %s", cmd.CommandPath(), args[0], cmd.UseLine())
		} else if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
			msg += "\n\nDid you mean this?\n\t" + strings.Join(s, "\n\t")
		}
		return usageError{msg}
	}
	return nil
}

// argsBetween accepts min to max positional arguments (max < 0: no limit).
func argsBetween(min, max int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		switch {
		case len(args) < min:
			return usageError{fmt.Sprintf("%s: missing argument: usage: %s", cmd.CommandPath(), cmd.UseLine())}
		case max >= 0 && len(args) > max:
			return usageError{fmt.Sprintf("%s: unexpected argument %q: usage: %s", cmd.CommandPath(), args[max], cmd.UseLine())}
		}
		return nil
	}
}

// exitCode prints err the way users read it and maps it to an exit code.
func (c *cli) exitCode(cmd *cobra.Command, err error) int {
	var ue usageError
	var ee exitError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ue) || cobraUsageError(err):
		fmt.Fprintf(c.stderr, "error: %s\n", flagNames(err.Error()))
		if cmd != nil {
			fmt.Fprintf(c.stderr, "See '%s --help' for usage.\n", cmd.CommandPath())
		}
		return ExitUsage
	case errors.As(err, &ee):
		fmt.Fprintf(c.stderr, "error: %s\n", ee.msg)
		return ee.code
	}
	fmt.Fprintf(c.stderr, "error: %s\n", describe(err))
	return ExitError
}

// cobraUsageError recognises the command-line errors cobra makes itself,
// which have no type: an unknown command, a required flag not set, flags
// that go together.
func cobraUsageError(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "required flag", "if any flags in the group", "none of the others can be", "at least one of the flags", "invalid argument"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// quotedFlag is a flag name as cobra quotes it in its messages.
var quotedFlag = regexp.MustCompile(`"([a-z][a-z0-9-]*)"`)

// flagNames writes the flags cobra names in its messages as users type
// them: required flag(s) "namespace" not set → required flag(s) --namespace not set.
func flagNames(msg string) string {
	if !strings.HasPrefix(msg, "required flag") {
		return msg
	}
	return quotedFlag.ReplaceAllString(msg, "--$1")
}

// usageError marks an error in the command line itself.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// exitError ends the command with a particular exit code.
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return e.msg }

// isTerminal reports whether f is an *os.File on a terminal.
func isTerminal(f any) bool {
	file, ok := f.(*os.File)
	return ok && term.IsTerminal(int(file.Fd()))
}
