package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/switchyard/switchyard/client"
	"github.com/switchyard/switchyard/internal/testenv"
)

// makeDemoURL is where `make demo` serves; the examples are written for it
// and run here against a server on a free port instead.
const makeDemoURL = "http://127.0.0.1:8080"

// exampleStep is one step of the story the examples tell, in order: the
// examples of a command, or glue between them (a command of the test's own).
type exampleStep struct {
	path string            // "job create": run its --help examples
	glue []string          // or run these switchyard arguments
	env  map[string]string // extra environment for this step
	hook func(t *testing.T, r *exampleRunner)
}

// skippedExamples are the examples that cannot run unattended, with why.
var skippedExamples = map[string]string{
	"switchyard login http://127.0.0.1:8080            # on a terminal: prompts for user and password":    "prompts on a terminal",
	"SWITCHYARD_ADMIN_PASSWORD=change-me switchyard serve --addr 127.0.0.1:8080 --data-dir data":          "starts a server on make demo's port",
	"switchyard serve --database-url postgres://switchyard@db/switchyard   # replicas share one database": "needs a PostgreSQL host named db",
}

// skipped finds ex among skippedExamples, runs of spaces counting as one.
func skipped(ex string) (key, why string, ok bool) {
	norm := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	for key, why := range skippedExamples {
		if norm(key) == norm(ex) {
			return key, why, true
		}
	}
	return "", "", false
}

