// Command switchyard is the Switchyard server and command-line client. Run
// as kubectl-switchyard (a link; make install-kubectl-plugin) it is a
// kubectl plugin: kubectl switchyard ….
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/switchyard/switchyard/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.RunAs(ctx, os.Args[0], os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
