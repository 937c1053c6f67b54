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
	// Crash tests only: kill the process after this step of a job operation.
	opts.CrashAfter = os.Getenv("SWITCHYARD_TEST_CRASH_AFTER")
	fs.StringVar(&opts.DemoKubeconfig, "demo-kubeconfig", env("SWITCHYARD_DEMO_KUBECONFIG", ""), "register this kubeconfig file as cluster \"local\" with its namespace demo bound to workspace \"demo\", unless they exist (make demo; env SWITCHYARD_DEMO_KUBECONFIG)")
	fs.StringVar(&opts.OIDC.Issuer, "oidc-issuer", env("SWITCHYARD_OIDC_ISSUER", ""), "OpenID provider issuer URL: enables Sign in with SSO (env SWITCHYARD_OIDC_ISSUER)")
	fs.StringVar(&opts.OIDC.ClientID, "oidc-client-id", env("SWITCHYARD_OIDC_CLIENT_ID", ""), "OIDC client ID, also the ID token audience (env SWITCHYARD_OIDC_CLIENT_ID)")
	secretFile := fs.String("oidc-client-secret-file", env("SWITCHYARD_OIDC_CLIENT_SECRET_FILE", ""), "file holding the OIDC client secret; or set SWITCHYARD_OIDC_CLIENT_SECRET (never a flag)")
	scopes := fs.String("oidc-scopes", env("SWITCHYARD_OIDC_SCOPES", ""), "comma-separated scopes; default openid,profile,email,groups (env SWITCHYARD_OIDC_SCOPES)")
	fs.StringVar(&opts.OIDC.GroupsClaim, "oidc-groups-claim", env("SWITCHYARD_OIDC_GROUPS_CLAIM", "groups"), "ID token claim holding the user's groups (env SWITCHYARD_OIDC_GROUPS_CLAIM)")
	fs.StringVar(&opts.OIDC.UsernameClaim, "oidc-username-claim", env("SWITCHYARD_OIDC_USERNAME_CLAIM", ""), "ID token claim naming the user; default preferred_username, then email, then sub (env SWITCHYARD_OIDC_USERNAME_CLAIM)")
	fs.StringVar(&opts.OIDC.RedirectURL, "oidc-redirect-url", env("SWITCHYARD_OIDC_REDIRECT_URL", ""), "callback URL registered at the provider; default http://<addr>/auth/callback (env SWITCHYARD_OIDC_REDIRECT_URL)")
	fs.BoolVar(&opts.OIDC.DisableLocalLogin, "disable-local-login", env("SWITCHYARD_DISABLE_LOCAL_LOGIN", "") == "true", "password sign-in for platform administrators only (break-glass); everyone else uses SSO (env SWITCHYARD_DISABLE_LOCAL_LOGIN=true)")
	logLevel := fs.String("log-level", env("SWITCHYARD_LOG_LEVEL", "info"), "debug, info, warn or error (env SWITCHYARD_LOG_LEVEL)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("serve: unexpected argument %q", fs.Arg(0))}
	}
	if err := oidcSecret(&opts, *secretFile, *scopes); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return usageError{fmt.Sprintf("serve: --log-level: %v", err)}
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	return server.Run(ctx, opts, logger)
}

// oidcSecret fills the OIDC client secret (SWITCHYARD_OIDC_CLIENT_SECRET or
// the file, never a flag: flags show in process lists) and the scopes.
func oidcSecret(opts *server.Options, secretFile, scopes string) error {
	opts.OIDC.ClientSecret = os.Getenv("SWITCHYARD_OIDC_CLIENT_SECRET")
	if secretFile != "" {
		b, err := os.ReadFile(secretFile)
		if err != nil {
			return usageError{fmt.Sprintf("serve: --oidc-client-secret-file: %v", err)}
		}
		opts.OIDC.ClientSecret = strings.TrimSpace(string(b))
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
