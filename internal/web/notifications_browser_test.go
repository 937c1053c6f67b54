package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/switchyard/switchyard/client"
)

// TestNotificationsPage adds a webhook on the workspace's Notifications
// page in Chromium: a URL that is not http(s) is refused next to the field,
// a good one shows its secret once and a row; its (empty) delivery log
// opens; Remove takes it away. Editors get no link and a 403 page.
func TestNotificationsPage(t *testing.T) {
	chromiumPath(t)
	url, admin := startServer(t)
	if _, err := admin.CreateWorkspace(t.Context(), client.NewWorkspace{Name: workspace}); err != nil {
		t.Fatal(err)
	}
	addUsers(t, admin, workspace)
	e := &consoleEnv{url: url}
	page := url + "/w/" + workspace + "/notifications"

	b := e.browser(t)
	b.login("admin", adminPassword)
	b.do("open Notifications from the navigation",
		chromedp.Navigate(url+"/w/"+workspace+"/jobs"),
		chromedp.Click(`//nav[@id="sidenav"]//a[normalize-space()="Notifications"]`),
		chromedp.WaitVisible(css("#nt-form")),
		chromedp.WaitVisible(css("#nt-body td.muted")),
	)
	b.do("an ftp URL is refused next to the field",
		chromedp.SendKeys(css("#nt-url"), "ftp://hooks.example.com/x"),
		chromedp.Click(css("#nt-submit")),
		waitJS(`(() => { const e = document.querySelector("#nt-url-error"); return e && !e.hidden && e.textContent.includes("http://"); })()`),
	)
	if b.exists("#nt-body tr[data-id]") {
		t.Fatal("a row appeared for the refused URL")
	}
	b.do("a Slack webhook is added",
		js(`document.querySelector("#nt-url").value = ""`),
		chromedp.SendKeys(css("#nt-url"), "https://hooks.example.com/services/T0/B0/abc"),
		choose("#nt-format", "slack"),
		chromedp.Click(css(`input[name=events][value="degraded"]`)), // unticked
		chromedp.Click(css("#nt-submit")),
		chromedp.WaitVisible(css("#nt-secret")),
		chromedp.WaitVisible(css("#nt-body tr[data-id]")),
	)
	if s := b.text("#nt-secret-value"); len(s) != 64 {
		t.Errorf("secret shown %q, want 64 hex digits", s)
	}
	row := b.text("#nt-body tr[data-id]")
	if !strings.Contains(row, "Slack") || strings.Contains(row, "degraded") || !strings.Contains(row, "switched-back") {
		t.Errorf("row reads %q, want Slack, every event but degraded", row)
	}
	b.screenshot("notifications")
	b.do("its delivery log opens",
		clickLive(`#nt-body tr[data-id] button[aria-label^="Delivery log"]`),
		chromedp.WaitVisible(css("#nt-log")),
		waitJS(`document.querySelector("#nt-log-body").textContent.includes("Nothing sent yet")`),
	)
	b.do("remove it",
		clickLive(`#nt-body tr[data-id] button[aria-label^="Remove"]`),
		waitJS(`document.querySelector("#nt-body tr[data-id]") === null`),
	)

	erin := e.browser(t)
	erin.login("erin", userPassword)
	erin.do("an editor's navigation has no Notifications",
		chromedp.Navigate(url+"/w/"+workspace+"/jobs"),
		chromedp.WaitVisible(css("#sidenav")),
	)
	if erin.exists(`#sidenav a[href$="/notifications"]`) {
		t.Error("an editor sees the Notifications link")
	}
	erin.do("an editor is refused the page", chromedp.Navigate(page), chromedp.WaitVisible(css("main")))
	if got := erin.text("main"); !strings.Contains(got, "Workspace Admins") {
		t.Errorf("editor's page reads %q, want it to say the page is for Workspace Admins", got)
	}
}