// TestExamples runs every example of every command's --help, as written,
// against a server set up as `make demo` does (the local cluster as
// "local", its namespace demo bound to workspace "demo"), in an order that
// makes a story: sign in, create a job on the demo Deployment, release,
// roll back, abort, delete, then the administration commands. Along the way
// it checks dynamic completion, job list -w and version against the server.
func TestExamples(t *testing.T) {
	kubeconfig := testenv.Kubeconfig(t)
	restoreDemo(t, kubeconfig)
	url := startServer(t, "--demo-kubeconfig", kubeconfig)
	r := newExampleRunner(t, url, kubeconfig)
	t.Cleanup(func() { // leave the shared demo workload as it was, even after a failure
		r.cli.run("", "job", "delete", "web-bg", "--yes", "--force", "--workspace", "demo")
		r.cli.run("", "job", "wait", "web-bg", "--for", "deleted", "--timeout", "60s", "--workspace", "demo")
	})
	t.Cleanup(func() { // cluster add --from-context's objects in the second cluster, even after a failure
		cmd := exec.Command(r.cli.bin, "cluster", "remove", "prod", "--cleanup", "--from-context", "prod-admin")
		cmd.Dir, cmd.Env = r.dir, r.env(nil)
		_ = cmd.Run()
	})
	ciToken := r.adminToken(t)
	story := []exampleStep{
		{path: "login", env: map[string]string{"SWITCHYARD_TOKEN": ciToken}},
		{path: "whoami"}, {path: "context list"}, {path: "version", hook: checkVersion},
		{path: "cluster list"}, {path: "cluster get"}, {path: "cluster probe"},
		{path: "job targets"}, {path: "job create", hook: checkCompletion},
		{path: "job wait"}, {glue: []string{"job", "wait", "web-bg", "--for", "healthy", "--timeout", "3m"}},
		{path: "job list"}, {path: "job get"}, {path: "job describe"}, {path: "job history"}, {path: "job events"},
		// set-checks' first example reads checks.yaml; its second removes every check again, so
		// that the release below waits for a person as the examples after it expect.
		{hook: writeChecksFile}, {glue: []string{"job", "set-checks", "web-bg", "--checks-file", filepath.Join(r.dir, "checks.yaml")}},
		{path: "job checks", hook: checkChecksListed}, {path: "job set-checks"},
		{hook: startListWatch}, {path: "job deploy"}, {hook: checkListWatch}, {path: "job watch"},
		{path: "job promote"}, {glue: []string{"job", "wait", "web-bg", "--for", "healthy", "--timeout", "3m"}},
		// The revision before the current is 1.1.0, which 1.2.0 replaced before it was promoted.
		{path: "job rollback", hook: rolledBackTo110},
		{glue: []string{"job", "deploy", "web-bg", "--image", "web=example/web:1.4.0"}},
		{glue: []string{"job", "wait", "web-bg", "--for", "awaiting-promotion", "--timeout", "3m"}},
		{path: "job abort"}, {glue: []string{"job", "wait", "web-bg", "--for", "aborted", "--timeout", "3m"}},
		{path: "job retry"}, {glue: []string{"job", "wait", "web-bg", "--for", "awaiting-promotion", "--timeout", "3m"}},
		{path: "job delete"}, {glue: []string{"job", "wait", "web-bg", "--for", "deleted", "--timeout", "3m"}},
		{path: "cluster set"}, {path: "cluster add"}, {path: "cluster rotate-credentials"}, {path: "cluster remove"},
		{path: "user create"}, {path: "user list"},
		// user revoke-token's first example names token 12: alice makes tokens until hers is 12.
		{hook: giveAliceToken12}, {path: "user tokens"}, {path: "user revoke-token"},
		{path: "user set"}, {path: "user disable"}, {path: "user enable"},
		{path: "workspace list"}, {path: "workspace get"}, {path: "workspace create"},
		// group-binding remove's example names binding 3: the add examples make 1 and 2.
		{path: "group-binding add"}, {glue: []string{"group-binding", "add", "release-viewers", "--role", "viewer", "-w", "payments"}},
		{path: "group-binding list"}, {path: "group-binding remove"},
		// notification deliveries' example names notification 1: the add examples make 1 and 2.
		{path: "notification add"}, {path: "notification list"}, {path: "notification deliveries"},
		// notification test's example tests notification 1: it is pointed at a receiver here first.
		{hook: receiveNotification1}, {path: "notification test", hook: checkNotification1Tested},
		{path: "notification set"}, {path: "notification rotate-secret"}, {path: "notification remove"},
		{path: "member list"}, {path: "member set"}, {path: "member remove"},
		{path: "binding list"}, {path: "binding add"}, {path: "binding remove"},
		{path: "token create"}, {path: "token list"}, {path: "token revoke"},
		{path: "audit list"}, {path: "workspace delete"}, {path: "user delete"},
		{path: "completion"}, {path: "serve"},
		{path: "context use"}, {path: "logout"},
	}
	covered := map[string]bool{}
	for _, st := range story {
		switch {
		case st.path != "":
			covered[st.path] = true
			t.Run(st.path, func(t *testing.T) { r.runExamples(t, st) })
		case st.glue != nil:
			r.cli.ok(st.glue...)
		}
		if st.hook != nil {
			st.hook(t, r)
		}
	}
	for _, path := range r.commandPaths(t, nil) {
		if ex := r.examples(t, path); len(ex) > 0 && !covered[strings.Join(path, " ")] {
			t.Errorf("the examples of %q are not in TestExamples's story", strings.Join(path, " "))
		}
	}
	for ex := range skippedExamples {
		if !r.skipped[ex] {
			t.Errorf("skippedExamples names %q, which no --help has (any more)", ex)
		}
	}
}

// exampleRunner runs examples in a shell, as a user would paste them.
type exampleRunner struct {
	cli      *sy
	url, dir string
	watch    *exec.Cmd
	watchOut *bytes.Buffer
	skipped  map[string]bool // the skippedExamples met
}

func newExampleRunner(t *testing.T, url, kubeconfig string) *exampleRunner {
	dir := t.TempDir()
	flat := testenv.FlatKubeconfig(t, kubeconfig)
	if err := os.WriteFile(filepath.Join(dir, "staging.yaml"), flat, 0o600); err != nil {
		t.Fatal(err)
	}
	writeProdAdmin(t, dir)
	s := newCLI(t)
	return &exampleRunner{cli: s, url: url, dir: dir, skipped: map[string]bool{}}
}

