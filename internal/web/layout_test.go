package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/switchyard/switchyard/client"
)

// A cluster nobody can reach: nothing listens on port 1.
const farKubeconfig = `apiVersion: v1
kind: Config
clusters:
- name: far
  cluster:
    server: https://127.0.0.1:1
    insecure-skip-tls-verify: true
contexts:
- name: far
  context: {cluster: far, user: far}
current-context: far
users:
- name: far
  user: {token: not-a-real-token}
`

// newBareEnv is a real server with no cluster: workspace "bare" (no
// description, no jobs) with erin as its Editor and vic as its Viewer. The
// console's layout and its pages about nothing need no more.
func newBareEnv(t *testing.T) (*consoleEnv, *client.Client) {
	t.Helper()
	chromiumPath(t)
	url, admin := startServer(t)
	if _, err := admin.CreateWorkspace(t.Context(), client.NewWorkspace{Name: "bare"}); err != nil {
		t.Fatal(err)
	}
	addUsers(t, admin, "bare")
	return &consoleEnv{url: url}, admin
}

// viewport resizes the browser window's page area.
func (b *browser) viewport(width, height int64) {
	b.t.Helper()
	b.do(fmt.Sprintf("resize to %d×%d", width, height), chromedp.EmulateViewport(width, height))
}

// outOfSight lists the rendered elements matching sel that the user cannot
// see whole without scrolling sideways (see inSight), each as tag#id.class
// with its box; empty means all are in sight. Elements not rendered at all
// (display: none) are left out; sel matching nothing is a finding.
func (b *browser) outOfSight(sel string) []string {
	b.t.Helper()
	out := get(b, "measure "+sel, chromedp.Evaluate[[]string](fmt.Sprintf(`(() => {
		const all = [...document.querySelectorAll(%q)];
		if (!all.length) return ["nothing matches"];
		const name = e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className && typeof e.className === "string" ? "." + e.className.trim().split(/\s+/).join(".") : "");
		const bad = [];
		for (const e of all) {
			const r = e.getBoundingClientRect();
			const box = name(e) + " " + JSON.stringify((e.innerText || "").trim().slice(0, 40)) + " at " + Math.round(r.left) + ".." + Math.round(r.right);
			if (!e.getClientRects().length) continue; // not rendered on purpose (display: none)
			if (r.left < 0 || r.right > document.documentElement.clientWidth + 0.5) { bad.push(box + ": outside the window's width " + document.documentElement.clientWidth); continue; }
			for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
				if (getComputedStyle(a).overflowX === "visible") continue;
				const ar = a.getBoundingClientRect();
				if (r.left < ar.left - 1 || r.right > ar.right + 1) { bad.push(box + ": clipped by " + name(a) + " at " + Math.round(ar.left) + ".." + Math.round(ar.right)); break; }
			}
		}
		return bad;
	})()`, sel)))
	return out
}

