package cli

import (
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/switchyard/switchyard/internal/server"
)

const serveExample = `  SWITCHYARD_ADMIN_PASSWORD=change-me switchyard serve --addr 127.0.0.1:8080 --data-dir data
  switchyard serve --database-url postgres://switchyard@db/switchyard   # replicas share one database`

// serveCmd parses the serve flags (each with an environment fallback) and
// runs the server until the command's context is cancelled.
func (c *cli) serveCmd() *cobra.Command {
	opts := server.DefaultOptions()
	var logLevel string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Start the server (web console and REST API)",
		Long: `Start the server: the web console, the REST API and /healthz, /readyz, /metrics.
Every flag has an environment fallback. Secrets come from the environment only:
SWITCHYARD_ADMIN_PASSWORD (the first admin's password, on an empty database)
and SWITCHYARD_SECRET_KEY (seals cluster kubeconfigs; default: a key file in
the data directory).`,
		Example: serveExample,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var level slog.Level
			if err := level.UnmarshalText([]byte(logLevel)); err != nil {
				return usageError{"serve: --log-level: " + err.Error()}
			}
			opts.AdminPassword = os.Getenv("SWITCHYARD_ADMIN_PASSWORD") // a secret: environment only, never a flag
			opts.SecretKey = os.Getenv("SWITCHYARD_SECRET_KEY")         // likewise
			logger := slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: level}))
			return server.Run(cmd.Context(), opts, logger)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&opts.Addr, "addr", env("SWITCHYARD_ADDR", opts.Addr), "listen address (env SWITCHYARD_ADDR)")
	fs.StringVar(&opts.DataDir, "data-dir", env("SWITCHYARD_DATA_DIR", opts.DataDir), "directory for the SQLite database and the key file (env SWITCHYARD_DATA_DIR)")
	fs.StringVar(&opts.DatabaseURL, "database-url", env("SWITCHYARD_DATABASE_URL", opts.DatabaseURL), "postgres://… to share one PostgreSQL database between replicas; empty: SQLite in the data directory (env SWITCHYARD_DATABASE_URL)")
	fs.StringVar(&opts.DemoKubeconfig, "demo-kubeconfig", env("SWITCHYARD_DEMO_KUBECONFIG", ""), "register this kubeconfig file as cluster \"local\" with its namespace demo bound to workspace \"demo\", unless they exist (make demo; env SWITCHYARD_DEMO_KUBECONFIG)")
	fs.StringVar(&opts.InCluster, "in-cluster", env("SWITCHYARD_IN_CLUSTER", ""), "register the cluster this server runs in as `NAME`, through the pod's ServiceAccount; nothing secret is stored (env SWITCHYARD_IN_CLUSTER)")
	fs.StringVar(&logLevel, "log-level", env("SWITCHYARD_LOG_LEVEL", "info"), "debug, info, warn or error (env SWITCHYARD_LOG_LEVEL)")
	return cmd
}

// env returns the value of the environment variable key, or def when it is unset or blank.
func env(key, def string) string {
	if v := strings.TrimSpace(os.Getenv(key)); v != "" {
		return v
	}
	return def
}