// adminToken makes an API token for the login --token example.
func (r *exampleRunner) adminToken(t *testing.T) string {
	c, err := client.New(r.url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Login(t.Context(), "admin", password); err != nil {
		t.Fatal(err)
	}
	tok, err := c.CreateToken(t.Context(), "examples-ci", 1)
	if err != nil {
		t.Fatal(err)
	}
	return tok.Secret
}

// help returns `switchyard PATH --help`.
func (r *exampleRunner) help(t *testing.T, path []string) string {
	t.Helper()
	out, errs, code := r.cli.run("", append(path, "--help")...)
	if code != 0 {
		t.Fatalf("%s --help: exit %d: %s", strings.Join(path, " "), code, errs)
	}
	return out
}

// subcommandLine is a line of a command list: a name as long as the longest
// (rotate-credentials) is followed by one space only.
var subcommandLine = regexp.MustCompile(`(?m)^  ([a-z][a-z-]*) +[A-Z]`)

// commandPaths lists every command under path, from the help's command lists.
func (r *exampleRunner) commandPaths(t *testing.T, path []string) [][]string {
	help := r.help(t, path)
	help, _, _ = strings.Cut(help, "\nFlags:")
	var out [][]string
	for _, m := range subcommandLine.FindAllStringSubmatch(help, -1) {
		if m[1] == "help" {
			continue
		}
		sub := append(append([]string{}, path...), m[1])
		out = append(out, sub)
		if len(path) == 0 {
			out = append(out, r.commandPaths(t, sub)...)
		}
	}
	return out
}

// examples are the command lines of a command's Examples section, a line
// ending in \ joined with the next.
func (r *exampleRunner) examples(t *testing.T, path []string) []string {
	_, ex, ok := strings.Cut(r.help(t, path), "\nExamples:\n")
	if !ok {
		return nil
	}
	ex, _, _ = strings.Cut(ex, "\n\n")
	var out []string
	cont := ""
	for _, line := range strings.Split(ex, "\n") {
		line = strings.TrimSpace(line)
		if joined, ok := strings.CutSuffix(line, "\\"); ok {
			cont += joined
			continue
		}
		if line = cont + line; line != "" {
			out = append(out, line)
		}
		cont = ""
	}
	return out
}

// runExamples runs each example of a command in bash, in the runner's
// directory, with switchyard on PATH; each must exit 0.
func (r *exampleRunner) runExamples(t *testing.T, st exampleStep) {
	exs := r.examples(t, strings.Fields(st.path))
	if len(exs) == 0 {
		t.Fatalf("%s --help has no examples", st.path)
	}
	for _, ex := range exs {
		if key, why, ok := skipped(ex); ok {
			r.skipped[key] = true
			t.Logf("skipped (%s): %s", why, ex)
			continue
		}
		line := strings.ReplaceAll(ex, makeDemoURL, r.url)
		line = strings.ReplaceAll(line, strings.TrimPrefix(makeDemoURL, "http://"), strings.TrimPrefix(r.url, "http://"))
		out, errs, code := r.shell(t, line, st.env, strings.Contains(ex, "until Ctrl-C"))
		if code != 0 {
			t.Errorf("example %q: exit %d\nstdout: %s\nstderr: %s", ex, code, out, errs)
		} else if strings.Contains(ex, "until Ctrl-C") && out == "" {
			t.Errorf("example %q printed nothing before Ctrl-C", ex)
		}
	}
}

// shell runs one example line in bash; interrupt sends Ctrl-C (SIGINT)
// after a few seconds, for the examples that run until then.
func (r *exampleRunner) shell(t *testing.T, line string, env map[string]string, interrupt bool) (string, string, int) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-o", "pipefail", "-c", line)
	cmd.Dir = r.dir
	cmd.Env = r.env(env)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if interrupt {
		timer := time.AfterFunc(3*time.Second, func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGINT) })
		defer timer.Stop()
	}
	err := cmd.Wait()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %q: %v", line, err)
	}
	return out.String(), errb.String(), code
}

func (r *exampleRunner) env(extra map[string]string) []string {
	env := append(os.Environ(), "PATH="+filepath.Dir(r.cli.bin)+":"+os.Getenv("PATH"), "HOME="+r.dir,
		"KUBECONFIG=", "SWITCHYARD_CONFIG="+r.cli.config, "SWITCHYARD_URL=", "SWITCHYARD_TOKEN=", "SWITCHYARD_WORKSPACE=", "PASSWORD="+password)
	for k, v := range extra {
		env = append(env, k+"="+v)
	}
	return env
}

