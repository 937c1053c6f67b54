package cli

import (
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/switchyard/switchyard/internal/api"
	"github.com/switchyard/switchyard/internal/logging"
	"github.com/switchyard/switchyard/internal/server"
)

const serveExample = `  SWITCHYARD_ADMIN_PASSWORD=change-me switchyard serve --addr 127.0.0.1:8080 --data-dir data
  switchyard serve --database-url postgres://switchyard@db/switchyard   # replicas share one database`

// serveCmd parses the serve flags (each with an environment fallback) and
// runs the server until the command's context is cancelled.
func (c *cli) serveCmd() *cobra.Command {
	opts := server.DefaultOptions()
	var logLevel, logFormat, secretFile, scopes string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Start the server (web console and REST API)",
		Long: `Start the server: the web console, the REST API and /healthz, /readyz, /metrics.
Every flag has an environment fallback. Secrets come from the environment only:
SWITCHYARD_ADMIN_PASSWORD (the first admin's password, on an empty database)
and SWITCHYARD_SECRET_KEY (seals cluster kubeconfigs; default: a key file in
the data directory); the OIDC client secret from SWITCHYARD_OIDC_CLIENT_SECRET
or --oidc-client-secret-file.`,
		Example: serveExample,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var level slog.Level
			if err := level.UnmarshalText([]byte(logLevel)); err != nil {
				return usageError{"serve: --log-level: " + err.Error()}
			}
			opts.AdminPassword = os.Getenv("SWITCHYARD_ADMIN_PASSWORD") // a secret: environment only, never a flag
			opts.SecretKey = os.Getenv("SWITCHYARD_SECRET_KEY")         // likewise
			if err := oidcSecret(&opts, secretFile, scopes); err != nil {
				return err
			}
			logger, err := logging.New(c.stderr, "serve: --log-format", logFormat, level)
			if err != nil {
				return usageError{err.Error()}
			}
			if err := server.ReadSecretFiles(&opts, os.Getenv); err != nil {
				return fmt.Errorf("serve: %w", err)
			}
			return server.Run(cmd.Context(), opts, logger)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&opts.Addr, "addr", env("SWITCHYARD_ADDR", opts.Addr), "listen address (env SWITCHYARD_ADDR)")
	fs.StringVar(&opts.DataDir, "data-dir", env("SWITCHYARD_DATA_DIR", opts.DataDir), "directory for the SQLite database and the key file (env SWITCHYARD_DATA_DIR)")
	fs.StringVar(&opts.DatabaseURL, "database-url", env("SWITCHYARD_DATABASE_URL", opts.DatabaseURL), "postgres://… to share one PostgreSQL database between replicas; empty: SQLite in the data directory (env SWITCHYARD_DATABASE_URL)")
	fs.StringVar(&opts.DemoKubeconfig, "demo-kubeconfig", env("SWITCHYARD_DEMO_KUBECONFIG", ""), "register this kubeconfig file as cluster \"local\" with its namespace demo bound to workspace \"demo\", unless they exist (make demo; env SWITCHYARD_DEMO_KUBECONFIG)")
	fs.StringVar(&opts.InCluster, "in-cluster", env("SWITCHYARD_IN_CLUSTER", ""), "register the cluster this server runs in as `NAME`, through the pod's ServiceAccount; nothing secret is stored (env SWITCHYARD_IN_CLUSTER)")
	fs.StringVar(&opts.TrustedProxies, "trusted-proxies", env("SWITCHYARD_TRUSTED_PROXIES", ""), "comma-separated CIDR ranges of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed (env SWITCHYARD_TRUSTED_PROXIES)")
	fs.StringVar(&opts.ExternalURL, "external-url", env("SWITCHYARD_EXTERNAL_URL", ""), "URL users reach Switchyard at, e.g. https://switchyard.example.com; https makes session cookies Secure (env SWITCHYARD_EXTERNAL_URL)")
	fs.IntVar(&opts.MaxConnsPerClient, "max-conns-per-client", envInt("SWITCHYARD_MAX_CONNS_PER_CLIENT", server.DefaultMaxConnsPerClient), "open connections per TCP peer address; behind a proxy that is the proxy's (env SWITCHYARD_MAX_CONNS_PER_CLIENT)")
	fs.IntVar(&opts.MaxStreamsPerUser, "max-streams-per-user", envInt("SWITCHYARD_MAX_STREAMS_PER_USER", api.DefaultMaxStreamsPerUser), "open change streams per user (env SWITCHYARD_MAX_STREAMS_PER_USER)")
	fs.StringVar(&logFormat, "log-format", env("SWITCHYARD_LOG_FORMAT", logging.FormatText), "text or json (env SWITCHYARD_LOG_FORMAT)")
	fs.StringVar(&opts.OIDC.Issuer, "oidc-issuer", env("SWITCHYARD_OIDC_ISSUER", ""), "OpenID provider issuer `URL`: enables Sign in with SSO (env SWITCHYARD_OIDC_ISSUER)")
	fs.StringVar(&opts.OIDC.ClientID, "oidc-client-id", env("SWITCHYARD_OIDC_CLIENT_ID", ""), "OIDC client ID, also the ID token audience (env SWITCHYARD_OIDC_CLIENT_ID)")
	fs.StringVar(&secretFile, "oidc-client-secret-file", env("SWITCHYARD_OIDC_CLIENT_SECRET_FILE", ""), "`FILE` holding the OIDC client secret; or set SWITCHYARD_OIDC_CLIENT_SECRET (never a flag)")
	fs.StringVar(&scopes, "oidc-scopes", env("SWITCHYARD_OIDC_SCOPES", ""), "comma-separated scopes; default openid,profile,email,groups (env SWITCHYARD_OIDC_SCOPES)")
	fs.StringVar(&opts.OIDC.GroupsClaim, "oidc-groups-claim", env("SWITCHYARD_OIDC_GROUPS_CLAIM", "groups"), "ID token claim holding the user's groups (env SWITCHYARD_OIDC_GROUPS_CLAIM)")
	fs.StringVar(&opts.OIDC.UsernameClaim, "oidc-username-claim", env("SWITCHYARD_OIDC_USERNAME_CLAIM", ""), "ID token claim naming the user; default preferred_username, then email, then sub (env SWITCHYARD_OIDC_USERNAME_CLAIM)")
	fs.StringVar(&opts.OIDC.RedirectURL, "oidc-redirect-url", env("SWITCHYARD_OIDC_REDIRECT_URL", ""), "callback URL registered at the provider; default <external-url>/auth/callback, else http://<addr>/auth/callback (env SWITCHYARD_OIDC_REDIRECT_URL)")
	fs.BoolVar(&opts.OIDC.DisableLocalLogin, "disable-local-login", env("SWITCHYARD_DISABLE_LOCAL_LOGIN", "") == "true", "password sign-in for platform administrators only (break-glass); everyone else uses SSO (env SWITCHYARD_DISABLE_LOCAL_LOGIN=true)")
	fs.StringVar(&opts.OIDC.CLIClientID, "oidc-cli-client-id", env("SWITCHYARD_OIDC_CLI_CLIENT_ID", ""), "public OIDC client (PKCE, loopback redirect) for `switchyard login --sso` (env SWITCHYARD_OIDC_CLI_CLIENT_ID)")
	fs.StringVar(&logLevel, "log-level", env("SWITCHYARD_LOG_LEVEL", "info"), "debug, info, warn or error (env SWITCHYARD_LOG_LEVEL)")
	return cmd
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

