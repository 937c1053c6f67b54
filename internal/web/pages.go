package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"unicode"

	"github.com/switchyard/switchyard/internal/access"
	"github.com/switchyard/switchyard/internal/auth"
	"github.com/switchyard/switchyard/internal/store"
)

// page is what layout.html and every page template get.
type page struct {
	Title      string
	Nav        string // the highlighted navigation entry: jobs, clusters, workspaces
	User       store.User
	CSRF       string
	Workspaces []store.Workspace // the switcher's choices
	Workspace  *store.Workspace  // the current one, if the page is about one
	Role       string            // the user's role in Workspace; "" when not a member
	CanEdit    bool              // may create and operate jobs in Workspace
	CanAudit   bool              // may read Workspace's audit log (its admins)
	CanNotify  bool              // may manage Workspace's webhook notifications (its admins)
	Job        string            // the job a detail page is about
	Created    string            // the job just created, for the "Creation Successful" prompt
	Status     int               // error pages
	Groups     []string          // an SSO user's groups, on the "no workspace" page
	Message    string            // error pages
}

// RoleText is the role shown next to the user's name.
func (p page) RoleText() string {
	switch {
	case p.Role != "":
		return roleLabel(p.Role)
	case p.User.PlatformAdmin:
		return "Platform Admin"
	}
	return ""
}

// session authenticates r for a page. When nobody is signed in it redirects
// to the login page and returns ok false.
func (c *Console) session(w http.ResponseWriter, r *http.Request) (page, bool) {
	p, err := c.Auth.Authenticate(r)
	if err != nil {
		if !isUnauthenticated(err) {
			c.Logger.ErrorContext(r.Context(), "console: authenticate", "err", err)
		}
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return page{}, false
	}
	pg, err := c.pageFor(r, p)
	if err != nil {
		c.fail(w, pg, http.StatusInternalServerError, "The workspaces could not be read. Try again in a moment.", err)
		return page{}, false
	}
	return pg, true
}

// visitor is the page of whoever asks, signed in or not, for pages anyone
// may see (the 404 page): the layout shows the signed-in user's top bar and
// navigation, or none.
func (c *Console) visitor(r *http.Request) page {
	p, err := c.Auth.Authenticate(r)
	if err != nil {
		if !isUnauthenticated(err) {
			c.Logger.Error("console: authenticate", "err", err)
		}
		return page{}
	}
	pg, err := c.pageFor(r, p)
	if err != nil {
		c.Logger.Error("console: list workspaces", "err", err)
	}
	return pg
}

// pageFor is the page of principal p: their CSRF token and the switcher's
// workspaces (every one for a platform admin).
func (c *Console) pageFor(r *http.Request, p auth.Principal) (page, error) {
	pg := page{User: p.User}
	if p.Session != nil {
		pg.CSRF = p.Session.CSRFToken
	}
	var err error
	// A platform admin through an IdP group is one on every page.
	if pg.User.PlatformAdmin, err = c.Access.IsPlatformAdmin(r.Context(), access.SubjectOf(p.User)); err != nil {
		return pg, err
	}
	if pg.User.PlatformAdmin {
		pg.Workspaces, err = c.Store.ListWorkspaces(r.Context())
	} else {
		pg.Workspaces, err = c.Store.ListWorkspacesForUser(r.Context(), p.User.ID)
	}
	return pg, err
}

// home sends the user to the jobs of their first workspace.
func (c *Console) home(w http.ResponseWriter, r *http.Request) {
	pg, ok := c.session(w, r)
	if !ok {
		return
	}
	if len(pg.Workspaces) == 0 {
		http.Redirect(w, r, "/workspaces", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/w/"+url.PathEscape(pg.Workspaces[0].Name)+"/jobs", http.StatusSeeOther)
}

// login shows the sign-in form; the script posts it to /api/v1/login.
func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.URL.Query().Get("next"))
	if _, err := c.Auth.Authenticate(r); err == nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	data := struct {
		Next               string
		SSO, LocalDisabled bool
	}{Next: next}
	if c.SSO != nil {
		data.SSO, data.LocalDisabled = true, c.SSO.LocalLoginDisabled
	}
	c.render(w, http.StatusOK, "login", data)
}

// safeNext keeps post-login redirects on this site: it parses next and
// rebuilds it from its path and query alone, so only a same-origin path
// ("/w/shop/jobs?created=x") survives. Anything else — a scheme or host, a
// path starting "//" or holding a backslash, any control character (a
// browser drops tab, CR and LF, so "/\t/evil.example" would become
// "//evil.example") — gives "/".
func safeNext(next string) string {
	if strings.ContainsFunc(next, unicode.IsControl) || strings.ContainsRune(next, '\\') {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" ||
		!strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") {
		return "/"
	}
	rebuilt := (&url.URL{Path: u.Path, RawPath: u.RawPath, RawQuery: u.RawQuery}).String()
	if !strings.HasPrefix(rebuilt, "/") || strings.HasPrefix(rebuilt, "//") || strings.ContainsRune(rebuilt, '\\') {
		return "/"
	}
	return rebuilt
}

