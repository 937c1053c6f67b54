package web_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/crypto/bcrypt"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/switchyard/switchyard/client"
	"github.com/switchyard/switchyard/internal/server"
	"github.com/switchyard/switchyard/internal/testenv"
)

const (
	adminPassword = "admin-password-web"
	userPassword  = "user-password-web"
	workspace     = "shop"
)

// consoleEnv is a real server (server.New: the real store, API, job service
// and console, in process)
// with the local cluster registered as "local" and a workspace bound to a
// fresh namespace that holds Deployment "app" with Service "app" (selects
// it) and Service "other" (does not).
type consoleEnv struct {
	url  string
	ns   string
	kube kubernetes.Interface
}

func newConsoleEnv(t *testing.T) *consoleEnv {
	t.Helper()
	chromiumPath(t)
	kubeconfig := testenv.Kubeconfig(t)
	ctx := t.Context()
	url, admin := startServer(t)
	if _, err := admin.CreateCluster(ctx, client.NewCluster{Name: "local", Kubeconfig: flatKubeconfig(t, kubeconfig)}); err != nil {
		t.Fatalf("register cluster: %v", err)
	}
	kc, _ := testenv.Clients(t, kubeconfig)
	ns := testenv.Namespace(t, kc, "web")
	makeApp(ctx, t, kc, ns)
	if _, err := admin.CreateWorkspace(ctx, client.NewWorkspace{Name: workspace, Description: "the shop team"}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreateBinding(ctx, workspace, client.NewBinding{Cluster: "local", Namespace: ns}); err != nil {
		t.Fatal(err)
	}
	if noArgo := os.Getenv("SWITCHYARD_TEST_KUBECONFIG_NOARGO"); noArgo != "" {
		// Shown in the form, disabled with its reason.
		if _, err := admin.CreateCluster(ctx, client.NewCluster{Name: "noargo", Kubeconfig: flatKubeconfig(t, noArgo)}); err != nil {
			t.Fatalf("register cluster noargo: %v", err)
		}
		if _, err := admin.CreateBinding(ctx, workspace, client.NewBinding{Cluster: "noargo", Namespace: "demo"}); err != nil {
			t.Fatal(err)
		}
	}
	addUsers(t, admin, workspace)
	return &consoleEnv{url: url, ns: ns, kube: kc}
}

// addUsers creates erin and vic and makes them the workspace's Editor and
// Viewer.
func addUsers(t *testing.T, admin *client.Client, workspace string) {
	t.Helper()
	for user, role := range map[string]string{"erin": "editor", "vic": "viewer"} {
		if _, err := admin.CreateUser(t.Context(), client.NewUser{Username: user, Password: userPassword}); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.PutMember(t.Context(), workspace, user, role); err != nil {
			t.Fatal(err)
		}
	}
}

// startServer starts a real server (server.New on a fresh SQLite store)
// and returns its URL and a client signed in as the platform admin.
func startServer(t *testing.T) (string, *client.Client) {
	t.Helper()
	ctx := t.Context()
	srv, err := server.New(ctx, server.Options{DataDir: t.TempDir(), AdminPassword: adminPassword, BcryptCost: bcrypt.MinCost},
		slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		srv.CloseStreams()
		hs.Close()
		if err := srv.Close(); err != nil {
			t.Errorf("close server: %v", err)
		}
	})

	admin, err := client.New(hs.URL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Login(ctx, "admin", adminPassword); err != nil {
		t.Fatalf("admin login: %v", err)
	}
	return hs.URL, admin
}

// makeApp creates Deployments "app" and "api" (3 replicas, one container
// named like the Deployment, image example/<name>:1), a Service of the same
// name selecting each, and Service "other" that selects neither.
func makeApp(ctx context.Context, t *testing.T, kc kubernetes.Interface, ns string) {
	t.Helper()
	replicas := int32(3)
	services := map[string]map[string]string{"other": {"app": "other"}}
	for _, name := range []string{"app", "api"} {
		lbl := map[string]string{"app": name}
		dep := &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: appsv1.DeploymentSpec{Replicas: &replicas, Selector: &metav1.LabelSelector{MatchLabels: lbl},
				Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: lbl},
					Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: name, Image: "example/" + name + ":1"}}}}},
		}
		if _, err := kc.AppsV1().Deployments(ns).Create(ctx, dep, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		services[name] = lbl
	}
	for name, sel := range services {
		svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.ServiceSpec{Selector: sel,
			Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080)}}}}
		if _, err := kc.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

