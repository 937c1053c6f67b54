package cli

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/switchyard/switchyard/client"
	"github.com/switchyard/switchyard/internal/testenv"
)

func TestParsePhase(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"healthy", "Healthy", true},
		{"HEALTHY", "Healthy", true},
		{"awaiting-promotion", "Awaiting promotion", true},
		{"Awaiting promotion", "Awaiting promotion", true},
		{"awaiting_promotion", "Awaiting promotion", true},
		{" awaiting  promotion ", "Awaiting promotion", true},
		{"deleted", "Deleted", true},
		{"awaiting", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := parsePhase(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("parsePhase(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestAge(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		ago  time.Duration
		want string
	}{
		{5 * time.Second, "5s"}, {90 * time.Second, "90s"}, {10 * time.Minute, "10m"}, {150 * time.Minute, "150m"},
		{5 * time.Hour, "5h"}, {72 * time.Hour, "3d"}, {-time.Second, "0s"}, {-time.Hour, "0s"},
		{400 * 24 * time.Hour, "400d"}, {3 * 365 * 24 * time.Hour, "3y"},
	}
	for _, tt := range tests {
		if got := age(now.Add(-tt.ago), now); got != tt.want {
			t.Errorf("age(%v ago) = %q, want %q", tt.ago, got, tt.want)
		}
	}
	if got := age(time.Time{}, now); got != "-" {
		t.Errorf("age(zero) = %q, want -", got)
	}
}

// TestParseIntersperse checks flags may come before or after the
// arguments, GNU style, and "--" ends the flags.
func TestParseIntersperse(t *testing.T) {
	t.Setenv("SWITCHYARD_CONFIG", filepath.Join(t.TempDir(), "config.json"))
	t.Setenv("SWITCHYARD_URL", "http://127.0.0.1:1")
	for _, args := range [][]string{{"job", "get", "web", "-o", "xml"}, {"job", "get", "-o", "xml", "--", "-web"}, {"job", "get", "--output=xml", "web"}} {
		var stdout, stderr bytes.Buffer
		code := Run(context.Background(), args, &stdout, &stderr)
		if code != ExitUsage || !strings.Contains(stderr.String(), `--output "xml"`) {
			t.Errorf("%v: exit %d, stderr %q; want the -o value refused (it was parsed wherever it stood)", args, code, stderr.String())
		}
	}
}

// commands lists every runnable command of the tree, as "job get".
func commands(t *testing.T) [][]string {
	t.Helper()
	c := &cli{name: "switchyard", stdout: io.Discard, stderr: io.Discard, getenv: os.Getenv}
	var out [][]string
	var walk func(cmd *cobra.Command, path []string)
	walk = func(cmd *cobra.Command, path []string) {
		for _, sub := range cmd.Commands() {
			if sub.Hidden || sub.Name() == "help" {
				continue
			}
			p := append(append([]string{}, path...), sub.Name())
			if sub.HasSubCommands() {
				walk(sub, p)
				continue
			}
			out = append(out, p)
		}
	}
	walk(c.rootCmd(), nil)
	if len(out) < 40 {
		t.Fatalf("only %d commands found: %v", len(out), out)
	}
	return out
}

// TestUsageErrors runs every command with an unknown flag, and the bad
// arguments the CLI catches itself: all exit 2 before contacting a server,
// with a message naming what is wrong.
func TestUsageErrors(t *testing.T) {
	type usage struct {
		args []string
		want string
	}
	var cases []usage
	for _, cmd := range commands(t) {
		cases = append(cases, usage{append(cmd, "--bogus"), "unknown flag: --bogus"})
	}
	for _, u := range []usage{
		{[]string{"nope"}, `unknown command "nope"`}, {[]string{"job"}, "missing subcommand"}, {[]string{"job", "nope"}, `unknown command "nope"`},
		{[]string{"job", "lst"}, "Did you mean this?"}, {[]string{"job", "lst"}, "\tlist\n"},
		{[]string{"job", "get"}, "missing argument"}, {[]string{"job", "get", "a", "b"}, `unexpected argument "b"`},
		{[]string{"job", "create", "x"}, "--namespace"},
		{[]string{"job", "deploy", "x"}, "--image"},
		{[]string{"job", "wait", "x"}, "--for"},
		{[]string{"cluster", "add", "x"}, "--kubeconfig"},
		{[]string{"cluster", "set", "x"}, "--argo-instance-id"},
		{[]string{"job", "wait", "a", "--for", "asleep"}, "--for"},
		{[]string{"job", "wait", "a", "--for", "healthy", "--timeout", "soon"}, "--timeout"},
		{[]string{"job", "wait", "a", "--for", "healthy", "--timeout", "90"}, "has no unit"},
		{[]string{"job", "deploy", "a", "--image", "noequals"}, "CONTAINER=IMAGE"},
		{[]string{"job", "create", "a", "--cluster", "c", "-n", "n", "--deployment", "d", "--service", "s", "--standby", "1.5s"}, "whole number of seconds"},
		{[]string{"job", "list", "-o", "xml"}, "--output"},
		{[]string{"job", "list", "-o", "jsonpath={.items[}"}, "jsonpath"},
		{[]string{"job", "list", "-o", "custom-columns=NAME"}, "HEADER:PATH"},
		{[]string{"job", "list", "-w", "demo"}, "--workspace demo"},
		{[]string{"job", "targets", "--cluster", "local"}, "go together"},
		{[]string{"login"}, "missing argument"}, {[]string{"login", "not-a-url"}, "server URL"},
		{[]string{"completion", "tcsh"}, "tcsh"},
		{[]string{"audit", "list", "--outcome", "nope"}, "--outcome"},
		{[]string{"audit", "list", "--limit", "0"}, "--limit"},
		{[]string{"audit", "list", "--before", "-1"}, "--before"},
		{[]string{"audit", "list", "--before", "x"}, "--before"},
		{[]string{"audit", "list", "--all", "-w", "team"}, "--all"},
		{[]string{"audit", "list", "-o", "xml"}, "--output"},
		{[]string{"audit", "list", "extra"}, "extra"},
		{[]string{"token", "create", "x", "--expires", "12h"}, "whole number of days"},
		{[]string{"version", "extra"}, "extra"},
	} {
		cases = append(cases, u)
	}
	cfg := filepath.Join(t.TempDir(), "config.json")
	t.Setenv("SWITCHYARD_CONFIG", cfg)
	t.Setenv("SWITCHYARD_URL", "http://127.0.0.1:1")
	t.Setenv("SWITCHYARD_WORKSPACE", "w")
	for _, u := range cases {
		t.Run(strings.Join(u.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Run(context.Background(), u.args, &stdout, &stderr)
			if code != ExitUsage || !strings.Contains(stderr.String(), u.want) || !strings.Contains(stderr.String(), "--help' for usage") {
				t.Errorf("exit %d, stderr %q; want %d with %q and the --help hint", code, stderr.String(), ExitUsage, u.want)
			}
		})
	}
}

// TestHelp checks every command has --help with examples, exit 0, and that
// "help CMD" prints the same.
func TestHelp(t *testing.T) {
	for _, cmd := range commands(t) {
		t.Run(strings.Join(cmd, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Run(context.Background(), append(cmd, "--help"), &stdout, &stderr)
			if code != ExitOK || !strings.Contains(stdout.String(), "Examples:") && cmd[0] != "completion" && cmd[0] != "serve" {
				t.Errorf("exit %d, output %q; want 0 and Examples:", code, stdout.String())
			}
			var viaHelp bytes.Buffer
			Run(context.Background(), append([]string{"help"}, cmd...), &viaHelp, &stderr)
			if viaHelp.String() != stdout.String() {
				t.Errorf("help %s differs from %s --help:\n%s", strings.Join(cmd, " "), strings.Join(cmd, " "), viaHelp.String())
			}
		})
	}
}

// TestDeleteAsks checks job delete asks on a terminal and stops at "no"
// before calling the server (which here does not exist).
func TestDeleteAsks(t *testing.T) {
	env := map[string]string{
		"SWITCHYARD_CONFIG": filepath.Join(t.TempDir(), "config.json"),
		"SWITCHYARD_URL":    "http://127.0.0.1:1", "SWITCHYARD_WORKSPACE": "team",
	}
	var stdout, stderr bytes.Buffer
	c := &cli{stdin: strings.NewReader("n\n"), stdout: &stdout, stderr: &stderr, stdinTTY: true,
		getenv: func(k string) string { return env[k] }}
	code := c.run(context.Background(), []string{"job", "delete", "web"})
	if code != ExitError || !strings.Contains(stderr.String(), `Delete job "web" of workspace "team"? [y/N]`) || !strings.Contains(stderr.String(), "not deleted") {
		t.Errorf("exit %d, stderr %q; want the question, then not deleted and exit %d", code, stderr.String(), ExitError)
	}
}

// TestWaitGrace checks job wait fails only once Degraded or Aborted lasted
// the grace period, and starts counting again after any other phase.
func TestWaitGrace(t *testing.T) {
	w := &waiter{grace: 50 * time.Millisecond}
	steps := []struct {
		phase string
		stale bool
		sleep time.Duration
		want  bool
	}{
		{"Degraded", false, 0, false},
		{"Degraded", false, 60 * time.Millisecond, true},
		{"Progressing", false, 0, false},
		{"Aborted", false, 0, false},
		{"Aborted", true, 60 * time.Millisecond, false}, // stale: the cluster could not be read
		{"Aborted", false, 0, false},
		{"Aborted", false, 60 * time.Millisecond, true},
	}
	for i, st := range steps {
		time.Sleep(st.sleep)
		if got := w.failed(&client.Job{Phase: st.phase, Stale: st.stale}); got != st.want {
			t.Errorf("step %d (%s after %v): failed = %v, want %v", i, st.phase, st.sleep, got, st.want)
		}
	}
}

// TestCompletionScripts checks cobra's scripts for the four shells come
// out, and that bash's and zsh's parse in their shells.
func TestCompletionScripts(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		t.Run(shell, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := Run(context.Background(), []string{"completion", shell}, &stdout, &stderr); code != ExitOK {
				t.Fatalf("completion %s: exit %d: %s", shell, code, stderr.String())
			}
			if !strings.Contains(stdout.String(), "__complete") {
				t.Errorf("completion %s does not call switchyard __complete (dynamic completion)", shell)
			}
			if shell == "fish" || shell == "powershell" {
				return
			}
			path := testenv.Tool(t, shell, "apt-get install "+shell+"; else its syntax is not checked")
			cmd := exec.Command(path, "-n")
			cmd.Stdin = &stdout
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("%s -n: %v\n%s", shell, err, out)
			}
		})
	}
}

