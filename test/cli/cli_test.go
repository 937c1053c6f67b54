// Package cli drives the real switchyard binary, as users and CI pipelines
// do, against a real `switchyard serve` and the local cluster: a whole
// blue-green release through the CLI, its outputs and exit codes, and a bad
// input for every command.
package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/switchyard/switchyard/client"
	"github.com/switchyard/switchyard/internal/cli"
	"github.com/switchyard/switchyard/internal/testenv"
)

const password = "cli-test-password"

// bin is the switchyard binary TestMain builds for the whole run.
var bin string

func TestMain(m *testing.M) {
	os.Exit(testenv.RunWithBinary(m, func(path string) { bin = path }))
}

// sy runs the CLI binary with its own config file.
type sy struct {
	t      *testing.T
	bin    string
	config string
	env    []string // extra environment
}

func newCLI(t *testing.T) *sy {
	t.Helper()
	return &sy{t: t, bin: bin, config: filepath.Join(t.TempDir(), "config.json")}
}

// run runs switchyard with args and stdin; it returns stdout, stderr and the exit code.
func (s *sy) run(stdin string, args ...string) (string, string, int) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.bin, args...)
	cmd.Env = append(os.Environ(), "SWITCHYARD_CONFIG="+s.config, "SWITCHYARD_URL=", "SWITCHYARD_TOKEN=", "SWITCHYARD_WORKSPACE=")
	cmd.Env = append(cmd.Env, s.env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		s.t.Fatalf("run switchyard %v: %v", args, err)
	}
	return out.String(), errb.String(), code
}

// terminal runs a command that must succeed with its stdout on a terminal (a
// pseudo-terminal from util-linux's script, which Debian always has) and
// returns what it wrote there.
func (s *sy) terminal(args ...string) string {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	quoted := make([]string, 0, len(args)+1)
	for _, a := range append([]string{s.bin}, args...) {
		quoted = append(quoted, "'"+strings.ReplaceAll(a, "'", `'\''`)+"'")
	}
	cmd := exec.CommandContext(ctx, "script", "-qec", strings.Join(quoted, " "), "/dev/null")
	cmd.Env = append(os.Environ(), "SWITCHYARD_CONFIG="+s.config, "SWITCHYARD_URL=", "SWITCHYARD_TOKEN=", "SWITCHYARD_WORKSPACE=", "TERM=xterm")
	cmd.Env = append(cmd.Env, s.env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		s.t.Fatalf("switchyard %s on a terminal: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// ok runs a command that must succeed and returns its stdout.
func (s *sy) ok(args ...string) string {
	s.t.Helper()
	out, errs, code := s.run("", args...)
	if code != 0 {
		s.t.Fatalf("switchyard %s: exit %d, want 0\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

// fails runs a command that must exit with code and say want on stderr.
func (s *sy) fails(code int, want string, args ...string) {
	s.t.Helper()
	out, errs, got := s.run("", args...)
	if got != code || !strings.Contains(errs, want) {
		s.t.Errorf("switchyard %s: exit %d, stderr %q; want exit %d with %q (stdout %q)", strings.Join(args, " "), got, errs, code, want, out)
	}
}

// job reads a job through the CLI's JSON output.
func (s *sy) job(name string) client.Job {
	s.t.Helper()
	var j client.Job
	if err := json.Unmarshal([]byte(s.ok("job", "get", name, "-o", "json")), &j); err != nil {
		s.t.Fatalf("job get -o json does not parse: %v", err)
	}
	return j
}

// startServer runs `switchyard serve` on a fresh data directory and a free
// port, with extra flags.
func startServer(t *testing.T, extra ...string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	dir := t.TempDir()
	cmd := exec.Command(bin, append([]string{"serve", "--addr", addr, "--data-dir", dir}, extra...)...)
	cmd.Env = append(os.Environ(), "SWITCHYARD_ADMIN_PASSWORD="+password)
	logf, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); logf.Close(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			data, _ := os.ReadFile(filepath.Join(dir, "server.log"))
			t.Logf("server log (tail):\n%s", tail(string(data), 4000))
		}
	})
	url := "http://" + addr
	testenv.WaitReady(t, url)
	return url
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// flatKubeconfig writes the kubeconfig with its certificates inlined, as
// `kubectl config view --flatten --minify` would, and returns its path.
func flatKubeconfig(t *testing.T, path string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "flat.yaml")
	if err := os.WriteFile(out, testenv.FlatKubeconfig(t, path), 0o600); err != nil {
		t.Fatal(err)
	}
	return out
}

// app makes Deployment "app" (3 replicas of example/app:1) and Service "app"
// in a fresh namespace.
func app(t *testing.T, kubeconfig string) string {
	t.Helper()
	ctx := t.Context()
	kc, _ := testenv.Clients(t, kubeconfig)
	ns := testenv.Namespace(t, kc, "cli")
	lbl := map[string]string{"app": "app"}
	replicas := int32(3)
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "app"},
		Spec: appsv1.DeploymentSpec{Replicas: &replicas, Selector: &metav1.LabelSelector{MatchLabels: lbl},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: lbl},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "example/app:1"}}}}},
	}
	if _, err := kc.AppsV1().Deployments(ns).Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "app"}, Spec: corev1.ServiceSpec{Selector: lbl,
		Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080)}}}}
	if _, err := kc.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return ns
}