// checkVersion: version -o json has the client's and the server's build.
// rolledBackTo110 waits until job rollback has brought 1.1.0 back to the
// active Service. Argo decides how (rollout/sync.go isFastRollback): while
// 1.1.0's ReplicaSet is still on standby (scale-down deadline not passed:
// Argo gives one to an unpromoted preview replaced by a newer one, unless it
// scaled it down first) traffic switches at once; otherwise the rollback is a
// new blue-green round that waits for a promote. Both are right: the help says
// "a version still on standby takes traffic at once".
func rolledBackTo110(t *testing.T, r *exampleRunner) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for promoted := false; ; time.Sleep(500 * time.Millisecond) {
		j := r.cli.job("web-bg")
		switch {
		case j.Phase == "Healthy" && len(j.ActiveImages) == 1 && j.ActiveImages[0] == "example/web:1.1.0":
			return
		case j.Phase == "Awaiting promotion" && !promoted:
			r.cli.ok("job", "promote", "web-bg")
			promoted = true
		case time.Now().After(deadline):
			t.Fatalf("after job rollback: %s, active %v; want Healthy on example/web:1.1.0", j.Phase, j.ActiveImages)
		}
	}
}

func checkVersion(t *testing.T, r *exampleRunner) {
	var v struct {
		Client, Server client.BuildInfo
	}
	out := r.cli.ok("version", "-o", "json")
	if err := json.Unmarshal([]byte(out), &v); err != nil || v.Client.GoVersion == "" || v.Server.GoVersion == "" || v.Server.Version == "" {
		t.Errorf("version -o json = %s, %v; want the client's and the server's builds", out, err)
	}
}

// checkCompletion asks the hidden __complete command, as the shells'
// scripts do, for names from the server.
func checkCompletion(t *testing.T, r *exampleRunner) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"job", "get", ""}, "web-bg"},
		{[]string{"job", "promote", "--workspace", "demo", "w"}, "web-bg"},
		{[]string{"job", "get", "-w", ""}, "demo"},
		{[]string{"job", "list", "--namespace", ""}, "demo"},
		{[]string{"job", "create", "x", "--cluster", "local", "-n", "demo", "--deployment", ""}, "worker"},
		{[]string{"cluster", "probe", ""}, "local"},
		{[]string{"binding", "add", ""}, "local"},
		{[]string{"workspace", "get", ""}, "demo"},
		{[]string{"context", "use", ""}, "ci"},
		{[]string{"job", "list", "-o", ""}, "jsonpath="},
	} {
		out := r.cli.ok(append([]string{"__complete"}, tt.args...)...)
		if !slices.Contains(strings.Split(out, "\n"), tt.want) {
			t.Errorf("__complete %q = %q, want %s among the names", tt.args, out, tt.want)
		}
	}
}

// startListWatch starts job list -w before the deploy examples.
func startListWatch(t *testing.T, r *exampleRunner) {
	r.watchOut = new(bytes.Buffer)
	r.watch = exec.Command(r.cli.bin, "job", "list", "-w", "--workspace", "demo")
	r.watch.Env = r.env(nil)
	r.watch.Stdout, r.watch.Stderr = r.watchOut, r.watchOut
	if err := r.watch.Start(); err != nil {
		t.Fatal(err)
	}
}

// checkListWatch: job list -w printed the header once, then a new line for
// the job when the deploy examples changed it; Ctrl-C ends it with exit 0.
func checkListWatch(t *testing.T, r *exampleRunner) {
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(r.watchOut.String(), "example/web:1.2.0") && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	_ = r.watch.Process.Signal(syscall.SIGINT)
	err := r.watch.Wait()
	out := r.watchOut.String()
	if err != nil || strings.Count(out, "NAME ") != 1 || strings.Count(out, "web-bg") < 2 || !strings.Contains(out, "example/web:1.2.0") {
		t.Errorf("job list -w: %v, output:\n%s\nwant one header, then web-bg again with example/web:1.2.0", err, out)
	}
}