// TestPluginName checks that called as kubectl-switchyard the help says
// "kubectl switchyard" wherever it names the program, and URLs stay.
func TestPluginName(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := RunAs(context.Background(), "/usr/local/bin/kubectl-switchyard", []string{"job", "wait", "--help"}, &stdout, &stderr); code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"kubectl switchyard job wait NAME --for PHASE [flags]", "  kubectl switchyard job wait web-bg --for healthy",
		"&& kubectl switchyard job promote web-bg"} {
		if !strings.Contains(out, want) {
			t.Errorf("help as kubectl-switchyard lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(strings.ReplaceAll(out, "kubectl switchyard", ""), "switchyard job") {
		t.Errorf("help as kubectl-switchyard still says switchyard job:\n%s", out)
	}
	stdout.Reset()
	RunAs(context.Background(), "kubectl-switchyard", []string{"login", "--help"}, &stdout, &stderr)
	if !strings.Contains(stdout.String(), "kubectl switchyard login http://127.0.0.1:8080") || !strings.Contains(stdout.String(), "~/.config/switchyard/config.json") {
		t.Errorf("login help as a plugin:\n%s", stdout.String())
	}
}

// TestConnect checks how the server and token are resolved from the config
// file and the environment, and that a token never goes to another server.
func TestConnect(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.json")
	cfg := &config{path: path, CurrentContext: "a", Contexts: map[string]*serverContext{
		"a": {Server: "http://a:1", Token: "sy_a", Workspace: "wa"},
		"b": {Server: "http://b:1", Token: "sy_b"},
	}}
	if err := cfg.save(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name                 string
		flags                connFlags
		env                  map[string]string
		server, token, space string
	}{
		{"current context", connFlags{}, nil, "http://a:1", "sy_a", "wa"},
		{"--context", connFlags{context: "b"}, nil, "http://b:1", "sy_b", ""},
		{"-w wins", connFlags{workspace: "x"}, map[string]string{"SWITCHYARD_WORKSPACE": "y"}, "http://a:1", "sy_a", "x"},
		{"env workspace", connFlags{}, map[string]string{"SWITCHYARD_WORKSPACE": "y"}, "http://a:1", "sy_a", "y"},
		{"env token", connFlags{}, map[string]string{"SWITCHYARD_TOKEN": "sy_env"}, "http://a:1", "sy_env", "wa"},
		{"same server from env", connFlags{}, map[string]string{"SWITCHYARD_URL": "http://a:1/"}, "http://a:1", "sy_a", "wa"},
		{"other server: no token of the context", connFlags{}, map[string]string{"SWITCHYARD_URL": "http://evil:1"}, "http://evil:1", "", ""},
		{"other server with its token", connFlags{}, map[string]string{"SWITCHYARD_URL": "http://c:1", "SWITCHYARD_TOKEN": "sy_c"}, "http://c:1", "sy_c", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"SWITCHYARD_CONFIG": path}
			for k, v := range tt.env {
				env[k] = v
			}
			c := &cli{getenv: func(k string) string { return env[k] }}
			s, err := c.connect(tt.flags)
			if err != nil {
				t.Fatal(err)
			}
			if s.ctx.Server != tt.server || s.ctx.Token != tt.token || s.workspace != tt.space {
				t.Errorf("connect = server %q token %q workspace %q; want %q %q %q", s.ctx.Server, s.ctx.Token, s.workspace, tt.server, tt.token, tt.space)
			}
		})
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("config file mode %v, want 0600", fi.Mode().Perm())
	}
}

// TestWatchFrame checks the terminal frame clears the screen and shows the
// versions with their marks and pods, each pod with its state, and the plain
// line sums them up.
func TestWatchFrame(t *testing.T) {
	now := time.Now()
	standby := now.Add(20 * time.Second)
	j := &client.Job{Name: "web", Workspace: "team", Cluster: "local", Namespace: "shop", Phase: client.PhaseAwaitingPromotion,
		ActiveImages: []string{"web:1"}, PreviewImages: []string{"web:2"}, Versions: []client.Version{
			{Revision: 2, Images: []string{"web:2"}, Ready: 2, Desired: 3, Preview: true, CreatedAt: now, Pods: []client.Pod{
				{Name: "web-bg-7f9c-a1", Phase: "Running", Ready: true, Node: "kwok-node-0", CreatedAt: now},
				{Name: "web-bg-7f9c-b2", Phase: "Running", Reason: "CrashLoopBackOff", Restarts: 4, CreatedAt: now},
			}},
			{Revision: 1, Images: []string{"web:1"}, Ready: 3, Desired: 3, Active: true, Stable: true, CreatedAt: now, ScaleDownAt: &standby},
		}}
	frame := string(watchFrame(j, nil, now))
	for _, want := range []string{"\033[H\033[2J", "Phase: Awaiting promotion", "REVISION", "PREVIEW", "ACTIVE,STABLE", "2/3", "●●○", "●●●", "(in 20s)",
		"POD", "web-bg-7f9c-a1", "kwok-node-0", "Running: CrashLoopBackOff"} {
		if !strings.Contains(frame, want) {
			t.Errorf("frame lacks %q:\n%s", want, frame)
		}
	}
	line := progressLine(j)
	if want := "Awaiting promotion; rev 2 PREVIEW web:2 2/3; rev 1 ACTIVE,STABLE web:1 3/3"; line != want {
		t.Errorf("progressLine = %q, want %q", line, want)
	}
}

// TestAuditTable checks the columns of both logs, workspace names with the
// ID for unknown ones, cut details, and that control characters in logged
// values cannot reach the terminal.
func TestAuditTable(t *testing.T) {
	shop, gone := int64(1), int64(9)
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	events := []client.AuditEvent{
		{ID: 3, Time: at, Actor: "alice", WorkspaceID: &shop, Action: "job.promote", Target: "job web", Outcome: "success"},
		{ID: 2, Time: at, Actor: "bob\x1b[2J", WorkspaceID: &gone, Action: "member.put", Target: "member\tcarol", Outcome: "denied",
			Detail: strings.Repeat("x", 100)},
		{ID: 1, Time: at, Actor: "carol", Action: "login", Target: "user carol", Outcome: "failure", Detail: "wrong\npassword"},
	}
	render := func(global, wide bool) []string {
		var b bytes.Buffer
		_ = auditTable(events, global, map[int64]string{shop: "shop"}, wide).write(&b, true)
		return strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	}
	local := at.Local().Format(time.DateTime)
	tests := []struct {
		name         string
		global, wide bool
		want         [][]string // fields of each line
	}{
		{"workspace log", false, false, [][]string{
			{"ID", "TIME", "ACTOR", "ACTION", "TARGET", "OUTCOME", "DETAIL"},
			append([]string{"3"}, append(strings.Fields(local), "alice", "job.promote", "job", "web", "success", "-")...),
			append([]string{"2"}, append(strings.Fields(local), "bob", "[2J", "member.put", "member", "carol", "denied", strings.Repeat("x", 59)+"…")...),
			append([]string{"1"}, append(strings.Fields(local), "carol", "login", "user", "carol", "failure", "wrong", "password")...),
		}},
		{"global log", true, false, [][]string{
			{"ID", "TIME", "ACTOR", "WORKSPACE", "ACTION", "TARGET", "OUTCOME", "DETAIL"},
			append([]string{"3"}, append(strings.Fields(local), "alice", "shop", "job.promote", "job", "web", "success", "-")...),
			append([]string{"2"}, append(strings.Fields(local), "bob", "[2J", "#9", "member.put", "member", "carol", "denied", strings.Repeat("x", 59)+"…")...),
			append([]string{"1"}, append(strings.Fields(local), "carol", "-", "login", "user", "carol", "failure", "wrong", "password")...),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines := render(tt.global, tt.wide)
			if len(lines) != len(tt.want) {
				t.Fatalf("table has %d lines, want %d:\n%s", len(lines), len(tt.want), strings.Join(lines, "\n"))
			}
			for i, line := range lines {
				if got := strings.Fields(line); strings.Join(got, "|") != strings.Join(tt.want[i], "|") {
					t.Errorf("line %d = %q, want fields %q", i, line, tt.want[i])
				}
				if strings.ContainsAny(line, "\x1b\t") {
					t.Errorf("line %d = %q has a control character", i, line)
				}
			}
		})
	}
	if wide := strings.Join(render(true, true), "\n"); !strings.Contains(wide, strings.Repeat("x", 100)) || !strings.Contains(wide, at.Local().Format("MST")) {
		t.Errorf("wide table lacks the whole detail or the time zone:\n%s", wide)
	}
}

// TestDescribe checks how server errors print: the message, the field at
// fault, every field when several are, and the hint that fits the status.
func TestDescribe(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{&client.Error{Status: 422, Code: "invalid", Field: "name", Message: "name: must be a DNS-1123 label"}, "name: must be a DNS-1123 label (field name)"},
		{&client.Error{Status: 422, Code: "invalid", Field: "name", Message: "name: bad", Fields: []client.FieldProblem{
			{Field: "name", Message: "name: bad"}, {Field: "cluster", Message: "cluster: is required"}}},
			"name: bad; cluster: is required (fields name, cluster)"},
		{&client.Error{Status: 409, Code: "conflict", Message: "no release in flight", Phase: "Healthy"}, "no release in flight (job is Healthy)"},
		{&client.Error{Status: 401, Code: "unauthenticated", Message: "signed out"}, "signed out; run switchyard login"},
	}
	for _, tt := range tests {
		if got := describe(tt.err); got != tt.want {
			t.Errorf("describe(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

// TestNoControlCharacters checks that text from the server or the cluster
// (an event message, a pod's reason, an error) cannot send escape sequences
// to the reader's terminal.
func TestNoControlCharacters(t *testing.T) {
	evil := "ok\x1b]0;pwned\x07\x1b[2J\nnext\tcol"
	now := time.Now()
	j := &client.Job{Name: "web", Phase: "Degraded", Message: evil, Versions: []client.Version{{Revision: 1, Images: []string{evil},
		Pods: []client.Pod{{Name: "web-1", Phase: "Running", Reason: evil, CreatedAt: now}}}}}
	frame := string(watchFrame(j, nil, now))
	frame = strings.TrimPrefix(frame, "\033[H\033[2J") // watch's own redraw
	var table bytes.Buffer
	_ = jobTable([]client.Job{*j}, true, now).write(&table, true)
	for name, out := range map[string]string{
		"watch frame": frame, "job table": table.String(), "progress line": progressLine(j),
		"error": describe(&client.Error{Status: 422, Code: "invalid", Message: evil}),
	} {
		if strings.ContainsAny(out, "\x1b\x07") {
			t.Errorf("%s passes control characters through: %q", name, out)
		}
	}
}