// flatKubeconfig returns the kubeconfig with its certificate files inlined,
// as a user would upload it.
func flatKubeconfig(t *testing.T, path string) string {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := clientcmdapi.FlattenConfig(cfg); err != nil {
		t.Fatal(err)
	}
	data, err := clientcmd.Write(*cfg)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// chromiumPath finds Chromium, skipping the test when there is none (failing
// under SWITCHYARD_REQUIRE_CLUSTER=1, as make test sets).
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("SWITCHYARD_CHROMIUM"), "chromium", "chromium-browser", "/usr/bin/chromium"} {
		if p == "" {
			continue
		}
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("SWITCHYARD_REQUIRE_CLUSTER") == "1" {
		t.Fatal("Chromium is required (SWITCHYARD_REQUIRE_CLUSTER=1) but not installed (apt-get install chromium)")
	}
	t.Skip("needs Chromium (apt-get install chromium)")
	return ""
}

// browser is one headless Chromium window of 1280×800 with its own cookies.
type browser struct {
	t   *testing.T
	ctx context.Context
	url string
}

func (e *consoleEnv) browser(t *testing.T) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.WindowSize(1280, 800),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800)); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return &browser{t: t, ctx: ctx, url: e.url}
}

// do runs steps with a deadline, failing the test with what was being done.
func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.failed()
		b.t.Fatalf("%s: %v", what, err)
	}
}

// failed saves a screenshot of the page as it was when a step failed.
func (b *browser) failed() {
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return
	}
	path := filepath.Join(artifactsDir(b.t), "failed-"+strings.ReplaceAll(b.t.Name(), "/", "-")+".png")
	if os.WriteFile(path, png, 0o644) == nil {
		b.t.Logf("page at the failure: %s", path)
	}
}

// get runs one action that reads a value.
func get[T any](b *browser, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// css selects the first element matching a CSS selector.
func css(sel string) chromedp.CSS { return chromedp.CSS(sel) }

// waitJS waits until the JavaScript expression is truthy. A navigation
// under way discards the page's JavaScript context; the wait then starts
// again on the new page.
func waitJS(expr string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		deadline := time.Now().Add(45 * time.Second)
		for {
			poll := chromedp.Poll[any](expr, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(time.Until(deadline)))
			_, err := poll(ctx, t)
			if err == nil {
				return chromedp.Void{}, nil
			}
			if !strings.Contains(err.Error(), "-32000") || time.Now().After(deadline) || ctx.Err() != nil {
				return chromedp.Void{}, fmt.Errorf("waiting for %s: %w", expr, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// clickLive clicks the element sel matches in one step in the page, once
// there is one: rows that live updates re-render may be replaced between a
// lookup and a click.
func clickLive(sel string) chromedp.Action[chromedp.Void] {
	return waitJS(fmt.Sprintf(`(() => { const e = document.querySelector(%q); if (!e) return false; e.click(); return true; })()`, sel))
}

// js runs a JavaScript statement.
func js(expr string) chromedp.Action[chromedp.Void] {
	eval := chromedp.Evaluate[any](expr)
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := eval(ctx, t)
		return chromedp.Void{}, err
	}
}

// text returns the trimmed text of the first element matching sel, once
// there is one. It reads in one step in the page: live updates replace
// elements at any moment, so a node found first and read after may be gone.
func (b *browser) text(sel string) string {
	b.t.Helper()
	b.do("wait for "+sel, waitJS(fmt.Sprintf(`document.querySelector(%q) !== null`, sel)))
	return strings.TrimSpace(get(b, "read "+sel, chromedp.Evaluate[string](fmt.Sprintf(`(() => { const e = document.querySelector(%q); return e ? e.innerText : ""; })()`, sel))))
}

// exists reports whether an element matches sel right now.
func (b *browser) exists(sel string) bool {
	b.t.Helper()
	return get(b, "look for "+sel, chromedp.Evaluate[bool](fmt.Sprintf(`document.querySelector(%q) !== null`, sel)))
}

// visible reports whether sel matches an element that is rendered.
func (b *browser) visible(sel string) bool {
	b.t.Helper()
	return get(b, "look for "+sel, chromedp.Evaluate[bool](fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.offsetParent !== null; })()`, sel)))
}

// inSight reports whether every element matching sel can be seen without
// scrolling sideways: inside the window's width and not clipped by a
// scrolling or overflow-hidden ancestor (a table that scrolls hides its last
// columns until the user scrolls it).
func (b *browser) inSight(sel string) bool {
	b.t.Helper()
	return get(b, "look at "+sel, chromedp.Evaluate[bool](fmt.Sprintf(`(() => {
		const all = [...document.querySelectorAll(%q)];
		return all.length > 0 && all.every(e => {
			const r = e.getBoundingClientRect();
			if (r.width === 0 || r.left < 0 || r.right > document.documentElement.clientWidth) return false;
			for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
				if (getComputedStyle(a).overflowX === "visible") continue;
				const ar = a.getBoundingClientRect();
				if (r.left < ar.left - 1 || r.right > ar.right + 1) return false;
			}
			return true;
		});
	})()`, sel)))
}

// choose waits until the select has an enabled option with value, then picks
// it the way a user does (change event).
func choose(sel, value string) chromedp.Action[chromedp.Void] {
	return waitJS(fmt.Sprintf(`(() => {
		const s = document.querySelector(%q);
		if (!s || s.disabled) return false;
		const o = [...s.options].find(o => o.value === %q && !o.disabled);
		if (!o) return false;
		s.value = o.value;
		s.dispatchEvent(new Event("input", {bubbles: true}));
		s.dispatchEvent(new Event("change", {bubbles: true}));
		return true;
	})()`, sel, value))
}

// waitStatus waits until the element's status reads phase.
func waitStatus(sel, phase string) chromedp.Action[chromedp.Void] {
	return waitJS(fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.dataset.phase === %q; })()`, sel, phase))
}

func (b *browser) login(user, password string) {
	b.t.Helper()
	b.do("log in as "+user,
		chromedp.Navigate(b.url+"/"),
		chromedp.WaitVisible(css("#login-form")),
		chromedp.SendKeys(css("#username"), user),
		chromedp.SendKeys(css("#password"), password),
		chromedp.Click(css("#login-submit")),
		chromedp.WaitVisible(css("#current-user")),
	)
}

// screenshot writes the full page to test-artifacts/web/name.png.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	png := get(b, "screenshot "+name, chromedp.FullScreenshot(100))
	dir := artifactsDir(b.t)
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s", path)
}

