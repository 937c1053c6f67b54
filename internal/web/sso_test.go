package web_test

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"golang.org/x/crypto/bcrypt"

	"github.com/switchyard/switchyard/client"
	"github.com/switchyard/switchyard/internal/server"
	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/testenv"
)

const (
	ssoClientID     = "switchyard"
	ssoClientSecret = "switchyard-test-secret"
	dexPassword     = "dex-password"
)

// The identity provider's users: their groups decide their access.
var (
	ssoEditor  = testenv.DexUser{Email: "erin@example.com", Username: "erin", Password: dexPassword, Groups: []string{"everyone", "release-editors"}}
	ssoViewer  = testenv.DexUser{Email: "vic@example.com", Username: "vic", Password: dexPassword, Groups: []string{"everyone", "release-viewers"}}
	ssoNobody  = testenv.DexUser{Email: "nora@example.com", Username: "nora", Password: dexPassword, Groups: []string{"everyone"}}
	ssoSquat   = testenv.DexUser{Email: "admin@example.com", Username: "admin", Password: dexPassword, Groups: []string{"release-editors"}}
	ssoAllUser = []testenv.DexUser{ssoEditor, ssoViewer, ssoNobody, ssoSquat}
)

// ssoEnv is a real server with single sign-on through a real Dex, workspace
// shop, and groups bound: release-editors → editor, release-viewers → viewer.
type ssoEnv struct {
	url   string
	data  string // the server's data directory (SQLite)
	dex   *testenv.Dex
	admin *client.Client
}

func newSSOEnv(t *testing.T, disableLocal bool) *ssoEnv {
	t.Helper()
	ctx := t.Context()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base, data := "http://"+ln.Addr().String(), t.TempDir()
	dex := testenv.StartDex(t, []testenv.DexClient{{ID: ssoClientID, Secret: ssoClientSecret, RedirectURIs: []string{base + "/auth/callback"}}}, ssoAllUser)
	srv, err := server.New(ctx, server.Options{DataDir: data, AdminPassword: adminPassword, BcryptCost: bcrypt.MinCost,
		OIDC: server.OIDCOptions{Issuer: dex.Issuer, ClientID: ssoClientID, ClientSecret: ssoClientSecret,
			RedirectURL: base + "/auth/callback", DisableLocalLogin: disableLocal}},
		slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	hs := httptest.NewUnstartedServer(srv.Handler())
	hs.Listener.Close()
	hs.Listener = ln
	hs.Start()
	t.Cleanup(func() {
		srv.CloseStreams()
		hs.Close()
		if err := srv.Close(); err != nil {
			t.Errorf("close server: %v", err)
		}
	})
	admin, err := client.New(base)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Login(ctx, "admin", adminPassword); err != nil {
		t.Fatalf("admin login: %v", err)
	}
	if _, err := admin.CreateWorkspace(ctx, client.NewWorkspace{Name: workspace}); err != nil {
		t.Fatal(err)
	}
	for group, role := range map[string]string{"release-editors": client.RoleEditor, "release-viewers": client.RoleViewer} {
		if _, err := admin.CreateGroupBinding(ctx, client.NewGroupBinding{Group: group, Workspace: workspace, Role: role}); err != nil {
			t.Fatalf("bind %s: %v", group, err)
		}
	}
	return &ssoEnv{url: base, data: data, dex: dex, admin: admin}
}

// httpBrowser is a cookie-keeping HTTP client that follows redirects.
func httpBrowser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar}
}

// signIn signs u in through Dex over HTTP and returns the last answer.
func (e *ssoEnv) signIn(t *testing.T, hc *http.Client, u testenv.DexUser, next string) (*http.Response, string) {
	t.Helper()
	resp, body := e.dex.Login(t, hc, e.url+"/auth/login?next="+url.QueryEscape(next), u.Email, u.Password)
	return resp, string(body)
}

