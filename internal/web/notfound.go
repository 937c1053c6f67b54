package web

import (
	"net/http"
	"strings"
)

// notFound answers every path no other route matches, below the API's own
// catch-all for /api/v1/ (more specific, so API paths keep their JSON
// errors): a page in the console's layout with a link back instead of the
// mux's plain text. A path that exists for other methods gets 405 with
// Allow, as the mux itself would answer.
func (c *Console) notFound(mux *http.ServeMux) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		pg := c.visitor(r)
		if allow := allowedMethods(mux, r); len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			pg.Title = "Method not allowed"
			c.fail(w, pg, http.StatusMethodNotAllowed, r.Method+" is not allowed here.", nil)
			return
		}
		pg.Title = "Page not found"
		c.fail(w, pg, http.StatusNotFound, "There is no page at "+r.URL.Path+". It may have moved, or the address has a typo.", nil)
	}
}

// allowedMethods lists the methods other than r's that a route other than
// the catch-all serves at r's path.
func allowedMethods(mux *http.ServeMux, r *http.Request) []string {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if m == r.Method {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := mux.Handler(probe); pattern != "" && pattern != "/" {
			allow = append(allow, m)
		}
	}
	return allow
}