// artifactsDir is test-artifacts/web at the root of the repository (or under
// SWITCHYARD_TEST_ARTIFACTS).
func artifactsDir(t *testing.T) string {
	t.Helper()
	root := os.Getenv("SWITCHYARD_TEST_ARTIFACTS")
	if root == "" {
		dir, err := os.Getwd()
		if err != nil {
			t.Fatal(err)
		}
		for {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				break
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				t.Fatal("go.mod not found above the test's directory")
			}
			dir = parent
		}
		root = filepath.Join(dir, "test-artifacts")
	}
	dir := filepath.Join(root, "web")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestSeedWalk is the seed's walk, exactly: a Workspace Editor logs in →
// Progressive Delivery → Create Delivery Job → Blue/Green → fills Name,
// Cluster, Namespace, Deployment, Service → Create → the list shows
// "Creation Successful" and the new row. On the way, an invalid name shows
// the rule before anything is submitted. Then a Viewer sees the job but no
// Create button and no actions; and the Editor deploys a new version,
// promotes it and rolls back from the detail page, watching the status
// change without reloading.
func TestSeedWalk(t *testing.T) {
	e := newConsoleEnv(t)
	b := e.browser(t)
	b.login("erin", userPassword)
	if got := b.text("#current-role"); got != "Workspace Editor" {
		t.Errorf("role shown %q, want %q", got, "Workspace Editor")
	}

	b.do("open Progressive Delivery, then Create Delivery Job → Blue/Green",
		chromedp.Click(`//nav[@id="sidenav"]//a[normalize-space()="Progressive Delivery"]`),
		chromedp.WaitVisible(css("#jobs-empty")),
		chromedp.Click(`//button[contains(normalize-space(), "Create Delivery Job")]`),
		chromedp.Click(`//a[@role="menuitem" and normalize-space()="Blue/Green"]`),
		chromedp.WaitVisible(css("#job-form")),
	)

	{ // an invalid name shows the rule before submitting
		b.do("type an invalid name",
			chromedp.SendKeys(css("#name"), "Web_App"),
			chromedp.WaitVisible(css("#name-error")),
		)
		rule := b.text("#name-error")
		for _, want := range []string{"63 characters", "lowercase letters", "digits"} {
			if !strings.Contains(rule, want) {
				t.Errorf("name error %q does not mention %q", rule, want)
			}
		}
		invalid := get(b, "read aria-invalid", chromedp.AttributeValue(css("#name"), "aria-invalid")).Value
		if invalid != "true" {
			t.Errorf("name aria-invalid = %q, want true", invalid)
		}
		if os.Getenv("SWITCHYARD_TEST_KUBECONFIG_NOARGO") != "" {
			b.do("see the cluster without Argo disabled", waitJS(`(() => { const o = [...document.querySelectorAll("#cluster option")].find(o => o.value === "noargo"); return !!o && o.disabled && o.textContent.includes("Argo Rollouts not installed"); })()`))
		}
		b.screenshot("form-invalid-name")
		b.do("fix the name",
			js(`document.querySelector("#name").value = ""`),
			chromedp.SendKeys(css("#name"), "web-app"),
			chromedp.WaitNotVisible(css("#name-error")),
		)
		if !strings.HasSuffix(get(b, "read the URL", chromedp.Location()), "/jobs/new") {
			t.Error("the form left the page while the name was invalid")
		}
	}

	b.do("fill Cluster, Namespace, Deployment, Service",
		choose("#cluster", "local"),
		choose("#namespace", e.ns),
		choose("#deployment", "app"),
		waitJS(`[...document.querySelectorAll("#service option")].some(o => o.value === "other" && o.disabled)`),
		choose("#service", "app"),
	)
	otherLabel := get(b, "read the non-selecting Service", chromedp.Evaluate[string](`[...document.querySelectorAll("#service option")].find(o => o.value === "other").textContent`))
	if !strings.Contains(otherLabel, "not selectable") {
		t.Errorf("Service other reads %q, want it marked not selectable", otherLabel)
	}
	b.screenshot("form-filled")
	b.do("Create",
		chromedp.Click(css("#create-submit")),
		chromedp.WaitVisible(css("#flash")),
		chromedp.WaitVisible(css(`#jobs-body tr[data-job="web-app"]`)),
	)
	if got := b.text("#flash"); !strings.Contains(got, "Creation Successful") {
		t.Errorf("prompt after Create reads %q, want %q", got, "Creation Successful")
	}
	if b.exists("#flash .flash-warnings") {
		t.Errorf("the prompt shows warnings although the cluster has Istio: %q", b.text("#flash"))
	}
	row := b.text(`#jobs-body tr[data-job="web-app"]`)
	for _, want := range []string{"web-app", "local", e.ns, "app", "erin"} {
		if !strings.Contains(row, want) {
			t.Errorf("new row %q lacks %q", row, want)
		}
	}
	b.do("wait for the job to be Healthy in the list, live",
		js(`window.notReloaded = true`),
		waitStatus(`#jobs-body tr[data-job="web-app"] .status`, "Healthy"))
	healthyAt := time.Now()
	if !get(b, "check the list was not reloaded", chromedp.Evaluate[bool](`window.notReloaded === true`)) {
		t.Error("the list reloaded: status changes must arrive live")
	}
	b.do("see the active image in the row", waitJS(`document.querySelector('#jobs-body tr[data-job="web-app"]').textContent.includes("example/app:1")`))
	b.do("filter by name and status, sort by name",
		chromedp.SendKeys(css("#f-name"), "zzz"),
		chromedp.WaitVisible(css("#jobs-nomatch")),
		chromedp.Click(css("#clear-filters")),
		chromedp.WaitVisible(css(`#jobs-body tr[data-job="web-app"]`)),
		choose("#f-phase", "Healthy"),
		chromedp.WaitVisible(css(`#jobs-body tr[data-job="web-app"]`)),
		choose("#f-phase", "Degraded"),
		chromedp.WaitVisible(css("#jobs-nomatch")),
		choose("#f-phase", ""),
		chromedp.Click(css(`button.sort[data-sort="name"]`)),
		waitJS(`document.querySelector('button.sort[data-sort="name"]').closest("th").getAttribute("aria-sort") === "ascending" && location.search.includes("sort=name")`),
		chromedp.WaitVisible(css(`#jobs-body tr[data-job="web-app"]`)),
	)
	b.screenshot("list")
	// A creation's warnings (the server's answer, kept for the list page)
	// come with the prompt, once. The local cluster has Istio, so the
	// warning is planted as the form would keep it.
	b.do("see a creation warning with the prompt",
		js(`sessionStorage.setItem("created-warnings", JSON.stringify({name: "web-app", warnings: ["Istio is not installed in cluster \"local\""]}))`),
		chromedp.Navigate(e.url+"/w/"+workspace+"/jobs?created=web-app"),
		waitJS(`!!document.querySelector("#flash .flash-warnings") && document.querySelector("#flash").textContent.includes("Istio is not installed")`),
		chromedp.Reload(),
		chromedp.WaitVisible(css(`#jobs-body tr[data-job="web-app"]`)),
	)
	if b.exists("#flash .flash-warnings") {
		t.Error("a creation's warnings show again after a reload")
	}
	b.do("back to the list", chromedp.Navigate(e.url+"/w/"+workspace+"/jobs"), chromedp.WaitVisible(css(`#jobs-body tr[data-job="web-app"]`)))

	t.Run("viewer sees no Create button and no actions", func(t *testing.T) {
		v := e.browser(t)
		v.login("vic", userPassword)
		v.do("open the list", chromedp.Navigate(e.url+"/w/"+workspace+"/jobs"),
			chromedp.WaitVisible(css(`#jobs-body tr[data-job="web-app"]`)))
		if got := v.text("#current-role"); got != "Workspace Viewer" {
			t.Errorf("role shown %q, want Workspace Viewer", got)
		}
		if v.exists("#create-job") {
			t.Error("a Viewer sees the Create Delivery Job button")
		}
		v.do("open the job", clickLive(`#jobs-body tr[data-job="web-app"] a`),
			chromedp.WaitVisible(css("#job-basic")),
			waitStatus("#job-status", "Healthy"))
		if v.exists("#job-actions") || v.exists("#versions-body button") {
			t.Error("a Viewer sees job action buttons")
		}
	})

	// Argo compares ReplicaSet creation times at one-second resolution: a new
	// version made within the same second as the first is taken for a roll back.
	time.Sleep(time.Until(healthyAt.Add(1100 * time.Millisecond)))
	b.do("open the job and deploy example/app:2",
		clickLive(`#jobs-body tr[data-job="web-app"] a`),
		chromedp.WaitVisible(css("#job-basic")),
		waitStatus("#job-status", "Healthy"),
		waitJS(`document.body.dataset.live === "stream"`), // the change stream is up: no polling
		js(`window.notReloaded = true`),
		chromedp.Click(css("#act-deploy")),
		chromedp.WaitVisible(css("#deploy-form")),
	)
	container := get(b, "read the container", chromedp.Value(css("#deploy-container")))
	if container != "app" {
		t.Errorf("deploy form proposes container %q, want app", container)
	}
	b.do("name a container the Deployment does not have",
		js(`document.querySelector("#deploy-container").value = "nope"`),
		chromedp.Click(css("#deploy-submit")),
		waitJS(`document.querySelector("#deploy-error").textContent.includes('no container "nope"')`),
		chromedp.WaitVisible(css("#deploy-form")),
		js(`document.querySelector("#deploy-container").value = "app"`),
	)
	b.do("deploy",
		js(`document.querySelector("#deploy-image").value = ""`),
		chromedp.SendKeys(css("#deploy-image"), "example/app:2"),
		chromedp.Click(css("#deploy-submit")),
		waitStatus("#job-status", "Awaiting promotion"),
		chromedp.WaitVisible(css("#act-promote")),
		waitJS(`[...document.querySelectorAll("#versions-body tr")].some(r => r.textContent.includes("example/app:2") && r.textContent.includes("Preview") && r.textContent.includes("3/3"))`),
		// Both versions list their pods, each ready and Running, named after its ReplicaSet.
		waitJS(`[...document.querySelectorAll("#versions-body tr")].filter(r => r.querySelectorAll(".podlist li.pod-ready").length === 3 && r.querySelector(".podlist li").textContent.includes("web-app-") && r.querySelector(".podlist").textContent.includes("Running")).length === 2`),
	)
	if b.visible("#act-deploy") || b.visible("#act-delete") {
		t.Error("Deploy or Delete offered while a release awaits promotion")
	}
	b.screenshot("detail-awaiting-promotion")

	b.do("promote",
		chromedp.Click(css("#act-promote")),
		waitStatus("#job-status", "Healthy"),
		waitJS(`[...document.querySelectorAll("#versions-body tr")].some(r => r.textContent.includes("example/app:2") && r.querySelector(".mark-active"))`),
		chromedp.WaitVisible(css("#standby")),
	)
	b.screenshot("detail-promoted")
	b.do("see Roll back offered for the version on standby", waitJS(`!!document.querySelector('#versions-body tr[data-revision="1"] button')`))
	if !b.inSight(`#versions-body button`) {
		t.Error("the Roll back button is out of sight at 1280 pixels: the user has to scroll the versions table sideways to find it")
	}
	if !b.inSight(`#versions-table th, #versions-table td`) {
		t.Error("the versions table does not fit its card at 1280 pixels: part of it shows only when scrolled sideways")
	}

	b.do("roll back to revision 1",
		waitJS(`!!document.querySelector('#versions-body tr[data-revision="1"] button')`),
		clickLive(`#versions-body tr[data-revision="1"] button`),
		chromedp.WaitVisible(css("#confirm")),
		// Revision 1 is on standby: the question says the switch is immediate.
		waitJS(`document.querySelector("#confirm-text").textContent.includes("traffic switches back to it at once")`),
		chromedp.Click(css("#confirm-ok")),
		waitJS(`document.querySelector("#job-status").dataset.phase === "Healthy" && [...document.querySelectorAll("#versions-body tr")].some(r => r.textContent.includes("example/app:1") && r.querySelector(".mark-active"))`),
	)
	// A change made outside Switchyard (an event on the Rollout) reaches the open page.
	poked := time.Now()
	if _, err := e.kube.CoreV1().Events(e.ns).Create(t.Context(), &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{GenerateName: "web-app-"},
		InvolvedObject: corev1.ObjectReference{Kind: "Rollout", Name: "web-app", Namespace: e.ns, APIVersion: "argoproj.io/v1alpha1"},
		Reason:         "ChangedOutside", Message: "made with kubectl", Type: corev1.EventTypeNormal,
		FirstTimestamp: metav1.Now(), LastTimestamp: metav1.Now(),
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	b.do("see a change made outside Switchyard", waitJS(`document.querySelector("#timeline").textContent.includes("ChangedOutside")`))
	t.Logf("an event made with the Kubernetes API showed in the open page after %v", time.Since(poked).Round(time.Millisecond))
	notReloaded := get(b, "check the page was never reloaded", chromedp.Evaluate[bool](`window.notReloaded === true`))
	if !notReloaded {
		t.Error("the detail page reloaded: status changes must arrive live")
	}
	b.do("see the operations in the timeline", waitJS(`["job.deploy", "job.promote", "job.rollback"].every(a => document.querySelector("#timeline").textContent.includes(a))`))
	b.screenshot("detail-rolled-back")

	// Abort asks first, and leaves Retry and Deploy; nothing is in flight then.
	time.Sleep(1100 * time.Millisecond)
	b.do("deploy example/app:3 and abort it",
		chromedp.Click(css("#act-deploy")),
		chromedp.WaitVisible(css("#deploy-form")),
		js(`document.querySelector("#deploy-image").value = ""`),
		chromedp.SendKeys(css("#deploy-image"), "example/app:3"),
		chromedp.Click(css("#deploy-submit")),
		waitStatus("#job-status", "Awaiting promotion"),
		chromedp.WaitVisible(css("#act-abort")),
		chromedp.Click(css("#act-abort")),
		chromedp.WaitVisible(css("#confirm")),
		chromedp.Click(css("#confirm-cancel")),
		chromedp.WaitNotVisible(css("#confirm")),
	)
	if get(b, "read the status", chromedp.Evaluate[string](`document.querySelector("#job-status").dataset.phase`)) != "Awaiting promotion" {
		t.Error("cancelling the Abort confirmation still aborted")
	}
	b.do("abort for real",
		chromedp.Click(css("#act-abort")),
		chromedp.WaitVisible(css("#confirm")),
		chromedp.Click(css("#confirm-ok")),
		waitStatus("#job-status", "Aborted"),
		chromedp.WaitVisible(css("#act-retry")),
		chromedp.WaitVisible(css("#act-delete")),
		chromedp.WaitNotVisible(css("#act-promote")),
	)

	// The server's errors appear next to their field: the name is taken now.
	b.do("create another job named web-app",
		chromedp.Navigate(e.url+"/w/"+workspace+"/jobs/new"),
		chromedp.WaitVisible(css("#job-form")),
		chromedp.SendKeys(css("#name"), "web-app"),
		choose("#cluster", "local"),
		choose("#namespace", e.ns),
		choose("#deployment", "api"),
		choose("#service", "api"),
		chromedp.Click(css("#create-submit")),
		waitJS(`document.querySelector("#name-error").textContent.includes("already has a job named")`),
	)
	if loc := get(b, "read the URL", chromedp.Location()); !strings.HasSuffix(loc, "/jobs/new") {
		t.Errorf("after a refused Create the browser is on %s, want the form", loc)
	}
	b.do("break two advanced settings at once: both are marked",
		js(`document.querySelector("#name").value = ""`),
		chromedp.SendKeys(css("#name"), "web-app-2"),
		js(`document.querySelector("#advanced").open = true`),
		chromedp.SendKeys(css("#scale_down_delay_seconds"), "99999999"),
		chromedp.SendKeys(css("#preview_replica_count"), "0"),
		chromedp.Click(css("#create-submit")),
		waitJS(`!document.querySelector("#scale_down_delay_seconds-error").hidden && !document.querySelector("#preview_replica_count-error").hidden`),
		waitJS(`document.querySelector("#scale_down_delay_seconds").getAttribute("aria-invalid") === "true" && document.querySelector("#preview_replica_count").getAttribute("aria-invalid") === "true"`),
	)
	b.screenshot("form-two-errors")

	// Narrow screens: the navigation folds behind a button, the table scrolls.
	b.do("open the list on a phone-sized screen",
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(e.url+"/w/"+workspace+"/jobs"),
		chromedp.WaitVisible(css(`#jobs-body tr[data-job="web-app"]`)),
		chromedp.WaitVisible(css(".nav-toggle")),
		chromedp.WaitNotVisible(css("#sidenav")),
	)
	b.screenshot("list-narrow")
	b.do("open the navigation", chromedp.Click(css(".nav-toggle")), chromedp.WaitVisible(css("#sidenav")))

	b.do("delete the job",
		chromedp.EmulateViewport(1280, 800),
		chromedp.Navigate(e.url+"/w/"+workspace+"/jobs/web-app"),
		chromedp.WaitVisible(css("#act-delete")),
		chromedp.Click(css("#act-delete")),
		chromedp.WaitVisible(css("#confirm")),
		chromedp.Click(css("#confirm-ok")),
		chromedp.WaitVisible(css("#filters")),
		chromedp.WaitNotPresent(css(`#jobs-body tr[data-job="web-app"]`)),
	)
}

// TestAdminPages: a platform admin sees Clusters in the navigation, the
// registered cluster with what its probe found, and the workspace with its
// members and cluster namespaces.
func TestAdminPages(t *testing.T) {
	e := newConsoleEnv(t)
	b := e.browser(t)
	b.login("admin", adminPassword)
	b.do("open Clusters",
		chromedp.Click(`//nav[@id="sidenav"]//a[normalize-space()="Clusters"]`),
		waitJS(`[...document.querySelectorAll("#clusters-body tr")].some(r => r.textContent.includes("local") && r.textContent.includes("Reachable") && r.textContent.includes("Installed"))`),
	)
	b.screenshot("clusters")
	// Register one through the form, with the instance ID of its Argo controller.
	far := strings.ReplaceAll(flatKubeconfig(t, testenv.Kubeconfig(t)), testenv.RESTConfig(t, testenv.Kubeconfig(t)).Host, "https://127.0.0.1:1")
	b.do("register a cluster whose Argo runs with --instance-id",
		chromedp.SendKeys(css("#c-name"), "shared"),
		chromedp.SendKeys(css("#c-instance"), "team-a"),
		js(fmt.Sprintf(`document.querySelector("#c-kubeconfig").value = %q`, far)),
		chromedp.Click(css(`#cluster-form button[type="submit"]`)),
		waitJS(`[...document.querySelectorAll("#clusters-body tr")].some(r => r.textContent.includes("shared") && r.textContent.includes("instance team-a") && r.textContent.includes("Unreachable"))`),
	)
	b.do("open Workspaces",
		chromedp.Click(`//nav[@id="sidenav"]//a[normalize-space()="Workspaces"]`),
		waitJS(`document.querySelector("#workspaces").textContent.includes("erin") && document.querySelector("#workspaces").textContent.includes("local / `+e.ns+`")`),
	)
	b.do("make vic an editor",
		waitJS(`!!document.querySelector("#role-shop-vic")`),
		js(`(() => { const s = document.querySelector("#role-shop-vic"); s.value = "editor"; s.dispatchEvent(new Event("change", {bubbles: true})); })()`),
		waitJS(`(() => { const s = document.querySelector("#role-shop-vic"); return !!s && s.value === "editor" && !s.isSameNode(window.oldSelect); })()`),
		chromedp.Reload(),
		waitJS(`(() => { const s = document.querySelector("#role-shop-vic"); return !!s && s.value === "editor"; })()`),
	)
	b.screenshot("workspaces")
	if got := b.text("#current-role"); got != "Platform Admin" {
		t.Errorf("role shown %q, want Platform Admin", got)
	}

	b.do("open Users and add dana with a short password",
		chromedp.Click(`//nav[@id="sidenav"]//a[normalize-space()="Users"]`),
		waitJS(`[...document.querySelectorAll("#users-body tr")].some(r => r.dataset.user === "erin")`),
		chromedp.SendKeys(css("#u-name"), "dana"),
		chromedp.SendKeys(css("#u-password"), "short"),
		chromedp.Click(css(`#user-form button[type="submit"]`)),
		waitJS(`!document.querySelector("#u-password-error").hidden && document.querySelector("#u-password-error").textContent.includes("at least 8")`),
	)
	if b.exists(`#users-body tr[data-user="dana"]`) {
		t.Error("dana listed although her creation was refused")
	}
	b.do("add dana for real, then set her password",
		js(`document.querySelector("#u-password").value = ""`),
		chromedp.SendKeys(css("#u-password"), "dana-password-1"),
		chromedp.Click(css(`#user-form button[type="submit"]`)),
		waitJS(`!!document.querySelector('#users-body tr[data-user="dana"]')`),
		clickLive(`#users-body tr[data-user="dana"] button`),
		chromedp.WaitVisible(css("#password-dialog")),
		chromedp.SendKeys(css("#new-password"), "dana-password-2"),
		chromedp.Click(css("#password-ok")),
		chromedp.WaitNotVisible(css("#password-dialog")),
		waitJS(`document.querySelector("#toast").textContent.includes("signed out everywhere")`),
	)
	b.screenshot("users")

	b.do("open the global audit log",
		chromedp.Navigate(e.url+"/audit"),
		waitJS(`[...document.querySelectorAll("#audit-body tr")].some(r => r.textContent.includes("user.create") && r.textContent.includes("user dana"))`),
		waitJS(`[...document.querySelectorAll("#audit-body tr")].some(r => r.textContent.includes("member.") && r.textContent.includes("`+workspace+`"))`),
	)
	b.do("filter the audit log: failed user creations by admin",
		chromedp.SendKeys(css("#f-actor"), "admin"),
		chromedp.SendKeys(css("#f-action"), "user."),
		js(`(() => { const s = document.querySelector("#f-outcome"); s.value = "failure"; s.dispatchEvent(new Event("input", {bubbles: true})); })()`),
		waitJS(`(() => { const rows = [...document.querySelectorAll("#audit-body tr[data-id]")]; return rows.length > 0 && rows.every(r => r.textContent.includes("user.create") && r.textContent.includes("failure")); })()`),
	)
	if loc := get(b, "read the URL", chromedp.Location()); !strings.Contains(loc, "outcome=failure") {
		t.Errorf("audit filters not kept in the address: %s", loc)
	}
	b.screenshot("audit")
	b.do("open the workspace's audit log from its jobs page",
		chromedp.Navigate(e.url+"/w/"+workspace+"/jobs"),
		chromedp.Click(`//nav[@id="sidenav"]//a[normalize-space()="Audit log"]`),
		waitJS(`location.pathname === "/w/`+workspace+`/audit" && [...document.querySelectorAll("#audit-body tr")].some(r => r.textContent.includes("member."))`),
	)
	if b.exists(`#audit-body tr[data-id]`) && strings.Contains(b.text("#audit-body"), "user dana") {
		t.Error("the workspace's audit log shows the platform's user creations")
	}
}

// TestAuditForbidden checks that only a workspace's admins (and platform
// admins) see its audit log: an Editor gets no link and a 403 page.
func TestAuditForbidden(t *testing.T) {
	e := newConsoleEnv(t)
	b := e.browser(t)
	b.login("erin", userPassword)
	if b.exists(`#sidenav a[href$="/audit"]`) || b.exists(`#sidenav a[href="/users"]`) {
		t.Error("an Editor sees Audit log or Users in the navigation")
	}
	for _, path := range []string{"/w/" + workspace + "/audit", "/audit", "/users"} {
		b.do("open "+path, chromedp.Navigate(e.url+path), chromedp.WaitVisible(css("main h1")))
		if got := b.text("main h1"); !strings.Contains(got, "Forbidden") && !strings.Contains(got, "403") {
			t.Errorf("%s as an Editor shows %q, want the forbidden page", path, got)
		}
	}
}

// TestStaleJob cuts the network to a job's cluster: the list and the detail
// page then show Unknown with the last status seen there and how long ago,
// and the detail says why.
func TestStaleJob(t *testing.T) {
	e := newConsoleEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	admin, err := client.New(e.url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Login(ctx, "admin", adminPassword); err != nil {
		t.Fatal(err)
	}
	kubeconfig := testenv.Kubeconfig(t)
	host := strings.TrimPrefix(testenv.RESTConfig(t, kubeconfig).Host, "https://")
	p := testenv.StartProxy(t, host)
	far := strings.ReplaceAll(flatKubeconfig(t, kubeconfig), host, p.Addr())
	if _, err := admin.CreateCluster(ctx, client.NewCluster{Name: "far", Kubeconfig: far}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreateBinding(ctx, workspace, client.NewBinding{Cluster: "far", Namespace: e.ns}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreateJob(ctx, workspace, client.NewJob{Name: "far-app", Cluster: "far", Namespace: e.ns, Deployment: "app", Service: "app"}); err != nil {
		t.Fatal(err)
	}
	for {
		if j, err := admin.Job(ctx, workspace, "far-app"); err == nil && j.Phase == client.PhaseHealthy {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("job far-app never became Healthy")
		case <-time.After(100 * time.Millisecond):
		}
	}
	p.Close() // the outage
	if c, err := admin.ProbeCluster(ctx, "far"); err != nil || c.Status.Reachable {
		t.Fatalf("probe after the outage: %+v, %v; want unreachable", c, err)
	}

	b := e.browser(t)
	b.login("erin", userPassword)
	b.do("see the list say what was last known",
		chromedp.Navigate(e.url+"/w/"+workspace+"/jobs"),
		waitJS(`[...document.querySelectorAll("#jobs-body tr")].some(r => r.textContent.includes("far-app") && r.textContent.includes("Unknown · was Healthy"))`),
	)
	b.do("open the job: why, and what was last seen how long ago",
		chromedp.Navigate(e.url+"/w/"+workspace+"/jobs/far-app"),
		waitStatus("#job-status", "Unknown"),
		waitJS(`document.querySelector("#job-status").textContent.includes("was Healthy")`),
		waitJS(`(() => { const m = document.querySelector("#job-message"); return m.textContent.includes("Last known status: Healthy, ") && !!m.querySelector("time"); })()`),
	)
	t.Logf("detail message: %s", b.text("#job-message"))
	b.screenshot("detail-stale")
}