// ssoAudit returns the login.sso events, newest first.
func (e *ssoEnv) ssoAudit(t *testing.T) []client.AuditEvent {
	t.Helper()
	evs, err := e.admin.Audit(t.Context(), client.AuditQuery{Action: "login.sso"})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func TestSSOSignIn(t *testing.T) {
	e := newSSOEnv(t, false)
	ctx := t.Context()

	t.Run("editor lands on the jobs of the workspace its group maps to", func(t *testing.T) {
		hc := httpBrowser(t)
		resp, body := e.signIn(t, hc, ssoEditor, "/")
		if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/w/"+workspace+"/jobs" {
			t.Fatalf("landed on %s (%s), want /w/%s/jobs; body %.300s", resp.Request.URL, resp.Status, workspace, body)
		}
		if !strings.Contains(body, "Workspace Editor") || !strings.Contains(body, `id="create-job"`) {
			t.Errorf("jobs page lacks the Editor role or the Create button: %.500s", body)
		}
		evs := e.ssoAudit(t)
		if len(evs) == 0 || evs[0].Actor != "erin" || evs[0].Outcome != "success" || !strings.Contains(evs[0].Detail, "editor in shop through group release-editors") {
			t.Errorf("audit = %+v, want erin's success naming group release-editors", evs)
		}
	})

	t.Run("viewer sees no Create button", func(t *testing.T) {
		resp, body := e.signIn(t, httpBrowser(t), ssoViewer, "/w/"+workspace+"/jobs")
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Workspace Viewer") || strings.Contains(body, `id="create-job"`) {
			t.Fatalf("viewer landing %s (%s): want the Viewer role and no Create button; body %.500s", resp.Request.URL, resp.Status, body)
		}
	})

	t.Run("a user in no mapped group sees the no-workspace page", func(t *testing.T) {
		resp, body := e.signIn(t, httpBrowser(t), ssoNobody, "/")
		if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/workspaces" || !strings.Contains(body, `id="no-workspace"`) ||
			!strings.Contains(body, "none of your groups (everyone) gives access") {
			t.Fatalf("landing %s (%s), want /workspaces with the no-workspace text; body %.800s", resp.Request.URL, resp.Status, body)
		}
	})

	t.Run("a local user's name is not taken over", func(t *testing.T) {
		resp, body := e.signIn(t, httpBrowser(t), ssoSquat, "/")
		if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "already belongs to a local user") {
			t.Fatalf("sign-in as admin through SSO = %s; want 409 saying a local user holds the name; body %.500s", resp.Status, body)
		}
		evs := e.ssoAudit(t)
		if len(evs) == 0 || evs[0].Outcome != "denied" || evs[0].Actor != "admin" {
			t.Errorf("audit = %+v, want a denied login.sso by admin", evs)
		}
	})

	t.Run("losing access at the next sign-in ends the open sessions", func(t *testing.T) {
		old := httpBrowser(t)
		if resp, body := e.signIn(t, old, ssoViewer, "/"); resp.StatusCode != http.StatusOK {
			t.Fatalf("sign-in: %s %.300s", resp.Status, body)
		}
		// Since that sign-in, the provider dropped vic from release-admins (an
		// admin group of shop): Dex's users are fixed, so the store is told vic
		// was in it, as an earlier sign-in would have recorded.
		if _, err := e.admin.CreateGroupBinding(ctx, client.NewGroupBinding{Group: "release-admins", Workspace: workspace, Role: client.RoleAdmin}); err != nil {
			t.Fatal(err)
		}
		st, err := store.Open(ctx, store.Options{DataDir: e.data}, nil)
		if err != nil {
			t.Fatal(err)
		}
		vic, err := st.GetUserByName(ctx, "vic")
		if err == nil {
			_, _, err = st.UpsertSSOUser(ctx, store.SSOIdentity{Issuer: vic.SSOIssuer, Subject: vic.SSOSubject, Username: "vic",
				Groups: append(slices.Clone(ssoViewer.Groups), "release-admins")})
		}
		st.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp, body := e.signIn(t, httpBrowser(t), ssoViewer, "/"); resp.StatusCode != http.StatusOK || !strings.Contains(body, "Workspace Viewer") {
			t.Fatalf("second sign-in: %s, want vic a Viewer again; %.300s", resp.Status, body)
		}
		resp, err := old.Get(e.url + "/api/v1/me")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("old session after the access was lost: GET /api/v1/me = %s, want 401", resp.Status)
		}
		evs := e.ssoAudit(t)
		if len(evs) == 0 || !strings.Contains(evs[0].Detail, "lost access (admin in shop)") {
			t.Errorf("audit = %+v, want the lost access named", evs)
		}
	})
}