// TestRelease signs in, registers the local cluster, sets up a workspace and
// walks a job through a whole blue-green release with the CLI, checking
// outputs, exit codes and a refusal at each step.
func TestRelease(t *testing.T) {
	kubeconfig := testenv.Kubeconfig(t)
	url := startServer(t)
	ns := app(t, kubeconfig)
	s := newCLI(t)

	// Sign in: the config file keeps an API token, never the password.
	if _, errs, code := s.run("wrong\n", "login", url, "-u", "admin", "--password-stdin"); code != cli.ExitError || !strings.Contains(errs, "error: ") {
		t.Fatalf("login with a wrong password: exit %d, stderr %q; want %d", code, errs, cli.ExitError)
	}
	if out, errs, code := s.run(password+"\n", "login", url, "-u", "admin", "--password-stdin", "--name", "test"); code != 0 {
		t.Fatalf("login: exit %d: %s %s", code, out, errs)
	}
	checkConfig(t, s.config)
	// Logging in again on the same machine works, twice over (the name cli-<host> is
	// still taken until the new login revokes the old token), and leaves one live token.
	for range 2 {
		if out, errs, code := s.run(password+"\n", "login", url, "-u", "admin", "--password-stdin", "--name", "test"); code != 0 {
			t.Fatalf("login again: exit %d: %s %s", code, out, errs)
		}
	}
	toks := items[client.Token](t, s.ok("token", "list", "-o", "json"), "TokenList")
	live := 0
	for _, tk := range toks {
		if tk.RevokedAt == nil && strings.HasPrefix(tk.Name, "cli-") {
			live++
		}
	}
	if live != 1 {
		t.Errorf("after three logins %d live CLI tokens, want 1: %+v", live, toks)
	}
	if out := s.ok("whoami"); !strings.Contains(out, "admin") || !strings.Contains(out, "platform admin") {
		t.Errorf("whoami = %q, want admin, platform admin", out)
	}
	if out := s.ok("token", "list"); !strings.Contains(out, "cli-127.0.0.1") {
		t.Errorf("token list = %q, want the CLI's token cli-<host>", out)
	}

	// A cluster, a workspace, a binding.
	s.fails(cli.ExitError, "--flatten", "cluster", "add", "local", "--kubeconfig", kubeconfig)
	s.ok("cluster", "add", "local", "--kubeconfig", flatKubeconfig(t, kubeconfig))
	// The Argo instance ID: shown once set, refused when not a label value, cleared again.
	if out := s.ok("cluster", "set", "local", "--argo-instance-id", "team-a"); !strings.Contains(out, "(instance team-a)") {
		t.Errorf("cluster set --argo-instance-id team-a printed %q", out)
	}
	s.fails(cli.ExitError, "(field argo_instance_id)", "cluster", "set", "local", "--argo-instance-id", "Bad!")
	s.fails(cli.ExitUsage, "--argo-instance-id", "cluster", "set", "local")
	if out := s.ok("cluster", "set", "local", "--argo-instance-id", ""); strings.Contains(out, "instance") {
		t.Errorf("cluster set --argo-instance-id \"\" printed %q, want no instance", out)
	}
	if out := s.ok("cluster", "list"); !strings.Contains(out, "REACHABLE") || !strings.Contains(out, "local") {
		t.Errorf("cluster list = %q", out)
	}
	s.ok("workspace", "create", "team", "--description", "CLI test")
	s.ok("binding", "add", "local", ns, "-w", "team")
	s.ok("context", "use", "test", "-w", "team") // later job commands need no -w

	// What a job can be made of, as the console's form offers it.
	if out := s.ok("job", "targets"); !strings.Contains(out, "local") || !strings.Contains(out, ns) || !strings.Contains(out, "yes") {
		t.Errorf("job targets = %q, want cluster local available with namespace %s", out, ns)
	}
	if out := s.ok("job", "targets", "--cluster", "local", "-n", ns); !strings.Contains(out, "app") || !strings.Contains(out, "3/3") || !strings.Contains(out, "example/app:1") {
		t.Errorf("job targets --cluster local -n %s = %q, want Deployment app 3/3 example/app:1", ns, out)
	}
	if out := s.ok("job", "targets", "--cluster", "local", "-n", ns, "--deployment", "app", "-o", "json"); !strings.Contains(out, `"selects_deployment": true`) {
		t.Errorf("job targets --deployment app -o json = %q, want Service app selecting it", out)
	}
	s.fails(cli.ExitUsage, "go together", "job", "targets", "--cluster", "local")
	s.fails(cli.ExitError, "is not bound to workspace", "job", "targets", "--cluster", "local", "-n", "demo")

	// Create: refused with the field, then for real.
	s.fails(cli.ExitError, "(field name)", "job", "create", "App_BG", "--cluster", "local", "-n", ns, "--deployment", "app", "--service", "app")
	s.fails(cli.ExitError, "(field namespace)", "job", "create", "app-bg", "--cluster", "local", "-n", "demo", "--deployment", "app", "--service", "app")
	if out := s.ok("job", "create", "app-bg", "--cluster", "local", "--namespace", ns, "--deployment", "app", "--service", "app", "--standby", "45s"); !strings.Contains(out, "app-bg") {
		t.Errorf("job create printed %q", out)
	}
	if j := s.job("app-bg"); j.ScaleDownDelaySeconds != 45 || j.Deployment != "app" || j.Service != "app" || j.Namespace != ns {
		t.Errorf("created job = %+v; want standby 45 s on app/app in %s", j, ns)
	}
	s.fails(cli.ExitError, "error: ", "job", "create", "app-bg", "--cluster", "local", "-n", ns, "--deployment", "app", "--service", "app")
	s.ok("job", "wait", "app-bg", "--for", "healthy", "--timeout", "90s")
	time.Sleep(1100 * time.Millisecond) // Argo compares ReplicaSet times at one-second resolution (see internal/release)

	out := s.ok("job", "list")
	for _, h := range []string{"NAME", "PHASE", "CLUSTER", "NAMESPACE", "ACTIVE", "PREVIEW", "AGE", "app-bg", "Healthy", "example/app:1"} {
		if !strings.Contains(out, h) {
			t.Errorf("job list has no %q:\n%s", h, out)
		}
	}
	var l struct {
		Kind     string       `json:"kind"`
		Items    []client.Job `json:"items"`
		Metadata struct {
			Total int `json:"total"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal([]byte(s.ok("job", "list", "--phase", "healthy", "-o", "json")), &l); err != nil || l.Kind != "JobList" || l.Metadata.Total != 1 || l.Items[0].Name != "app-bg" {
		t.Errorf("job list --phase healthy -o json: %+v, %v; want a JobList of app-bg", l, err)
	}
	for _, filter := range [][]string{{"--phase", "awaiting-promotion"}, {"--namespace", "demo"}, {"--cluster", "other"}, {"--name", "zzz"}} {
		if out := s.ok(append([]string{"job", "list"}, filter...)...); strings.Contains(out, "app-bg") {
			t.Errorf("job list %v shows app-bg:\n%s", filter, out)
		}
	}
	if out := s.ok("job", "list", "--name", "app", "--sort", "-created", "--limit", "1", "-n", ns); !strings.Contains(out, "app-bg") {
		t.Errorf("job list --name app -n %s does not show app-bg:\n%s", ns, out)
	}
	s.fails(cli.ExitError, "(field limit)", "job", "list", "--limit", "1000")
	if out := s.ok("job", "get", "app-bg", "-o", "yaml"); !strings.Contains(out, "phase: Healthy") {
		t.Errorf("job get -o yaml = %q, want phase: Healthy", out)
	}

	// Deploy, wait for "awaiting promotion", promote.
	s.fails(cli.ExitUsage, "--image", "job", "deploy", "app-bg")
	s.fails(cli.ExitError, "error: ", "job", "deploy", "app-bg", "--image", "nope=example/app:2")
	s.ok("job", "deploy", "app-bg", "--image", "app=example/app:2")
	s.ok("job", "wait", "app-bg", "--for", "awaiting promotion", "--timeout", "90s")
	j := s.job("app-bg")
	if len(j.PreviewImages) != 1 || j.PreviewImages[0] != "example/app:2" || j.ActiveImages[0] != "example/app:1" {
		t.Fatalf("awaiting promotion: active %v preview %v; want app:1 active, app:2 preview", j.ActiveImages, j.PreviewImages)
	}
	// On a terminal, watch redraws the versions and every pod in place.
	for deadline := time.Now().Add(10 * time.Second); len(j.Versions) < 2 || len(j.Versions[0].Pods) != 3 || len(j.Versions[1].Pods) != 3; j = s.job("app-bg") {
		if time.Now().After(deadline) {
			t.Fatalf("awaiting promotion: versions %+v; want 3 pods in each", j.Versions)
		}
		time.Sleep(100 * time.Millisecond)
	}
	out = s.terminal("job", "watch", "app-bg", "--timeout", "1500ms")
	for _, want := range []string{"\033[H\033[2J", "Phase: Awaiting promotion", "POD", "RESTARTS", j.Versions[0].Pods[0].Name, j.Versions[1].Pods[2].Name, "Running"} {
		if !strings.Contains(out, want) {
			t.Errorf("job watch on a terminal lacks %q:\n%s", want, out)
		}
	}
	out = s.ok("job", "history", "app-bg")
	for _, h := range []string{"REVISION", "IMAGES", "READY", "ACTIVE", "PREVIEW", "example/app:2"} {
		if !strings.Contains(out, h) {
			t.Errorf("job history has no %q:\n%s", h, out)
		}
	}
	s.fails(cli.ExitError, "in flight", "job", "delete", "app-bg", "--yes")
	s.ok("job", "promote", "app-bg")
	s.ok("job", "wait", "app-bg", "--for", "Healthy", "--timeout", "90s")
	if j := s.job("app-bg"); j.ActiveImages[0] != "example/app:2" {
		t.Fatalf("after promote the active version runs %v, want example/app:2", j.ActiveImages)
	}
	s.fails(cli.ExitError, "(job is Healthy)", "job", "promote", "app-bg", "--if-phase", "awaiting-promotion")
	s.fails(cli.ExitError, "no new version to promote", "job", "promote", "app-bg")
	s.fails(cli.ExitError, "no release in flight to abort", "job", "abort", "app-bg")
	s.fails(cli.ExitError, "only an aborted release can be retried", "job", "retry", "app-bg")
	for _, cmd := range [][]string{{"get"}, {"promote"}, {"abort"}, {"retry"}, {"rollback"}, {"history"}, {"events"}, {"watch"}, {"delete", "--yes"}, {"deploy", "--image", "app=x"}} {
		s.fails(cli.ExitError, `job "nope" not found`, append([]string{"job", cmd[0], "nope"}, cmd[1:]...)...)
	}

	// Roll back to app:1.
	s.fails(cli.ExitError, "error: ", "job", "rollback", "app-bg", "--to-revision", "99")
	s.ok("job", "rollback", "app-bg")
	waitActive(t, s, "app-bg", "example/app:1")
	if versions := items[client.Version](t, s.ok("job", "history", "app-bg", "-o", "json"), "VersionList"); len(versions) < 2 {
		t.Errorf("job history -o json: %+v; want two versions", versions)
	}

	// Timeline and watch (not a terminal: plain lines).
	if out := s.ok("job", "events", "app-bg"); !strings.Contains(out, "job.create") || !strings.Contains(out, "job.rollback") {
		t.Errorf("job events lacks job.create or job.rollback:\n%s", out)
	}
	if out := s.ok("job", "watch", "app-bg", "--timeout", "2s"); !strings.Contains(out, "Healthy") || strings.Contains(out, "\033[") {
		t.Errorf("job watch into a pipe = %q, want plain lines with Healthy", out)
	}

	// wait: timeout and failure exit codes.
	s.fails(cli.ExitTimeout, "timed out", "job", "wait", "app-bg", "--for", "paused", "--timeout", "1s")
	s.fails(cli.ExitUsage, "--for", "job", "wait", "app-bg", "--for", "sleepy")
	time.Sleep(1100 * time.Millisecond)
	s.ok("job", "deploy", "app-bg", "--image", "app=example/app:3")
	s.ok("job", "wait", "app-bg", "--for", "awaiting-promotion", "--timeout", "90s")
	s.ok("job", "abort", "app-bg")
	s.fails(cli.ExitFailed, "Aborted", "job", "wait", "app-bg", "--for", "healthy", "--timeout", "90s")
	s.ok("job", "wait", "app-bg", "--for", "aborted", "--timeout", "5s")
	s.fails(cli.ExitError, "retry it before promoting", "job", "promote", "app-bg")
	s.ok("job", "retry", "app-bg")
	s.ok("job", "wait", "app-bg", "--for", "awaiting_promotion", "--timeout", "90s")

	// Delete (not a terminal: no question): refused in flight without --force.
	s.fails(cli.ExitError, "in flight", "job", "delete", "app-bg", "--yes")
	s.ok("job", "delete", "app-bg", "--yes", "--force")
	s.ok("job", "wait", "app-bg", "--for", "deleted", "--timeout", "60s")
	s.fails(cli.ExitError, "not found", "job", "get", "app-bg")
	if out := s.ok("job", "list", "--include-deleted"); !strings.Contains(out, "app-bg") || !strings.Contains(out, "Deleted") {
		t.Errorf("job list --include-deleted = %q, want the deleted app-bg", out)
	}
	// A job that never existed is not "deleted": a typo must not pass a pipeline.
	s.fails(cli.ExitError, "not found", "job", "wait", "app-gb", "--for", "deleted", "--timeout", "5s")

	// Log out: the token is revoked, so it no longer works even from the environment.
	token := readConfig(t, s.config).Contexts["test"].Token
	s.ok("logout")
	s.fails(cli.ExitError, "error: ", "whoami")
	ci := newCLI(t)
	ci.env = []string{"SWITCHYARD_URL=" + url, "SWITCHYARD_TOKEN=" + token}
	ci.fails(cli.ExitError, "login", "whoami")
}

// waitActive waits through the CLI until the job is Healthy with image active.
func waitActive(t *testing.T, s *sy, name, image string) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		s.ok("job", "wait", name, "--for", "healthy", "--timeout", "90s")
		j := s.job(name)
		if len(j.ActiveImages) == 1 && j.ActiveImages[0] == image {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s active images %v, want %s", name, j.ActiveImages, image)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

type config struct {
	Contexts map[string]struct {
		Server, Token, User string
	} `json:"contexts"`
}

func readConfig(t *testing.T, path string) config {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c config
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatalf("config file does not parse: %v", err)
	}
	return c
}

// checkConfig checks the config file is private and holds a token, not the password.
func checkConfig(t *testing.T, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("config file mode %v, want 0600", fi.Mode().Perm())
	}
	data, _ := os.ReadFile(path)
	if strings.Contains(string(data), password) {
		t.Error("the config file holds the password")
	}
	if cx := readConfig(t, path).Contexts["test"]; !strings.HasPrefix(cx.Token, "sy_") || cx.User != "admin" {
		t.Errorf("context test = %+v, want an sy_ token for admin", cx)
	}
}

// TestAdminCommands covers the administration commands against a server,
// each with a bad input: the server's message and field on stderr, exit 1.
func TestAdminCommands(t *testing.T) {
	url := startServer(t)
	s := newCLI(t)
	s.env = []string{"SWITCHYARD_URL=" + url}
	if _, errs, code := s.run(password+"\n", "login", url, "-u", "admin", "--password-stdin"); code != 0 {
		t.Fatalf("login: %s", errs)
	}
	steps := []struct {
		args []string
		code int
		want string // on stdout when code is 0, else on stderr
	}{
		{[]string{"workspace", "create", "Bad Name"}, cli.ExitError, "(field name)"},
		{[]string{"workspace", "create", "team"}, 0, "team"},
		{[]string{"workspace", "list"}, 0, "NAME"},
		{[]string{"workspace", "get", "team", "-o", "json"}, 0, `"name": "team"`},
		{[]string{"workspace", "get", "nope"}, cli.ExitError, "error: "},
		{[]string{"user", "create", "Bad Name", "--password-stdin"}, cli.ExitError, "(field username)"},
		{[]string{"user", "list"}, 0, "admin"},
		{[]string{"member", "set", "admin", "boss", "-w", "team"}, cli.ExitError, "(field role)"},
		{[]string{"member", "set", "admin", "editor", "-w", "team"}, 0, "editor"},
		{[]string{"member", "list", "-w", "team"}, 0, "admin"},
		{[]string{"member", "remove", "nobody", "-w", "team"}, cli.ExitError, "error: "},
		{[]string{"binding", "add", "nope", "ns", "-w", "team"}, cli.ExitError, "(field cluster)"},
		{[]string{"binding", "list", "-w", "team"}, 0, "stderr:No resources found in workspace team.\n"},
		{[]string{"binding", "remove", "x", "-w", "team"}, cli.ExitUsage, "binding id"},
		{[]string{"binding", "remove", "999", "-w", "team"}, cli.ExitError, "error: "},
		{[]string{"group-binding", "add", "devs", "--role", "editor", "-w", "team"}, 0, "devs"},
		{[]string{"group-binding", "add", "devs", "--role", "viewer", "-w", "team"}, cli.ExitError, "already exists"},
		{[]string{"group-binding", "add", "devs", "--role", "boss", "-w", "team"}, cli.ExitError, "(field role)"},
		{[]string{"group-binding", "add", "ops", "--role", "editor"}, cli.ExitError, "(field workspace)"},
		{[]string{"group-binding", "add", "ops", "--role", "platform-admin", "-w", "team"}, cli.ExitError, "(field workspace)"},
		{[]string{"group-binding", "add", "ops", "--role", "platform-admin"}, 0, "platform-admin"},
		{[]string{"group-binding", "add", "ops"}, cli.ExitUsage, "role"},
		{[]string{"group-binding", "list"}, 0, "GROUP"},
		{[]string{"group-binding", "remove", "x"}, cli.ExitUsage, "group binding id"},
		{[]string{"group-binding", "remove", "999"}, cli.ExitError, "error: "},
		{[]string{"notification", "add", "ftp://hooks.example.com/x", "-w", "team"}, cli.ExitError, "(field url)"},
		{[]string{"notification", "add", "https://hooks.example.com/x", "--events", "promoted,boom", "-w", "team"}, cli.ExitError, "(field events)"},
		{[]string{"notification", "list", "-w", "team"}, 0, "stderr:No resources found in workspace team.\n"},
		{[]string{"notification", "add", "http://127.0.0.1:1/hook", "--events", "promoted,deleted", "-w", "team", "-o", "json"}, 0, `"secret": "`},
		{[]string{"notification", "list", "-w", "team"}, 0, "promoted,deleted"},
		{[]string{"notification", "deliveries", "1", "-w", "team"}, 0, "stderr:No resources found for notification 1.\n"},
		{[]string{"notification", "remove", "x", "-w", "team"}, cli.ExitUsage, "notification id"},
		{[]string{"notification", "remove", "999", "-w", "team"}, cli.ExitError, "error: "},
		{[]string{"notification", "set", "1", "--url", "ftp://hooks.example.com/x", "-w", "team"}, cli.ExitError, "(field url)"},
		{[]string{"notification", "set", "1", "--format", "xml", "-w", "team"}, cli.ExitError, "(field format)"},
		{[]string{"notification", "set", "1", "-w", "team"}, cli.ExitUsage, "--url, --events or --format"},
		{[]string{"notification", "list", "-w", "team"}, 0, "promoted,deleted   json"},
		{[]string{"notification", "set", "1", "--events", "", "--format", "slack", "-w", "team"}, 0, "awaiting-promotion,promoted,switched-back,aborted,check-failed,degraded,deleted   slack"},
		{[]string{"notification", "rotate-secret", "1", "-w", "team", "-o", "json"}, 0, `"secret": "`},
		{[]string{"notification", "rotate-secret", "999", "-w", "team"}, cli.ExitError, "error: "},
		{[]string{"notification", "test", "1", "-w", "team"}, cli.ExitError, "failed (retrying, retried like any delivery)"},
		{[]string{"notification", "deliveries", "1", "-w", "team"}, 0, "test"},
		{[]string{"notification", "remove", "1", "-w", "team"}, 0, "notification 1 removed"},
		{[]string{"member", "list"}, cli.ExitUsage, "no workspace"},
		{[]string{"cluster", "add", "local", "--kubeconfig", "/nonexistent"}, cli.ExitError, "nonexistent"},
		{[]string{"cluster", "get", "nope"}, cli.ExitError, "error: "},
		{[]string{"cluster", "probe", "nope"}, cli.ExitError, "error: "},
		{[]string{"cluster", "remove", "nope"}, cli.ExitError, "error: "},
		{[]string{"cluster", "list", "-o", "yaml"}, 0, "items: []\nkind: ClusterList"},
		{[]string{"cluster", "list"}, 0, "stderr:No resources found.\n"},
		{[]string{"token", "create", ""}, cli.ExitError, "(field name)"},
		{[]string{"token", "revoke", "abc"}, cli.ExitUsage, "token id"},
		{[]string{"token", "revoke", "999"}, cli.ExitError, "error: "},
		{[]string{"token", "create", "weekly", "--expires", "5x"}, cli.ExitUsage, "-expires"},
		{[]string{"token", "create", "weekly", "--expires", "7h"}, cli.ExitUsage, "--expires"},
		{[]string{"token", "create", "weekly", "--expires", "7"}, 0, "sy_"}, // a bare number: days, as token lifetimes always were
		{[]string{"workspace", "delete", "nope"}, cli.ExitError, "error: "},
		{[]string{"audit", "list", "--all", "--actor", "admin", "--action", "workspace."}, 0, "workspace.create"},
		{[]string{"audit", "list", "-w", "team", "--action", "member.", "--outcome", "failure"}, 0, "member.put"},
		{[]string{"audit", "list", "-A", "--action", "member.put"}, 0, "WORKSPACE"},
		{[]string{"audit", "list", "-w", "team", "--actor", "nobody", "-o", "json"}, 0, `"items": []`},
		{[]string{"audit", "list", "-w", "team", "--actor", "nobody"}, 0, "stderr:No resources found in the audit log of workspace team."},
		{[]string{"audit", "list", "--all", "--outcome", "nope"}, cli.ExitUsage, "--outcome"},
		{[]string{"audit", "list"}, cli.ExitUsage, "--all"},
		{[]string{"audit", "list", "-w", "team", "--limit", "5000"}, cli.ExitError, "(field limit)"},
		{[]string{"audit", "list", "-w", "nope"}, cli.ExitError, "error: "},
		{[]string{"workspace", "delete", "team"}, 0, "deleted"},
		{[]string{"context", "use", "nope"}, cli.ExitError, "no context"},
		{[]string{"job", "list", "--workspace", "nope"}, cli.ExitError, "error: "},
		{[]string{"job", "list", "--workspace", "x", "-o", "xml"}, cli.ExitUsage, "--output"},
	}
	for _, st := range steps {
		stdin := ""
		if st.args[0] == "user" && st.args[1] == "create" {
			stdin = "some-long-password\n"
		}
		out, errs, code := s.run(stdin, st.args...)
		where := errs
		if st.code == 0 {
			where = out
		}
		if want, ok := strings.CutPrefix(st.want, "stderr:"); ok { // an empty list: nothing on stdout, the note on stderr
			where, st.want = errs, want
			if out != "" {
				t.Errorf("switchyard %s: stdout %q, want nothing", strings.Join(st.args, " "), out)
			}
		}
		if code != st.code || !strings.Contains(where, st.want) {
			t.Errorf("switchyard %s: exit %d, stdout %q, stderr %q; want exit %d with %q", strings.Join(st.args, " "), code, out, errs, st.code, st.want)
		}
	}
	checkAudit(t, s)
	checkTokenExpiry(t, s, "cli-"+strings.TrimPrefix(url, "http://"))
	out, _, _ := s.run("", "token", "create", "ci", "-o", "json")
	var tok client.NewToken
	if err := json.Unmarshal([]byte(out), &tok); err != nil || !strings.HasPrefix(tok.Secret, "sy_") {
		t.Fatalf("token create -o json = %q, %v", out, err)
	}
	// A second context from a token; --context picks it; logout revokes its token.
	s.ok("login", url, "--token", tok.Secret, "--name", "ci")
	if out := s.ok("context", "list"); !strings.Contains(out, "ci") || !strings.Contains(out, "127.0.0.1") {
		t.Errorf("context list = %q, want both contexts", out)
	}
	s.ok("context", "use", "127.0.0.1:"+strings.Split(url, ":")[2])
	s.ok("whoami", "--context", "ci")
	s.fails(cli.ExitUsage, "no context", "whoami", "--context", "nope")
	s.ok("logout", "--context", "ci")
	if out := s.ok("token", "list"); !revoked(out, "ci") {
		t.Errorf("after logout --context ci its token is not revoked:\n%s", out)
	}
	out, _, _ = s.run("", "token", "create", "ci2", "-o", "json")
	if err := json.Unmarshal([]byte(out), &tok); err != nil {
		t.Fatalf("token create -o json = %q, %v", out, err)
	}
	// A CI pipeline: no config file, the token in the environment.
	ci := newCLI(t)
	ci.env = []string{"SWITCHYARD_URL=" + url, "SWITCHYARD_TOKEN=" + tok.Secret}
	if out := ci.ok("whoami"); !strings.Contains(out, "admin") {
		t.Errorf("whoami with SWITCHYARD_TOKEN = %q", out)
	}
	ci.ok("token", "revoke", fmt.Sprint(tok.ID))
	ci.fails(cli.ExitError, "error: ", "whoami")

	// Logging in again with --token-expires: the new login token expires.
	s.ok("logout")
	if _, errs, code := s.run(password+"\n", "login", url, "-u", "admin", "--password-stdin", "--token-expires", "30d"); code != 0 {
		t.Fatalf("login --token-expires 30d: exit %d: %s", code, errs)
	}
	loginToken, want := "cli-"+strings.TrimPrefix(url, "http://"), time.Now().Add(30*24*time.Hour).Local().Format(time.DateOnly)
	if list := s.ok("token", "list"); expiresColumn(list, loginToken) != want {
		t.Errorf("after login --token-expires 30d, token list =\n%s\nwant %s to expire on %s", list, loginToken, want)
	}
}

// checkTokenExpiry creates a token that expires in a day and finds the date
// in token list's EXPIRES column, next to the login's token that never expires.
func checkTokenExpiry(t *testing.T, s *sy, loginToken string) {
	var daily client.NewToken
	before := time.Now()
	out := s.ok("token", "create", "daily", "--expires", "1d", "-o", "json")
	if err := json.Unmarshal([]byte(out), &daily); err != nil || daily.ExpiresAt == nil ||
		daily.ExpiresAt.Before(before.Add(24*time.Hour-time.Second)) || daily.ExpiresAt.After(time.Now().Add(24*time.Hour)) {
		t.Fatalf("token create daily --expires 1d -o json = %q, %v; want expires_at a day from now", out, err)
	}
	list := s.ok("token", "list")
	for name, want := range map[string]string{"daily": daily.ExpiresAt.Local().Format(time.DateOnly), loginToken: "never"} {
		if got := expiresColumn(list, name); got != want {
			t.Errorf("token list: EXPIRES of %s = %q, want %q\n%s", name, got, want, list)
		}
	}
}

// expiresColumn returns the EXPIRES cell of a live token in token list
// output: the one before REVOKED, which is "-".
func expiresColumn(out, name string) string {
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 3 && f[1] == name && f[len(f)-1] == "-" {
			return f[len(f)-2]
		}
	}
	return ""
}

