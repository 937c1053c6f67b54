// Package cli implements the switchyard command line: the server (serve) and,
// later, the client commands that talk to it.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
)

// Exit codes of the switchyard command.
const (
	ExitOK    = 0 // success
	ExitError = 1 // the command ran and failed
	ExitUsage = 2 // bad flags or arguments
)

const usage = `switchyard: blue-green release jobs on Kubernetes.

Usage:
  switchyard serve [flags]    start the server (web console and REST API)
  switchyard version          print the version

Run "switchyard <command> -h" for the flags of a command.
`

// Version is the version of this build, set with -ldflags "-X".
var Version = "dev"

// Run runs the command named by args[0] and returns the process exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return ExitUsage
	}
	var err error
	switch args[0] {
	case "serve":
		err = runServe(ctx, args[1:], stderr)
	case "version":
		fmt.Fprintln(stdout, Version)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "switchyard: unknown command %q\n\n%s", args[0], usage)
		return ExitUsage
	}
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, flag.ErrHelp):
		return ExitOK
	case errors.As(err, new(usageError)):
		fmt.Fprintf(stderr, "switchyard: %v\n", err)
		return ExitUsage
	default:
		fmt.Fprintf(stderr, "switchyard: %v\n", err)
		return ExitError
	}
}

// usageError marks an error in the command line itself.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }
