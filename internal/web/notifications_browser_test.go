package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
	"golang.org/x/crypto/bcrypt"

	"github.com/switchyard/switchyard/client"
	"github.com/switchyard/switchyard/internal/notifications"
	"github.com/switchyard/switchyard/internal/server"
)

// TestNotificationsPage adds a webhook on the workspace's Notifications
// page in Chromium: a URL that is not http(s) is refused next to the field,
// a good one shows its secret once and a row; its (empty) delivery log
// opens; Edit refuses an ftp URL next to the field and saves new events;
// New secret shows a new secret, which signs the event Send test delivers
// to a receiver of the test's; Remove takes it away. Editors get no link and a 403 page.
func TestNotificationsPage(t *testing.T) {
	chromiumPath(t)
	url, admin := startServing(t)
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
	// A receiver in the test checks the signature of the test event.
	var secret []byte
	var mu sync.Mutex
	var got []string
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if !notifications.Verify(secret, r.Header.Get(notifications.HeaderTimestamp), body, r.Header.Get(notifications.HeaderSignature)) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		got = append(got, r.Header.Get(notifications.HeaderEvent))
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(recv.Close)
	n, err := admin.CreateNotification(t.Context(), workspace, client.NewNotification{URL: recv.URL + "/hook", Events: []string{"promoted"}})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	secret = []byte(n.Secret)
	mu.Unlock()
	testRow := fmt.Sprintf(`#nt-body tr[data-id="%d"]`, n.ID)
	b.do("Edit with an ftp URL is refused next to the field",
		chromedp.Navigate(page),
		chromedp.WaitVisible(css(testRow)),
		clickLive(testRow+` button[aria-label^="Edit"]`),
		waitJS(`document.querySelector("#nt-submit").textContent === "Save"`),
		js(`document.querySelector("#nt-url").value = "ftp://hooks.example.com/x"`),
		chromedp.Click(css(`input[name=events][value="deleted"]`)), // ticked now
		chromedp.Click(css("#nt-submit")),
		waitJS(`(() => { const e = document.querySelector("#nt-url-error"); return e && !e.hidden && e.textContent.includes("http://"); })()`),
	)
	if got, err := admin.Notification(t.Context(), workspace, n.ID); err != nil || got.URL != n.URL || len(got.Events) != 1 {
		t.Fatalf("after the refused edit: %+v, %v; want it unchanged", got, err)
	}
	b.do("Edit saves the events",
		js(fmt.Sprintf(`document.querySelector("#nt-url").value = %q`, n.URL)),
		chromedp.Click(css("#nt-submit")),
		waitJS(`document.querySelector("#nt-submit").textContent === "Add webhook"`),
		waitJS(fmt.Sprintf(`(document.querySelector(%q) || {textContent: ""}).textContent.includes("promoted, deleted")`, testRow)),
	)
	b.do("New secret shows the new secret once",
		js(`document.querySelector("#nt-secret-value").textContent = ""`),
		clickLive(testRow+` button[aria-label^="New secret"]`),
		chromedp.WaitVisible(css("#confirm-ok")),
		chromedp.Click(css("#confirm-ok")),
		waitJS(`document.querySelector("#nt-secret-value").textContent.length === 64`),
	)
	rotated := b.text("#nt-secret-value")
	if rotated == n.Secret {
		t.Fatal("New secret showed the old secret")
	}
	mu.Lock()
	secret = []byte(rotated) // the test event must be signed with it
	mu.Unlock()
	b.do("Send test delivers a test event and shows it in the log",
		clickLive(testRow+` button[aria-label^="Send a test"]`),
		waitJS(`document.querySelector("#toast").textContent.includes("Test delivered: HTTP 204")`),
		waitJS(`document.querySelector("#nt-log-body").textContent.includes("test")`),
	)
	mu.Lock()
	if len(got) != 1 || got[0] != "test" {
		t.Errorf("receiver got %q, want one signed test event", got)
	}
	mu.Unlock()
	if err := admin.DeleteNotification(t.Context(), workspace, n.ID); err != nil {
		t.Fatal(err)
	}
	b.do("back to the page",
		chromedp.Navigate(page),
		chromedp.WaitVisible(css("#nt-body tr[data-id]")),
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

// startServing is startServer with the server's background work running
// (Serve), so that notifications are delivered.
func startServing(t *testing.T) (string, *client.Client) {
	t.Helper()
	srv, err := server.New(t.Context(), server.Options{DataDir: t.TempDir(), AdminPassword: adminPassword, BcryptCost: bcrypt.MinCost},
		slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln, slog.New(slog.DiscardHandler)) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		if err := srv.Close(); err != nil {
			t.Errorf("close server: %v", err)
		}
	})
	url := "http://" + ln.Addr().String()
	admin, err := client.New(url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Login(t.Context(), "admin", adminPassword); err != nil {
		t.Fatalf("admin login: %v", err)
	}
	return url, admin
}