// sticksOut lists the outermost elements that reach past the window's right
// edge when the page scrolls sideways; empty when it does not.
func (b *browser) sticksOut() []string {
	b.t.Helper()
	return get(b, "measure the page", chromedp.Evaluate[[]string](`(() => {
		const w = document.documentElement.clientWidth;
		if (document.documentElement.scrollWidth <= w) return [];
		const name = e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (typeof e.className === "string" && e.className ? "." + e.className.trim().split(/\s+/).join(".") : "");
		const out = [];
		for (const e of document.body.querySelectorAll("*")) {
			const r = e.getBoundingClientRect();
			if (r.right <= w + 0.5 || !e.getClientRects().length) continue;
			let inner = false;
			for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
				if (a.getBoundingClientRect().right > w + 0.5 || getComputedStyle(a).overflowX !== "visible") { inner = true; break; }
			}
			if (!inner) out.push(name(e) + " reaches " + Math.round(r.right) + " of " + w);
		}
		// Text too long for its box overflows it without widening the box.
		const scrolls = e => { for (let a = e; a && a !== document.body; a = a.parentElement) if (getComputedStyle(a).overflowX !== "visible") return true; return false; };
		if (!out.length) {
			const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
			for (let n; (n = walk.nextNode());) {
				const r = document.createRange();
				r.selectNodeContents(n);
				const right = r.getBoundingClientRect().right;
				if (right > w + 0.5 && !scrolls(n.parentElement)) out.push("text " + JSON.stringify(n.data.trim().slice(0, 60)) + " in " + name(n.parentElement) + " reaches " + Math.round(right) + " of " + w);
			}
		}
		// A scrolling ancestor does not hold an absolutely positioned
		// element (.sr-only text) unless it is the element's containing block.
		if (!out.length) for (const e of document.body.querySelectorAll("*")) {
			if (getComputedStyle(e).position === "absolute" && e.getBoundingClientRect().right > w + 0.5) out.push("absolutely positioned " + name(e) + " reaches " + Math.round(e.getBoundingClientRect().right) + " of " + w);
		}
		return out.length ? out : ["the page is " + document.documentElement.scrollWidth + " wide, the window " + w];
	})()`))
}

// TestWorkspaceWithoutDescription: a workspace created without a
// description shows its name and nothing under it (it read "null").
func TestWorkspaceWithoutDescription(t *testing.T) {
	e, _ := newBareEnv(t)
	b := e.browser(t)
	b.login("erin", userPassword)
	b.do("open Workspaces",
		chromedp.Navigate(e.url+"/workspaces"),
		waitJS(`!!document.querySelector("#ws-bare") && document.querySelector("#workspaces").textContent.includes("erin")`),
	)
	sec := b.text(`section[aria-labelledby="ws-bare"]`)
	if strings.Contains(sec, "null") || strings.Contains(sec, "undefined") {
		t.Errorf("workspace without a description reads %q: want no null or undefined", sec)
	}
	b.screenshot("workspaces-no-description")
}

