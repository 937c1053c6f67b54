// Package install tests what a platform team installs: the container image
// `make image` builds, the Helm chart (helm lint, its manifests accepted by
// the local cluster's real API server, helm install and uninstall), that the
// chart's RBAC is enough for a job's whole life and refuses Secrets, and
// `switchyard serve --in-cluster`.
package install

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/testenv"
)

// bin is the switchyard binary TestMain builds for the whole run.
var bin string

func TestMain(m *testing.M) {
	os.Exit(testenv.RunWithBinary(m, func(path string) { bin = path }))
}

// root is the repository's top directory.
func root(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// chartDir is the Helm chart under test.
func chartDir(t testing.TB) string { return filepath.Join(root(t), "deploy", "helm", "switchyard") }

// helm returns the helm binary hack/helm/build.sh built (SWITCHYARD_TEST_HELM,
// which make test sets); without it the test skips, or fails under
// SWITCHYARD_REQUIRE_TOOLS=1.
func helm(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("SWITCHYARD_TEST_HELM"); p != "" {
		return p
	}
	if os.Getenv("SWITCHYARD_REQUIRE_TOOLS") == "1" {
		t.Fatal("helm is required (SWITCHYARD_REQUIRE_TOOLS=1) but SWITCHYARD_TEST_HELM is not set (hack/helm/build.sh prints it)")
	}
	t.Skip("needs helm: set SWITCHYARD_TEST_HELM=$(hack/helm/build.sh)")
	return ""
}

// run runs a command and returns its standard output; a failure fails the
// test with both outputs.
func run(t testing.TB, stdin []byte, name string, args ...string) []byte {
	t.Helper()
	out, err := runErr(stdin, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v", filepath.Base(name), strings.Join(args, " "), err)
	}
	return out
}

// runErr runs a command; the error carries its standard error.
func runErr(stdin []byte, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), &cmdError{err: err, stderr: stderr.String()}
	}
	return stdout.Bytes(), nil
}

type cmdError struct {
	err    error
	stderr string
}

func (e *cmdError) Error() string { return e.err.Error() + ": " + strings.TrimSpace(e.stderr) }
