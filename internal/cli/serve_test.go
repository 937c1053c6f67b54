package cli_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/switchyard/switchyard/client"
	"github.com/switchyard/switchyard/internal/cli"
	"github.com/switchyard/switchyard/internal/server"
)

// TestServeRefusesWrongSecretKey: `switchyard serve` on a data directory
// whose clusters were sealed with another key exits non-zero with an error
// that says so, before it listens.
func TestServeRefusesWrongSecretKey(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	keyA := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))
	keyB := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{2}, 32))
	opts := server.Options{DataDir: dir, SecretKey: keyA, AdminPassword: "admin-password", BcryptCost: bcrypt.MinCost}
	s, err := server.New(ctx, opts, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	c, _ := client.New(hs.URL)
	_, err = c.Login(ctx, "admin", "admin-password")
	if err == nil {
		_, err = c.CreateCluster(ctx, client.NewCluster{Name: "gone", Kubeconfig: `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`})
	}
	hs.Close()
	s.Close()
	if err != nil {
		t.Fatal(err)
	}

	t.Setenv("SWITCHYARD_SECRET_KEY", keyB)
	var stdout, stderr bytes.Buffer
	code := cli.Run(ctx, []string{"serve", "--data-dir", dir, "--addr", "127.0.0.1:0"}, &stdout, &stderr)
	if code != cli.ExitError {
		t.Errorf("exit code = %d, want %d", code, cli.ExitError)
	}
	for _, want := range []string{"cluster gone", "do not open with secret key", "SWITCHYARD_SECRET_KEY"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr = %q; want it to say %q", stderr.String(), want)
		}
	}
	if strings.Contains(stderr.String(), "switchyard listening") {
		t.Errorf("stderr = %q; the server listened before refusing", stderr.String())
	}
	t.Logf("stderr: %s", stderr.String())
}