// TestNotFoundPage: an unknown console path answers a 404 page in the
// console's layout, with a way back, signed in or not; an unknown API path
// keeps its JSON 404.
func TestNotFoundPage(t *testing.T) {
	e, _ := newBareEnv(t)

	for _, tc := range []struct{ path, contentType string }{
		{"/no/such/page", "text/html"},
		{"/w/bare/nonsense/deeper", "text/html"},
		{"/api/v1/no-such-route", "application/json"},
	} {
		resp, err := http.Get(e.url + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound || !strings.HasPrefix(resp.Header.Get("Content-Type"), tc.contentType) {
			t.Errorf("GET %s signed out: %d %s, want 404 %s", tc.path, resp.StatusCode, resp.Header.Get("Content-Type"), tc.contentType)
		}
		if tc.contentType == "application/json" && !json.Valid(body) {
			t.Errorf("GET %s: body %q is not JSON", tc.path, body)
		}
	}

	b := e.browser(t)
	b.do("open an unknown page signed out", chromedp.Navigate(e.url+"/no/such/page"), chromedp.WaitVisible(css("main h1")))
	if got := b.text("main h1"); !strings.Contains(got, "not found") {
		t.Errorf("unknown page signed out: heading %q, want one saying the page was not found", got)
	}
	if !b.exists(`main a[href="/"]`) {
		t.Error("the 404 page has no link back to the console")
	}
	b.login("erin", userPassword)
	b.do("open an unknown page signed in", chromedp.Navigate(e.url+"/no/such/page"), chromedp.WaitVisible(css("main h1")))
	if got := b.text("main h1"); !strings.Contains(got, "not found") {
		t.Errorf("unknown page: heading %q, want one saying the page was not found", got)
	}
	if got := b.text("#current-user"); !strings.Contains(got, "erin") {
		t.Errorf("the 404 page's top bar shows %q, want the signed-in user", got)
	}
	if !b.visible("#sidenav") || !b.exists(`main a[href="/"]`) {
		t.Error("the 404 page lacks the navigation or the link back")
	}
	b.screenshot("not-found")
	b.do("follow the link back", chromedp.Click(css(`main a[href="/"]`)), waitJS(`location.pathname === "/w/bare/jobs"`))
}

// TestEmptyListHasNoPaging: a workspace without jobs shows how to start and
// no Previous / Next buttons (they showed, disabled).
func TestEmptyListHasNoPaging(t *testing.T) {
	e, _ := newBareEnv(t)
	b := e.browser(t)
	b.login("erin", userPassword)
	b.do("open the empty list", chromedp.Navigate(e.url+"/w/bare/jobs"), chromedp.WaitVisible(css("#jobs-empty")))
	for _, sel := range []string{".pager", "#page-prev", "#page-next"} {
		if b.visible(sel) {
			t.Errorf("%s is shown on an empty list: there is nothing to page", sel)
		}
	}
	b.screenshot("list-empty")
}

// TestLayoutFits walks every page at 1280 and at 390 pixels (a phone), as
// an Editor and as a platform admin: every part of the top bar, Sign out
// included, is inside the window, and no page scrolls sideways (at 390 px
// Sign out was pushed out). It leaves a screenshot of each page.
func TestLayoutFits(t *testing.T) {
	e, admin := newBareEnv(t)
	// A second workspace with a long name widens the switcher, as real ones do.
	if _, err := admin.CreateWorkspace(t.Context(), client.NewWorkspace{Name: "payments-platform-eu", Description: "Payments, EU region"}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.PutMember(t.Context(), "payments-platform-eu", "erin", "viewer"); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreateCluster(t.Context(), client.NewCluster{Name: "far", Kubeconfig: farKubeconfig}); err != nil {
		t.Fatal(err)
	}
	pages := []string{"/w/bare/jobs", "/w/bare/jobs/new", "/w/bare/jobs/nosuchjob", "/workspaces", "/no/such/page"}
	for _, user := range []struct {
		name, password string
		pages          []string
	}{
		{"erin", userPassword, pages},
		{"admin", adminPassword, append(pages, "/clusters", "/users", "/audit", "/w/bare/audit", "/w/bare/notifications")},
	} {
		t.Run(user.name, func(t *testing.T) {
			b := e.browser(t)
			b.login(user.name, user.password)
			for _, width := range []int64{1280, 390} {
				b.viewport(width, 844)
				for _, path := range user.pages {
					b.do("open "+path, chromedp.Navigate(e.url+path), chromedp.WaitVisible(css("#logout")),
						waitJS(`!document.querySelector("main").textContent.includes("Loading…")`))
					if bad := b.outOfSight("#logout, .topbar > *, .topbar-right > *"); len(bad) > 0 {
						t.Errorf("%s at %d px: top bar out of sight: %s", path, width, strings.Join(bad, "; "))
					}
					if wide := b.sticksOut(); len(wide) > 0 {
						t.Errorf("%s at %d px scrolls sideways: %s", path, width, strings.Join(wide, "; "))
					}
					b.screenshot(fmt.Sprintf("page-%s-%d-%s", user.name, width, strings.ReplaceAll(strings.Trim(path, "/"), "/", "_")))
				}
			}
			b.do("sign out", chromedp.Click(css("#logout")), chromedp.WaitVisible(css("#login-form")))
			if wide := b.sticksOut(); len(wide) > 0 {
				t.Errorf("the login page at 390 px scrolls sideways: %s", strings.Join(wide, "; "))
			}
			b.screenshot("page-login-390")
		})
	}
}

// TestUnreachableClusterArgoUnknown: for a cluster that cannot be reached,
// whether Argo Rollouts (or Istio) is installed is unknown, and the page
// says so with the reason; it read "Not installed".
func TestUnreachableClusterArgoUnknown(t *testing.T) {
	e, admin := newBareEnv(t)
	c, err := admin.CreateCluster(t.Context(), client.NewCluster{Name: "far", Kubeconfig: farKubeconfig})
	if err != nil {
		t.Fatalf("register cluster far: %v", err)
	}
	if c.Status.Reachable {
		t.Fatalf("cluster far is reachable: %+v", c.Status)
	}
	b := e.browser(t)
	b.login("admin", adminPassword)
	b.do("open Clusters", chromedp.Navigate(e.url+"/clusters"),
		waitJS(`[...document.querySelectorAll("#clusters-body tr")].some(r => r.querySelector("th") && r.querySelector("th").textContent === "far")`))
	// cell reads the cell of cluster far under the column headed head.
	cell := func(head string) string {
		return get(b, "read "+head, chromedp.Evaluate[string](fmt.Sprintf(`(() => {
			const i = [...document.querySelectorAll("#clusters-table thead th")].findIndex(th => th.textContent.trim() === %q);
			const row = [...document.querySelectorAll("#clusters-body tr")].find(r => r.querySelector("th").textContent === "far");
			return i < 0 ? "no column " + %q : row.children[i].innerText;
		})()`, head, head)))
	}
	for _, head := range []string{"Argo Rollouts", "Istio"} {
		got := cell(head)
		if strings.Contains(got, "Not installed") || !strings.Contains(got, "Unknown") {
			t.Errorf("%s of an unreachable cluster reads %q, want Unknown", head, got)
		}
		if !strings.Contains(got, "unreachable") {
			t.Errorf("%s of an unreachable cluster reads %q, want the reason (unreachable)", head, got)
		}
	}
	b.screenshot("clusters-unreachable")
}

// imageBreaks lists, for every element matching sel, each place its text
// wraps to a new line other than a sensible one: after "/", before ":" or
// "@" (an image reference's registry, path, tag and digest). Empty means
// every image reads on one line or wraps only there.
const imageBreaks = `((sel) => {
	const bad = [];
	for (const el of document.querySelectorAll(sel)) {
		const chars = [];
		const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
		for (let n; (n = walk.nextNode());) {
			for (let i = 0; i < n.length; i++) {
				const r = document.createRange();
				r.setStart(n, i);
				r.setEnd(n, i + 1);
				const box = r.getClientRects()[0];
				if (box) chars.push({ c: n.data[i], top: box.top });
			}
		}
		for (let i = 1; i < chars.length; i++) {
			if (chars[i].top <= chars[i - 1].top + 2) continue;
			const before = chars[i - 1].c, after = chars[i].c;
			if (before !== "/" && after !== ":" && after !== "@")
				bad.push(el.textContent + " wraps between " + JSON.stringify(before) + " and " + JSON.stringify(after));
		}
	}
	return bad;
})`

// waitPhase waits until the job's phase is phase.
func waitPhase(ctx context.Context, t *testing.T, c *client.Client, ws, job, phase string) *client.Job {
	t.Helper()
	for {
		j, err := c.Job(ctx, ws, job)
		if err == nil && j.Phase == phase {
			return j
		}
		select {
		case <-ctx.Done():
			t.Fatalf("job %s never became %s (last: %+v, %v)", job, phase, j, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// TestJobListAt1280 fills the job list the way a real team's looks (a
// long job name, images from a registry with long tags, a sidecar, a new
// version awaiting promotion) and measures it in a 1280×800 window: every
// column, Preview and Created included, is in sight without scrolling the
// table, and image references wrap only at their "/" (or before the tag),
// never mid-word.
func TestJobListAt1280(t *testing.T) {
	e := newConsoleEnv(t)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	admin, err := client.New(e.url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Login(ctx, "admin", adminPassword); err != nil {
		t.Fatal(err)
	}
	const (
		job   = "checkout-frontend-eu"
		image = "mirror-eu-west-1/payments/checkout-frontend:2026.12.01-build.4711"
		next  = "mirror-eu-west-1/payments/checkout-frontend:2026.12.02-build.4712"
		proxy = "mirror-eu-west-1/envoyproxy/envoy:v1.31.2"
	)
	lbl := map[string]string{"app": "checkout"}
	replicas := int32(2)
	dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "checkout-frontend"},
		Spec: appsv1.DeploymentSpec{Replicas: &replicas, Selector: &metav1.LabelSelector{MatchLabels: lbl},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: lbl},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "checkout", Image: image}, {Name: "envoy", Image: proxy}}}}}}
	if _, err := e.kube.AppsV1().Deployments(e.ns).Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "checkout-frontend"}, Spec: corev1.ServiceSpec{Selector: lbl,
		Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080)}}}}
	if _, err := e.kube.CoreV1().Services(e.ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreateJob(ctx, workspace, client.NewJob{Name: job, Cluster: "local", Namespace: e.ns, Deployment: "checkout-frontend", Service: "checkout-frontend"}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreateJob(ctx, workspace, client.NewJob{Name: "app", Cluster: "local", Namespace: e.ns, Deployment: "app", Service: "app"}); err != nil {
		t.Fatal(err)
	}
	waitPhase(ctx, t, admin, workspace, job, client.PhaseHealthy)
	// Argo tells versions apart by ReplicaSet creation time, to the second.
	time.Sleep(1100 * time.Millisecond)
	if _, err := admin.Deploy(ctx, workspace, job, map[string]string{"checkout": next}); err != nil {
		t.Fatal(err)
	}
	j := waitPhase(ctx, t, admin, workspace, job, client.PhaseAwaitingPromotion)
	if len(j.PreviewImages) == 0 {
		t.Fatalf("job awaits promotion without preview images: %+v", j)
	}

	b := e.browser(t)
	b.login("erin", userPassword)
	b.do("open the list",
		chromedp.Navigate(e.url+"/w/"+workspace+"/jobs"),
		waitJS(`(() => { const r = document.querySelector('#jobs-body tr[data-job="`+job+`"]'); return !!r && r.textContent.includes("2026.12.02-build.4712") && r.textContent.includes("Awaiting promotion"); })()`),
		chromedp.WaitVisible(css(`#jobs-body tr[data-job="app"]`)),
	)
	b.screenshot("list-1280")
	if bad := b.outOfSight("#jobs-table th, #jobs-table td"); len(bad) > 0 {
		t.Errorf("at 1280 px the job list has cells out of sight: %s", strings.Join(bad, "; "))
	}
	if bad := get(b, "measure the images", chromedp.Evaluate[[]string](imageBreaks+`("#jobs-body .image")`)); len(bad) > 0 {
		t.Errorf("at 1280 px image references wrap mid-word: %s", strings.Join(bad, "; "))
	}

	// The same job on a phone, and its detail page at both widths: nothing
	// sticks out of the window (wide tables scroll inside their card).
	for _, width := range []int64{1280, 390} {
		b.viewport(width, 844)
		for _, path := range []string{"/w/" + workspace + "/jobs", "/w/" + workspace + "/jobs/" + job} {
			b.do("open "+path, chromedp.Navigate(e.url+path),
				waitJS(`document.body.textContent.includes("2026.12.02-build.4712") && !document.querySelector("main").textContent.includes("Loading…")`))
			if wide := b.sticksOut(); len(wide) > 0 {
				t.Errorf("%s at %d px scrolls sideways: %s", path, width, strings.Join(wide, "; "))
			}
			if bad := b.outOfSight("#logout"); len(bad) > 0 {
				t.Errorf("%s at %d px: Sign out out of sight: %s", path, width, strings.Join(bad, "; "))
			}
			name := "list"
			if strings.HasSuffix(path, job) {
				name = "detail"
				if bad := b.outOfSight("#versions-table th, #versions-table td, #versions-table .pod"); width == 1280 && len(bad) > 0 {
					t.Errorf("at 1280 px the versions table (pods included) is not all in sight: %s", strings.Join(bad, "; "))
				}
			}
			b.screenshot(fmt.Sprintf("awaiting-%s-%d", name, width))
		}
	}
}