// checkAudit reads the log of TestAdminCommands's steps through audit list:
// filtered JSON holds exactly what the filters ask for, the table names
// workspaces, and a full page tells how to read the next one.
func checkAudit(t *testing.T, s *sy) {
	events := items[client.AuditEvent](t, s.ok("audit", "list", "--all", "--actor", "admin", "--action", "workspace.", "-o", "json"), "AuditEventList")
	var got []string
	for _, ev := range events {
		if ev.Actor != "admin" || !strings.HasPrefix(ev.Action, "workspace.") {
			t.Errorf("audit list --actor admin --action workspace. returned %+v", ev)
		}
		got = append(got, ev.Action+"/"+ev.Outcome+"/"+ev.Target)
	}
	want := "workspace.delete/success/workspace team workspace.delete/failure/workspace nope workspace.create/success/workspace team workspace.create/failure/workspace Bad Name"
	if strings.Join(got, " ") != want {
		t.Errorf("admin's workspace events = %q, want %q", strings.Join(got, " "), want)
	}
	// The role "boss" refused in team, deleted since: WORKSPACE shows its ID.
	out := s.ok("audit", "list", "-A", "--action", "member.put", "--outcome", "failure")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 2 || !strings.HasPrefix(strings.Fields(lines[1])[4], "#") ||
		!strings.Contains(lines[1], "failure") || !strings.Contains(lines[1], "role") {
		t.Errorf("audit list -A --action member.put --outcome failure =\n%s\nwant the one failure, with the deleted workspace's #ID", out)
	}
	// Paging: a full page of one names the --before of the next, older, page.
	first, errs, code := s.run("", "audit", "list", "--all", "--limit", "1")
	lines := strings.Split(strings.TrimSpace(first), "\n")
	if code != 0 || len(lines) != 2 {
		t.Fatalf("audit list --limit 1: exit %d, stdout %q, stderr %q; want a header and one event", code, first, errs)
	}
	id, err := strconv.ParseInt(strings.Fields(lines[1])[0], 10, 64)
	if err != nil || !strings.Contains(errs, fmt.Sprintf("--before %d", id)) {
		t.Fatalf("audit list --limit 1: stdout %q, stderr %q; want an ID and a --before hint with it", first, errs)
	}
	out = s.ok("audit", "list", "--all", "--limit", "1", "--before", fmt.Sprint(id), "-o", "json")
	if events = items[client.AuditEvent](t, out, "AuditEventList"); len(events) != 1 || events[0].ID >= id {
		t.Errorf("audit list --before %d = %q; want one older event", id, out)
	}
}

// items decodes a list printed with -o json: {"kind": kind, "items": […]}.
func items[T any](t *testing.T, out, kind string) []T {
	t.Helper()
	var l struct {
		Kind  string `json:"kind"`
		Items []T    `json:"items"`
	}
	if err := json.Unmarshal([]byte(out), &l); err != nil || l.Kind != kind || l.Items == nil {
		t.Fatalf("-o json = %q, %v; want a %s with items", out, err, kind)
	}
	return l.Items
}

// revoked reports whether token list output shows the token named name revoked.
func revoked(out, name string) bool {
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) > 1 && f[1] == name && !strings.HasSuffix(line, " -") {
			return true
		}
	}
	return false
}