// TestSSOAuditNamesGroup: a workspace action allowed by a group binding, not
// by the user's own membership, is audited naming the group.
func TestSSOAuditNamesGroup(t *testing.T) {
	e := newSSOEnv(t, false)
	ctx := t.Context()
	if _, err := e.admin.CreateGroupBinding(ctx, client.NewGroupBinding{Group: "everyone", Workspace: workspace, Role: client.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.admin.CreateUser(ctx, client.NewUser{Username: "lou", Password: userPassword}); err != nil {
		t.Fatal(err)
	}
	hc := httpBrowser(t)
	if resp, body := e.signIn(t, hc, ssoNobody, "/"); resp.StatusCode != http.StatusOK {
		t.Fatalf("sign-in: %s %.300s", resp.Status, body)
	}
	// nora's only access to shop: group everyone → admin. As a member admin she adds lou.
	resp, err := hc.Get(e.url + "/api/v1/me")
	if err != nil {
		t.Fatal(err)
	}
	var me struct {
		CSRF string `json:"csrf_token"`
	}
	err = json.NewDecoder(resp.Body).Decode(&me)
	resp.Body.Close()
	if err != nil || me.CSRF == "" {
		t.Fatalf("GET /api/v1/me: %v, csrf %q", err, me.CSRF)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPut, e.url+"/api/v1/workspaces/"+workspace+"/members/lou", strings.NewReader(`{"role":"viewer"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", me.CSRF)
	resp, err = hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT member as a group-made admin = %s, want 200", resp.Status)
	}
	evs, err := e.admin.WorkspaceAudit(ctx, workspace, client.AuditQuery{Action: "member.put", Actor: "nora"})
	if err != nil || len(evs) != 1 || !strings.Contains(evs[0].Detail, "access through group everyone") {
		t.Fatalf("audit = %+v, %v; want nora's member.put naming group everyone", evs, err)
	}
	// The admin's own change names no group.
	if _, err := e.admin.PutMember(ctx, workspace, "lou", client.RoleEditor); err != nil {
		t.Fatal(err)
	}
	evs, err = e.admin.WorkspaceAudit(ctx, workspace, client.AuditQuery{Action: "member.put", Actor: "admin"})
	if err != nil || len(evs) != 1 || strings.Contains(evs[0].Detail, "through group") {
		t.Fatalf("admin's audit = %+v, %v; want no group named", evs, err)
	}
}

// TestSSORefusals: every refused callback is a page with the reason, never a
// 500, and an audit entry. (Tokens from another issuer or audience, expired
// or tampered ones are refused by package oidc, tested against Dex there; here
// is what the server makes of a refusal.)
func TestSSORefusals(t *testing.T) {
	e := newSSOEnv(t, false)
	noRedirect := func(hc *http.Client) *http.Client {
		hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		return hc
	}
	get := func(t *testing.T, hc *http.Client, u string) (int, string) {
		t.Helper()
		resp, err := hc.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// begin starts a sign-in and returns the state the provider will send back.
	begin := func(t *testing.T, hc *http.Client) string {
		t.Helper()
		resp, err := noRedirect(hc).Get(e.url + "/auth/login?next=/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, err := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusFound || err != nil || !strings.HasPrefix(loc.String(), e.dex.Issuer) {
			t.Fatalf("GET /auth/login = %s to %q, want 302 to Dex", resp.Status, loc)
		}
		return loc.Query().Get("state")
	}

	tests := []struct {
		name   string
		call   func(t *testing.T) (int, string)
		status int
		reason string
	}{
		{"callback without a code", func(t *testing.T) (int, string) {
			hc := httpBrowser(t)
			state := begin(t, hc)
			return get(t, hc, e.url+"/auth/callback?state="+url.QueryEscape(state))
		}, http.StatusUnauthorized, "callback has no code"},
		{"callback without a sign-in in progress", func(t *testing.T) (int, string) {
			return get(t, httpBrowser(t), e.url+"/auth/callback?state=abc&code=xyz")
		}, http.StatusUnauthorized, "no sign-in in progress"},
		{"state of another sign-in", func(t *testing.T) (int, string) {
			hc := httpBrowser(t)
			begin(t, hc)
			return get(t, hc, e.url+"/auth/callback?state=forged&code=xyz")
		}, http.StatusUnauthorized, "callback state does not match"},
		{"provider refused", func(t *testing.T) (int, string) {
			hc := httpBrowser(t)
			state := begin(t, hc)
			return get(t, hc, e.url+"/auth/callback?error=access_denied&state="+url.QueryEscape(state))
		}, http.StatusUnauthorized, "identity provider refused the sign-in"},
		{"forged code", func(t *testing.T) (int, string) {
			hc := httpBrowser(t)
			state := begin(t, hc)
			return get(t, hc, e.url+"/auth/callback?code=forged&state="+url.QueryEscape(state))
		}, http.StatusUnauthorized, "identity provider refused the code"},
		{"replayed state", func(t *testing.T) (int, string) {
			hc := httpBrowser(t)
			var callback string
			hc.CheckRedirect = func(req *http.Request, _ []*http.Request) error {
				if req.URL.Path == "/auth/callback" {
					callback = req.URL.String()
				}
				return nil
			}
			if resp, body := e.signIn(t, hc, ssoEditor, "/"); resp.StatusCode != http.StatusOK {
				t.Fatalf("first sign-in: %s %.300s", resp.Status, body)
			}
			return get(t, hc, callback) // the same state and code again
		}, http.StatusUnauthorized, "no sign-in in progress"},
		{"next off the site", func(t *testing.T) (int, string) {
			status, body := get(t, noRedirect(httpBrowser(t)), e.url+"/auth/login?next="+url.QueryEscape("https://evil.example/"))
			return status, body
		}, http.StatusFound, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(e.ssoAudit(t))
			status, body := tt.call(t)
			if status != tt.status {
				t.Fatalf("status %d, want %d; body %.500s", status, tt.status, body)
			}
			if tt.reason == "" {
				return
			}
			if !strings.Contains(body, tt.reason) || !strings.Contains(body, `id="sso-error"`) {
				t.Errorf("page does not say %q: %.500s", tt.reason, body)
			}
			evs := e.ssoAudit(t)
			if len(evs) <= before || evs[0].Outcome != "denied" || !strings.Contains(evs[0].Detail, tt.reason) {
				t.Errorf("audit = %+v, want a new denied login.sso saying %q", evs, tt.reason)
			}
		})
	}
}

// TestSSOBreakGlass: with local sign-in turned off, only platform
// administrators sign in with a password.
func TestSSOBreakGlass(t *testing.T) {
	e := newSSOEnv(t, true)
	ctx := t.Context()
	if _, err := e.admin.CreateUser(ctx, client.NewUser{Username: "local-lou", Password: userPassword}); err != nil {
		t.Fatal(err)
	}
	lou, _ := client.New(e.url)
	_, err := lou.Login(ctx, "local-lou", userPassword)
	var ae *client.Error
	if !errors.As(err, &ae) || ae.Status != http.StatusForbidden || !strings.Contains(ae.Message, "sign in with SSO") {
		t.Fatalf("local login with local sign-in off = %v, want 403 telling to sign in with SSO", err)
	}
	admin, _ := client.New(e.url)
	if _, err := admin.Login(ctx, "admin", adminPassword); err != nil {
		t.Fatalf("break-glass admin login: %v", err)
	}
	resp, err := http.Get(e.url + "/login")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `id="sso-login"`) || !strings.Contains(string(body), "break-glass") {
		t.Errorf("login page lacks Sign in with SSO or the break-glass form: %.600s", body)
	}
}

// TestSSOBrowser: in Chromium, a user clicks Sign in with SSO, signs in on
// Dex's page and lands with the role its group maps to.
func TestSSOBrowser(t *testing.T) {
	chromiumPath(t)
	e := newSSOEnv(t, false)
	ce := &consoleEnv{url: e.url}
	for _, tc := range []struct {
		user       testenv.DexUser
		role       string
		seesCreate bool
	}{
		{ssoEditor, "Workspace Editor", true},
		{ssoViewer, "Workspace Viewer", false},
	} {
		t.Run(tc.user.Username, func(t *testing.T) {
			b := ce.browser(t)
			b.do("sign in with SSO",
				chromedp.Navigate(e.url+"/"),
				chromedp.WaitVisible(css("#sso-login")),
				chromedp.Click(css("#sso-login")),
				chromedp.WaitVisible(css(`input[name="login"]`)),
				chromedp.SendKeys(css(`input[name="login"]`), tc.user.Email),
				chromedp.SendKeys(css(`input[name="password"]`), tc.user.Password),
				chromedp.Click(css(`button[type="submit"]`)),
				chromedp.WaitVisible(css("#current-user")),
			)
			if got := b.text("#current-role"); got != tc.role {
				t.Errorf("role shown %q, want %q", got, tc.role)
			}
			if got := b.exists("#create-job"); got != tc.seesCreate {
				t.Errorf("Create Delivery Job shown: %v, want %v", got, tc.seesCreate)
			}
			b.screenshot("sso-" + tc.user.Username)
		})
	}
	t.Run("platform admin manages group bindings on their page", func(t *testing.T) {
		b := ce.browser(t)
		b.login("admin", adminPassword)
		b.do("open Group bindings",
			chromedp.Navigate(e.url+"/group-bindings"),
			chromedp.WaitVisible(css(`#gb-body tr[data-group="release-editors"]`)),
			chromedp.Click(css("#gb-submit")),
			waitJS(`(() => { const e = document.querySelector("#gb-group-error"); return e && !e.hidden && e.textContent.includes("group is required"); })()`),
			chromedp.SendKeys(css("#gb-group"), "qa-team"),
			choose("#gb-role", "admin"),
			choose("#gb-workspace", workspace),
			chromedp.Click(css("#gb-submit")),
			chromedp.WaitVisible(css(`#gb-body tr[data-group="qa-team"]`)),
		)
		if got := b.text(`#gb-body tr[data-group="qa-team"]`); !strings.Contains(got, "Workspace Admin") || !strings.Contains(got, workspace) {
			t.Errorf("new row reads %q, want Workspace Admin in %s", got, workspace)
		}
		b.screenshot("sso-group-bindings")
		b.do("remove it",
			clickLive(`#gb-body tr[data-group="qa-team"] button`),
			waitJS(`document.querySelector('#gb-body tr[data-group="qa-team"]') === null`),
		)
	})
	t.Run("no mapped group", func(t *testing.T) {
		b := ce.browser(t)
		b.do("sign in with SSO",
			chromedp.Navigate(e.url+"/login"),
			chromedp.Click(css("#sso-login")),
			chromedp.WaitVisible(css(`input[name="login"]`)),
			chromedp.SendKeys(css(`input[name="login"]`), ssoNobody.Email),
			chromedp.SendKeys(css(`input[name="password"]`), ssoNobody.Password),
			chromedp.Click(css(`button[type="submit"]`)),
			chromedp.WaitVisible(css("#no-workspace")),
		)
		if got := b.text("#no-workspace h2"); got != "No workspace" {
			t.Errorf("page heading %q, want No workspace", got)
		}
	})
}
