package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/switchyard/switchyard/internal/api"
	"github.com/switchyard/switchyard/internal/logging"
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
	// Crash tests only: kill the process after this step of a job operation.
	opts.CrashAfter = os.Getenv("SWITCHYARD_TEST_CRASH_AFTER")
	fs.StringVar(&opts.DemoKubeconfig, "demo-kubeconfig", env("SWITCHYARD_DEMO_KUBECONFIG", ""), "register this kubeconfig file as cluster \"local\" with its namespace demo bound to workspace \"demo\", unless they exist (make demo; env SWITCHYARD_DEMO_KUBECONFIG)")
	fs.StringVar(&opts.TrustedProxies, "trusted-proxies", env("SWITCHYARD_TRUSTED_PROXIES", ""), "comma-separated CIDR ranges of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed (env SWITCHYARD_TRUSTED_PROXIES)")
	fs.StringVar(&opts.ExternalURL, "external-url", env("SWITCHYARD_EXTERNAL_URL", ""), "URL users reach Switchyard at, e.g. https://switchyard.example.com; https makes session cookies Secure (env SWITCHYARD_EXTERNAL_URL)")
	fs.IntVar(&opts.MaxConnsPerClient, "max-conns-per-client", envInt("SWITCHYARD_MAX_CONNS_PER_CLIENT", server.DefaultMaxConnsPerClient), "open connections per TCP peer address; behind a proxy that is the proxy's (env SWITCHYARD_MAX_CONNS_PER_CLIENT)")
	fs.IntVar(&opts.MaxStreamsPerUser, "max-streams-per-user", envInt("SWITCHYARD_MAX_STREAMS_PER_USER", api.DefaultMaxStreamsPerUser), "open change streams per user (env SWITCHYARD_MAX_STREAMS_PER_USER)")
	logFormat := fs.String("log-format", env("SWITCHYARD_LOG_FORMAT", logging.FormatText), "text or json (env SWITCHYARD_LOG_FORMAT)")
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
	logger, err := logging.New(stderr, "serve: --log-format", *logFormat, level)
	if err != nil {
		return usageError{err.Error()}
	}
	if err := server.ReadSecretFiles(&opts, os.Getenv); err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	return server.Run(ctx, opts, logger)
}

// envInt is env for a count. A value that is not a whole number becomes -1,
// which server.New refuses, naming the setting.
func envInt(key string, def int) int {
	v := env(key, "")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return -1
	}
	return n
}

// env returns the value of the environment variable key, or def when it is unset or blank.
func env(key, def string) string {
	if v := strings.TrimSpace(os.Getenv(key)); v != "" {
		return v
	}
	return def
}