// oidcSecret fills the OIDC client secret (SWITCHYARD_OIDC_CLIENT_SECRET or
// the file, never a flag: flags show in process lists) and the scopes.
func oidcSecret(opts *server.Options, secretFile, scopes string) error {
	opts.OIDC.ClientSecret = os.Getenv("SWITCHYARD_OIDC_CLIENT_SECRET")
	if secretFile != "" {
		if opts.OIDC.ClientSecret != "" {
			return usageError{"serve: SWITCHYARD_OIDC_CLIENT_SECRET and --oidc-client-secret-file are both set: set one of them"}
		}
		secret, err := server.ReadSecretFile(secretFile)
		if err != nil {
			return usageError{"serve: --oidc-client-secret-file: " + err.Error()}
		}
		opts.OIDC.ClientSecret = strings.TrimSpace(secret)
	}
	for sc := range strings.SplitSeq(scopes, ",") {
		if sc = strings.TrimSpace(sc); sc != "" {
			opts.OIDC.Scopes = append(opts.OIDC.Scopes, sc)
		}
	}
	return nil
}

// env returns the value of the environment variable key, or def when it is unset or blank.
func env(key, def string) string {
	if v := strings.TrimSpace(os.Getenv(key)); v != "" {
		return v
	}
	return def
}
