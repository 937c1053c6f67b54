package web_test

import (
	"fmt"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/chromedp/chromedp"
	"golang.org/x/crypto/bcrypt"

	"github.com/switchyard/switchyard/client"
	"github.com/switchyard/switchyard/internal/server"
)

// TestAccountLifecycleConsole: a signed-in user's open console page goes to
// the login page as soon as an admin disables them on the Users page, and
// their API token answers 401 at its next request; the admin then enables
// them again, revokes their token, makes and unmakes a platform admin and
// deletes them, all from the Users page. Needs no cluster.
func TestAccountLifecycleConsole(t *testing.T) {
	chromiumPath(t)
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
		srv.Close()
	})
	admin, _ := client.New(hs.URL)
	if _, err := admin.Login(ctx, "admin", adminPassword); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreateUser(ctx, client.NewUser{Username: "dora", Password: userPassword}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreateWorkspace(ctx, client.NewWorkspace{Name: workspace}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.PutMember(ctx, workspace, "dora", client.RoleEditor); err != nil {
		t.Fatal(err)
	}
	doraAPI, _ := client.New(hs.URL)
	if _, err := doraAPI.Login(ctx, "dora", userPassword); err != nil {
		t.Fatal(err)
	}
	nt, err := doraAPI.CreateToken(ctx, "ci", 0)
	if err != nil {
		t.Fatal(err)
	}
	doraToken, _ := client.New(hs.URL, client.WithToken(nt.Secret))

	env := &consoleEnv{url: hs.URL}
	dora, boss := env.browser(t), env.browser(t)
	// signIn fills in the login form; then, unless refused is set, it waits
	// for the page the form sends to.
	signIn := func(b *browser, user, password string, refused bool) {
		b.do("sign in as "+user,
			chromedp.Navigate(hs.URL+"/login"),
			chromedp.WaitVisible(css("#login-form")),
			chromedp.SendKeys(css("#username"), user),
			chromedp.SendKeys(css("#password"), password),
			chromedp.Click(css("#login-submit")))
		if !refused {
			b.do("signed in as "+user, waitJS(`location.pathname !== "/login"`))
		}
	}
	row := func(user string) string { return fmt.Sprintf(`#users-body tr[data-user=%q]`, user) }
	signIn(dora, "dora", userPassword, false)
	dora.do("dora's jobs page is open and live", waitJS(`location.pathname === "/w/shop/jobs" && document.body.dataset.live === "stream"`))
	signIn(boss, "admin", adminPassword, false)
	boss.do("open the Users page", chromedp.Navigate(hs.URL+"/users"), waitJS(`document.querySelector('`+row("dora")+`') !== null`))
	if boss.exists(row("admin") + ` button[aria-label="Disable admin"]`) {
		t.Errorf("the Users page offers the admin to disable themselves")
	}

	t.Run("disable sends the open page to the login page", func(t *testing.T) {
		boss.do("disable dora",
			clickLive(row("dora")+` button[aria-label="Disable dora"]`),
			chromedp.WaitVisible(css("#confirm-ok")),
			chromedp.Click(css("#confirm-ok")),
			waitJS(`document.querySelector('`+row("dora")+`').dataset.disabled === "true"`))
		dora.do("dora's page goes to the login page", waitJS(`location.pathname === "/login"`))
		if _, err := doraToken.Me(ctx); client.StatusOf(err) != 401 {
			t.Errorf("dora's API token after disable: %v, want 401", err)
		}
		signIn(dora, "dora", userPassword, true)
		dora.do("the login form says the account is disabled", waitJS(`document.querySelector("#login-error").innerText.includes("disabled")`))
	})
	t.Run("enable", func(t *testing.T) {
		boss.do("enable dora",
			clickLive(row("dora")+` button[aria-label="Enable dora"]`),
			waitJS(`document.querySelector('`+row("dora")+`').dataset.disabled === "false"`))
		signIn(dora, "dora", userPassword, false)
		dora.do("dora is in again", waitJS(`location.pathname === "/w/shop/jobs"`))
		if _, err := doraToken.Me(ctx); err != nil {
			t.Errorf("dora's API token after enable: %v, want it to count again", err)
		}
	})
	t.Run("revoke a token", func(t *testing.T) {
		boss.do("revoke dora's token",
			clickLive(row("dora")+` button[aria-label="API tokens of dora"]`),
			waitJS(fmt.Sprintf(`document.querySelector('#tokens-body tr[data-token="%d"]') !== null`, nt.ID)),
			clickLive(`#tokens-body button[aria-label="Revoke token ci"]`),
			waitJS(fmt.Sprintf(`document.querySelector('#tokens-body tr[data-token="%d"]').innerText.includes("Revoked")`, nt.ID)),
			chromedp.Click(css("#tokens-close")))
		if _, err := doraToken.Me(ctx); client.StatusOf(err) != 401 {
			t.Errorf("dora's revoked API token: %v, want 401", err)
		}
	})
	t.Run("platform admin", func(t *testing.T) {
		boss.do("make dora platform admin",
			clickLive(row("dora")+` button[aria-label="Make platform admin: dora"]`),
			waitJS(`document.querySelector('`+row("dora")+` button[aria-label="Remove platform admin from dora"]') !== null`))
		if us, _ := admin.Users(ctx); !isAdmin(us, "dora") {
			t.Errorf("dora is not a platform admin after the click: %+v", us)
		}
		boss.do("remove it",
			clickLive(row("dora")+` button[aria-label="Remove platform admin from dora"]`),
			waitJS(`document.querySelector('`+row("dora")+` button[aria-label="Make platform admin: dora"]') !== null`))
	})
	t.Run("delete", func(t *testing.T) {
		boss.do("delete dora",
			clickLive(row("dora")+` button[aria-label="Delete dora"]`),
			chromedp.WaitVisible(css("#confirm-ok")),
			chromedp.Click(css("#confirm-ok")),
			waitJS(`document.querySelector('`+row("dora")+`') === null`))
		dora.do("dora's page goes to the login page", chromedp.Navigate(hs.URL+"/w/shop/jobs"), waitJS(`location.pathname === "/login"`))
	})
}

func isAdmin(us []client.User, name string) bool {
	for _, u := range us {
		if u.Username == name {
			return u.PlatformAdmin
		}
	}
	return false
}
