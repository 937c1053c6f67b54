package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/internal/server"
)

// TestOIDCSecretFile: the client secret file is capped like the other secret
// files (server.MaxSecretFileBytes), and set twice is an error naming both.
func TestOIDCSecretFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "secret")
	huge := filepath.Join(dir, "huge")
	if err := os.WriteFile(good, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(huge, make([]byte, server.MaxSecretFileBytes+1), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SWITCHYARD_OIDC_CLIENT_SECRET", "")
	var opts server.Options
	if err := oidcSecret(&opts, good, "openid"); err != nil || opts.OIDC.ClientSecret != "s3cret" {
		t.Fatalf("oidcSecret(good) = %v, secret %q", err, opts.OIDC.ClientSecret)
	}
	if err := oidcSecret(&server.Options{}, huge, ""); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("oidcSecret(huge) = %v; want a size refusal", err)
	}
	t.Setenv("SWITCHYARD_OIDC_CLIENT_SECRET", "other")
	if err := oidcSecret(&server.Options{}, good, ""); err == nil || !strings.Contains(err.Error(), "both set") {
		t.Errorf("oidcSecret(env and file) = %v; want both named", err)
	}
}
