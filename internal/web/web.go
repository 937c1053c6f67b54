// Package web is Switchyard's browser console: pages rendered on the server
// from html/template files embedded in the binary, one stylesheet and one
// small script.
//
// The pages carry who is signed in, their role, the workspace switcher and
// the session's CSRF token; the data on them (job lists, job status, the
// form's pickers) is read by the script from the REST API under /api/v1,
// and every change is sent there too, with the CSRF token. So the console
// has no authorization of its own beyond deciding what to show: the server
// checks each request with the same access.Checker the API uses, and a
// Viewer who forges a request is refused there.
package web

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"

	"github.com/switchyard/switchyard/internal/access"
	"github.com/switchyard/switchyard/internal/auth"
	"github.com/switchyard/switchyard/internal/notifications"
	"github.com/switchyard/switchyard/internal/release"
	"github.com/switchyard/switchyard/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Console serves the web console. Set every field before calling Register.
type Console struct {
	Store  *store.Store
	Auth   *auth.Authenticator
	Access *access.Checker
	Logger *slog.Logger
	// SSO, when set, adds "Sign in with SSO" and its routes.
	SSO *SSO

	pages map[string]*template.Template
}

// pageNames are the templates rendered inside layout.html.
var pageNames = []string{"jobs", "job_new", "job", "clusters", "workspaces", "users", "audit", "error", "group_bindings", "notifications"}

// Register adds the console's routes to mux, next to the API's. The
// templates are embedded, so failing to parse them is a programming error
// (TestTemplates catches it): Register panics then.
func (c *Console) Register(mux *http.ServeMux) {
	if err := c.parse(); err != nil {
		panic(fmt.Sprintf("web: parse embedded templates: %v", err))
	}
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(fmt.Sprintf("web: embedded static files: %v", err))
	}
	mux.Handle("GET /static/", http.StripPrefix("/static/", cacheable(http.FileServerFS(static))))
	mux.HandleFunc("GET /{$}", c.home)
	mux.HandleFunc("GET /login", c.login)
	mux.HandleFunc("GET /w/{ws}/jobs", c.workspacePage("jobs"))
	mux.HandleFunc("GET /w/{ws}/jobs/new", c.workspacePage("job_new"))
	mux.HandleFunc("GET /w/{ws}/jobs/{job}", c.workspacePage("job"))
	mux.HandleFunc("GET /w/{ws}/audit", c.workspacePage("audit"))
	mux.HandleFunc("GET /w/{ws}/notifications", c.workspacePage("notifications"))
	mux.HandleFunc("GET /clusters", c.clusters)
	mux.HandleFunc("GET /users", c.adminPage("users", "Users", access.UserList))
	mux.HandleFunc("GET /audit", c.adminPage("audit", "Audit log", access.AuditViewGlobal))
	mux.HandleFunc("GET /workspaces", c.workspaces)
	mux.HandleFunc("GET /group-bindings", c.adminPage("group_bindings", "Group bindings", access.GroupBindingView))
	c.registerSSO(mux)
	mux.HandleFunc("/", c.notFound(mux))
}

func (c *Console) parse() error {
	c.pages = map[string]*template.Template{}
	funcs := template.FuncMap{"roleLabel": roleLabel, "phases": func() []release.Phase { return release.Phases },
		"notificationKinds": func() []notifications.Kind { return notifications.Kinds }}
	login, err := template.New("login.html").Funcs(funcs).ParseFS(templateFS, "templates/login.html")
	if err != nil {
		return err
	}
	c.pages["login"] = login
	ssoError, err := template.New("sso_error.html").Funcs(funcs).ParseFS(templateFS, "templates/sso_error.html")
	if err != nil {
		return err
	}
	c.pages["sso_error"] = ssoError
	for _, name := range pageNames {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return err
		}
		c.pages[name] = t
	}
	return nil
}

// cacheable lets browsers keep the script and stylesheet for a short while:
// they change only with the binary.
func cacheable(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=300")
		h.ServeHTTP(w, r)
	})
}

// render writes page with data, or logs why it could not.
func (c *Console) render(w http.ResponseWriter, status int, page string, data any) {
	t, ok := c.pages[page]
	if !ok {
		http.Error(w, "unknown page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self'; script-src 'self'; img-src 'self' data:; frame-ancestors 'none'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := t.Execute(w, data); err != nil {
		c.Logger.Error("render console page", "page", page, "err", err)
	}
}

// roleLabel is how a workspace role reads on the page.
func roleLabel(role string) string {
	switch role {
	case store.RoleAdmin:
		return "Workspace Admin"
	case store.RoleEditor:
		return "Workspace Editor"
	case store.RoleViewer:
		return "Workspace Viewer"
	}
	return role
}

// isUnauthenticated reports whether err means "sign in first".
func isUnauthenticated(err error) bool { return errors.Is(err, auth.ErrUnauthenticated) }
