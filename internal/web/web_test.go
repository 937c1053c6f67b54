package web

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/switchyard/switchyard/internal/access"
	"github.com/switchyard/switchyard/internal/auth"
	"github.com/switchyard/switchyard/internal/store"
)

// TestTemplates parses every embedded template: Register panics otherwise.
func TestTemplates(t *testing.T) {
	c := &Console{}
	if err := c.parse(); err != nil {
		t.Fatalf("parse: %v", err)
	}
	for _, name := range append(pageNames, "login") {
		if c.pages[name] == nil {
			t.Errorf("page %s not parsed", name)
		}
	}
}

func TestSafeNext(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "/"},
		{"/w/shop/jobs?created=x", "/w/shop/jobs?created=x"},
		{"//evil.example/x", "/"},
		{"/\\evil", "/"},
		{"https://evil.example/", "/"},
		{"jobs", "/"},
		// Browsers drop tab, CR and LF from URLs: each would make "//".
		{"/\t/evil.example", "/"},
		{"/\r/evil.example", "/"},
		{"/\n/evil.example", "/"},
		{"/\t\t/evil.example/x?y=1", "/"},
		{"\t//evil.example", "/"},
		{"/\x00/evil.example", "/"},
		{"/\u0085/evil.example", "/"},
		{"/w/shop\x7f", "/"},
		{"/%2F/evil.example", "/"},
		{"/%5Cevil.example", "/%5Cevil.example"}, // stays encoded: a path on this site
		{"///evil.example", "/"},
		{"/\\/evil.example", "/"},
		{"http:/evil.example", "/"},
		{"javascript:alert(1)", "/"},
		{"/login?next=//evil.example", "/login?next=//evil.example"}, // a query is no destination
		{"/w/shop/jobs#frag", "/w/shop/jobs"},
		{"/w/a%20b/jobs", "/w/a%20b/jobs"},
	} {
		if got := safeNext(tc.in); got != tc.want {
			t.Errorf("safeNext(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestPages checks what needs no browser: signed-out visitors are sent to
// the login page, the assets are served, and a signed-in user gets the
// pages their role allows and a 404 for a workspace they are not in.
func TestPages(t *testing.T) {
	ctx := t.Context()
	st, err := store.Open(ctx, store.Options{DataDir: t.TempDir()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	hasher := &auth.Hasher{Cost: bcrypt.MinCost}
	authn := auth.NewAuthenticator(st, hasher)
	c := &Console{Store: st, Auth: authn, Access: &access.Checker{Store: st}, Logger: slog.New(slog.DiscardHandler)}
	mux := http.NewServeMux()
	c.Register(mux)

	hash, err := hasher.Hash("pw-pw-pw-pw")
	if err != nil {
		t.Fatal(err)
	}
	u, err := st.CreateUser(ctx, store.User{Username: "vic", PasswordHash: hash})
	if err != nil {
		t.Fatal(err)
	}
	ws, err := st.CreateWorkspace(ctx, store.Workspace{Name: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateWorkspace(ctx, store.Workspace{Name: "other"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.PutMember(ctx, store.Member{WorkspaceID: ws.ID, UserID: u.ID, Role: store.RoleViewer}); err != nil {
		t.Fatal(err)
	}
	cl, err := st.CreateCluster(ctx, store.Cluster{Name: "local", SealedKubeconfig: []byte("sealed")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateJob(ctx, store.Job{WorkspaceID: ws.ID, Name: "web", ClusterID: cl.ID, Namespace: "shop", Deployment: "web", Service: "web", CreatedBy: "erin"}); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	if _, err := authn.StartSession(ctx, rec, httptest.NewRequest("POST", "/api/v1/login", nil), u.ID); err != nil {
		t.Fatal(err)
	}
	cookie := rec.Result().Cookies()[0]

	for _, tc := range []struct {
		name, path string
		signedIn   bool
		status     int
		location   string // redirect target prefix
		body       []string
		notBody    []string
	}{
		{"signed out home", "/", false, http.StatusSeeOther, "/login?next=%2F", nil, nil},
		{"signed out page", "/w/shop/jobs", false, http.StatusSeeOther, "/login?next=%2Fw%2Fshop%2Fjobs", nil, nil},
		{"login page", "/login", false, http.StatusOK, "", []string{`id="login-form"`, `<label for="password">`}, nil},
		{"script", "/static/app.js", false, http.StatusOK, "", []string{"X-CSRF-Token"}, nil},
		{"stylesheet", "/static/app.css", false, http.StatusOK, "", []string{".status-ok"}, nil},
		{"home goes to the first workspace", "/", true, http.StatusSeeOther, "/w/shop/jobs", nil, nil},
		{"login when signed in", "/login?next=/workspaces", true, http.StatusSeeOther, "/workspaces", nil, nil},
		{"viewer's job list", "/w/shop/jobs", true, http.StatusOK, "", []string{"Progressive Delivery", "Workspace Viewer", `data-can-edit="false"`, "Ask a Workspace Editor"}, []string{"create-job", "Clusters</a>"}},
		{"viewer may not create", "/w/shop/jobs/new", true, http.StatusForbidden, "", []string{"Workspace Editor or Admin"}, nil},
		{"viewer's job page has no actions", "/w/shop/jobs/web", true, http.StatusOK, "", []string{`data-job="web"`}, []string{"job-actions", "act-promote"}},
		{"missing job", "/w/shop/jobs/nope", true, http.StatusNotFound, "", []string{"has no job named nope", `href="/w/shop/jobs"`}, []string{"job-actions"}},
		{"not a member", "/w/other/jobs", true, http.StatusNotFound, "", []string{"not a member"}, nil},
		{"missing workspace", "/w/nope/jobs", true, http.StatusNotFound, "", nil, nil},
		{"clusters are for platform admins", "/clusters", true, http.StatusForbidden, "", nil, nil},
		{"workspaces", "/workspaces", true, http.StatusOK, "", []string{`id="workspaces"`}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", tc.path, nil)
			if tc.signedIn {
				req.AddCookie(cookie)
			}
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Fatalf("GET %s: status %d, want %d", tc.path, rec.Code, tc.status)
			}
			if loc := rec.Header().Get("Location"); !strings.HasPrefix(loc, tc.location) {
				t.Errorf("GET %s: Location %q, want %q", tc.path, loc, tc.location)
			}
			body := rec.Body.String()
			for _, want := range tc.body {
				if !strings.Contains(body, want) {
					t.Errorf("GET %s: body lacks %q", tc.path, want)
				}
			}
			for _, not := range tc.notBody {
				if strings.Contains(body, not) {
					t.Errorf("GET %s: body has %q", tc.path, not)
				}
			}
		})
	}
}

// TestNotFound checks the console's catch-all without a browser: an
// unknown path is an HTML 404 page with a link back, a known path with the
// wrong method a 405 with Allow, and the API's own catch-all (more
// specific) still answers under /api/v1/.
func TestNotFound(t *testing.T) {
	st, err := store.Open(t.Context(), store.Options{DataDir: t.TempDir()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c := &Console{Store: st, Auth: auth.NewAuthenticator(st, &auth.Hasher{Cost: bcrypt.MinCost}), Access: &access.Checker{Store: st}, Logger: slog.New(slog.DiscardHandler)}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v1/", func(w http.ResponseWriter, r *http.Request) { http.Error(w, `{"error":{}}`, http.StatusNotFound) })
	c.Register(mux)
	for _, tc := range []struct {
		method, path string
		status       int
		contentType  string
		allow        string
	}{
		{"GET", "/no/such/page", http.StatusNotFound, "text/html", ""},
		{"GET", "/w/shop/jobs/web/extra", http.StatusNotFound, "text/html", ""},
		{"POST", "/login", http.StatusMethodNotAllowed, "text/html", "GET"},
		{"GET", "/api/v1/nope", http.StatusNotFound, "text/plain", ""}, // the stand-in above, not the page
	} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
		if rec.Code != tc.status || !strings.HasPrefix(rec.Header().Get("Content-Type"), tc.contentType) {
			t.Errorf("%s %s: %d %s, want %d %s", tc.method, tc.path, rec.Code, rec.Header().Get("Content-Type"), tc.status, tc.contentType)
		}
		if got := rec.Header().Get("Allow"); got != tc.allow {
			t.Errorf("%s %s: Allow %q, want %q", tc.method, tc.path, got, tc.allow)
		}
		if tc.contentType == "text/html" && !strings.Contains(rec.Body.String(), `href="/"`) {
			t.Errorf("%s %s: the page has no link back to the console", tc.method, tc.path)
		}
	}
}