// writeChecksFile writes the checks.yaml that job set-checks' example reads:
// one check before the switch on the preview Service.
func writeChecksFile(t *testing.T, r *exampleRunner) {
	body := "- name: smoke\n  kind: http\n  when: before\n  url: http://{{preview}}/healthz\n  interval: 5s\n  count: 2\n"
	if err := os.WriteFile(filepath.Join(r.dir, "checks.yaml"), []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

// checkChecksListed: job checks lists the check set-checks stored.
func checkChecksListed(t *testing.T, r *exampleRunner) {
	if out := r.cli.ok("job", "checks", "web-bg", "-o", "name"); strings.TrimSpace(out) != "check/smoke" {
		t.Errorf("job checks web-bg -o name printed %q, want check/smoke", out)
	}
}

// restoreDemo puts the shared demo Deployment back as it was when the test
// ends: the examples ship new images to it.
func restoreDemo(t *testing.T, kubeconfig string) {
	kc, _ := testenv.Clients(t, kubeconfig)
	dep, err := kc.AppsV1().Deployments("demo").Get(t.Context(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the demo workload: %v", err)
	}
	template := dep.Spec.Template.DeepCopy()
	replicas := dep.Spec.Replicas
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for range 5 {
			cur, err := kc.AppsV1().Deployments("demo").Get(ctx, "web", metav1.GetOptions{})
			if err != nil {
				t.Errorf("restore the demo Deployment: %v", err)
				return
			}
			cur.Spec.Template, cur.Spec.Replicas = *template, replicas
			if _, err = kc.AppsV1().Deployments("demo").Update(ctx, cur, metav1.UpdateOptions{}); err == nil {
				return
			}
			time.Sleep(time.Second)
		}
		t.Errorf("restore the demo Deployment: conflicts")
	})
}

// writeProdAdmin writes ~/.kube/config (HOME is dir) with context
// prod-admin for the second local cluster: the cluster add --from-context
// examples make Switchyard's ServiceAccount there (kube-system/switchyard-manager).
func writeProdAdmin(t *testing.T, dir string) {
	t.Helper()
	cfg, err := clientcmd.Load(testenv.FlatKubeconfig(t, testenv.KubeconfigNoArgo(t)))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Contexts = map[string]*clientcmdapi.Context{"prod-admin": cfg.Contexts[cfg.CurrentContext]}
	cfg.CurrentContext = "prod-admin"
	if err := os.MkdirAll(filepath.Join(dir, ".kube"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := clientcmd.WriteToFile(*cfg, filepath.Join(dir, ".kube", "config")); err != nil {
		t.Fatal(err)
	}
}

// giveAliceToken12 signs in as alice (made by the user create examples) and
// creates API tokens until one has ID 12, the one user revoke-token's example
// revokes; the story made fewer than 12 tokens before.
func giveAliceToken12(t *testing.T, r *exampleRunner) {
	c, err := client.New(r.url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Login(t.Context(), "alice", password); err != nil {
		t.Fatalf("sign in as alice: %v", err)
	}
	for i := 0; ; i++ {
		tok, err := c.CreateToken(t.Context(), fmt.Sprintf("laptop-%d", i), 0)
		if err != nil {
			t.Fatalf("alice creates a token: %v", err)
		}
		if tok.ID >= 12 {
			if tok.ID != 12 {
				t.Fatalf("alice's token is %d: the story made more than 11 tokens before, so user revoke-token's example names none", tok.ID)
			}
			break
		}
	}
	// A second token for the jsonpath example (it revokes the first one listed).
	if _, err := c.CreateToken(t.Context(), "desktop", 0); err != nil {
		t.Fatalf("alice creates a token: %v", err)
	}
}

// testEvents counts the test events receiveNotification1's receiver got.
var testEvents atomic.Int32

// receiveNotification1 points notification 1 (the Slack example's, whose
// host does not exist) at a receiver of the test's that answers 204.
func receiveNotification1(t *testing.T, r *exampleRunner) {
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Header.Get("X-Switchyard-Event") == "test" && req.Header.Get("X-Switchyard-Signature") != "" {
			testEvents.Add(1)
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(recv.Close)
	r.cli.ok("notification", "set", "1", "--url", recv.URL+"/services/T000/B000/XXXX", "-w", "payments")
}

func checkNotification1Tested(t *testing.T, _ *exampleRunner) {
	if n := testEvents.Load(); n != 1 {
		t.Errorf("the receiver got %d signed test events, want 1", n)
	}
}
