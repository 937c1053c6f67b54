package web_test

import (
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"golang.org/x/crypto/bcrypt"

	"github.com/switchyard/switchyard/internal/server"
)

// openRedirects are next= values that once sent the browser off the site
// after sign-in: a browser drops tab, CR and LF from a URL, so "/\t/evil"
// became "//evil", another host.
var openRedirects = []string{
	"/%09/evil.example",
	"/%0d/evil.example",
	"/%0a/evil.example",
	"/%09%09/evil.example/x",
	"%09//evil.example",
	"/%5C/evil.example",
	"//evil.example",
}

// TestLoginRedirectStaysOnSite signs in through the real login form in
// Chromium with each next= of openRedirects and checks the browser ends up
// on this site; a signed-in visitor of the same URLs gets a 303 to a path
// of this site too. Needs no cluster.
func TestLoginRedirectStaysOnSite(t *testing.T) {
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
	site, _ := url.Parse(hs.URL)

	t.Run("browser", func(t *testing.T) {
		b := (&consoleEnv{url: hs.URL}).browser(t)
		for _, next := range openRedirects {
			b.do("sign in with next="+next,
				chromedp.Navigate(hs.URL+"/login?next="+next),
				chromedp.WaitVisible(css("#login-form")),
				chromedp.SendKeys(css("#username"), "admin"),
				chromedp.SendKeys(css("#password"), adminPassword),
				chromedp.Click(css("#login-submit")),
				waitJS(`location.pathname !== "/login"`),
			)
			href := get(b, "read the location", chromedp.Evaluate[string](`location.href`))
			if u, err := url.Parse(href); err != nil || u.Host != site.Host {
				t.Errorf("after sign-in with next=%s the browser is at %q, want a page of %s", next, href, site.Host)
			}
			// Sign out for the next round (the form shows only to visitors).
			b.do("sign out",
				chromedp.Navigate(hs.URL+"/"),
				chromedp.WaitVisible(css("#logout")),
				chromedp.Click(css("#logout")),
				chromedp.WaitVisible(css("#login-form")))
		}
	})

	t.Run("signed in", func(t *testing.T) {
		jar, _ := cookiejar.New(nil)
		hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		body := `{"username":"admin","password":"` + adminPassword + `"}`
		resp, err := hc.Post(hs.URL+"/api/v1/login", "application/json", strings.NewReader(body))
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("login: %v %v", resp, err)
		}
		resp.Body.Close()
		for _, next := range openRedirects {
			resp, err := hc.Get(hs.URL + "/login?next=" + next)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			loc := resp.Header.Get("Location")
			if u, err := url.Parse(loc); resp.StatusCode != http.StatusSeeOther || err != nil || u.Host != "" || u.Scheme != "" || len(loc) > 1 && loc[1] == '/' {
				t.Errorf("signed in, GET /login?next=%s = %d Location %q, want 303 to a path of this site", next, resp.StatusCode, loc)
			}
		}
	})
}
