package install

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/switchyard/switchyard/client"
	"github.com/switchyard/switchyard/internal/testenv"
)

const password = "install-test-password"

// server is a running `switchyard serve` of the binary TestMain built.
type server struct {
	url  string
	dir  string // its data directory
	log  string // path of its log file
	cmd  *exec.Cmd
	done chan struct{}
}

// startServer runs `switchyard serve` (prefix, if any, is the command that
// runs it, e.g. unshare) with extra environment, on SQLite in dir (a fresh
// directory when empty), and waits until it is ready.
func startServer(t *testing.T, dir string, prefix []string, env []string, args ...string) *server {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	addr := testenv.FreeAddr(t)
	argv := append(append(append([]string(nil), prefix...), bin, "serve", "--addr", addr, "--data-dir", dir, "--log-level", "debug"), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(append(os.Environ(), "SWITCHYARD_ADMIN_PASSWORD="+password), env...)
	s := &server{url: "http://" + addr, dir: dir, log: filepath.Join(dir, "server.log"), cmd: cmd, done: make(chan struct{})}
	logf, err := os.OpenFile(s.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = cmd.Wait(); logf.Close(); close(s.done) }()
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("server log:\n%s", s.logText(t))
		}
	})
	testenv.WaitReady(t, s.url)
	return s
}

// stop ends the server (SIGTERM, then SIGKILL after 15 s) and waits for it.
func (s *server) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

func (s *server) logText(t testing.TB) string {
	b, err := os.ReadFile(s.log)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// admin signs in as the platform administrator.
func (s *server) admin(t testing.TB) *client.Client {
	t.Helper()
	return testenv.SignIn(t, s.url, "admin", password)
}

// chartServiceAccount applies the chart's ServiceAccount and RBAC (and only
// those) into a new namespace and returns the namespace and the account's
// name; the cluster-wide objects are deleted when the test ends.
func chartServiceAccount(t *testing.T, kubeconfig string, kc kubernetes.Interface) (ns, name string) {
	t.Helper()
	ns = testenv.Namespace(t, kc, "chart-sa")
	release := "sy-" + ns[len(ns)-5:]
	manifests := mustHelm(t, "template", release, chartDir(t), "-n", ns,
		"--show-only", "templates/serviceaccount.yaml", "--show-only", "templates/rbac.yaml")
	run(t, manifests, "kubectl", "--kubeconfig", kubeconfig, "-n", ns, "apply", "--server-side", "--field-manager=chart-test", "-f", "-")
	t.Cleanup(func() {
		_, _ = runErr(manifests, "kubectl", "--kubeconfig", kubeconfig, "-n", ns, "delete", "--ignore-not-found", "-f", "-")
	})
	return ns, release + "-switchyard"
}

// token asks the TokenRequest API for a token of a ServiceAccount.
func token(ctx context.Context, t *testing.T, kc kubernetes.Interface, ns, sa string) string {
	t.Helper()
	secs := int64(3600)
	tr, err := kc.CoreV1().ServiceAccounts(ns).CreateToken(ctx, sa,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &secs}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create token of %s/%s: %v", ns, sa, err)
	}
	return tr.Status.Token
}

// forbiddenLines returns the server log's lines that report a refusal by
// the Kubernetes API.
func forbiddenLines(log string) string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, "forbidden") || strings.Contains(l, "Forbidden") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
