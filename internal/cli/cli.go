// Package cli implements the switchyard command line: the server (serve) and
// the client commands that talk to a server through the public Go client.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

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

const usage = `switchyard: blue-green release jobs on Kubernetes.

Usage:
  switchyard <command> [subcommand] [flags]

Server:
  serve                     start the server (web console and REST API)

Session:
  login URL                 sign in to a server and store an API token
  logout                    revoke the stored token and forget it
  whoami                    show who you are signed in as
  context list|use          switch between servers (contexts)

Release jobs (in a workspace: -w/--workspace, default from the context):
  job list|get|describe|create|deploy|promote|abort|retry|rollback|delete
  job targets|history|events|watch|wait

Administration:
  cluster list|get|add|remove|probe|set
  workspace list|get|create|delete
  member list|set|remove
  binding list|add|remove
  token list|create|revoke
  user list|create
  audit list                the audit log: -w WORKSPACE, or --all (platform admins)

Other:
  completion bash|zsh       print a shell completion script
  version                   print the version
  help                      this text

Run "switchyard <command> --help" for the flags and examples of a command.

Environment:
  SWITCHYARD_CONFIG         config file (default ~/.config/switchyard/config.json)
  SWITCHYARD_URL            server URL, overrides the context's
  SWITCHYARD_TOKEN          API token, overrides the context's (for CI)
  SWITCHYARD_WORKSPACE      default workspace, overrides the context's

Exit codes:
  0  success
  1  error: the server refused (message and field on stderr), network failure, …
  2  usage error: unknown command, flag or argument
  3  job wait: the job stayed Degraded or Aborted instead (for --grace)
  4  job wait: timed out
`

// Version is the version of this build, set with -ldflags "-X".
var Version = "dev"

// cli is one run of the command line: its streams and environment. Commands
// are its methods; nothing is kept between runs.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	stdinTTY       bool // stdin is a terminal: prompts and confirmations are possible
	stdoutTTY      bool // stdout is a terminal: watch redraws in place
	stderrTTY      bool // stderr is a terminal: wait's progress line rewrites itself
}

// Run runs the command named by args[0] and returns the process exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c := &cli{stdin: os.Stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv,
		stdinTTY: isTerminal(os.Stdin), stdoutTTY: isTerminal(stdout), stderrTTY: isTerminal(stderr)}
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return ExitUsage
	}
	return c.exitCode(c.dispatch(ctx, args))
}

func (c *cli) dispatch(ctx context.Context, args []string) error {
	rest := args[1:]
	switch args[0] {
	case "serve":
		return runServe(ctx, rest, c.stderr)
	case "version":
		if len(rest) > 0 {
			return usageError{fmt.Sprintf("version: unexpected argument %q", rest[0])}
		}
		fmt.Fprintln(c.stdout, Version)
		return nil
	case "-h", "--help", "help":
		fmt.Fprint(c.stdout, usage)
		return nil
	case "login":
		return c.login(ctx, rest)
	case "logout":
		return c.logout(ctx, rest)
	case "whoami":
		return c.whoami(ctx, rest)
	case "context":
		return c.group(ctx, "context", rest, contextCommands)
	case "job":
		return c.group(ctx, "job", rest, jobCommands)
	case "cluster":
		return c.group(ctx, "cluster", rest, clusterCommands)
	case "workspace":
		return c.group(ctx, "workspace", rest, workspaceCommands)
	case "member":
		return c.group(ctx, "member", rest, memberCommands)
	case "binding":
		return c.group(ctx, "binding", rest, bindingCommands)
	case "token":
		return c.group(ctx, "token", rest, tokenCommands)
	case "user":
		return c.group(ctx, "user", rest, userCommands)
	case "audit":
		return c.group(ctx, "audit", rest, auditCommands)
	case "completion":
		return c.completion(rest)
	}
	return usageError{fmt.Sprintf("unknown command %q (see switchyard help)", args[0])}
}

// exitCode prints err the way users read it and maps it to an exit code.
func (c *cli) exitCode(err error) int {
	var ue usageError
	var ee exitError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return ExitOK
	case errors.As(err, &ue):
		fmt.Fprintf(c.stderr, "switchyard: %v\n", err)
		return ExitUsage
	case errors.As(err, &ee):
		fmt.Fprintf(c.stderr, "error: %s\n", ee.msg)
		return ee.code
	}
	if msg := flagParseError(err); msg != "" { // serve's own flag set
		fmt.Fprintf(c.stderr, "switchyard: %s\n", msg)
		return ExitUsage
	}
	fmt.Fprintf(c.stderr, "error: %s\n", describe(err))
	return ExitError
}

// flagParseError recognises the errors of the flag package, which has no
// type for them.
func flagParseError(err error) string {
	msg := err.Error()
	for _, p := range []string{"flag provided but not defined", "invalid value", "invalid boolean", "flag needs an argument", "bad flag syntax"} {
		if strings.HasPrefix(msg, p) {
			return msg
		}
	}
	return ""
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
