package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/switchyard/switchyard/internal/server"
)

// runServe parses the serve flags (each with an environment fallback) and runs
// the server until ctx is cancelled.
func runServe(ctx context.Context, args []string, stderr io.Writer) error {
	opts := server.DefaultOptions()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&opts.Addr, "addr", env("SWITCHYARD_ADDR", opts.Addr), "listen address (env SWITCHYARD_ADDR)")
	fs.StringVar(&opts.DataDir, "data-dir", env("SWITCHYARD_DATA_DIR", opts.DataDir), "directory for the SQLite database and the key file (env SWITCHYARD_DATA_DIR)")
	fs.StringVar(&opts.DatabaseURL, "database-url", env("SWITCHYARD_DATABASE_URL", opts.DatabaseURL), "postgres://… to share one PostgreSQL database between replicas; empty: SQLite in the data directory (env SWITCHYARD_DATABASE_URL)")
	opts.AdminPassword = os.Getenv("SWITCHYARD_ADMIN_PASSWORD") // a secret: environment only, never a flag
	opts.SecretKey = os.Getenv("SWITCHYARD_SECRET_KEY")         // likewise
	fs.StringVar(&opts.DemoKubeconfig, "demo-kubeconfig", env("SWITCHYARD_DEMO_KUBECONFIG", ""), "register this kubeconfig file as cluster \"local\" with its namespace demo bound to workspace \"demo\", unless they exist (make demo; env SWITCHYARD_DEMO_KUBECONFIG)")
	fs.StringVar(&opts.InCluster, "in-cluster", env("SWITCHYARD_IN_CLUSTER", ""), "register the cluster this server runs in as `NAME`, through the pod's ServiceAccount; nothing secret is stored (env SWITCHYARD_IN_CLUSTER)")
	logLevel := fs.String("log-level", env("SWITCHYARD_LOG_LEVEL", "info"), "debug, info, warn or error (env SWITCHYARD_LOG_LEVEL)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("serve: unexpected argument %q", fs.Arg(0))}
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return usageError{fmt.Sprintf("serve: --log-level: %v", err)}
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	return server.Run(ctx, opts, logger)
}

// env returns the value of the environment variable key, or def when it is unset or blank.
func env(key, def string) string {
	if v := strings.TrimSpace(os.Getenv(key)); v != "" {
		return v
	}
	return def
}
