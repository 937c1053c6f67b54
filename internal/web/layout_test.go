package web_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

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

// TestNarrowTopBar: at 390 pixels (a phone) every part of the top bar, Sign
// out included, is inside the window, and no page scrolls sideways.
func TestNarrowTopBar(t *testing.T) {
	e, admin := newBareEnv(t)
	// A second workspace with a long name widens the switcher, as real ones do.
	if _, err := admin.CreateWorkspace(t.Context(), client.NewWorkspace{Name: "payments-platform-eu"}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.PutMember(t.Context(), "payments-platform-eu", "erin", "viewer"); err != nil {
		t.Fatal(err)
	}
	for _, user := range []struct{ name, password string }{{"erin", userPassword}, {"admin", adminPassword}} {
		t.Run(user.name, func(t *testing.T) {
			b := e.browser(t)
			b.viewport(390, 844)
			b.login(user.name, user.password)
			for _, path := range []string{"/w/bare/jobs", "/workspaces", "/w/bare/jobs/new", "/no/such/page"} {
				b.do("open "+path, chromedp.Navigate(e.url+path), chromedp.WaitVisible(css("#logout")), chromedp.WaitVisible(css(".nav-toggle")))
				if bad := b.outOfSight("#logout, .topbar > *, .topbar-right > *"); len(bad) > 0 {
					t.Errorf("%s at 390 px: top bar out of sight: %s", path, strings.Join(bad, "; "))
				}
				if w := get(b, "measure the page", chromedp.Evaluate[int](`document.documentElement.scrollWidth - document.documentElement.clientWidth`)); w > 0 {
					t.Errorf("%s at 390 px scrolls sideways by %d px", path, w)
				}
			}
			b.do("open the list", chromedp.Navigate(e.url+"/w/bare/jobs"), chromedp.WaitVisible(css("#jobs-empty")))
			b.screenshot("narrow-topbar-" + user.name)
			b.do("sign out", chromedp.Click(css("#logout")), chromedp.WaitVisible(css("#login-form")))
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