// workspacePage serves one of the pages about a workspace's jobs.
func (c *Console) workspacePage(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		pg, ok := c.session(w, r)
		if !ok {
			return
		}
		ws, err := c.Store.GetWorkspaceByName(r.Context(), r.PathValue("ws"))
		if err == nil {
			err = c.Access.Authorize(r.Context(), access.SubjectOf(pg.User), access.JobView, ws.ID)
		}
		if err != nil {
			c.denied(w, pg, err)
			return
		}
		pg.Workspace, pg.Nav = &ws, "jobs"
		subject := access.SubjectOf(pg.User)
		if pg.Role, err = c.Access.Role(r.Context(), subject, ws.ID); err != nil {
			c.fail(w, pg, http.StatusInternalServerError, "Your role could not be read. Try again in a moment.", err)
			return
		}
		pg.CanEdit = c.Access.Authorize(r.Context(), subject, access.JobCreate, ws.ID) == nil
		pg.CanAudit = c.Access.Authorize(r.Context(), subject, access.AuditView, ws.ID) == nil
		pg.CanNotify = c.Access.Authorize(r.Context(), subject, access.NotificationManage, ws.ID) == nil
		switch name {
		case "jobs":
			pg.Title, pg.Created = "Progressive Delivery", r.URL.Query().Get("created")
		case "job_new":
			if !pg.CanEdit {
				c.fail(w, pg, http.StatusForbidden, "Creating delivery jobs needs the Workspace Editor or Admin role in "+ws.Name+".", nil)
				return
			}
			pg.Title = "Create Blue/Green Delivery Job"
		case "job":
			pg.Job = r.PathValue("job")
			if _, err := c.Store.GetJobByName(r.Context(), ws.ID, pg.Job); err != nil {
				if errors.Is(err, store.ErrNotFound) {
					pg.Title = "Job not found"
					c.fail(w, pg, http.StatusNotFound, "Workspace "+ws.Name+" has no job named "+pg.Job+" (any more).", nil)
				} else {
					c.fail(w, pg, http.StatusInternalServerError, "The job could not be read. Try again in a moment.", err)
				}
				return
			}
			pg.Title = pg.Job
		case "audit":
			if !pg.CanAudit {
				c.fail(w, pg, http.StatusForbidden, "The audit log of "+ws.Name+" is for its Workspace Admins.", nil)
				return
			}
			pg.Nav, pg.Title = "audit", "Audit log · "+ws.Name
		case "notifications":
			if !pg.CanNotify {
				c.fail(w, pg, http.StatusForbidden, "The notifications of "+ws.Name+" are for its Workspace Admins.", nil)
				return
			}
			pg.Nav, pg.Title = "notifications", "Notifications · "+ws.Name
		}
		c.render(w, http.StatusOK, name, pg)
	}
}

// clusters lists the registered clusters (platform admins).
func (c *Console) clusters(w http.ResponseWriter, r *http.Request) {
	pg, ok := c.session(w, r)
	if !ok {
		return
	}
	pg.Nav, pg.Title = "clusters", "Clusters"
	if err := c.Access.Authorize(r.Context(), access.SubjectOf(pg.User), access.ClusterView, 0); err != nil {
		c.denied(w, pg, err)
		return
	}
	c.render(w, http.StatusOK, "clusters", pg)
}

// adminPage serves a page for platform admins only: the users, or the
// audit log of every workspace.
func (c *Console) adminPage(name, title string, action access.Action) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		pg, ok := c.session(w, r)
		if !ok {
			return
		}
		if err := c.Access.Authorize(r.Context(), access.SubjectOf(pg.User), action, 0); err != nil {
			c.denied(w, pg, err)
			return
		}
		pg.Nav, pg.Title = name, title
		c.render(w, http.StatusOK, name, pg)
	}
}

// workspaces lists the user's workspaces with their members and bindings.
func (c *Console) workspaces(w http.ResponseWriter, r *http.Request) {
	pg, ok := c.session(w, r)
	if !ok {
		return
	}
	pg.Nav, pg.Title = "workspaces", "Workspaces"
	if len(pg.Workspaces) == 0 && pg.User.SSOIssuer != "" {
		gs, err := c.Store.UserGroups(r.Context(), pg.User.ID)
		if err != nil {
			c.fail(w, pg, http.StatusInternalServerError, "Your groups could not be read. Try again in a moment.", err)
			return
		}
		pg.Groups = gs
	}
	c.render(w, http.StatusOK, "workspaces", pg)
}

// denied answers an authorization or lookup failure: a workspace the user
// may not see reads as missing, like in the API.
func (c *Console) denied(w http.ResponseWriter, pg page, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, access.ErrNotVisible):
		c.fail(w, pg, http.StatusNotFound, "There is no such workspace, or you are not a member of it.", nil)
	case errors.Is(err, access.ErrForbidden):
		c.fail(w, pg, http.StatusForbidden, "Your role does not allow this page.", nil)
	case errors.Is(err, auth.ErrUnauthenticated):
		c.fail(w, pg, http.StatusUnauthorized, "Please sign in again.", nil)
	default:
		c.fail(w, pg, http.StatusInternalServerError, "Something went wrong. Try again in a moment.", err)
	}
}

// fail renders the error page; err, when set, is logged (never shown).
func (c *Console) fail(w http.ResponseWriter, pg page, status int, msg string, err error) {
	if err != nil {
		c.Logger.Error("console page", "status", status, "err", err)
	}
	pg.Status, pg.Message = status, msg
	if pg.Title == "" {
		pg.Title = http.StatusText(status)
	}
	c.render(w, status, "error", pg)
}
